import { describe, expect, it } from 'vitest';
import {
  IMPORT_EMBEDDING_DIM_RANGE,
  IMPORT_FILTER_RANGES,
  type NumberRange,
  withinBounds,
} from '../../../src-main/contract/ranges';
import {
  assignFiles,
  buildImportRequest,
  describeImportFailure,
  emptyImportForm,
  guessMapping,
  joinPath,
  log2BinLabel,
} from './import-form';

describe('assignFiles', () => {
  it('sorts picked files into roles by their well-known names, whatever the order', () => {
    expect(
      assignFiles('tiktok', [
        '/d/track2_title.txt',
        '/d/track2_face_attrs.txt',
        '/d/final_track2_train.txt',
        '/d/track2_audio_features.txt',
      ]),
    ).toEqual({
      title: '/d/track2_title.txt',
      audio: '/d/track2_audio_features.txt',
      train: '/d/final_track2_train.txt',
    });
    expect(assignFiles('wechat', ['C:\\w\\feed_info.csv', 'C:\\w\\user_action.csv'])).toEqual({
      feedInfo: 'C:\\w\\feed_info.csv',
      userAction: 'C:\\w\\user_action.csv',
    });
    expect(assignFiles('csv', ['/logs/events.tsv'])).toEqual({ log: '/logs/events.tsv' });
  });
});

describe('joinPath', () => {
  it("uses the folder's own separator", () => {
    expect(joinPath('/data/wechat_algo_data1', 'user_action.csv')).toBe(
      '/data/wechat_algo_data1/user_action.csv',
    );
    expect(joinPath('/data/', 'a.csv')).toBe('/data/a.csv');
    expect(joinPath('D:\\data', 'a.csv')).toBe('D:\\data\\a.csv');
  });
});

describe('guessMapping', () => {
  it('guesses user, item, label, time and weight columns from usual names, each column once', () => {
    expect(guessMapping(['user', 'item', 'clicked', 'ts', 'dwell', 'genre'])).toMatchObject({
      user: 'user',
      item: 'item',
      label: 'clicked',
      timestamp: 'ts',
      weight: 'dwell',
    });
    expect(guessMapping(['userid', 'feedid', 'date_', 'play'])).toMatchObject({
      user: 'userid',
      item: 'feedid',
      label: '',
      timestamp: 'date_',
      weight: 'play',
    });
  });
});

describe('buildImportRequest', () => {
  it('collects the given files in role order, the filters and the name', () => {
    const form = emptyImportForm('tiktok');
    form.files = { audio: ' /d/track2_audio_features.txt ', train: '/d/final_track2_train.txt' };
    form.name = ' tt ';
    form.minUser = '5';
    form.sample = '0.5';
    form.seed = '3';
    expect(buildImportRequest(form)).toEqual({
      ok: true,
      request: {
        format: 'tiktok',
        paths: ['/d/final_track2_train.txt', '/d/track2_audio_features.txt'],
        name: 'tt',
        filters: { minUserInteractions: 5, userSampleFraction: 0.5, sampleSeed: 3 },
      },
    });
  });

  it('names the first problem: a missing required file, a bad number, an unmapped column', () => {
    const form = emptyImportForm('wechat');
    form.files = { userAction: '/w/user_action.csv' };
    expect(buildImportRequest(form)).toMatchObject({ ok: false, field: 'file-feedInfo' });
    form.files.feedInfo = '/w/feed_info.csv';
    form.minItem = '2.5';
    expect(buildImportRequest(form)).toMatchObject({ ok: false, field: 'filter-minItemInteractions' });
    form.minItem = '';
    form.embeddingDim = '600';
    expect(buildImportRequest(form)).toMatchObject({ ok: false, field: 'embeddingDim' });
    form.embeddingDim = '32';
    expect(buildImportRequest(form)).toMatchObject({ ok: true, request: { embeddingDim: 32 } });
    form.timeFrom = '9';
    form.timeTo = '3';
    expect(buildImportRequest(form)).toMatchObject({ ok: false, field: 'filter-timeTo' });

    const csv = emptyImportForm('csv');
    csv.files = { log: '/l.csv' };
    csv.mapping = { ...guessMapping(['user', 'item', 'score']), labelThreshold: '4' };
    expect(buildImportRequest(csv)).toMatchObject({ ok: false, field: 'mapping-label' });
    csv.mapping.label = 'score';
    csv.mapping.itemFeatures = ['genre'];
    expect(buildImportRequest(csv)).toEqual({
      ok: true,
      request: {
        format: 'csv',
        paths: ['/l.csv'],
        mapping: { user: 'user', item: 'item', label: 'score', itemFeatures: ['genre'], labelThreshold: 4 },
      },
    });
  });
});

describe('the import form checks', () => {
  it("accept exactly the filters and embedding dimension of the contract's ranges, as the main side", () => {
    const probes = (range: NumberRange) => {
      const nudge = range.integer ? 1 : 1e-3;
      return [range.min - nudge, range.min, range.min + nudge, range.max, range.max + nudge];
    };
    const inputs = {
      minUserInteractions: 'minUser',
      minItemInteractions: 'minItem',
      userSampleFraction: 'sample',
      sampleSeed: 'seed',
    } as const;
    for (const [key, input] of Object.entries(inputs) as [
      keyof typeof inputs,
      (typeof inputs)[keyof typeof inputs],
    ][]) {
      const range = IMPORT_FILTER_RANGES[key];
      for (const value of probes(range)) {
        const form = emptyImportForm('tiktok');
        form.files = { train: '/d/final_track2_train.txt' };
        form[input] = String(value);
        expect(buildImportRequest(form).ok, `${key} = ${value}`).toBe(withinBounds(value, range));
      }
    }
    for (const value of probes(IMPORT_EMBEDDING_DIM_RANGE)) {
      const form = emptyImportForm('wechat');
      form.files = { userAction: '/w/user_action.csv', feedInfo: '/w/feed_info.csv' };
      form.embeddingDim = String(value);
      expect(buildImportRequest(form).ok, `embeddingDim = ${value}`).toBe(
        withinBounds(value, IMPORT_EMBEDDING_DIM_RANGE),
      );
    }
  });
});

describe('describeImportFailure', () => {
  it('splits where (file, line, column) from what', () => {
    expect(
      describeImportFailure({
        message: '/d/x.txt, line 4, column "item_id": item id is not a non-negative integer',
        file: '/d/x.txt',
        line: 4,
        column: 'item_id',
      }),
    ).toEqual({
      where: '/d/x.txt, line 4, column "item_id"',
      message: 'item id is not a non-negative integer',
    });
    expect(describeImportFailure({ message: 'The import was cancelled.' })).toEqual({
      where: null,
      message: 'The import was cancelled.',
    });
  });
});

describe('log2BinLabel', () => {
  it('labels bin b with [2^b, 2^(b+1) - 1]', () => {
    expect([0, 1, 2, 3].map(log2BinLabel)).toEqual(['1', '2–3', '4–7', '8–15']);
  });
});
