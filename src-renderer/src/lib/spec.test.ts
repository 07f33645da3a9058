import { describe, expect, it } from 'vitest';
import {
  BACKEND_CHOICES,
  type ExperimentSpec,
  type MethodDescriptor,
  type ParamSpec,
} from '../../../src-main/contract/api';
import { DEFAULT_SIMULATOR_PARAMS } from '../../../src-main/contract/ranges';
import {
  AUTO_BACKEND_ORDER_TEXT,
  BACKEND_OPTIONS,
  defaultParams,
  fillMethodDefaults,
  gridRowCount,
  initialGridValues,
  protocolOfDraft,
  runCount,
  simulatorGridParams,
  specsEqual,
  stableJson,
  switchProtocol,
  toggleGridValue,
} from './spec';

const damcar: MethodDescriptor = {
  id: 'damcar',
  name: 'DAMCAR',
  paper: 'DAMCAR (ACM MM 2024)',
  summary: '',
  equations: [],
  stage: 'retrieval',
  protocol: 'damcar',
  params: [
    {
      kind: 'number',
      key: 'alpha',
      label: 'α',
      help: '',
      default: 0.5,
      min: 0,
      max: 1,
      step: 0.1,
      integer: false,
    },
    {
      kind: 'choice',
      key: 'mode',
      label: 'Mode',
      help: '',
      default: 'soft',
      options: [{ value: 'soft', label: 'Soft' }],
    },
    { kind: 'boolean', key: 'norm', label: 'Norm', help: '', default: true },
  ],
};

const spec: ExperimentSpec = {
  name: 'x',
  dataset: { kind: 'simulated', params: { users: 10 } },
  retrieval: { model: 'dssm' },
  methods: [{ id: 'damcar', params: { alpha: 0.9 } }, { id: 'unknown' }],
  training: { epochs: 1, batchSize: 2, learningRate: 0.1, embeddingDim: 4 },
  evaluation: { retrievalK: [10], corpus: 'all' },
  seeds: [1],
  backend: 'auto',
};

describe('defaultParams', () => {
  it('takes each declared default', () => {
    expect(defaultParams(damcar.params)).toEqual({ alpha: 0.5, mode: 'soft', norm: true });
  });
});

describe('fillMethodDefaults', () => {
  it('keeps overrides, fills the rest and leaves unknown methods alone', () => {
    const filled = fillMethodDefaults(spec, [damcar]);
    expect(filled.methods[0].params).toEqual({ alpha: 0.9, mode: 'soft', norm: true });
    expect(filled.methods[1]).toEqual({ id: 'unknown', params: {} });
    expect(spec.methods[0].params).toEqual({ alpha: 0.9 });
  });
});

describe('switchProtocol', () => {
  const rraBase = { ...damcar, id: 'rra-base', name: 'BaseModel', protocol: 'rra' as const, params: [] };
  const rra = { ...damcar, id: 'rra', name: 'RRA', protocol: 'rra' as const };
  const rraProtocol = {
    id: 'rra' as const,
    name: 'RRA',
    paper: 'RRA (KDD 2023)',
    summary: '',
    params: [
      {
        kind: 'number' as const,
        key: 'nktdN',
        label: 'N',
        help: '',
        default: 300,
        min: 2,
        max: 1000,
        step: 1,
        integer: true,
      },
    ],
    methods: ['rra-base', 'rra'],
    training: { epochs: 5, batchSize: 128, learningRate: 0.15, embeddingDim: 32 },
    evaluationSettings: [],
    presentation: { rankingStage: false, figures: {}, pairedMethods: [] },
  };

  it("drops other protocols' rows, resets the settings and selects the paper's own method", () => {
    const switched = switchProtocol({ ...spec, protocolParams: { old: 1 } }, rraProtocol, [
      damcar,
      rraBase,
      rra,
    ]);
    expect(switched.protocol).toBe('rra');
    expect(switched.protocolParams).toEqual({ nktdN: 300 });
    expect(switched.training).toEqual({ epochs: 5, batchSize: 128, learningRate: 0.15, embeddingDim: 32 });
    expect(switched.methods).toEqual([{ id: 'rra', params: { alpha: 0.5, mode: 'soft', norm: true } }]);
  });

  it('keeps rows that already belong to the protocol', () => {
    const mixed = { ...spec, methods: [{ id: 'damcar' }, { id: 'rra-base', params: {} }] };
    expect(switchProtocol(mixed, rraProtocol, [damcar, rraBase, rra]).methods).toEqual([
      { id: 'rra-base', params: {} },
    ]);
    expect(protocolOfDraft({})).toBe('damcar');
  });
});

