/**
 * The dataset view's figures: the paper's Table 1 columns (#users, #items, #interactions,
 * modalities), the label rate, interactions per user and per item, and feature coverage.
 */
import type { CountDistribution, DatasetProfile } from '../../../contract/api';
import type { ProcessedDataset } from './processed';

export type Distribution = CountDistribution;
export type { DatasetProfile };

export function distributionOf(counts: Int32Array): Distribution {
  const sorted = Int32Array.from(counts).sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(q * (n - 1)))]);
  const log2Histogram: number[] = [];
  let sum = 0;
  for (const c of sorted) {
    sum += c;
    if (c <= 0) continue;
    const bin = Math.floor(Math.log2(c));
    while (log2Histogram.length <= bin) log2Histogram.push(0);
    log2Histogram[bin]++;
  }
  return {
    min: at(0),
    p25: at(0.25),
    median: at(0.5),
    p75: at(0.75),
    p90: at(0.9),
    max: at(1),
    mean: n ? sum / n : 0,
    log2Histogram,
  };
}

export function profileDataset(dataset: ProcessedDataset): DatasetProfile {
  const perUser = new Int32Array(dataset.numUsers);
  const perItem = new Int32Array(dataset.numItems);
  let positives = 0;
  for (let r = 0; r < dataset.user.length; r++) {
    perUser[dataset.user[r]]++;
    perItem[dataset.item[r]]++;
    positives += dataset.label[r];
  }
  const coverage = (codes: Int32Array) => {
    let present = 0;
    for (const c of codes) if (c !== 0) present++;
    return codes.length ? present / codes.length : 0;
  };
  const denseCoverage = (present: Uint8Array) => {
    let count = 0;
    for (const p of present) count += p;
    return present.length ? count / present.length : 0;
  };
  const n = dataset.user.length;
  return {
    users: dataset.numUsers,
    items: dataset.numItems,
    interactions: n,
    positives,
    labelRate: n ? positives / n : 0,
    modalities: [...new Set(dataset.itemDense.map((f) => f.modality).filter((m) => m !== ''))],
    interactionsPerUser: distributionOf(perUser),
    interactionsPerItem: distributionOf(perItem),
    featureCoverage: [
      ...dataset.userFeatures.map((f) => ({
        entity: 'user' as const,
        name: f.name,
        coverage: coverage(f.codes),
      })),
      ...dataset.itemFeatures.map((f) => ({
        entity: 'item' as const,
        name: f.name,
        coverage: coverage(f.codes),
      })),
      ...dataset.itemDense.map((f) => ({
        entity: 'item' as const,
        name: f.name,
        coverage: denseCoverage(f.present),
      })),
    ],
    timeRange: n ? [dataset.time[0], dataset.time[n - 1]] : [0, 0],
  };
}
