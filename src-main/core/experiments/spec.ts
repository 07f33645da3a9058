/**
 * Experiment specs: the registered testbeds' rules on top of the contract's schema
 * (contract/spec-schema.ts), and the quickstart template.
 *
 * The schema checks a spec's structure, types, ranges and plain defaults; completeSpec checks what
 * only the registry knows: which protocols and methods exist, the parameters each declares (their
 * schemas: contract/params.ts), grids and the rows they expand into, and the limits between
 * simulator parameters. Every problem is a ValidationError naming the field path, e.g.
 * `training.batchSize` or `methods[0].params.alpha`; unknown keys are errors too, so a typo does
 * not silently fall back to a default.
 */
import { MAX_GRID_ROWS, expandGrid, gridSize, type GridRow } from './grid';
import type {
  DatasetSource,
  EvaluationSpec,
  ExperimentSpec,
  MethodDescriptor,
  MethodRunSpec,
  MetricColumn,
  ParamValue,
  ParamValues,
  ProtocolId,
  SimulatorParams,
} from '../../contract/api';
import { PROTOCOL_GRID_PREFIX, SIMULATOR_GRID_PREFIX } from '../../contract/api';
import { ValidationError } from '../../contract/errors';
import { DEFAULT_SIMULATOR_PARAMS } from '../../contract/ranges';
import { describeValue, parseWith } from '../../contract/schema';
import { DEFAULT_RANKING_MODEL, EVALUATION, EXPERIMENT_SPEC } from '../../contract/spec-schema';
import { resolveSimulatorParams } from '../data/simulator';
import { resolveParamValues } from '../methods/param-spec';
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

/** The DAMCAR testbed's training settings (protocols/damcar/index.ts says where each comes from). */
export const DEFAULT_TRAINING = DAMCAR_PROTOCOL.training;

/** The evaluation settings a spec that leaves them out gets (the schema's defaults). */
export const DEFAULT_EVALUATION: EvaluationSpec = { ...parseWith(EVALUATION, {}), split: 'user-time' };

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Runs `check`, naming its errors under `path` (e.g. `methods[0].params`). */
function at<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw error instanceof ValidationError ? error.under(path) : error;
  }
}

// Declared with the parameters' declarations; the spec's callers read it from here too.
export { resolveParamValues };

/** The registered method `id`; `path` locates its row, e.g. `methods[0]`. */
function methodAt(id: string, path: string): MethodDescriptor {
  const method = findMethodDescriptor(id);
  if (method) return method;
  const known = listAllMethods()
    .map((d) => d.id)
    .join(', ');
  throw new ValidationError(join(path, 'id'), `unknown method "${id}"; available: ${known}`);
}

/**
 * The method's parameters with every declared key (see resolveParamValues). `path` locates the
 * method in the spec, e.g. `methods[0]`; errors name e.g. `methods[0].params.alpha`.
 */
export function resolveMethodParams(m: MethodRunSpec, path: string): ParamValues {
  const method = methodAt(m.id, path);
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
  if (!protocol) throw new ValidationError('protocol', `unknown protocol "${String(spec.protocol)}"`);
  const base = resolveParamValues(protocol.params, spec.protocolParams, 'protocolParams', protocol.name);
  if (row?.overrides === undefined) return base;
  const checked = resolveParamValues(protocol.params, row.overrides, row.path, protocol.name);
  const given = Object.keys(row.overrides);
  return { ...base, ...Object.fromEntries(given.map((key) => [key, checked[key]])) };
}

/**
 * Checks a row's simulator overrides against the spec's simulated dataset (the limits between
 * parameters; each one's range is the schema's); errors name `<path>.<field>`.
 */
function checkSimulatorOverrides(
  dataset: DatasetSource,
  overrides: Partial<SimulatorParams>,
  path: string,
): Partial<SimulatorParams> {
  if (dataset.kind !== 'simulated')
    throw new ValidationError(path, 'overrides simulator parameters, but the dataset is not simulated');
  at(path, () => resolveSimulatorParams({ ...dataset.params, ...overrides }));
  return { ...overrides };
}

