/** Helpers for editing an ExperimentSpec in the workbench's forms. */
import type {
  BackendChoice,
  ExperimentSpec,
  MethodDescriptor,
  MethodRunSpec,
  ParamSpec,
  ParamValue,
  ParamValues,
  ProtocolDescriptor,
  ProtocolId,
  SimulatorParams,
  TrainingSpec,
} from '../../../src-main/contract/api';
import { type NumberRange, TRAINING_RANGES } from '../../../src-main/contract/ranges';

/** The defaults a method declares, one value per ParamSpec. */
export function defaultParams(params: readonly ParamSpec[]): ParamValues {
  const values: ParamValues = {};
  for (const spec of params) values[spec.key] = spec.default;
  return values;
}

/** A method entry with every declared parameter filled: overrides kept, the rest defaults. */
export function withDefaults(entry: MethodRunSpec, descriptor: MethodDescriptor | undefined): MethodRunSpec {
  if (!descriptor) return { ...entry, params: { ...entry.params } };
  return { ...entry, params: { ...defaultParams(descriptor.params), ...entry.params } };
}

/** Fills the method parameters of a spec (e.g. the template) so the forms show every value. */
export function fillMethodDefaults(
  spec: ExperimentSpec,
  methods: readonly MethodDescriptor[],
): ExperimentSpec {
  const byId = new Map(methods.map((method) => [method.id, method]));
  return { ...spec, methods: spec.methods.map((entry) => withDefaults(entry, byId.get(entry.id))) };
}

/** Rows a method entry expands into: the product of its grid's value counts (1 without a grid). */
export function gridRowCount(entry: MethodRunSpec): number {
  return Object.values(entry.grid ?? {}).reduce((rows, values) => rows * values.length, 1);
}

/** Runs a spec queues: every entry's grid rows, times the seeds. */
export function runCount(spec: Pick<ExperimentSpec, 'methods' | 'seeds'>): number {
  return spec.methods.reduce((rows, entry) => rows + gridRowCount(entry), 0) * spec.seeds.length;
}

/**
 * The values a parameter's grid starts with when the user adds it: the paper's grid where the
 * method declares one (DAMCAR Table 4), both settings of a switch, every option of a choice, and
 * else the row's current value.
 */
export function initialGridValues(spec: ParamSpec, current: ParamValue | undefined): ParamValue[] {
  switch (spec.kind) {
    case 'number':
      return spec.paperGrid ? [...spec.paperGrid] : [typeof current === 'number' ? current : spec.default];
    case 'boolean':
      return [true, false];
    case 'choice':
      return spec.options.map((option) => option.value);
  }
}

/** A grid value list without `value`, or with it added (kept in the declaration's order). */
export function toggleGridValue(
  spec: ParamSpec,
  values: readonly ParamValue[],
  value: ParamValue,
): ParamValue[] {
  if (values.includes(value)) return values.filter((v) => v !== value);
  const order: ParamValue[] =
    spec.kind === 'choice'
      ? spec.options.map((option) => option.value)
      : spec.kind === 'boolean'
        ? [true, false]
        : [];
  return order.filter((v) => v === value || values.includes(v));
}

/** JSON with sorted keys, so two specs compare equal whatever order their fields were set in. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      return Object.fromEntries(
        Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    return inner;
  });
}

export function specsEqual(
  a: ExperimentSpec | null | undefined,
  b: ExperimentSpec | null | undefined,
): boolean {
  if (!a || !b) return false;
  return stableJson(a) === stableJson(b);
}

export interface TrainingField {
  key: keyof TrainingSpec;
  label: string;
  help: string;
  /** What the main side accepts (the contract's declaration); the field's hint and check. */
  range: NumberRange;
  testid: string;
}

/** The training settings as form fields, in the editor's order. */
export const TRAINING_FIELDS: readonly TrainingField[] = [
  { key: 'epochs', label: 'Epochs', help: '', range: TRAINING_RANGES.epochs, testid: 'training-epochs' },
  {
    key: 'batchSize',
    label: 'Batch size',
    help: '',
    range: TRAINING_RANGES.batchSize,
    testid: 'training-batch',
  },
  {
    key: 'learningRate',
    label: 'Learning rate',
    help: '',
    range: TRAINING_RANGES.learningRate,
    testid: 'training-lr',
  },
  {
    key: 'embeddingDim',
    label: 'Embedding dim',
    help: 'Paper: 128.',
    range: TRAINING_RANGES.embeddingDim,
    testid: 'training-dim',
  },
];

