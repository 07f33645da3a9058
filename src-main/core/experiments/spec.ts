/**
 * Experiment specs: validation with defaults, and the quickstart template.
 *
 * A spec arrives as untrusted JSON (an experiments/*.json file, the editor, the CLI). Every
 * problem is reported as a SpecError naming the field path, e.g. `training.batchSize` or
 * `methods[0].params.alpha`. Unknown keys are errors too, so a typo does not silently fall back
 * to a default.
 */
import { MAX_GRID_ROWS, expandGrid, gridSize, type GridRow } from './grid';
import type {
  DatasetSource,
  EvaluationSpec,
  ExperimentSpec,
  MethodRunSpec,
  ParamSpec,
  ParamValue,
  MetricColumn,
  ParamValues,
  ProtocolId,
  RankingModelName,
  SimulatorParams,
  TrainingSpec,
} from '../../contract/api';
import { MAX_SPEC_BYTES, MAX_SPEC_DESCRIPTION_CHARS, MAX_SPEC_NAME_CHARS } from '../../contract/limits';
import { BACKEND_CHOICES, PROTOCOL_GRID_PREFIX, SIMULATOR_GRID_PREFIX } from '../../contract/api';
import {
  DEFAULT_SIMULATOR_PARAMS,
  EVALUATION_K_RANGE,
  type NumberRange,
  SEED_RANGE,
  TRAINING_RANGES,
  boundsInterval,
  withinBounds,
} from '../../contract/ranges';
import { SimulatorParamError, resolveSimulatorParams } from '../data/simulator';
import {
  DEFAULT_PROTOCOL,
  protocolIds,
  findMethodDescriptor,
  getProtocolDescriptor,
  getProtocolModule,
  listAllMethods,
} from '../protocols/registry';
import type { ProtocolModule } from '../protocols/types';
import { DAMCAR_PROTOCOL } from '../protocols/damcar/index';
import { DEFAULT_RANKING_MODEL, RANKING_MODELS, rankingModelOf } from '../protocols/damcar/settings';

export { DEFAULT_RANKING_MODEL, RANKING_MODELS, rankingModelOf };

export class SpecError extends Error {
  /** Path of the offending field, e.g. `methods[0].params.alpha`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'SpecError';
    this.field = field;
  }
}

/** The DAMCAR testbed's training settings (protocols/damcar/index.ts says where each comes from). */
export const DEFAULT_TRAINING: TrainingSpec = DAMCAR_PROTOCOL.training;
export const DEFAULT_EVALUATION: EvaluationSpec = {
  retrievalK: [100, 200],
  corpus: 'all',
  split: 'user-time',
};
export const DEFAULT_SEEDS: readonly number[] = [1];

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? `"${value}"` : typeof value === 'object' ? 'an object' : String(value);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function expectRecord(value: unknown, path: string): Json {
  if (!isRecord(value)) throw new SpecError(path, `must be an object, got ${describe(value)}`);
  return value;
}

function rejectUnknownKeys(obj: Json, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new SpecError(join(path, key), `unknown field; expected one of ${allowed.join(', ')}`);
    }
  }
}

function expectString(value: unknown, path: string, options: { nonEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') throw new SpecError(path, `must be a string, got ${describe(value)}`);
  if (options.nonEmpty && value.trim() === '') throw new SpecError(path, 'must not be empty');
  return value;
}

function expectNumber(value: unknown, path: string, range: NumberRange): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SpecError(path, `must be a finite number, got ${describe(value)}`);
  }
  if (range.integer && !Number.isInteger(value))
    throw new SpecError(path, `must be an integer, got ${value}`);
  if (!withinBounds(value, range))
    throw new SpecError(path, `must be in ${boundsInterval(range)}, got ${value}`);
  return value;
}

