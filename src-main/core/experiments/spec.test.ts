import { DAMCAR_PROTOCOL } from '../protocols/damcar/index';
import { describe, expect, it } from 'vitest';
import type { ParamSpec, TrainingSpec } from '../../contract/api';
import {
  DEFAULT_SIMULATOR_PARAMS,
  EVALUATION_K_RANGE,
  SEED_RANGE,
  TRAINING_RANGES,
  boundsHint,
  rangeProbes,
  withinBounds,
} from '../../contract/ranges';
import {
  defaultExperimentSpec,
  rankingModelOf,
  resolveMethodParams,
  resolveParamValues,
  resolveProtocolParams,
  validateSpec,
} from './spec';
import { ValidationError } from '../../contract/errors';

const minimal = { name: 'x', dataset: { kind: 'simulated' }, methods: [{ id: 'bc' }] };

function fieldOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (error instanceof ValidationError) {
      expect(error.message.startsWith(error.field)).toBe(true);
      return error.field;
    }
    throw error;
  }
  throw new Error('expected a ValidationError');
}

/** The field the ValidationError of an invalid spec names. */
const specFieldOf = (input: unknown): string => fieldOf(() => validateSpec(input));

describe('validateSpec', () => {
  it('applies the defaults to a minimal spec', () => {
    expect(validateSpec(minimal)).toEqual({
      name: 'x',
      protocol: 'damcar',
      // The testbed's retrieval settings, each at its declared default (the authors' DSSM).
      protocolParams: Object.fromEntries(DAMCAR_PROTOCOL.params.map((p) => [p.key, p.default])),
      dataset: { kind: 'simulated', params: {} },
      retrieval: { model: 'dssm' },
      ranking: { model: 'deepfm' },
      methods: [{ id: 'bc' }],
      training: { epochs: 3, batchSize: 512, learningRate: 0.01, embeddingDim: 32 },
      evaluation: { retrievalK: [100, 200], corpus: 'all', split: 'user-time' },
      seeds: [1],
      backend: 'auto',
    });
  });

  it('names the protocol field and rejects a method of another protocol', () => {
    expect(() => validateSpec({ ...minimal, protocol: 'nope' })).toThrow(/^protocol: must be one of/);
    const error = (() => {
      try {
        validateSpec({ ...minimal, protocol: 'rra' });
      } catch (e) {
        return e as ValidationError;
      }
      return null;
    })();
    expect(error?.field).toBe('methods[0].id');
    expect(error?.message).toMatch(/"damcar" protocol, but this spec's protocol is "rra"/);
    expect(() => validateSpec({ ...minimal, protocolParams: { k: 1 } })).toThrow(
      /^protocolParams\.k: unknown parameter/,
    );
  });

  it('expands a grid over a protocol setting into rows with their own settings, checked against the protocol', () => {
    const cp2rec = { ...minimal, protocol: 'cp2rec' };
    const spec = validateSpec({
      ...cp2rec,
      protocolParams: { unbiasedLabels: 'behaviour' },
      methods: [
        { id: 'cp2rec-base', protocolParams: { confounding: 2 } },
        { id: 'cp2rec', grid: { 'protocolParams.confounding': [0, 1.5], tradeoff: [0, 1] } },
      ],
    });
    expect(spec.methods.map((m) => [m.label ?? m.id, m.protocolParams])).toEqual([
      ['cp2rec-base', { confounding: 2 }],
      ['CP2Rec (confounding=0, tradeoff=0)', { confounding: 0 }],
      ['CP2Rec (confounding=0, tradeoff=1)', { confounding: 0 }],
      ['CP2Rec (confounding=1.5, tradeoff=0)', { confounding: 1.5 }],
      ['CP2Rec (confounding=1.5, tradeoff=1)', { confounding: 1.5 }],
    ]);
    // A row's settings merge over the experiment's.
    expect(
      resolveProtocolParams(spec, { overrides: spec.methods[0].protocolParams, path: 'row' }),
    ).toMatchObject({
      confounding: 2,
      unbiasedLabels: 'behaviour',
    });
    expect(specFieldOf({ ...cp2rec, methods: [{ id: 'cp2rec', protocolParams: { confounding: 9 } }] })).toBe(
      'methods[0].protocolParams.confounding',
    );
    expect(
      specFieldOf({ ...cp2rec, methods: [{ id: 'cp2rec', grid: { 'protocolParams.confounding': [1, 9] } }] }),
    ).toBe('methods[0].grid.protocolParams.confounding[1]');
    expect(
      specFieldOf({ ...cp2rec, methods: [{ id: 'cp2rec', grid: { 'protocolParams.nope': [1] } }] }),
    ).toBe('methods[0].grid.protocolParams.nope');
  });

  it('gives rows their own simulated worlds (simulator overrides and grids), checked field by field', () => {
    const spec = validateSpec({
      ...minimal,
      dataset: { kind: 'simulated', params: { users: 300 } },
      methods: [
        { id: 'bc', simulator: { exposureBias: 0 } },
        { id: 'damcar', grid: { 'simulator.exposureBias': [0.5, 1] } },
      ],
    });
    expect(spec.methods.map((m) => [m.label ?? m.id, m.simulator])).toEqual([
      ['bc', { exposureBias: 0 }],
      ['DAMCAR (exposureBias=0.5)', { exposureBias: 0.5 }],
      ['DAMCAR (exposureBias=1)', { exposureBias: 1 }],
    ]);
    expect(specFieldOf({ ...minimal, methods: [{ id: 'bc', simulator: { exposureBias: 2 } }] })).toBe(
      'methods[0].simulator.exposureBias',
    );
    expect(
      specFieldOf({ ...minimal, methods: [{ id: 'bc', grid: { 'simulator.exposureBias': [0, 7] } }] }),
    ).toBe('methods[0].grid.simulator.exposureBias[1]');
    expect(specFieldOf({ ...minimal, methods: [{ id: 'bc', grid: { 'simulator.nope': [1] } }] })).toBe(
      'methods[0].grid.simulator.nope',
    );
    const stored = { ...minimal, dataset: { kind: 'stored', datasetId: 1 } };
    expect(specFieldOf({ ...stored, methods: [{ id: 'bc', simulator: { users: 10 } }] })).toBe(
      'methods[0].simulator',
    );
  });

  it('keeps given values', () => {
    const spec = validateSpec({
      ...minimal,
      description: 'd',
      dataset: { kind: 'stored', datasetId: 3 },
      methods: [{ id: 'bc', label: 'BC (mine)', params: {} }],
      training: { epochs: 1, learningRate: 0.05 },
      evaluation: { retrievalK: [10], corpus: 'test' },
      seeds: [4, 5],
      backend: 'wasm',
      ranking: { model: 'dcn' },
    });
    expect(spec.ranking).toEqual({ model: 'dcn' });
    expect(spec.dataset).toEqual({ kind: 'stored', datasetId: 3 });
    expect(spec.training).toEqual({ epochs: 1, batchSize: 512, learningRate: 0.05, embeddingDim: 32 });
    expect(spec.evaluation).toEqual({ retrievalK: [10], corpus: 'test', split: 'user-time' });
    expect(spec.seeds).toEqual([4, 5]);
    expect(spec.backend).toBe('wasm');
    expect(spec.methods[0].label).toBe('BC (mine)');
    expect(spec.description).toBe('d');
  });

  it('names the field of every error', () => {
    const cases: [unknown, string][] = [
      [null, ''],
      [{ ...minimal, name: '' }, 'name'],
      [{ ...minimal, name: 3 }, 'name'],
      [{ ...minimal, extra: 1 }, 'extra'],
      [{ ...minimal, dataset: undefined }, 'dataset'],
      [{ ...minimal, dataset: { kind: 'csv' } }, 'dataset.kind'],
      [{ ...minimal, dataset: { kind: 'stored', datasetId: 0 } }, 'dataset.datasetId'],
      [{ ...minimal, dataset: { kind: 'simulated', params: { users: 1 } } }, 'dataset.params.users'],
      [
        { ...minimal, dataset: { kind: 'simulated', params: { exposureBias: 'high' } } },
        'dataset.params.exposureBias',
      ],
      [{ ...minimal, dataset: { kind: 'simulated', params: { speed: 1 } } }, 'dataset.params.speed'],
      [{ ...minimal, methods: [] }, 'methods'],
      [{ ...minimal, methods: [{ id: 'nope' }] }, 'methods[0].id'],
      [
        { ...minimal, methods: [{ id: 'bc' }, { id: 'bc', params: { alpha: 0.5 } }] },
        'methods[1].params.alpha',
      ],
      [{ ...minimal, methods: [{ id: 'bc' }, { id: 'bc' }] }, 'methods[1].label'],
      [{ ...minimal, methods: [{ id: 'bc', colour: 1 }] }, 'methods[0].colour'],
      [{ ...minimal, training: { batchSize: 0 } }, 'training.batchSize'],
      [{ ...minimal, training: { batchSize: 12.5 } }, 'training.batchSize'],
      [{ ...minimal, training: { learningRate: 0 } }, 'training.learningRate'],
      [{ ...minimal, training: { epochs: '3' } }, 'training.epochs'],
      [{ ...minimal, training: { momentum: 0.9 } }, 'training.momentum'],
      [{ ...minimal, evaluation: { retrievalK: [] } }, 'evaluation.retrievalK'],
      [{ ...minimal, evaluation: { retrievalK: [100, -5] } }, 'evaluation.retrievalK[1]'],
      [{ ...minimal, evaluation: { retrievalK: [100, 100] } }, 'evaluation.retrievalK[1]'],
      [{ ...minimal, evaluation: { corpus: 'train' } }, 'evaluation.corpus'],
      [{ ...minimal, seeds: [1, 1.5] }, 'seeds[1]'],
      [{ ...minimal, seeds: 1 }, 'seeds'],
      [{ ...minimal, backend: 'gpu' }, 'backend'],
      [{ ...minimal, retrieval: { model: 'youtube-dnn' } }, 'retrieval.model'],
      [{ ...minimal, ranking: { model: 'xgboost' } }, 'ranking.model'],
      [{ ...minimal, ranking: { model: 7 } }, 'ranking.model'],
      [{ ...minimal, ranking: 'deepfm' }, 'ranking'],
      [{ ...minimal, ranking: { model: 'dcn', depth: 3 } }, 'ranking.depth'],
      // K2 = K1 / 10 needs multiples of 10 while a ranking model re-ranks.
      [{ ...minimal, evaluation: { retrievalK: [100, 15] } }, 'evaluation.retrievalK[1]'],
      [
        { ...minimal, ranking: { model: 'dcn' }, evaluation: { retrievalK: [5] } },
        'evaluation.retrievalK[0]',
      ],
    ];
    for (const [input, field] of cases)
      expect(
        fieldOf(() => validateSpec(input)),
        JSON.stringify(input),
      ).toBe(field);
  });

  it('defaults the ranking model to DeepFM and accepts none, which lifts the multiple-of-10 rule', () => {
    expect(validateSpec({ ...minimal, ranking: {} }).ranking).toEqual({ model: 'deepfm' });
    const retrievalOnly = validateSpec({
      ...minimal,
      ranking: { model: 'none' },
      evaluation: { retrievalK: [5] },
    });
    expect(retrievalOnly.ranking).toEqual({ model: 'none' });
    expect(retrievalOnly.evaluation.retrievalK).toEqual([5]);
    expect(() => validateSpec({ ...minimal, ranking: { model: 'xgboost' } })).toThrow(
      /ranking\.model: must be one of deepfm, dcn, none, got "xgboost"/,
    );
    // Specs stored before the ranking stage existed read as the default.
    expect(rankingModelOf({})).toBe('deepfm');
    expect(rankingModelOf({ ranking: { model: 'none' } })).toBe('none');
  });

  it('defaults to the per-user time split and validates the global one (RRA: last day as test)', () => {
    expect(validateSpec(minimal).evaluation.split).toBe('user-time');
    const global = validateSpec({ ...minimal, evaluation: { split: 'global-time', dayLength: 1 } });
    expect(global.evaluation).toMatchObject({ split: 'global-time', dayLength: 1 });
    expect(validateSpec({ ...minimal, evaluation: { split: 'global-time' } }).evaluation.dayLength).toBe(
      86_400,
    );
    expect(fieldOf(() => validateSpec({ ...minimal, evaluation: { split: 'random' } }))).toBe(
      'evaluation.split',
    );
    expect(
      fieldOf(() => validateSpec({ ...minimal, evaluation: { split: 'global-time', dayLength: 0 } })),
    ).toBe('evaluation.dayLength');
  });

  it('accepts its own default spec unchanged', () => {
    const template = defaultExperimentSpec();
    expect(validateSpec(template)).toEqual(template);
    expect(template.dataset).toEqual({ kind: 'simulated', params: DEFAULT_SIMULATOR_PARAMS });
    expect(template.methods).toEqual([{ id: 'bc', params: {} }]);
    expect(template.ranking).toEqual({ model: 'deepfm' });
  });
});

describe('resolveParamValues', () => {
  const declared: ParamSpec[] = [
    {
      kind: 'number',
      key: 'alpha',
      label: 'a',
      help: '',
      default: 0.99,
      min: 0,
      max: 1,
      step: 0.01,
      integer: false,
    },
    {
      kind: 'number',
      key: 'walks',
      label: 'H',
      help: '',
      default: 50,
      min: 1,
      max: 500,
      step: 1,
      integer: true,
    },
    {
      kind: 'choice',
      key: 'compare',
      label: 'c',
      help: '',
      default: 'ge',
      options: [
        { value: 'ge', label: '>=' },
        { value: 'gt', label: '>' },
      ],
    },
    { kind: 'boolean', key: 'ema', label: 'e', help: '', default: true },
  ];

  it('fills defaults and keeps valid values', () => {
    expect(resolveParamValues(declared, undefined, 'm.params', 'X')).toEqual({
      alpha: 0.99,
      walks: 50,
      compare: 'ge',
      ema: true,
    });
    expect(resolveParamValues(declared, { alpha: 0.5, compare: 'gt', ema: false }, 'm.params', 'X')).toEqual({
      alpha: 0.5,
      walks: 50,
      compare: 'gt',
      ema: false,
    });
  });

  it('rejects wrong types, ranges, integers, choices and unknown keys, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ alpha: 1.5 }, 'm.params.alpha'],
      [{ alpha: '0.5' }, 'm.params.alpha'],
      [{ walks: 2.5 }, 'm.params.walks'],
      [{ compare: 'lt' }, 'm.params.compare'],
      [{ ema: 1 }, 'm.params.ema'],
      [{ beta: 1 }, 'm.params.beta'],
      [[1], 'm.params'],
    ];
    for (const [given, field] of cases)
      expect(fieldOf(() => resolveParamValues(declared, given, 'm.params', 'X'))).toBe(field);
  });

  it('resolveMethodParams looks the method up in the registry', () => {
    expect(resolveMethodParams({ id: 'bc' }, 'methods[0]')).toEqual({});
    expect(fieldOf(() => resolveMethodParams({ id: 'damcar-x' }, 'methods[2]'))).toBe('methods[2].id');
  });
});

