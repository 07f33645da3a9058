/**
 * Turns an imported dataset into the engine's CascadeDataset: one item categorical feature becomes
 * the item category, and the dense item features are standardised and concatenated into the
 * "multimodal" vector the item tower reads.
 */
import { createCascadeDataset, type CascadeDataset } from '../../data/dataset';
import type { ProcessedDataset } from './processed';

/**
 * The categorical item features the DAMCAR authors' DSSM embeds beside the item id (their
 * config.py: WeChat authorid, bgm_song_id, bgm_singer_id; TikTok authorid, bgm_song_id, feed_city);
 * a generic log offers all of its item features.
 */
const RETRIEVAL_ITEM_FIELDS: Record<ProcessedDataset['format'], readonly string[] | null> = {
  wechat: ['authorid', 'bgm_song_id', 'bgm_singer_id'],
  tiktok: ['author_id', 'music_id', 'item_city'],
  csv: null,
};

/** Which item feature serves as the category when none is named. */
const DEFAULT_CATEGORY: Record<ProcessedDataset['format'], string | null> = {
  wechat: 'manual_tag',
  tiktok: 'author_id',
  csv: null,
};

export function toCascadeDataset(dataset: ProcessedDataset, categoryFeature?: string): CascadeDataset {
  const wanted = categoryFeature ?? DEFAULT_CATEGORY[dataset.format] ?? dataset.itemFeatures[0]?.name;
  const category = dataset.itemFeatures.find((f) => f.name === wanted);
  if (categoryFeature && !category) {
    throw new Error(
      `categoryFeature: the dataset has no item feature "${categoryFeature}" (it has: ${dataset.itemFeatures.map((f) => f.name).join(', ') || 'none'})`,
    );
  }
  const denseDim = dataset.itemDense.reduce((sum, f) => sum + f.dim, 0);
  const itemDense = new Float32Array(dataset.numItems * denseDim);
  let offset = 0;
  for (const feature of dataset.itemDense) {
    for (let d = 0; d < feature.dim; d++) {
      // Standardise each column over the items that have a value; missing rows stay 0 (the mean).
      let sum = 0;
      let sumSq = 0;
      let count = 0;
      for (let i = 0; i < dataset.numItems; i++) {
        if (!feature.present[i]) continue;
        const v = feature.values[i * feature.dim + d];
        sum += v;
        sumSq += v * v;
        count++;
      }
      const mean = count ? sum / count : 0;
      const std = count ? Math.sqrt(Math.max(sumSq / count - mean * mean, 0)) || 1 : 1;
      for (let i = 0; i < dataset.numItems; i++) {
        if (!feature.present[i]) continue;
        itemDense[i * denseDim + offset + d] = (feature.values[i * feature.dim + d] - mean) / std;
      }
    }
    offset += feature.dim;
  }
  const fieldNames = RETRIEVAL_ITEM_FIELDS[dataset.format];
  const itemFields = dataset.itemFeatures
    .filter((f) => (fieldNames ? fieldNames.includes(f.name) : true))
    .map((f) => ({ name: f.name, cardinality: f.cardinality, codes: f.codes }));
  return createCascadeDataset({
    name: dataset.name,
    itemFields,
    numUsers: dataset.numUsers,
    numItems: dataset.numItems,
    numCategories: category ? category.cardinality : 1,
    itemCategory: category ? category.codes : new Int32Array(dataset.numItems),
    denseDim,
    itemDense,
    interactions: {
      user: dataset.user,
      item: dataset.item,
      time: dataset.time,
      label: dataset.label,
      watchTime: dataset.watchTime,
    },
  });
}
