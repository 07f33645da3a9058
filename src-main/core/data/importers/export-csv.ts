/**
 * Exports a dataset's interaction log to a generic CSV that the generic importer reads back:
 * `user,item,label,time,watch_time,category` with a header, one row per interaction in time order.
 * Users and items are written as their dense indices; the item's category is an item feature.
 *
 * Numbers are written with JavaScript's shortest round-trip formatting, so times (float64) and
 * watch times (float32 widened to float64) parse back to the same values.
 */
import { createWriteStream } from 'node:fs';
import type { CascadeDataset } from '../dataset';

export const EXPORT_CSV_COLUMNS = ['user', 'item', 'label', 'time', 'watch_time', 'category'] as const;

/** The column mapping that imports an exported file with the generic importer. */
export const EXPORT_CSV_MAPPING = {
  user: 'user',
  item: 'item',
  label: 'label',
  timestamp: 'time',
  weight: 'watch_time',
  itemFeatures: ['category'],
};

/** Writes the interactions of `dataset` to `path`; resolves once the file is flushed. */
export async function exportInteractionsCsv(dataset: CascadeDataset, path: string): Promise<void> {
  const out = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) {
      await Promise.race([new Promise<void>((resolve) => out.once('drain', () => resolve())), failed]);
    }
  };
  const { user, item, label, time, watchTime } = dataset.interactions;
  await write(`${EXPORT_CSV_COLUMNS.join(',')}\n`);
  const lines: string[] = [];
  for (let r = 0; r < user.length; r++) {
    const i = item[r];
    lines.push(`${user[r]},${i},${label[r]},${time[r]},${watchTime[r]},${dataset.itemCategory[i]}\n`);
    if (lines.length === 10_000) {
      await write(lines.join(''));
      lines.length = 0;
    }
  }
  await write(lines.join(''));
  await Promise.race([
    new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    ),
    failed,
  ]);
}