function expectOneOf<T extends string>(value: unknown, options: readonly T[], path: string): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw new SpecError(path, `must be one of ${options.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

function expectNumberList(value: unknown, path: string, range: NumberRange): number[] {
  if (!Array.isArray(value)) throw new SpecError(path, `must be an array of numbers, got ${describe(value)}`);
  if (value.length === 0) throw new SpecError(path, 'must not be empty');
  const out = value.map((v, i) => expectNumber(v, `${path}[${i}]`, range));
  const seen = new Set<number>();
  out.forEach((v, i) => {
    if (seen.has(v)) throw new SpecError(`${path}[${i}]`, `repeats ${v}`);
    seen.add(v);
  });
  return out;
}

function validateParam(spec: ParamSpec, value: unknown, path: string): ParamValue {
  switch (spec.kind) {
    case 'number':
      return expectNumber(value, path, { min: spec.min, max: spec.max, integer: spec.integer });
    case 'choice':
      return expectOneOf(
        value,
        spec.options.map((o) => o.value),
        path,
      );
    case 'boolean':
      if (typeof value !== 'boolean')
        throw new SpecError(path, `must be true or false, got ${describe(value)}`);
      return value;
  }
}

/**
 * Parameter values checked against their declarations (type, range, integer, choices), with
 * every declared key present: missing ones take their defaults. `path` is where the params
 * object sits, e.g. `methods[0].params`.
 */
export function resolveParamValues(
  declared: readonly ParamSpec[],
  given: unknown,
  path: string,
  owner: string,
): ParamValues {
  const obj = expectRecord(given ?? {}, path);
  for (const key of Object.keys(obj)) {
    if (!declared.some((p) => p.key === key)) {
      const names = declared.map((p) => p.key);
      throw new SpecError(
        join(path, key),
        `unknown parameter of ${owner}; ${names.length > 0 ? `expected one of ${names.join(', ')}` : 'it has none'}`,
      );
    }
  }
  const out: ParamValues = {};
  for (const p of declared) {
    out[p.key] = obj[p.key] === undefined ? p.default : validateParam(p, obj[p.key], join(path, p.key));
  }
  return out;
}

/**
 * The method's parameters with every declared key (see resolveParamValues). `path` locates the
 * method in the spec, e.g. `methods[0]`; errors name e.g. `methods[0].params.alpha`.
 */
export function resolveMethodParams(m: MethodRunSpec, path: string): ParamValues {
  const method = findMethodDescriptor(m.id);
  if (!method) {
    const known = listAllMethods()
      .map((d) => d.id)
      .join(', ');
    throw new SpecError(join(path, 'id'), `unknown method "${m.id}"; available: ${known}`);
  }
  return resolveParamValues(method.params, m.params, join(path, 'params'), method.name);
}

/** The spec's protocol; a spec stored before protocols existed is DAMCAR's cascade. */
export function protocolOf(spec: Pick<ExperimentSpec, 'protocol'>): ProtocolId {
  return spec.protocol ?? DEFAULT_PROTOCOL;
}

/**
 * The protocol's settings with every declared key (defaults filled): the spec's, overridden by a
 * method row's own (MethodRunSpec.protocolParams). Errors name `protocolParams.<key>`, or the
 * row's `path` (e.g. `methods[2].protocolParams`).
 */
export function resolveProtocolParams(
  spec: Pick<ExperimentSpec, 'protocol' | 'protocolParams'>,
  row?: { overrides: ParamValues | undefined; path: string },
): ParamValues {
  const protocol = getProtocolDescriptor(protocolOf(spec));
  if (!protocol) throw new SpecError('protocol', `unknown protocol "${String(spec.protocol)}"`);
  const base = resolveParamValues(protocol.params, spec.protocolParams, 'protocolParams', protocol.name);
  if (row?.overrides === undefined) return base;
  const checked = resolveParamValues(protocol.params, row.overrides, row.path, protocol.name);
  const given = Object.keys(expectRecord(row.overrides, row.path));
  return { ...base, ...Object.fromEntries(given.map((key) => [key, checked[key]])) };
}

/**
 * Checks a row's simulator overrides against the spec's simulated dataset; errors name
 * `<path>.<field>`. Returns the overrides as given (numbers only).
 */
function checkSimulatorOverrides(
  dataset: DatasetSource,
  overrides: unknown,
  path: string,
): Partial<SimulatorParams> {
  if (dataset.kind !== 'simulated')
    throw new SpecError(path, 'overrides simulator parameters, but the dataset is not simulated');
  const given = expectRecord(overrides, path);
  try {
    resolveSimulatorParams({ ...dataset.params, ...(given as Partial<SimulatorParams>) });
  } catch (error) {
    if (error instanceof SimulatorParamError)
      throw new SpecError(join(path, error.field), error.message.slice(error.field.length + 2));
    throw error;
  }
  return { ...(given as Partial<SimulatorParams>) };
}

function validateDataset(value: unknown, path: string): DatasetSource {
  const obj = expectRecord(value, path);
  const kind = expectOneOf(obj.kind, ['simulated', 'stored'] as const, join(path, 'kind'));
  if (kind === 'stored') {
    rejectUnknownKeys(obj, ['kind', 'datasetId'], path);
    const datasetId = expectNumber(obj.datasetId, join(path, 'datasetId'), {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      integer: true,
    });
    return { kind, datasetId };
  }
  rejectUnknownKeys(obj, ['kind', 'params'], path);
  const params = expectRecord(obj.params ?? {}, join(path, 'params'));
  try {
    resolveSimulatorParams(params as Partial<SimulatorParams>);
  } catch (error) {
    if (error instanceof SimulatorParamError) {
      throw new SpecError(
        join(join(path, 'params'), error.field),
        error.message.slice(error.field.length + 2),
      );
    }
    throw error;
  }
  return { kind, params: { ...(params as Partial<SimulatorParams>) } };
}

function validateTraining(value: unknown, path: string): TrainingSpec {
  const obj = expectRecord(value ?? {}, path);
  const keys = Object.keys(TRAINING_RANGES) as (keyof TrainingSpec)[];
  rejectUnknownKeys(obj, keys, path);
  const out: TrainingSpec = { ...DEFAULT_TRAINING };
  for (const key of keys) {
    if (obj[key] !== undefined) out[key] = expectNumber(obj[key], join(path, key), TRAINING_RANGES[key]);
  }
  return out;
}

/** Any positive day length: 1 for day-numbered logs (WeChat), 86,400 for seconds. */
const DAY_LENGTH_RANGE: NumberRange = { min: 0, max: 1e12, integer: false, minExclusive: true };

function validateEvaluation(value: unknown, path: string): EvaluationSpec {
  const obj = expectRecord(value ?? {}, path);
  rejectUnknownKeys(obj, ['retrievalK', 'corpus', 'split', 'dayLength'], path);
  const split =
    obj.split === undefined
      ? 'user-time'
      : expectOneOf(obj.split, ['user-time', 'global-time'] as const, join(path, 'split'));
  const dayLength =
    obj.dayLength === undefined
      ? 86_400
      : expectNumber(obj.dayLength, join(path, 'dayLength'), DAY_LENGTH_RANGE);
  return {
    split,
    ...(split === 'global-time' ? { dayLength } : {}),
    retrievalK:
      obj.retrievalK === undefined
        ? [...DEFAULT_EVALUATION.retrievalK]
        : expectNumberList(obj.retrievalK, join(path, 'retrievalK'), EVALUATION_K_RANGE),
    corpus:
      obj.corpus === undefined
        ? DEFAULT_EVALUATION.corpus
        : expectOneOf(obj.corpus, ['all', 'test'] as const, join(path, 'corpus')),
  };
}

function validateMethods(
  value: unknown,
  path: string,
  protocol: ProtocolId,
  dataset: DatasetSource,
): MethodRunSpec[] {
  if (!Array.isArray(value)) throw new SpecError(path, `must be an array of methods, got ${describe(value)}`);
  if (value.length === 0) throw new SpecError(path, 'must name at least one method');
  const labels = new Map<string, string>();
  const rows: MethodRunSpec[] = [];
  value.forEach((entry, index) => {
    const itemPath = `${path}[${index}]`;
    const obj = expectRecord(entry, itemPath);
    rejectUnknownKeys(obj, ['id', 'params', 'label', 'protocolParams', 'simulator', 'grid'], itemPath);
    const id = expectString(obj.id, join(itemPath, 'id'), { nonEmpty: true });
    const descriptor = findMethodDescriptor(id);
    if (descriptor && descriptor.protocol !== protocol) {
      throw new SpecError(
        join(itemPath, 'id'),
        `${descriptor.name} runs in the "${descriptor.protocol}" protocol, but this spec's protocol is ` +
          `"${protocol}"; its methods are ${getProtocolDescriptor(protocol)?.methods.join(', ') || 'none'}`,
      );
    }
    const base: MethodRunSpec = { id };
    if (obj.params !== undefined)
      base.params = { ...expectRecord(obj.params, join(itemPath, 'params')) } as ParamValues;
    resolveMethodParams(base, itemPath);
    if (obj.label !== undefined)
      base.label = expectString(obj.label, join(itemPath, 'label'), { nonEmpty: true });
    if (obj.protocolParams !== undefined) {
      const overridesPath = join(itemPath, 'protocolParams');
      base.protocolParams = { ...expectRecord(obj.protocolParams, overridesPath) } as ParamValues;
      resolveProtocolParams({ protocol }, { overrides: base.protocolParams, path: overridesPath });
    }
    if (obj.simulator !== undefined)
      base.simulator = checkSimulatorOverrides(dataset, obj.simulator, join(itemPath, 'simulator'));
    const name = base.label ?? descriptor?.name ?? id;
    const expanded: MethodRunSpec[] =
      obj.grid === undefined
        ? [base]
        : validateGrid(obj.grid, join(itemPath, 'grid'), base, protocol, dataset).map((row) => {
            const methodParams: ParamValues = {};
            const protocolParams: ParamValues = {};
            const simulator: Record<string, ParamValue> = {};
            for (const [key, value] of Object.entries(row.params)) {
              if (key.startsWith(PROTOCOL_GRID_PREFIX))
                protocolParams[key.slice(PROTOCOL_GRID_PREFIX.length)] = value;
              else if (key.startsWith(SIMULATOR_GRID_PREFIX))
                simulator[key.slice(SIMULATOR_GRID_PREFIX.length)] = value;
              else methodParams[key] = value;
            }
            const overrides = { ...base.protocolParams, ...protocolParams };
            const worldOverrides = { ...base.simulator, ...simulator } as Partial<SimulatorParams>;
            return {
              id,
              params: { ...base.params, ...methodParams },
              ...(Object.keys(overrides).length > 0 ? { protocolParams: overrides } : {}),
              ...(Object.keys(worldOverrides).length > 0 ? { simulator: worldOverrides } : {}),
              label: `${name} (${row.suffix})`,
            };
          });
    for (const run of expanded) {
      // Result rows are keyed by label, so two rows must not share one.
      const label = run.label ?? name;
      const previous = labels.get(label);
      if (previous !== undefined) {
        throw new SpecError(
          join(itemPath, 'label'),
          `the row label "${label}" is already used by ${previous}; give each run its own label`,
        );
      }
      labels.set(label, itemPath);
      rows.push(run);
    }
  });
  if (rows.length > MAX_GRID_ROWS) {
    throw new SpecError(
      path,
      `expands into ${rows.length} rows, more than ${MAX_GRID_ROWS}; narrow the grids`,
    );
  }
  return rows;
}