/** Checks each row against the registry and expands its grid; rows keep distinct labels. */
function completeMethods(
  methods: readonly MethodRunSpec[],
  protocol: ProtocolId,
  dataset: DatasetSource,
): MethodRunSpec[] {
  const labels = new Map<string, string>();
  const rows: MethodRunSpec[] = [];
  methods.forEach((row, index) => {
    const itemPath = `methods[${index}]`;
    const { id } = row;
    const descriptor = methodAt(id, itemPath);
    if (descriptor.protocol !== protocol) {
      throw new ValidationError(
        join(itemPath, 'id'),
        `${descriptor.name} runs in the "${descriptor.protocol}" protocol, but this spec's protocol is ` +
          `"${protocol}"; its methods are ${getProtocolDescriptor(protocol)?.methods.join(', ') || 'none'}`,
      );
    }
    const { grid, ...base } = row;
    resolveParamValues(descriptor.params, base.params, join(itemPath, 'params'), descriptor.name);
    if (base.protocolParams !== undefined) {
      const overridesPath = join(itemPath, 'protocolParams');
      resolveProtocolParams({ protocol }, { overrides: base.protocolParams, path: overridesPath });
    }
    if (base.simulator !== undefined)
      base.simulator = checkSimulatorOverrides(dataset, base.simulator, join(itemPath, 'simulator'));
    const name = base.label ?? descriptor.name;
    const expanded: MethodRunSpec[] =
      grid === undefined
        ? [base]
        : checkGrid(grid, join(itemPath, 'grid'), base, descriptor, protocol, dataset).map((gridRow) => {
            const methodParams: ParamValues = {};
            const protocolParams: ParamValues = {};
            const simulator: Record<string, ParamValue> = {};
            for (const [key, value] of Object.entries(gridRow.params)) {
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
              label: `${name} (${gridRow.suffix})`,
            };
          });
    for (const run of expanded) {
      // Result rows are keyed by label, so two rows must not share one.
      const label = run.label ?? name;
      const previous = labels.get(label);
      if (previous !== undefined) {
        throw new ValidationError(
          join(itemPath, 'label'),
          `the row label "${label}" is already used by ${previous}; give each run its own label`,
        );
      }
      labels.set(label, itemPath);
      rows.push(run);
    }
  });
  if (rows.length > MAX_GRID_ROWS) {
    throw new ValidationError(
      'methods',
      `expands into ${rows.length} rows, more than ${MAX_GRID_ROWS}; narrow the grids`,
    );
  }
  return rows;
}

/**
 * Checks every key of a grid against what it sweeps (the method's parameters, the protocol's
 * settings, the simulator's parameters) and every value against its declaration, naming
 * `grid.<key>[j]`; returns the grid's rows.
 */
function checkGrid(
  grid: NonNullable<MethodRunSpec['grid']>,
  path: string,
  base: MethodRunSpec,
  method: MethodDescriptor,
  protocol: ProtocolId,
  dataset: DatasetSource,
): GridRow[] {
  const declared = method.params;
  const protocolDeclared = getProtocolDescriptor(protocol)?.params ?? [];
  for (const [key, values] of Object.entries(grid)) {
    const keyPath = join(path, key);
    let check: (candidate: ParamValue) => void;
    if (key.startsWith(SIMULATOR_GRID_PREFIX)) {
      const simulatorKey = key.slice(SIMULATOR_GRID_PREFIX.length);
      if (!(simulatorKey in DEFAULT_SIMULATOR_PARAMS)) {
        const names = Object.keys(DEFAULT_SIMULATOR_PARAMS).join(', ');
        throw new ValidationError(keyPath, `unknown simulator parameter; expected one of ${names}`);
      }
      check = (candidate) =>
        checkSimulatorOverrides(
          dataset,
          at(simulatorKey, () => ({ ...base.simulator, [simulatorKey]: simulatorValue(candidate) })),
          path,
        );
    } else if (key.startsWith(PROTOCOL_GRID_PREFIX)) {
      const protocolKey = key.slice(PROTOCOL_GRID_PREFIX.length);
      if (!protocolDeclared.some((p) => p.key === protocolKey)) {
        const names = protocolDeclared.map((p) => p.key).join(', ');
        throw new ValidationError(
          keyPath,
          `unknown setting of the ${protocol} protocol; expected one of ${names || 'none'}`,
        );
      }
      check = (candidate) =>
        resolveProtocolParams(
          { protocol },
          { overrides: { ...base.protocolParams, [protocolKey]: candidate }, path },
        );
    } else {
      if (!declared.some((p) => p.key === key)) {
        const names = declared.map((p) => p.key).join(', ');
        throw new ValidationError(
          keyPath,
          `unknown parameter of ${base.id}; expected one of ${names || 'none'}`,
        );
      }
      check = (candidate) =>
        resolveParamValues(declared, { ...base.params, [key]: candidate }, join(path, 'params'), method.name);
    }
    (values as ParamValue[]).forEach((candidate, j) => {
      if (values.indexOf(candidate as never) !== j)
        throw new ValidationError(`${keyPath}[${j}]`, `repeats ${String(candidate)}`);
      try {
        check(candidate);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        throw new ValidationError(`${keyPath}[${j}]`, error.reason);
      }
    });
  }
  if (gridSize(grid) > MAX_GRID_ROWS) {
    throw new ValidationError(path, `expands into ${gridSize(grid)} rows, more than ${MAX_GRID_ROWS}`);
  }
  return expandGrid(grid);
}

