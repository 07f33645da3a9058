/**
 * The import wizard's form, without Svelte: the files each format reads (with their well-known
 * names), a column-mapping guess for generic logs, and the request the form describes.
 */
import type {
  ColumnMapping,
  DatasetImportRequest,
  ImportFailure,
  ImportFilters,
  ImportFormat,
  PickFilesOptions,
} from '../../../src-main/contract/api';
import {
  IMPORT_EMBEDDING_DIM_RANGE,
  IMPORT_FILTER_RANGES,
  type NumberRange,
  boundsInterval,
  withinBounds,
} from '../../../src-main/contract/ranges';

export interface FileRole {
  role: string;
  label: string;
  /** The file's well-known name, shown as the input's hint and matched when several are picked. */
  fileName: string;
  required: boolean;
  /** What the file adds, in a few words. */
  help: string;
  extensions: string[];
}

export interface FormatInfo {
  format: ImportFormat;
  title: string;
  summary: string;
  roles: FileRole[];
}

export const IMPORT_FORMATS: readonly FormatInfo[] = [
  {
    format: 'wechat',
    title: 'WeChat Big Data Challenge 2021',
    summary:
      'wechat_algo_data1/: label = finish playing (play >= videoplayseconds * 1000), watch time = play; days 1-14.',
    roles: [
      {
        role: 'userAction',
        label: 'User actions',
        fileName: 'user_action.csv',
        required: true,
        help: 'userid, feedid, date_, device, play, stay, …',
        extensions: ['csv'],
      },
      {
        role: 'feedInfo',
        label: 'Feed info',
        fileName: 'feed_info.csv',
        required: true,
        help: 'feedid, authorid, videoplayseconds, bgm ids, tags',
        extensions: ['csv'],
      },
      {
        role: 'feedEmbeddings',
        label: 'Feed embeddings',
        fileName: 'feed_embeddings.csv',
        required: false,
        help: '512 floats per feed, reduced by PCA (modality V)',
        extensions: ['csv'],
      },
    ],
  },
  {
    format: 'tiktok',
    title: 'TikTok (ICME 2019 short-video track 2)',
    summary:
      'Tab-separated, no header, 12 columns; label = finish; rows with finish = -1 are dropped (counted).',
    roles: [
      {
        role: 'train',
        label: 'Interactions',
        fileName: 'final_track2_train.txt',
        required: true,
        help: 'uid, user_city, item_id, author_id, …, finish, like, …, creat_time',
        extensions: ['txt'],
      },
      {
        role: 'video',
        label: 'Video features',
        fileName: 'track2_video_features.txt',
        required: false,
        help: 'JSON lines, 128-d (modality V)',
        extensions: ['txt'],
      },
      {
        role: 'audio',
        label: 'Audio features',
        fileName: 'track2_audio_features.txt',
        required: false,
        help: 'JSON lines, 128-d (modality A)',
        extensions: ['txt'],
      },
      {
        role: 'title',
        label: 'Titles',
        fileName: 'track2_title.txt',
        required: false,
        help: 'JSON lines, word counts hashed to 64-d (modality T)',
        extensions: ['txt'],
      },
    ],
  },
  {
    format: 'csv',
    title: 'Generic log (CSV, TSV or JSON lines)',
    summary: 'Any interaction log with a header: map its user, item and label columns after a preview.',
    roles: [
      {
        role: 'log',
        label: 'Log file',
        fileName: 'interactions.csv',
        required: true,
        help: 'one row per interaction, a header row (or one JSON object per line)',
        extensions: ['csv', 'tsv', 'txt', 'jsonl', 'json'],
      },
    ],
  },
];

export function formatInfo(format: ImportFormat): FormatInfo {
  return IMPORT_FORMATS.find((info) => info.format === format) ?? IMPORT_FORMATS[0];
}

/** Open-dialog options for one role of a format. */
export function pickOptions(format: ImportFormat, role: FileRole): PickFilesOptions {
  return {
    title: `${formatInfo(format).title}: ${role.fileName}`,
    multiple: false,
    filters: [{ name: role.label, extensions: role.extensions }],
  };
}