/** Checks every value of a grid against the method's declaration, naming `grid.<param>[j]`. */
function validateGrid(
  value: unknown,
  path: string,
  base: MethodRunSpec,
  protocol: ProtocolId,
  dataset: DatasetSource,
): GridRow[] {
  const obj = expectRecord(value, path);
  const grid: Record<string, ParamValue[]> = {};
  const declared = findMethodDescriptor(base.id)?.params ?? [];
  const protocolDeclared = getProtocolDescriptor(protocol)?.params ?? [];
  for (const [key, values] of Object.entries(obj)) {
    const keyPath = join(path, key);
    const protocolKey = key.startsWith(PROTOCOL_GRID_PREFIX) ? key.slice(PROTOCOL_GRID_PREFIX.length) : null;
    const simulatorKey = key.startsWith(SIMULATOR_GRID_PREFIX)
      ? key.slice(SIMULATOR_GRID_PREFIX.length)
      : null;
    if (simulatorKey !== null) {
      if (!(simulatorKey in DEFAULT_SIMULATOR_PARAMS)) {
        const names = Object.keys(DEFAULT_SIMULATOR_PARAMS).join(', ');
        throw new SpecError(keyPath, `unknown simulator parameter; expected one of ${names}`);
      }
      if (!Array.isArray(values) || values.length === 0)
        throw new SpecError(keyPath, `must be a non-empty array of values, got ${describe(values)}`);
      values.forEach((candidate: unknown, j) => {
        if (values.indexOf(candidate) !== j)
          throw new SpecError(`${keyPath}[${j}]`, `repeats ${String(candidate)}`);
        try {
          checkSimulatorOverrides(dataset, { ...base.simulator, [simulatorKey]: candidate }, path);
        } catch (error) {
          if (!(error instanceof SpecError)) throw error;
          const reason = error.message.slice(error.field.length).replace(/^:\s*/, '');
          throw new SpecError(`${keyPath}[${j}]`, reason);
        }
      });
      grid[key] = values as ParamValue[];
      continue;
    }
    if (protocolKey !== null && !protocolDeclared.some((p) => p.key === protocolKey)) {
      const names = protocolDeclared.map((p) => p.key).join(', ');
      throw new SpecError(
        keyPath,
        `unknown setting of the ${protocol} protocol; expected one of ${names || 'none'}`,
      );
    }
    if (protocolKey === null && !declared.some((p) => p.key === key)) {
      const names = declared.map((p) => p.key).join(', ');
      throw new SpecError(keyPath, `unknown parameter of ${base.id}; expected one of ${names || 'none'}`);
    }
    if (!Array.isArray(values) || values.length === 0) {
      throw new SpecError(keyPath, `must be a non-empty array of values, got ${describe(values)}`);
    }
    values.forEach((candidate: unknown, j) => {
      if (values.indexOf(candidate) !== j)
        throw new SpecError(`${keyPath}[${j}]`, `repeats ${String(candidate)}`);
      try {
        if (protocolKey !== null)
          resolveProtocolParams(
            { protocol },
            { overrides: { ...base.protocolParams, [protocolKey]: candidate as ParamValue }, path },
          );
        else
          resolveMethodParams({ ...base, params: { ...base.params, [key]: candidate as ParamValue } }, path);
      } catch (error) {
        if (!(error instanceof SpecError)) throw error;
        const reason = error.message.slice(error.field.length).replace(/^:\s*/, '');
        throw new SpecError(`${keyPath}[${j}]`, reason);
      }
    });
    grid[key] = values as ParamValue[];
  }
  if (gridSize(grid) > MAX_GRID_ROWS) {
    throw new SpecError(path, `expands into ${gridSize(grid)} rows, more than ${MAX_GRID_ROWS}`);
  }
  return expandGrid(grid);
}

