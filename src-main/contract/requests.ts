/**
 * Every channel of the API with the schema of its request, declared once. The channel list
 * (CHANNELS, the Channel type), the request types (RequestOf) and the main side's validation
 * (app/validate.ts) derive from this table; api.ts pairs each channel with its response.
 *
 * Requests come from a renderer or over HTTP, so nothing is trusted: unknown keys are errors
 * naming the key, and a missing body counts as `{}`. What needs the main side's machine or the
 * engine's registry (absolute paths, the testbeds' own rules for a spec) app/validate.ts checks
 * after these.
 */
import * as v from 'valibot';
import { IMPORT_EMBEDDING_DIM_RANGE, IMPORT_FILTER_RANGES } from './ranges';
import { MAX_COMPARED_RUNS, MAX_NOTE_CHARS } from './limits';
import { bool, choice, describeValue, fields, finiteNumber, id, listOf, numberIn, text } from './schema';
import { EXPERIMENT_SPEC } from './spec-schema';

export const IMPORT_FORMATS = ['wechat', 'tiktok', 'csv'] as const;
export const EXPORT_FORMATS = ['csv', 'markdown', 'latex'] as const;

/** At most this many files per import (WeChat has 3, TikTok 5). */
export const MAX_IMPORT_FILES = 16;

/** The body of a request that takes no fields; none at all, or null, is `{}` too. */
const NOTHING = v.optional(v.nullable(fields({}), {}), {});

/** A request's body: these fields, or `{}` when the body is missing. */
function body<const E extends v.ObjectEntries>(entries: E) {
  return v.optional(fields(entries), {});
}

/**
 * A file path on the main side's machine (app/validate.ts also checks that it is absolute: the
 * main side's working folder means nothing to the user).
 */
const PATH = v.pipe(
  text({ nonEmpty: true }),
  v.check((path: string) => !path.includes('\0'), 'a path cannot contain a NUL character'),
);

/**
 * A queue's Redis URL (`redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS); null
 * in `queue:connect` means this machine.
 */
const QUEUE_URL = v.pipe(
  text({ nonEmpty: true, maxLength: 2000 }),
  v.regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// URL'),
);

/** A display name or a column name. */
const NAME = text({ nonEmpty: true, maxLength: 200 });

const IMPORT_FILTERS = v.pipe(
  fields({
    minUserInteractions: v.optional(
      v.pipe(
        numberIn(IMPORT_FILTER_RANGES.minUserInteractions),
        v.description('Keep users with at least this many interactions, repeated until stable (k-core).'),
      ),
    ),
    minItemInteractions: v.optional(numberIn(IMPORT_FILTER_RANGES.minItemInteractions)),
    timeFrom: v.optional(
      v.pipe(
        finiteNumber(),
        v.description(
          "Inclusive time range in the source's time unit (WeChat: day 1-14; TikTok: creat_time).",
        ),
      ),
    ),
    timeTo: v.optional(finiteNumber()),
    userSampleFraction: v.optional(
      v.pipe(
        numberIn(IMPORT_FILTER_RANGES.userSampleFraction),
        v.description('Keep a seeded random fraction of users.'),
      ),
    ),
    sampleSeed: v.optional(numberIn(IMPORT_FILTER_RANGES.sampleSeed)),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const { timeFrom, timeTo } = dataset.value;
    if (timeFrom !== undefined && timeTo !== undefined && timeFrom > timeTo) {
      addIssue({
        message: `must not be before timeFrom (${timeFrom})`,
        path: [{ type: 'object', origin: 'value', input: dataset.value, key: 'timeTo', value: timeTo }],
      });
    }
  }),
);

/** Which columns of a generic log hold what (chosen after a preview). */
const COLUMN_MAPPING = fields({
  user: NAME,
  item: NAME,
  label: NAME,
  timestamp: v.optional(NAME),
  /** e.g. watch time; without it the label is the random-walk edge weight. */
  weight: v.optional(NAME),
  userFeatures: v.optional(listOf(NAME, { what: 'column names' })),
  itemFeatures: v.optional(listOf(NAME, { what: 'column names' })),
  /** When set, label = (value >= labelThreshold); otherwise the label must be 0/1 or true/false. */
  labelThreshold: v.optional(finiteNumber()),
});