describe('specsEqual', () => {
  it('ignores key order but not values', () => {
    const reordered = JSON.parse(stableJson(spec)) as ExperimentSpec;
    expect(specsEqual(spec, reordered)).toBe(true);
    expect(specsEqual(spec, { ...spec, seeds: [2] })).toBe(false);
    expect(specsEqual(spec, null)).toBe(false);
  });
});

describe('grid search helpers', () => {
  const lambda = {
    kind: 'number' as const,
    key: 'lambda1',
    label: 'λ1',
    help: '',
    default: 0.5,
    min: 0,
    max: 2,
    step: 0.1,
    integer: false,
    paperGrid: [0.5, 0.6, 0.7],
  };
  const choice = {
    kind: 'choice' as const,
    key: 'targetDomain',
    label: 'Target domain',
    help: '',
    default: 'random-walk',
    options: [
      { value: 'random-walk', label: 'walk' },
      { value: 'random', label: 'random' },
    ],
  };
  const flag = { kind: 'boolean' as const, key: 'useEma', label: 'EMA', help: '', default: true };

  it('counts rows per entry and runs as rows times seeds', () => {
    const methods = [{ id: 'bc' }, { id: 'damcar', grid: { lambda1: [0.5, 0.6], useEma: [true, false] } }];
    expect(gridRowCount(methods[1])).toBe(4);
    expect(gridRowCount(methods[0])).toBe(1);
    expect(runCount({ methods, seeds: [1, 2, 3] })).toBe(15);
  });

  it("starts a parameter's grid from the paper's values, both switch settings or every option", () => {
    expect(initialGridValues(lambda, 0.9)).toEqual([0.5, 0.6, 0.7]);
    expect(initialGridValues({ ...lambda, paperGrid: undefined }, 0.9)).toEqual([0.9]);
    expect(initialGridValues(flag, true)).toEqual([true, false]);
    expect(initialGridValues(choice, 'random')).toEqual(['random-walk', 'random']);
  });

  it('toggles choice and switch values in declaration order', () => {
    expect(toggleGridValue(choice, ['random'], 'random-walk')).toEqual(['random-walk', 'random']);
    expect(toggleGridValue(choice, ['random-walk', 'random'], 'random-walk')).toEqual(['random']);
    expect(toggleGridValue(flag, [false], true)).toEqual([true, false]);
  });
});

describe('simulatorGridParams', () => {
  it("starts each simulator sweep from the dataset's value, else the simulator's default", () => {
    const params = simulatorGridParams({ users: 10 });
    const byKey = new Map(params.map((param) => [param.key, param]));
    expect(params.map((param) => param.key)).toEqual(
      Object.keys(DEFAULT_SIMULATOR_PARAMS).map((key) => `simulator.${key}`),
    );
    expect(byKey.get('simulator.users')?.default).toBe(10);
    // An empty field means the default (1500 users, 3000 items), not the range's minimum.
    expect(byKey.get('simulator.items')?.default).toBe(DEFAULT_SIMULATOR_PARAMS.items);
    const bias = byKey.get('simulator.exposureBias');
    expect(bias?.kind === 'number' && bias.paperGrid).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(bias?.kind === 'number' && [bias.min, bias.max, bias.integer]).toEqual([0, 1, false]);
    expect(initialGridValues(byKey.get('simulator.latentDim') as ParamSpec, undefined)).toEqual([
      DEFAULT_SIMULATOR_PARAMS.latentDim,
    ]);
  });
});

describe('backend choices', () => {
  it("offers the contract's backends in its order, each labelled", () => {
    expect(BACKEND_OPTIONS.map((option) => option.value)).toEqual(BACKEND_CHOICES);
    expect(BACKEND_OPTIONS[0]).toEqual({ value: 'auto', label: 'Auto (fastest available)' });
    expect(AUTO_BACKEND_ORDER_TEXT).toBe('TensorFlow (native), WebGPU, WebAssembly, CPU (plain JS)');
  });
});
