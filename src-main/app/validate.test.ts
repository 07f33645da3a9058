import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHANNELS, type Channel } from '../contract/requests';
import { MAX_COMPARED_RUNS, MAX_SPEC_BYTES, MAX_SPEC_DESCRIPTION_CHARS } from '../contract/limits';
import {
  IMPORT_EMBEDDING_DIM_RANGE,
  IMPORT_FILTER_RANGES,
  type NumberRange,
  withinBounds,
} from '../contract/ranges';
import { defaultExperimentSpec } from '../core/experiments/spec';
import { ValidationError } from '../contract/errors';
import { toTransportError } from './transport-error';
import { validateRequest } from './validate';

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).field;
  }
  throw new Error('expected a ValidationError');
}

const VALID: { [C in Channel]: unknown } = {
  'app:info': {},
  'methods:list': {},
  'protocols:list': {},
  'datasets:list': {},
  'datasets:preview': { path: '/data/final_track2_train.txt', format: 'tiktok' },
  'datasets:import': { format: 'tiktok', paths: ['/data/final_track2_train.txt'] },
  'datasets:cancel-import': { importId: 'b7a1' },
  'datasets:profile': { datasetId: 1 },
  'datasets:delete': { datasetId: 2 },
  'experiments:list': {},
  'experiments:get': { experimentId: 1 },
  'experiments:template': {},
  'experiments:bundled': {},
  'experiments:create': { spec: defaultExperimentSpec() },
  'experiments:run': { experimentId: 2 },
  'runs:list': {},
  'runs:cancel': { runId: 3 },
  'runs:curves': { runId: 3 },
  'runs:histograms': { experimentId: 1 },
  'results:table': { experimentId: 4 },
  'runs:compare': { runIds: [1, 2, 3], baselineKey: '1:0' },
  'runs:annotate': { runId: 1, tags: ['baseline'], note: 'first try' },
  'runs:archive': { runIds: [1, 2], archived: true },
  'runs:delete': { runIds: [3] },
  'experiments:annotate': { experimentId: 1, note: '' },
  'experiments:archive': { experimentId: 1, archived: false },
  'experiments:delete': { experimentId: 2 },
  'results:export': { experimentId: 5, format: 'latex' },
  'queue:status': {},
  'queue:connect': { url: 'rediss://:secret@gpu-box:6380/0' },
};