/** The protocol module of a spec; a spec names only registered ones once validated. */
function moduleOf(spec: Pick<ExperimentSpec, 'protocol'>): ProtocolModule {
  const module = getProtocolModule(protocolOf(spec));
  if (!module) throw new SpecError('protocol', `unknown protocol "${String(spec.protocol)}"`);
  return module;
}

/** The result table's columns for a validated spec: the protocol's own, in its paper's order. */
export function experimentColumns(spec: ExperimentSpec, hasGroundTruth: boolean): MetricColumn[] {
  return moduleOf(spec).columns(spec, hasGroundTruth);
}

/** The protocol's caption sentence (what was measured how). */
export function protocolCaption(spec: ExperimentSpec): string {
  return moduleOf(spec).caption(spec);
}

function validateRanking(value: unknown, path: string): { model: RankingModelName } {
  const obj = expectRecord(value ?? {}, path);
  rejectUnknownKeys(obj, ['model'], path);
  return {
    model:
      obj.model === undefined
        ? DEFAULT_RANKING_MODEL
        : expectOneOf(obj.model, RANKING_MODELS, join(path, 'model')),
  };
}

const TOP_LEVEL_KEYS = [
  'name',
  'description',
  'protocol',
  'protocolParams',
  'dataset',
  'retrieval',
  'ranking',
  'methods',
  'training',
  'evaluation',
  'seeds',
  'backend',
] as const;