/** The protocol module of a spec; a spec names only registered ones once validated. */
function moduleOf(spec: Pick<ExperimentSpec, 'protocol'>): ProtocolModule {
  const module = getProtocolModule(protocolOf(spec));
  if (!module) throw new ValidationError('protocol', `unknown protocol "${String(spec.protocol)}"`);
  return module;
}

/** A simulator grid's value: the simulator's parameters are numbers. */
function simulatorValue(candidate: ParamValue): number {
  if (typeof candidate !== 'number')
    throw new ValidationError('', `must be a finite number, got ${describeValue(candidate)}`);
  return candidate;
}

/**
 * A spec the schema accepted, checked against the registered testbeds and completed: the
 * protocol and its settings, the ranking model and the split filled, grids expanded into rows.
 */
export function completeSpec(checked: ExperimentSpec): ExperimentSpec {
  // Read at each call: a testbed may be registered at run time (registry.ts registerProtocol).
  const ids = protocolIds();
  if (checked.protocol !== undefined && !ids.includes(checked.protocol)) {
    throw new ValidationError(
      'protocol',
      `must be one of ${ids.join(', ')}, got ${describeValue(checked.protocol)}`,
    );
  }
  const protocol = protocolOf(checked);
  const { dataset } = checked;
  if (dataset.kind === 'simulated') at('dataset.params', () => resolveSimulatorParams(dataset.params));
  const { split = 'user-time', dayLength = 86_400, ...evaluation } = checked.evaluation;
  const spec: ExperimentSpec = {
    ...checked,
    protocol,
    protocolParams: resolveProtocolParams({ protocol, protocolParams: checked.protocolParams }),
    ranking: checked.ranking ?? { model: DEFAULT_RANKING_MODEL },
    // After the dataset: rows may override a simulated dataset's parameters.
    methods: completeMethods(checked.methods, protocol, dataset),
    evaluation: { ...evaluation, split, ...(split === 'global-time' ? { dayLength } : {}) },
  };
  // What only the testbed knows (e.g. DAMCAR's ranking stage divides the cut-offs by 10).
  const problem = moduleOf(spec).checkSpec?.(spec);
  if (problem) throw new ValidationError(problem.field, problem.message);
  return spec;
}

/** Checks an untrusted spec and returns it with defaults applied; throws a ValidationError. */
export function validateSpec(input: unknown): ExperimentSpec {
  return completeSpec(parseWith(EXPERIMENT_SPEC, input));
}

// One reading of the spec's ranking field: DAMCAR's (its testbed owns the ranking stage).
export { rankingModelOf } from '../protocols/damcar/settings';

/** The result table's columns for a validated spec: the protocol's own, in its paper's order. */
export function experimentColumns(spec: ExperimentSpec, hasGroundTruth: boolean): MetricColumn[] {
  return moduleOf(spec).columns(spec, hasGroundTruth);
}

/** The protocol's caption sentence (what was measured how). */
export function protocolCaption(spec: ExperimentSpec): string {
  return moduleOf(spec).caption(spec);
}

/**
 * The quickstart: BC with DSSM retrieval and DeepFM ranking on the default simulated cascade, the
 * paper's training settings.
 */
export function defaultExperimentSpec(): ExperimentSpec {
  // Everything not named here is the schema's default or the default testbed's.
  return validateSpec({
    name: 'Quickstart: BC on the simulated cascade',
    description:
      'DSSM retrieval trained with binary cross-entropy on exposed interactions (BC), evaluated on ' +
      'the test split (R/P/F@K), re-ranked by a DeepFM ranking model (N/M/H@K2, K2 = K / 10) and ' +
      'checked against the simulator ground truth (GT-R@K, GT-H@K2).',
    dataset: { kind: 'simulated', params: { ...DEFAULT_SIMULATOR_PARAMS } },
    methods: [{ id: 'bc', params: {} }],
  });
}