describe('validateRequest', () => {
  it('accepts a valid request on every channel of the contract', () => {
    for (const channel of CHANNELS)
      expect(() => validateRequest(channel, VALID[channel]), channel).not.toThrow();
  });

  it('rejects unknown fields on every channel, naming them', () => {
    for (const channel of CHANNELS) {
      const payload = { ...(VALID[channel] as object), surprise: 1 };
      expect(
        fieldOf(() => validateRequest(channel, payload)),
        channel,
      ).toBe('surprise');
    }
  });

  it('treats a missing body of an empty request as {} and rejects a non-object', () => {
    expect(validateRequest('methods:list', undefined)).toEqual({});
    expect(validateRequest('methods:list', null)).toEqual({});
    expect(() => validateRequest('experiments:list', [1])).toThrow(/must be an object, got an array/);
  });

  it('says a required field is missing rather than "got undefined"', () => {
    expect(() => validateRequest('datasets:preview', { path: '/data/log.csv' })).toThrow(
      /format: must be one of .*, got nothing \(the field is missing\)/,
    );
  });

  it('checks ids', () => {
    for (const bad of [undefined, '3', 0, -1, 1.5, Number.NaN, null]) {
      expect(fieldOf(() => validateRequest('experiments:get', { experimentId: bad }))).toBe('experimentId');
    }
    expect(validateRequest('runs:list', { experimentId: 7 })).toEqual({ experimentId: 7 });
    expect(validateRequest('runs:list', {})).toEqual({});
    expect(fieldOf(() => validateRequest('runs:list', { experimentId: 'x' }))).toBe('experimentId');
  });

  it('checks the ids of the curve and histogram requests', () => {
    expect(validateRequest('runs:curves', { runId: 4 })).toEqual({ runId: 4 });
    expect(validateRequest('runs:histograms', { experimentId: 2 })).toEqual({ experimentId: 2 });
    for (const bad of [undefined, '4', 0, 2.5, null]) {
      expect(fieldOf(() => validateRequest('runs:curves', { runId: bad }))).toBe('runId');
      expect(fieldOf(() => validateRequest('runs:histograms', { experimentId: bad }))).toBe('experimentId');
    }
    expect(fieldOf(() => validateRequest('runs:curves', { runId: 1, experimentId: 1 }))).toBe('experimentId');
    expect(fieldOf(() => validateRequest('runs:histograms', { experimentId: 1, runId: 1 }))).toBe('runId');
  });

  it('needs runId or experimentId to cancel', () => {
    expect(fieldOf(() => validateRequest('runs:cancel', {}))).toBe('runId');
    expect(validateRequest('runs:cancel', { experimentId: 2 })).toEqual({ experimentId: 2 });
    expect(fieldOf(() => validateRequest('runs:cancel', { runId: 1, experimentId: 'a' }))).toBe(
      'experimentId',
    );
  });

  it('checks the runs to compare and the baseline row key', () => {
    expect(validateRequest('runs:compare', { runIds: [4, 5] })).toEqual({ runIds: [4, 5] });
    expect(fieldOf(() => validateRequest('runs:compare', { runIds: 4 }))).toBe('runIds');
    expect(fieldOf(() => validateRequest('runs:compare', { runIds: [4, 'x'] }))).toBe('runIds[1]');
    expect(fieldOf(() => validateRequest('runs:compare', { runIds: [4], baselineKey: 'bc' }))).toBe(
      'baselineKey',
    );
    const tooMany = Array.from({ length: MAX_COMPARED_RUNS + 1 }, (_, k) => k + 1);
    expect(fieldOf(() => validateRequest('runs:compare', { runIds: tooMany }))).toBe('runIds');
  });

  it('checks the export format', () => {
    expect(fieldOf(() => validateRequest('results:export', { experimentId: 1, format: 'xlsx' }))).toBe(
      'format',
    );
    expect(fieldOf(() => validateRequest('results:export', { experimentId: 1 }))).toBe('format');
  });

  it('takes only a redis:// or rediss:// queue URL, or null for this machine', () => {
    expect(fieldOf(() => validateRequest('queue:connect', { url: 'http://gpu-box:6379' }))).toBe('url');
    expect(fieldOf(() => validateRequest('queue:connect', {}))).toBe('url');
    expect(validateRequest('queue:connect', { url: null })).toEqual({ url: null });
  });

  it('checks import requests: absolute paths, formats, filters, the csv mapping', () => {
    const csv = {
      format: 'csv',
      paths: ['/data/log.csv'],
      name: 'log',
      filters: { minUserInteractions: 5, timeFrom: 1, timeTo: 9, userSampleFraction: 0.5, sampleSeed: 3 },
      mapping: { user: 'u', item: 'i', label: 'y', itemFeatures: ['genre'], labelThreshold: 0.5 },
    };
    expect(validateRequest('datasets:import', csv)).toEqual(csv);
    expect(fieldOf(() => validateRequest('datasets:import', { ...csv, paths: ['log.csv'] }))).toBe(
      'paths[0]',
    );
    expect(fieldOf(() => validateRequest('datasets:import', { ...csv, paths: [] }))).toBe('paths');
    expect(fieldOf(() => validateRequest('datasets:import', { ...csv, format: 'parquet' }))).toBe('format');
    expect(fieldOf(() => validateRequest('datasets:import', { ...csv, mapping: undefined }))).toBe('mapping');
    expect(
      fieldOf(() =>
        validateRequest('datasets:import', { ...csv, mapping: { user: 'u', item: '', label: 'y' } }),
      ),
    ).toBe('mapping.item');
    expect(
      fieldOf(() => validateRequest('datasets:import', { ...csv, filters: { minItemInteractions: 1.5 } })),
    ).toBe('filters.minItemInteractions');
    expect(
      fieldOf(() => validateRequest('datasets:import', { ...csv, filters: { timeFrom: 5, timeTo: 4 } })),
    ).toBe('filters.timeTo');
    expect(
      fieldOf(() => validateRequest('datasets:import', { ...csv, filters: { userSampleFraction: 0 } })),
    ).toBe('filters.userSampleFraction');
    expect(fieldOf(() => validateRequest('datasets:import', { ...csv, filters: { kcore: 5 } }))).toBe(
      'filters.kcore',
    );
    const tiktok = { format: 'tiktok', paths: ['/data/final_track2_train.txt'] };
    expect(fieldOf(() => validateRequest('datasets:import', { ...tiktok, mapping: csv.mapping }))).toBe(
      'mapping',
    );
    expect(fieldOf(() => validateRequest('datasets:import', { ...tiktok, embeddingDim: 32 }))).toBe(
      'embeddingDim',
    );
    const wechat = { format: 'wechat', paths: ['/w/user_action.csv', '/w/feed_info.csv'], embeddingDim: 32 };
    expect(validateRequest('datasets:import', wechat)).toEqual(wechat);
    expect(fieldOf(() => validateRequest('datasets:import', { ...wechat, embeddingDim: 513 }))).toBe(
      'embeddingDim',
    );
    expect(fieldOf(() => validateRequest('datasets:preview', { path: 'x.csv', format: 'csv' }))).toBe('path');
    expect(fieldOf(() => validateRequest('datasets:cancel-import', { importId: '' }))).toBe('importId');
    expect(fieldOf(() => validateRequest('datasets:profile', { datasetId: 0 }))).toBe('datasetId');
  });

  it("accepts exactly the import filters and embedding dimension of the contract's ranges", () => {
    const wechat = { format: 'wechat', paths: ['/w/user_action.csv', '/w/feed_info.csv'] };
    const accepts = (request: object): boolean => {
      try {
        validateRequest('datasets:import', { ...wechat, ...request });
        return true;
      } catch (error) {
        if (error instanceof ValidationError) return false;
        throw error;
      }
    };
    const probes = (range: NumberRange) => {
      const nudge = range.integer ? 1 : 1e-3;
      return [range.min - nudge, range.min, range.min + nudge, range.max, range.max + nudge];
    };
    for (const [key, range] of Object.entries(IMPORT_FILTER_RANGES)) {
      for (const value of probes(range))
        expect(accepts({ filters: { [key]: value } }), `${key} = ${value}`).toBe(withinBounds(value, range));
    }
    for (const value of probes(IMPORT_EMBEDDING_DIM_RANGE))
      expect(accepts({ embeddingDim: value }), `embeddingDim = ${value}`).toBe(
        withinBounds(value, IMPORT_EMBEDDING_DIM_RANGE),
      );
  });

  it('validates and completes the spec of experiments:create, naming the bad field under spec', () => {
    expect(fieldOf(() => validateRequest('experiments:create', {}))).toBe('spec');
    const spec = defaultExperimentSpec();
    const completed = validateRequest('experiments:create', { spec });
    expect(completed.spec.methods[0].id).toBe(spec.methods[0].id);

    const unknownMethod = { ...spec, methods: [{ id: 'no-such-method' }] };
    expect(fieldOf(() => validateRequest('experiments:create', { spec: unknownMethod }))).toBe(
      'spec.methods[0].id',
    );
    const error = (() => {
      try {
        validateRequest('experiments:create', { spec: unknownMethod });
      } catch (e) {
        return e as ValidationError;
      }
      return null;
    })();
    expect(error?.message).toMatch(/^spec\.methods\[0\]\.id: .*no-such-method/);
    expect(toTransportError(error).payload).toEqual({ message: error?.message, field: 'spec.methods[0].id' });
  });

  it("enforces the contract's size limits on a spec's description and on the whole spec", () => {
    const spec = defaultExperimentSpec();
    const create = (s: unknown): unknown => validateRequest('experiments:create', { spec: s });
    const longest = 'd'.repeat(MAX_SPEC_DESCRIPTION_CHARS);
    expect(
      (create({ ...spec, description: longest }) as { spec: { description: string } }).spec.description,
    ).toBe(longest);
    expect(() => create({ ...spec, description: `${longest}d` })).toThrow(
      `spec.description: must be at most ${MAX_SPEC_DESCRIPTION_CHARS} characters, has ${MAX_SPEC_DESCRIPTION_CHARS + 1}`,
    );
    // 50 MB of description, as the tester sent: refused by its length, before anything else.
    expect(fieldOf(() => create({ ...spec, description: 'x'.repeat(50 * 1024 * 1024) }))).toBe(
      'spec.description',
    );

    // Bulk elsewhere (multi-byte characters count as their UTF-8 bytes): the whole spec's size.
    const padding = 'é'.repeat(MAX_SPEC_BYTES / 2);
    const bulky = { ...spec, dataset: { ...spec.dataset, params: { padding } } };
    expect(fieldOf(() => create(bulky))).toBe('spec');
    expect(() => create(bulky)).toThrow(
      /^spec: the spec is \d{7} bytes as JSON, more than the limit of 2097152 bytes \(2\.0 MB\)$/,
    );
    // Under the limit, the same field reaches the ordinary checks.
    const small = { ...spec, dataset: { ...spec.dataset, params: { padding: 'x' } } };
    expect(fieldOf(() => create(small))).toBe('spec.dataset.params.padding');
  });
});

describe('experiments/quickstart.json', () => {
  it('is a valid spec with the engine defaults for the simulator and training', () => {
    const text = readFileSync(new URL('../../experiments/quickstart.json', import.meta.url), 'utf8');
    const { spec } = validateRequest('experiments:create', { spec: JSON.parse(text) as unknown });
    const template = defaultExperimentSpec();
    expect(spec.name).toBe('Quickstart: DSSM + BC on the simulator');
    expect(spec.dataset).toEqual({ kind: 'simulated', params: {} });
    expect(spec.methods).toEqual([{ id: 'bc' }]);
    expect(spec.seeds).toEqual([1]);
    expect(spec.training).toEqual(template.training);
    expect(spec.evaluation).toEqual({ retrievalK: [100, 200], corpus: 'all', split: 'user-time' });
  });
});