/** Joins a folder and a file name with the folder's own separator. */
export function joinPath(folder: string, name: string): string {
  const trimmed = folder.trim();
  if (trimmed === '') return name;
  const separator = trimmed.includes('\\') && !trimmed.includes('/') ? '\\' : '/';
  return trimmed.endsWith(separator) ? `${trimmed}${name}` : `${trimmed}${separator}${name}`;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/**
 * Sorts picked files into the format's roles by their well-known names (the same rules as the
 * importers: e.g. any name with `video_features` is TikTok's video file). Unmatched files fill the
 * first empty required role.
 */
export function assignFiles(format: ImportFormat, paths: string[]): Record<string, string> {
  const info = formatInfo(format);
  const assigned: Record<string, string> = {};
  const patterns: Record<string, RegExp> = {
    userAction: /user_action/,
    feedInfo: /feed_info/,
    feedEmbeddings: /feed_embeddings/,
    video: /video_features/,
    audio: /audio_features/,
    title: /title/,
  };
  const rest: string[] = [];
  for (const path of paths) {
    const role = info.roles.find((r) => patterns[r.role]?.test(baseName(path)));
    if (role && !assigned[role.role]) assigned[role.role] = path;
    else if (!/face_attrs/.test(baseName(path))) rest.push(path);
  }
  for (const path of rest) {
    const open = info.roles.find((r) => r.required && !assigned[r.role]);
    if (open) assigned[open.role] = path;
  }
  return assigned;
}

/** Column names that usually hold each mapped field, in order of preference. */
const MAPPING_HINTS: Record<
  keyof Omit<ColumnMapping, 'userFeatures' | 'itemFeatures' | 'labelThreshold'>,
  string[]
> = {
  user: ['user', 'user_id', 'userid', 'uid', 'customer_id', 'session_id'],
  item: ['item', 'item_id', 'itemid', 'iid', 'feedid', 'video_id', 'movie_id', 'product_id'],
  label: ['label', 'y', 'finish', 'finished', 'clicked', 'click', 'is_click', 'like', 'rating'],
  timestamp: ['timestamp', 'time', 'ts', 'datetime', 'date', 'date_', 'creat_time', 'created_at'],
  weight: ['watch_time', 'play', 'dwell', 'dwell_time', 'duration', 'weight', 'stay'],
};

/** A first guess of the mapping from a preview's header; the analyst corrects it. */
export function guessMapping(columns: string[]): MappingDraft {
  const lower = columns.map((column) => column.toLowerCase());
  const pick = (hints: string[], taken: string[]): string => {
    for (const hint of hints) {
      const index = lower.indexOf(hint);
      if (index >= 0 && !taken.includes(columns[index])) return columns[index];
    }
    return '';
  };
  const user = pick(MAPPING_HINTS.user, []);
  const item = pick(MAPPING_HINTS.item, [user]);
  const label = pick(MAPPING_HINTS.label, [user, item]);
  const timestamp = pick(MAPPING_HINTS.timestamp, [user, item, label]);
  const weight = pick(MAPPING_HINTS.weight, [user, item, label, timestamp]);
  return { user, item, label, timestamp, weight, userFeatures: [], itemFeatures: [], labelThreshold: '' };
}

/** The mapping as the form edits it: '' for an unset column or threshold. */
export interface MappingDraft {
  user: string;
  item: string;
  label: string;
  timestamp: string;
  weight: string;
  userFeatures: string[];
  itemFeatures: string[];
  labelThreshold: string;
}

export interface ImportFormState {
  format: ImportFormat;
  /** Path per role ('' when not given). */
  files: Record<string, string>;
  name: string;
  minUser: string;
  minItem: string;
  timeFrom: string;
  timeTo: string;
  sample: string;
  seed: string;
  embeddingDim: string;
  mapping: MappingDraft;
}

export function emptyImportForm(format: ImportFormat = 'tiktok'): ImportFormState {
  return {
    format,
    files: {},
    name: '',
    minUser: '',
    minItem: '',
    timeFrom: '',
    timeTo: '',
    sample: '',
    seed: '',
    embeddingDim: '',
    mapping: {
      user: '',
      item: '',
      label: '',
      timestamp: '',
      weight: '',
      userFeatures: [],
      itemFeatures: [],
      labelThreshold: '',
    },
  };
}

export type BuiltRequest =
  { ok: true; request: DatasetImportRequest } | { ok: false; field: string; error: string };

function numberField(
  text: string,
  field: string,
  label: string,
  check: (value: number) => string | null,
): { value?: number; error?: { field: string; error: string } } {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { error: { field, error: `${label}: "${trimmed}" is not a number.` } };
  const problem = check(value);
  return problem ? { error: { field, error: `${label}: ${problem}` } } : { value };
}

/** The check of a value the main side bounds by `range` (the contract's declaration). */
const within = (range: NumberRange) => (value: number) => {
  if (range.integer && !Number.isInteger(value)) return 'must be a whole number.';
  return withinBounds(value, range) ? null : `must be in ${boundsInterval(range)}.`;
};

/** The import request the form describes, or the first problem with it. */
export function buildImportRequest(form: ImportFormState): BuiltRequest {
  const info = formatInfo(form.format);
  const paths: string[] = [];
  for (const role of info.roles) {
    const path = (form.files[role.role] ?? '').trim();
    if (path === '') {
      if (role.required)
        return {
          ok: false,
          field: `file-${role.role}`,
          error: `${role.label}: give the path of ${role.fileName}.`,
        };
      continue;
    }
    paths.push(path);
  }
  const request: DatasetImportRequest = { format: form.format, paths };
  if (form.name.trim()) request.name = form.name.trim();

  const filters: ImportFilters = {};
  const checks: [keyof ImportFilters, string, string, (value: number) => string | null][] = [
    [
      'minUserInteractions',
      form.minUser,
      'Minimum interactions per user',
      within(IMPORT_FILTER_RANGES.minUserInteractions),
    ],
    [
      'minItemInteractions',
      form.minItem,
      'Minimum interactions per item',
      within(IMPORT_FILTER_RANGES.minItemInteractions),
    ],
    ['timeFrom', form.timeFrom, 'From', () => null],
    ['timeTo', form.timeTo, 'To', () => null],
    ['userSampleFraction', form.sample, 'User sample', within(IMPORT_FILTER_RANGES.userSampleFraction)],
    ['sampleSeed', form.seed, 'Sample seed', within(IMPORT_FILTER_RANGES.sampleSeed)],
  ];
  for (const [key, text, label, check] of checks) {
    const parsed = numberField(text, `filter-${key}`, label, check);
    if (parsed.error) return { ok: false, ...parsed.error };
    if (parsed.value !== undefined) filters[key] = parsed.value;
  }
  if (filters.timeFrom !== undefined && filters.timeTo !== undefined && filters.timeFrom > filters.timeTo) {
    return { ok: false, field: 'filter-timeTo', error: 'To: must not be before From.' };
  }
  if (Object.keys(filters).length) request.filters = filters;

  if (form.format === 'wechat') {
    const dim = numberField(
      form.embeddingDim,
      'embeddingDim',
      'Embedding dimension',
      within(IMPORT_EMBEDDING_DIM_RANGE),
    );
    if (dim.error) return { ok: false, ...dim.error };
    if (dim.value !== undefined) request.embeddingDim = dim.value;
  }

  if (form.format === 'csv') {
    const m = form.mapping;
    for (const [key, label] of [
      ['user', 'User column'],
      ['item', 'Item column'],
      ['label', 'Label column'],
    ] as const) {
      if (!m[key])
        return {
          ok: false,
          field: `mapping-${key}`,
          error: `${label}: choose a column (preview the file first).`,
        };
    }
    const mapping: ColumnMapping = { user: m.user, item: m.item, label: m.label };
    if (m.timestamp) mapping.timestamp = m.timestamp;
    if (m.weight) mapping.weight = m.weight;
    if (m.userFeatures.length) mapping.userFeatures = [...m.userFeatures];
    if (m.itemFeatures.length) mapping.itemFeatures = [...m.itemFeatures];
    const threshold = numberField(m.labelThreshold, 'mapping-labelThreshold', 'Label threshold', () => null);
    if (threshold.error) return { ok: false, ...threshold.error };
    if (threshold.value !== undefined) mapping.labelThreshold = threshold.value;
    request.mapping = mapping;
  }
  return { ok: true, request };
}

/** An import error as one line: the file's name, line and column first, then the message. */
export function describeImportFailure(failure: ImportFailure): { where: string | null; message: string } {
  if (!failure.file) return { where: null, message: failure.message };
  const where = [
    failure.file,
    failure.line !== undefined ? `line ${failure.line}` : null,
    failure.column !== undefined ? `column "${failure.column}"` : null,
  ]
    .filter((part) => part !== null)
    .join(', ');
  const message = failure.message.startsWith(`${where}: `)
    ? failure.message.slice(where.length + 2)
    : failure.message;
  return { where, message };
}

/** Labels of log2 histogram bins: bin b holds counts in [2^b, 2^(b+1)). */
export function log2BinLabel(bin: number): string {
  const low = 2 ** bin;
  const high = 2 ** (bin + 1) - 1;
  return low === high ? String(low) : `${low}–${high}`;
}

/** Bytes as B / KB / MB / GB (binary). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(2)} GB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KB`;
  return `${bytes} B`;
}

/** A count with thousands separators, as the paper's Table 1 prints them (1,639,527). */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}
