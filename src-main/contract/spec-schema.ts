/**
 * The experiment spec, declared once: an experiments/*.json file, the editor's draft and the
 * `experiments:create` request all follow this schema. The spec's TypeScript types (api.ts), its
 * structural validation with the field path and allowed range of every error, and the JSON
 * Schema that editors use for experiments/*.json (schemas/experiment-spec.schema.json, written
 * by `npm run schema`) all derive from it.
 *
 * What depends on the registered testbeds is checked after it, in core/experiments/spec.ts:
 * which protocols and methods exist and the parameters each declares, the training defaults of
 * the default testbed, grids, and the limits between simulator parameters.
 */
import * as v from 'valibot';
import type { ProtocolId } from './api';
import { BACKEND_CHOICES } from './backends';
import { MAX_SPEC_BYTES, MAX_SPEC_DESCRIPTION_CHARS, MAX_SPEC_NAME_CHARS, describeBytes } from './limits';
import {
  DAY_LENGTH_RANGE,
  DEFAULT_TRAINING,
  EVALUATION_K_RANGE,
  SEED_RANGE,
  SIMULATOR_PARAM_RANGES,
  TRAINING_RANGES,
} from './ranges';
import {
  choice,
  describeValue,
  fields,
  finiteNumber,
  id,
  isRecord,
  listOf,
  numberIn,
  optionalNumbers,
  recordOf,
  requiredNumbers,
  strictFields,
  text,
} from './schema';

/** A hyper-parameter's value, before its declaration (core's registry) says which kind. */
export const PARAM_VALUE = v.union(
  [finiteNumber(), v.string(), v.boolean()],
  (issue) => `must be a number, a string or true or false, got ${describeValue(issue.input)}`,
);
export const PARAM_VALUES = recordOf(PARAM_VALUE);

/**
 * A grid's values for one key, at least one; each is checked against what the key sweeps after
 * the schema (core/experiments/spec.ts), which knows the declarations.
 */
const GRID_VALUES = listOf(PARAM_VALUE, { what: 'values', nonEmpty: 'must be a non-empty array of values' });

/** Parameters of the built-in cascade simulator, each within SIMULATOR_PARAM_RANGES. */
export const SIMULATOR_PARAMS = fields(requiredNumbers(SIMULATOR_PARAM_RANGES));
/** Some of the simulator's parameters: the others take DEFAULT_SIMULATOR_PARAMS. */
export const PARTIAL_SIMULATOR_PARAMS = fields(optionalNumbers(SIMULATOR_PARAM_RANGES));

export const DATASET_KINDS = ['simulated', 'stored'] as const;

export const DATASET = v.variant(
  'kind',
  [
    strictFields({
      kind: v.literal('simulated'),
      params: v.optional(
        v.pipe(PARTIAL_SIMULATOR_PARAMS, v.description('Unset ones take the defaults.')),
        {},
      ),
    }),
    strictFields({ kind: v.literal('stored'), datasetId: id() }),
  ],
  (issue) =>
    issue.expected === 'Object'
      ? `must be an object, got ${describeValue(issue.input)}`
      : `must be one of ${DATASET_KINDS.join(', ')}, got ${describeValue(issue.input)}`,
);

/** A testbed id; which exist is the registry's to say (core/protocols/registry.ts). */
const PROTOCOL = v.custom<ProtocolId>(
  (value) => typeof value === 'string' && value !== '',
  (issue) => `must be a testbed id such as "damcar", got ${describeValue(issue.input)}`,
);

/** One row of the results table: a method with its parameters, or a grid of them. */
export const METHOD_ROW = fields({
  id: v.pipe(text({ nonEmpty: true }), v.description('Method id (`cascade-lab methods`).')),
  params: v.optional(v.pipe(PARAM_VALUES, v.description("Overrides of the method's declared defaults."))),
  label: v.optional(
    v.pipe(text({ nonEmpty: true }), v.description("The table row's label (default: the method's name).")),
  ),
  protocolParams: v.optional(
    v.pipe(PARAM_VALUES, v.description("This row's overrides of the experiment's protocolParams.")),
  ),
  simulator: v.optional(
    v.pipe(
      PARTIAL_SIMULATOR_PARAMS,
      v.description("This row's overrides of the simulated dataset's parameters (its own world)."),
    ),
  ),
  grid: v.optional(
    v.pipe(
      recordOf(GRID_VALUES),
      v.description(
        'Grid search: one row per combination. A key `protocolParams.<key>` sweeps a protocol ' +
          'setting, `simulator.<key>` a simulator parameter.',
      ),
    ),
  ),
});

