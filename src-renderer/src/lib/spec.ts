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
import {
  BACKEND_CHOICES,
  BACKEND_NAMES,
  DEFAULT_PROTOCOL,
  SIMULATOR_GRID_PREFIX,
} from '../../../src-main/contract/api';
import {
  DEFAULT_SIMULATOR_PARAMS,
  type NumberRange,
  SIMULATOR_PARAM_RANGES,
  TRAINING_RANGES,
} from '../../../src-main/contract/ranges';

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
  /** What the main side accepts (the contract's declaration); the field's hint and check. */
  range: NumberRange;
  /** Spinner step of a fractional field (whole-number fields step by 1). */
  step: number;
}

const simulatorField = (
  key: keyof SimulatorParams,
  label: string,
  help: string,
  step = 1,
): SimulatorField => ({ key, label, help, range: SIMULATOR_PARAM_RANGES[key], step });

/**
 * The simulator's parameters as form fields (SimulatorParams in the contract), in the editor's
 * order. Each field checks its own range; the main side also checks the limits between them on
 * create.
 */
export const SIMULATOR_FIELDS: readonly SimulatorField[] = [
  simulatorField('users', 'Users', 'Simulated users.'),
  simulatorField('items', 'Items', 'Items in the corpus.'),
  simulatorField('categories', 'Categories', 'Item categories.'),
  simulatorField('latentDim', 'Latent dim', 'Dimension of the latent preference space.'),
  simulatorField('multimodalDim', 'Multimodal dim', 'Dimension of the dense "multimodal" item vector.'),
  simulatorField(
    'exposuresPerUser',
    'Exposures / user',
    'Exposed items per user (final list length times sessions); at most half the items.',
  ),
  simulatorField(
    'candidatesPerRequest',
    'Candidates / request',
    'Candidates the logging retrieval policy returns per request.',
  ),
  simulatorField(
    'exposedPerRequest',
    'Exposed / request',
    'Items the logging ranking policy exposes per request.',
  ),
  simulatorField(
    'exposureBias',
    'Exposure bias',
    '0 = uniform random exposure, 1 = the logging cascade exposes what it scores highest.',
    0.05,
  ),
  simulatorField('seed', 'Data seed', 'Seed of the simulator.'),
];

/**
 * The simulator's parameters as grid parameters (`simulator.<key>`), each starting from the
 * dataset's value or, where the form left it empty, the simulator's default; exposure bias, the
 * bias the papers study, gets a suggested sweep.
 */
export function simulatorGridParams(simulator: Partial<SimulatorParams>): ParamSpec[] {
  return SIMULATOR_FIELDS.map((field) => ({
    kind: 'number',
    key: `${SIMULATOR_GRID_PREFIX}${field.key}`,
    label: `Data: ${field.label}`,
    help: field.help,
    default: simulator[field.key] ?? DEFAULT_SIMULATOR_PARAMS[field.key],
    min: field.range.min,
    max: field.range.max,
    step: field.step,
    integer: field.range.integer,
    ...(field.key === 'exposureBias' ? { paperGrid: [0, 0.25, 0.5, 0.75, 1] } : {}),
  }));
}

/** Keyed by the contract's names: a backend added there does not compile until it has a label. */
export const BACKEND_LABELS: Record<BackendChoice, string> = {
  auto: 'Auto (fastest available)',
  tensorflow: 'TensorFlow (native)',
  webgpu: 'WebGPU',
  wasm: 'WebAssembly',
  cpu: 'CPU (plain JS)',
};

/** The editor's backend select, in the contract's order (auto, then fastest first). */
export const BACKEND_OPTIONS: readonly { value: BackendChoice; label: string }[] = BACKEND_CHOICES.map(
  (value) => ({ value, label: BACKEND_LABELS[value] }),
);

/** The backends `auto` tries, in its order, as the settings page names them. */
export const AUTO_BACKEND_ORDER_TEXT = BACKEND_NAMES.map((name) => BACKEND_LABELS[name]).join(', ');

/** The protocol an editor draft follows (DEFAULT_PROTOCOL when the spec predates protocols). */
export function protocolOfDraft(spec: Pick<ExperimentSpec, 'protocol'>): ProtocolId {
  return spec.protocol ?? DEFAULT_PROTOCOL;
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
