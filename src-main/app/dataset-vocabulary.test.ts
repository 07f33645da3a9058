import { describe, expect, it } from 'vitest';
import type { DatasetProfile, DatasetSummary } from '../contract/api';
import { datasetVocabulary, describeTimeRange } from './dataset-vocabulary';

function summary(kind: DatasetSummary['kind'], params: Record<string, unknown> = {}): DatasetSummary {
  return {
    id: 1,
    name: 'd',
    kind,
    users: 1,
    items: 1,
    interactions: 1,
    positives: 1,
    hasGroundTruth: false,
    createdAt: '',
    params,
  };
}

function profile(modalities: string[], timeRange: [number, number]): DatasetProfile {
  const distribution = { min: 0, p25: 0, median: 0, p75: 0, p90: 0, max: 0, mean: 0, log2Histogram: [] };
  return {
    users: 1,
    items: 1,
    interactions: 1,
    positives: 1,
    labelRate: 1,
    modalities,
    interactionsPerUser: distribution,
    interactionsPerItem: distribution,
    featureCoverage: [],
    timeRange,
  };
}

describe('dataset vocabulary', () => {
  it('words a generic log by its own label column and threshold, with no modalities', () => {
    const csv = summary('csv', { mapping: { label: 'watch_pct', labelThreshold: 0.8 } });
    const words = datasetVocabulary(csv, profile([], [1_600_000_000, 1_600_086_400]));
    expect(words.positiveWord).toBe('positive');
    expect(words.labelMeaning).toBe('watch_pct ≥ 0.8 (column of the imported log)');
    expect(words.modalities).toEqual([]);
    expect(words.timeRange).toBe('2020-09-13 – 2020-09-14 (Unix seconds)');
    const binary = datasetVocabulary(summary('csv', { mapping: { label: 'clicked' } }), profile([], [3, 9]));
    expect(binary.labelMeaning).toBe('clicked = 1 (column of the imported log)');
    expect(binary.timeRange).toBe("3 – 9 (the source's time unit)");
  });

  it('keeps TikTok and WeChat in their own terms', () => {
    const tiktok = datasetVocabulary(summary('tiktok'), profile(['V', 'A', 'T'], [53_015_000, 53_016_000]));
    expect(tiktok.positiveWord).toBe('finished');
    expect(tiktok.modalities).toEqual(['visual', 'acoustic', 'textual']);
    expect(tiktok.labelMeaning).toMatch(/^finish = 1/);
    const wechat = datasetVocabulary(summary('wechat'), profile(['T'], [1, 14]));
    expect(wechat.timeRange).toBe("days 1–14 of the log (WeChat's day index)");
    expect(wechat.labelMeaning).toMatch(/duration/);
  });

  it('reads milliseconds as dates too', () => {
    expect(describeTimeRange('csv', [1_600_000_000_000, 1_600_000_000_000])).toBe(
      '2020-09-13 – 2020-09-13 (Unix milliseconds)',
    );
  });
});