export const RANKING_MODELS = ['deepfm', 'dcn', 'none'] as const;
/** DeepFM, the ranking model of DAMCAR's Table 2. */
export const DEFAULT_RANKING_MODEL = 'deepfm';
export const CORPORA = ['all', 'test'] as const;
export const SPLITS = ['user-time', 'global-time'] as const;

/** Training settings, each within TRAINING_RANGES. */
export const TRAINING = fields(requiredNumbers(TRAINING_RANGES));

export const EVALUATION = fields({
  retrievalK: v.optional(
    v.pipe(
      listOf(numberIn(EVALUATION_K_RANGE), { what: 'numbers', nonEmpty: true, unique: true }),
      v.description('Retrieval cut-offs K1 (paper: 100, 200).'),
    ),
    () => [100, 200],
  ),
  corpus: v.optional(
    v.pipe(choice(CORPORA), v.description('Search the whole item corpus or only the test split.')),
    'all',
  ),
  split: v.optional(
    v.pipe(
      choice(SPLITS),
      v.description(
        "Each user's interactions 6:2:2 in time order (default), or one global cut in time with " +
          'the last day as the test set.',
      ),
    ),
  ),
  dayLength: v.optional(
    v.pipe(
      numberIn(DAY_LENGTH_RANGE),
      v.description("A day in the dataset's time unit, for the global split (default 86400)."),
    ),
  ),
});

/**
 * The size limits of limits.ts, checked before anything else so an oversized spec costs one
 * measurement: the description by its length (the likely culprit, named as such), then the
 * whole spec as UTF-8 JSON.
 */
const SPEC_SIZE = v.rawCheck<Record<string, unknown>>(({ dataset, addIssue }) => {
  if (!dataset.typed) return;
  const { description } = dataset.value;
  if (typeof description === 'string' && description.length > MAX_SPEC_DESCRIPTION_CHARS) {
    addIssue({
      message: `must be at most ${MAX_SPEC_DESCRIPTION_CHARS} characters, has ${description.length}`,
      path: [
        { type: 'object', origin: 'value', input: dataset.value, key: 'description', value: description },
      ],
    });
    return;
  }
  let json: string;
  try {
    json = JSON.stringify(dataset.value);
  } catch (error) {
    addIssue({ message: `is not plain JSON data: ${(error as Error).message}` });
    return;
  }
  // UTF-8 is at most 3 bytes per UTF-16 unit: count exactly only when the length cannot decide.
  if (json.length * 3 <= MAX_SPEC_BYTES) return;
  const bytes = new TextEncoder().encode(json).length;
  if (bytes > MAX_SPEC_BYTES) {
    addIssue({
      message: `the spec is ${bytes} bytes as JSON, more than the limit of ${MAX_SPEC_BYTES} bytes (${describeBytes(MAX_SPEC_BYTES)})`,
    });
  }
});

const SPEC_ENTRIES = {
  name: v.pipe(
    text({ nonEmpty: true, maxLength: MAX_SPEC_NAME_CHARS }),
    v.description('Shown in lists and tables.'),
  ),
  description: v.optional(text({ maxLength: MAX_SPEC_DESCRIPTION_CHARS })),
  protocol: v.optional(
    v.pipe(PROTOCOL, v.description('The paper testbed the experiment follows (default damcar).')),
  ),
  protocolParams: v.optional(
    v.pipe(PARAM_VALUES, v.description('Settings the protocol declares; unset ones take their defaults.')),
  ),
  dataset: DATASET,
  retrieval: v.optional(fields({ model: choice(['dssm']) }), () => ({ model: 'dssm' as const })),
  ranking: v.optional(
    v.pipe(
      fields({ model: v.optional(choice(RANKING_MODELS), DEFAULT_RANKING_MODEL) }),
      v.description("The cascade's ranking stage (DAMCAR Tables 2-3); none evaluates retrieval only."),
    ),
  ),
  methods: listOf(METHOD_ROW, { what: 'methods', nonEmpty: 'must name at least one method' }),
  training: v.optional(fields(optionalNumbers(TRAINING_RANGES, DEFAULT_TRAINING)), {}),
  evaluation: v.optional(EVALUATION, {}),
  seeds: v.optional(listOf(numberIn(SEED_RANGE), { what: 'numbers', nonEmpty: true, unique: true }), () => [
    1,
  ]),
  backend: v.optional(choice(BACKEND_CHOICES), 'auto'),
};

/** An experiment spec: its structure, ranges and plain defaults (see the module comment). */
export const EXPERIMENT_SPEC = v.pipe(
  v.custom<Record<string, unknown>>(
    isRecord,
    (issue) => `must be an object, got ${describeValue(issue.input)}`,
  ),
  SPEC_SIZE,
  strictFields(SPEC_ENTRIES),
);