/** A byte count for people: `512 bytes`, `3.1 KB`, `2.0 MB` (powers of 1024). */
export function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The size limits of contract/limits.ts, checked before anything else so an oversized spec costs
 * one measurement: the description by its length (the likely culprit, named as such), then the
 * whole spec as UTF-8 JSON.
 */
function checkSpecSize(obj: Record<string, unknown>): void {
  const { description } = obj;
  if (typeof description === 'string' && description.length > MAX_SPEC_DESCRIPTION_CHARS) {
    throw new SpecError(
      'description',
      `must be at most ${MAX_SPEC_DESCRIPTION_CHARS} characters, has ${description.length}`,
    );
  }
  let json: string;
  try {
    json = JSON.stringify(obj);
  } catch (error) {
    throw new SpecError('', `is not plain JSON data: ${(error as Error).message}`);
  }
  // UTF-8 is at most 3 bytes per UTF-16 unit: count exactly only when the length cannot decide.
  if (json.length * 3 <= MAX_SPEC_BYTES) return;
  const bytes = new TextEncoder().encode(json).length;
  if (bytes > MAX_SPEC_BYTES) {
    throw new SpecError(
      '',
      `the spec is ${bytes} bytes as JSON, more than the limit of ${MAX_SPEC_BYTES} bytes (${describeBytes(MAX_SPEC_BYTES)})`,
    );
  }
}