const DATASET_IMPORT = v.pipe(
  fields({
    format: choice(IMPORT_FORMATS),
    /**
     * Files on the machine that runs the main side. WeChat: user_action.csv, feed_info.csv and
     * optionally feed_embeddings.csv; TikTok: final_track2_train.txt and optionally the video,
     * audio and title feature files; csv: one log file. Roles are told apart by the well-known
     * names.
     */
    paths: v.pipe(
      listOf(PATH, { what: 'file paths', nonEmpty: 'must name at least one file' }),
      v.maxLength(
        MAX_IMPORT_FILES,
        (issue) => `at most ${MAX_IMPORT_FILES} files, got ${issue.input.length}`,
      ),
    ),
    /** Display name; defaults to the dataset's usual name (or the csv file's name). */
    name: v.optional(NAME),
    filters: v.optional(IMPORT_FILTERS),
    /** Required for csv. */
    mapping: v.optional(COLUMN_MAPPING),
    /** WeChat: PCA dimension of the 512-d feed embeddings (0 keeps 512; default 64). */
    embeddingDim: v.optional(numberIn(IMPORT_EMBEDDING_DIM_RANGE)),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const request = dataset.value;
    const at = (key: 'mapping' | 'embeddingDim', message: string) =>
      addIssue({
        message,
        path: [{ type: 'object', origin: 'value', input: request, key, value: request[key] }],
      });
    if (request.format === 'csv' && request.mapping === undefined)
      at('mapping', 'required for a csv import (user, item and label columns)');
    else if (request.format !== 'csv' && request.mapping !== undefined)
      at('mapping', `only csv imports take a column mapping, not ${request.format}`);
    else if (request.embeddingDim !== undefined && request.format !== 'wechat')
      at('embeddingDim', 'only WeChat imports have feed embeddings to reduce');
  }),
);

const RUN_CANCEL = v.pipe(
  body({ runId: v.optional(id()), experimentId: v.optional(id()) }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const { runId, experimentId } = dataset.value;
    if (runId === undefined && experimentId === undefined) {
      addIssue({
        message: 'give runId or experimentId to say what to cancel',
        path: [{ type: 'object', origin: 'value', input: dataset.value, key: 'runId', value: runId }],
      });
    }
  }),
);

/** Run ids a request acts on: a comparison, an archive or a delete; at most MAX_COMPARED_RUNS. */
const RUN_IDS = v.pipe(
  listOf(id(), { what: 'run ids' }),
  v.maxLength(MAX_COMPARED_RUNS, (issue) => `at most ${MAX_COMPARED_RUNS} runs, got ${issue.input.length}`),
);

/** Tags and a note (app/annotations.ts trims tags and enforces their count and length). */
const ANNOTATION = {
  tags: v.optional(listOf(text(), { what: 'tags' })),
  note: v.optional(text({ maxLength: MAX_NOTE_CHARS })),
};

/** A comparison's baseline row: `<experimentId>:<methodIndex>`. */
const ROW_KEY = v.pipe(
  v.string((issue) => `must be "<experimentId>:<methodIndex>", got ${describeValue(issue.input)}`),
  v.regex(
    /^\d+:\d+$/,
    (issue) => `must be "<experimentId>:<methodIndex>", got ${describeValue(issue.input)}`,
  ),
);

/** Each channel's request; the order is the order `CHANNELS` lists them in. */
export const CHANNEL_REQUESTS = {
  'app:info': NOTHING,
  'methods:list': NOTHING,
  'protocols:list': NOTHING,
  'datasets:list': NOTHING,
  'datasets:preview': body({ path: PATH, format: choice(IMPORT_FORMATS) }),
  'datasets:import': v.optional(DATASET_IMPORT, {}),
  'datasets:cancel-import': body({ importId: text({ nonEmpty: true, maxLength: 100 }) }),
  'datasets:profile': body({ datasetId: id() }),
  'datasets:delete': body({ datasetId: id() }),
  'experiments:list': NOTHING,
  'experiments:get': body({ experimentId: id() }),
  'experiments:template': NOTHING,
  'experiments:bundled': NOTHING,
  'experiments:create': body({ spec: EXPERIMENT_SPEC }),
  'experiments:run': body({ experimentId: id() }),
  'runs:list': body({ experimentId: v.optional(id()) }),
  'runs:curves': body({ runId: id() }),
  'runs:histograms': body({ experimentId: id() }),
  'runs:cancel': RUN_CANCEL,
  'runs:annotate': body({ runId: id(), ...ANNOTATION }),
  'runs:archive': body({ runIds: RUN_IDS, archived: bool() }),
  'runs:delete': body({ runIds: RUN_IDS }),
  'experiments:annotate': body({ experimentId: id(), ...ANNOTATION }),
  'experiments:archive': body({ experimentId: id(), archived: bool() }),
  'experiments:delete': body({ experimentId: id() }),
  'results:table': body({ experimentId: id() }),
  'runs:compare': body({ runIds: RUN_IDS, baselineKey: v.optional(ROW_KEY) }),
  'results:export': body({ experimentId: id(), format: choice(EXPORT_FORMATS) }),
  'queue:status': NOTHING,
  'queue:connect': body({ url: v.nullable(QUEUE_URL) }),
};

export type Channel = keyof typeof CHANNEL_REQUESTS;
export type RequestOf<C extends Channel> = v.InferOutput<(typeof CHANNEL_REQUESTS)[C]>;

/** Every channel once, in the table's order (the transports route by it). */
export const CHANNELS = Object.keys(CHANNEL_REQUESTS) as Channel[];

export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ImportFilters = v.InferOutput<typeof IMPORT_FILTERS>;
export type ColumnMapping = v.InferOutput<typeof COLUMN_MAPPING>;
export type DatasetImportRequest = v.InferOutput<typeof DATASET_IMPORT>;