describe('training ranges', () => {
  it('accepts exactly the training settings the form hints at (the ranges of contract/ranges.ts)', () => {
    // The validator keeps its ranges: a learning rate in (0, 10], as the form's hint says.
    expect(boundsHint(TRAINING_RANGES.learningRate)).toBe('> 0, ≤ 10');
    const accepts = (training: Partial<TrainingSpec>): boolean => {
      try {
        validateSpec({ ...minimal, training });
        return true;
      } catch (error) {
        if (error instanceof ValidationError) return false;
        throw error;
      }
    };
    expect([1e-6, 10].map((learningRate) => accepts({ learningRate }))).toEqual([true, true]);
    expect([0, -0.01, 10.001].map((learningRate) => accepts({ learningRate }))).toEqual([
      false,
      false,
      false,
    ]);
    // Every training setting, at and around both ends of its declared range.
    for (const [key, range] of Object.entries(TRAINING_RANGES) as [
      keyof TrainingSpec,
      typeof TRAINING_RANGES.epochs,
    ][]) {
      for (const { value, admitted } of rangeProbes(range)) {
        expect(accepts({ [key]: value }), `${key} = ${value}`).toBe(admitted);
      }
    }
  });
});

describe('seed and cut-off ranges', () => {
  it('accepts exactly the seeds and cut-offs of the contract, which the form checks with', () => {
    const accepts = (fields: object): boolean => {
      try {
        // No ranking model, so any cut-off is allowed (with one, K must be a multiple of 10).
        validateSpec({ ...minimal, ranking: { model: 'none' }, ...fields });
        return true;
      } catch (error) {
        if (error instanceof ValidationError) return false;
        throw error;
      }
    };
    const probes = (range: typeof SEED_RANGE) => [range.min - 1, range.min, range.max, range.max + 1];
    for (const value of probes(SEED_RANGE))
      expect(accepts({ seeds: [value] }), `seed ${value}`).toBe(withinBounds(value, SEED_RANGE));
    for (const value of probes(EVALUATION_K_RANGE))
      expect(accepts({ evaluation: { retrievalK: [value] } }), `K ${value}`).toBe(
        withinBounds(value, EVALUATION_K_RANGE),
      );
    expect(accepts({ seeds: [1.5] })).toBe(false);
  });
});