/** Checks an untrusted spec and returns it with defaults applied; throws SpecError. */
export function validateSpec(input: unknown): ExperimentSpec {
  const obj = expectRecord(input, '');
  checkSpecSize(obj);
  rejectUnknownKeys(obj, TOP_LEVEL_KEYS, '');
  const name = expectString(obj.name, 'name', { nonEmpty: true });
  if (name.length > MAX_SPEC_NAME_CHARS) {
    throw new SpecError('name', `must be at most ${MAX_SPEC_NAME_CHARS} characters, has ${name.length}`);
  }
  const protocol =
    obj.protocol === undefined ? DEFAULT_PROTOCOL : expectOneOf(obj.protocol, protocolIds(), 'protocol');
  const spec: ExperimentSpec = {
    name,
    protocol,
    protocolParams: resolveProtocolParams({ protocol, protocolParams: obj.protocolParams as ParamValues }),
    dataset: validateDataset(obj.dataset, 'dataset'),
    retrieval: { model: 'dssm' },
    ranking: validateRanking(obj.ranking, 'ranking'),
    methods: [],
    training: validateTraining(obj.training, 'training'),
    evaluation: validateEvaluation(obj.evaluation, 'evaluation'),
    seeds: obj.seeds === undefined ? [...DEFAULT_SEEDS] : expectNumberList(obj.seeds, 'seeds', SEED_RANGE),
    backend: obj.backend === undefined ? 'auto' : expectOneOf(obj.backend, BACKEND_CHOICES, 'backend'),
  };
  // After the dataset: rows may override a simulated dataset's parameters.
  spec.methods = validateMethods(obj.methods, 'methods', protocol, spec.dataset);
  if (obj.description !== undefined) spec.description = expectString(obj.description, 'description');
  if (obj.retrieval !== undefined) {
    const retrieval = expectRecord(obj.retrieval, 'retrieval');
    rejectUnknownKeys(retrieval, ['model'], 'retrieval');
    spec.retrieval = { model: expectOneOf(retrieval.model, ['dssm'] as const, 'retrieval.model') };
  }
  // What only the testbed knows (e.g. DAMCAR's ranking stage divides the cut-offs by 10).
  const problem = moduleOf(spec).checkSpec?.(spec);
  if (problem) throw new SpecError(problem.field, problem.message);
  return spec;
}

/**
 * The quickstart: BC with DSSM retrieval and DeepFM ranking on the default simulated cascade, the
 * paper's training settings.
 */
export function defaultExperimentSpec(): ExperimentSpec {
  return {
    name: 'Quickstart: BC on the simulated cascade',
    protocol: DEFAULT_PROTOCOL,
    protocolParams: resolveProtocolParams({ protocol: DEFAULT_PROTOCOL }),
    description:
      'DSSM retrieval trained with binary cross-entropy on exposed interactions (BC), evaluated on ' +
      'the test split (R/P/F@K), re-ranked by a DeepFM ranking model (N/M/H@K2, K2 = K / 10) and ' +
      'checked against the simulator ground truth (GT-R@K, GT-H@K2).',
    dataset: { kind: 'simulated', params: { ...DEFAULT_SIMULATOR_PARAMS } },
    retrieval: { model: 'dssm' },
    ranking: { model: DEFAULT_RANKING_MODEL },
    methods: [{ id: 'bc', params: {} }],
    training: { ...DEFAULT_TRAINING },
    evaluation: {
      retrievalK: [...DEFAULT_EVALUATION.retrievalK],
      corpus: DEFAULT_EVALUATION.corpus,
      split: 'user-time',
    },
    seeds: [...DEFAULT_SEEDS],
    backend: 'auto',
  };
}