export interface SimulatorField {
  key: keyof SimulatorParams;
  label: string;
  help: string;
  min: number;
  max: number;
  step: number;
  integer: boolean;
}

/**
 * The simulator's parameters as form fields (SimulatorParams in the contract). The ranges mirror
 * SIMULATOR_PARAM_RANGES in src-main/core/data/simulator.ts, which the renderer may not import;
 * the main side validates again (and checks the cross-field limits) on create.
 */
export const SIMULATOR_FIELDS: readonly SimulatorField[] = [
  { key: 'users', label: 'Users', help: 'Simulated users.', min: 2, max: 1_000_000, step: 1, integer: true },
  {
    key: 'items',
    label: 'Items',
    help: 'Items in the corpus.',
    min: 10,
    max: 1_000_000,
    step: 1,
    integer: true,
  },
  {
    key: 'categories',
    label: 'Categories',
    help: 'Item categories.',
    min: 1,
    max: 10_000,
    step: 1,
    integer: true,
  },
  {
    key: 'latentDim',
    label: 'Latent dim',
    help: 'Dimension of the latent preference space.',
    min: 1,
    max: 256,
    step: 1,
    integer: true,
  },
  {
    key: 'multimodalDim',
    label: 'Multimodal dim',
    help: 'Dimension of the dense "multimodal" item vector.',
    min: 0,
    max: 1024,
    step: 1,
    integer: true,
  },
  {
    key: 'exposuresPerUser',
    label: 'Exposures / user',
    help: 'Exposed items per user (final list length times sessions); at most half the items.',
    min: 5,
    max: 100_000,
    step: 1,
    integer: true,
  },
  {
    key: 'candidatesPerRequest',
    label: 'Candidates / request',
    help: 'Candidates the logging retrieval policy returns per request.',
    min: 1,
    max: 1_000_000,
    step: 1,
    integer: true,
  },
  {
    key: 'exposedPerRequest',
    label: 'Exposed / request',
    help: 'Items the logging ranking policy exposes per request.',
    min: 1,
    max: 10_000,
    step: 1,
    integer: true,
  },
  {
    key: 'exposureBias',
    label: 'Exposure bias',
    help: '0 = uniform random exposure, 1 = the logging cascade exposes what it scores highest.',
    min: 0,
    max: 1,
    step: 0.05,
    integer: false,
  },
  {
    key: 'seed',
    label: 'Data seed',
    help: 'Seed of the simulator.',
    min: 0,
    max: 4_294_967_295,
    step: 1,
    integer: true,
  },
];

export const BACKEND_CHOICES: readonly { value: BackendChoice; label: string }[] = [
  { value: 'auto', label: 'Auto (fastest available)' },
  { value: 'tensorflow', label: 'TensorFlow (native)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'wasm', label: 'WebAssembly' },
  { value: 'cpu', label: 'CPU (plain JS)' },
];

/** The protocol an editor draft follows ('damcar' when the spec predates protocols). */
export function protocolOfDraft(spec: Pick<ExperimentSpec, 'protocol'>): ProtocolId {
  return spec.protocol ?? 'damcar';
}

/**
 * The draft switched to another paper's testbed: its settings and training reset to that
 * protocol's defaults and method rows of other protocols dropped (they would not validate); when none is left, the
 * paper's own method (the one named like the protocol, else its last) is selected so it can run.
 */
export function switchProtocol(
  spec: ExperimentSpec,
  protocol: ProtocolDescriptor,
  methods: readonly MethodDescriptor[],
): ExperimentSpec {
  const byId = new Map(methods.map((method) => [method.id, method]));
  const kept = spec.methods.filter((entry) => byId.get(entry.id)?.protocol === protocol.id);
  const own = protocol.methods.includes(protocol.id) ? protocol.id : protocol.methods.at(-1);
  const rows = kept.length > 0 || own === undefined ? kept : [withDefaults({ id: own }, byId.get(own))];
  return {
    ...spec,
    protocol: protocol.id,
    protocolParams: defaultParams(protocol.params),
    methods: rows,
    training: { ...protocol.training },
  };
}
