/**
 * Importer for the ICME 2019 short-video challenge, track 2 (the DAMCAR paper's "TikTok"):
 * `final_track2_train.txt`, tab-separated, no header, 12 columns, -1 for missing; plus the
 * optional JSON-lines video, audio and title feature files.
 *
 * Label: `finish` (a row whose finish is -1 has no label and is dropped, counted). The file has no
 * watch time, so the random-walk edge weight is taken as `finish` (1 for a finished play, else 0):
 * the graph then holds the finished pairs. Time: `creat_time`.
 */
import { basename } from 'node:path';
import { GrowableColumn, IdMap, EntityFeature } from './columns';
import { readJsonLinesFeature } from './dense-features';
import { ImportError } from './errors';
import { FieldSpans, parseIdBytes, parseIntBytes, quoteField, requireIdBytes } from './fields';
import { readLines } from './line-reader';
import {
  emptyReport,
  countInto,
  finalizeImport,
  type DenseFeature,
  type ProcessedDataset,
} from './processed';
import { progressFor, type ImportOptions } from './common';

export const TIKTOK_COLUMNS = [
  'uid',
  'user_city',
  'item_id',
  'author_id',
  'item_city',
  'channel',
  'finish',
  'like',
  'music_id',
  'did',
  'creat_time',
  'video_duration',
] as const;

const TAB = 0x09;
const COL = Object.fromEntries(TIKTOK_COLUMNS.map((name, index) => [name, index])) as Record<
  (typeof TIKTOK_COLUMNS)[number],
  number
>;
/**
 * Columns where -1 (or empty) is an allowed missing value, counted in the report. Ids (`id`) are
 * kept exactly whatever their size; the others (`int`) must be safe integers.
 */
const OPTIONAL = [
  ['user_city', 'id'],
  ['author_id', 'id'],
  ['item_city', 'id'],
  ['channel', 'id'],
  ['like', 'int'],
  ['music_id', 'id'],
  ['did', 'id'],
  ['video_duration', 'int'],
] as const;
const OPTIONAL_POSITION = OPTIONAL.map(([name]) => COL[name]);
const OPTIONAL_INDEX = Object.fromEntries(OPTIONAL.map(([name], k) => [name, k])) as Record<
  (typeof OPTIONAL)[number][0],
  number
>;

export interface TikTokFiles {
  train: string;
  video?: string;
  audio?: string;
  title?: string;
}

/** Sorts the files the user picked by their well-known names. */
export function identifyTikTokFiles(paths: string[]): TikTokFiles {
  let train: string | undefined;
  const files: Omit<TikTokFiles, 'train'> = {};
  for (const path of paths) {
    const name = basename(path);
    if (/video_features/.test(name)) files.video = path;
    else if (/audio_features/.test(name)) files.audio = path;
    else if (/title/.test(name)) files.title = path;
    else if (/face_attrs/.test(name)) continue;
    else if (train === undefined) train = path;
    else
      throw new ImportError(
        path,
        `cannot tell which TikTok file this is (the train file is already ${train})`,
      );
  }
  if (!train)
    throw new ImportError(paths.join(', ') || '(no files)', 'the TikTok import needs final_track2_train.txt');
  return { train, ...files };
}

export async function importTikTok(
  files: TikTokFiles,
  options: ImportOptions = {},
): Promise<ProcessedDataset> {
  const report = emptyReport();
  const users = new IdMap();
  const items = new IdMap();
  const user = new GrowableColumn(Int32Array);
  const item = new GrowableColumn(Int32Array);
  const time = new GrowableColumn(Float64Array);
  const label = new GrowableColumn(Uint8Array);
  const watchTime = new GrowableColumn(Float32Array);
  const userCity = new EntityFeature('user_city');
  const itemFeatures = ['author_id', 'item_city', 'music_id'].map((name) => new EntityFeature(name));
  const missing = new Float64Array(OPTIONAL.length);
  /** This row's optional values, null where missing (one array for all rows). */
  const optionalValues: (number | string | null)[] = OPTIONAL.map(() => null);
  const spans = new FieldSpans(16);
  const path = files.train;

  const result = await readLines(
    path,
    (bytes, start, end, line, unterminated) => {
      if (start === end) return;
      report.rowsRead++;
      const count = spans.split(bytes, start, end, TAB);
      if (count !== TIKTOK_COLUMNS.length) {
        if (count === 1) {
          throw new ImportError(
            path,
            'found no tab: the TikTok train file is tab-separated with 12 columns',
            line,
          );
        }
        const cut = unterminated && count < TIKTOK_COLUMNS.length ? ' (the last line looks truncated)' : '';
        throw new ImportError(path, `has ${count} columns, expected ${TIKTOK_COLUMNS.length}${cut}`, line);
      }
      const { starts, ends } = spans;
      const uid = requireIdBytes(bytes, starts[COL.uid], ends[COL.uid], path, line, 'uid', 'user id');
      const itemId = requireIdBytes(
        bytes,
        starts[COL.item_id],
        ends[COL.item_id],
        path,
        line,
        'item_id',
        'item id',
      );
      const finish = parseIntBytes(bytes, starts[COL.finish], ends[COL.finish]);
      if (finish === -1) {
        countInto(report.rowsDropped, 'label missing (finish = -1)');
        return;
      }
      if (finish !== 0 && finish !== 1) {
        throw new ImportError(
          path,
          `finish must be 0, 1 or -1, not ${quoteField(bytes, starts[COL.finish], ends[COL.finish])}`,
          line,
          'finish',
        );
      }
      const created = parseIntBytes(bytes, starts[COL.creat_time], ends[COL.creat_time]);
      if (!Number.isSafeInteger(created)) {
        const problem = Number.isNaN(created) ? 'time is not an integer' : 'time is out of range';
        throw new ImportError(
          path,
          `${problem}: ${quoteField(bytes, starts[COL.creat_time], ends[COL.creat_time])}`,
          line,
          'creat_time',
        );
      }
      for (let k = 0; k < OPTIONAL.length; k++) {
        const start = starts[OPTIONAL_POSITION[k]];
        const end = ends[OPTIONAL_POSITION[k]];
        let v: number | string | null;
        if (OPTIONAL[k][1] === 'id') {
          v = parseIdBytes(bytes, start, end);
        } else {
          const n = parseIntBytes(bytes, start, end);
          if (!Number.isNaN(n) && !Number.isSafeInteger(n)) {
            throw new ImportError(
              path,
              `out of range: ${quoteField(bytes, start, end)}`,
              line,
              OPTIONAL[k][0],
            );
          }
          v = Number.isNaN(n) ? null : n;
        }
        if (v === null && end > start) {
          throw new ImportError(
            path,
            `not an integer: ${quoteField(bytes, start, end)}`,
            line,
            OPTIONAL[k][0],
          );
        }
        if (v === -1 || v === null) {
          missing[k]++;
          optionalValues[k] = null;
        } else {
          optionalValues[k] = v;
        }
      }
      const u = users.intern(uid);
      const i = items.intern(itemId);
      userCity.recordIfNew(u, optionalValues[OPTIONAL_INDEX.user_city]);
      itemFeatures[0].recordIfNew(i, optionalValues[OPTIONAL_INDEX.author_id]);
      itemFeatures[1].recordIfNew(i, optionalValues[OPTIONAL_INDEX.item_city]);
      itemFeatures[2].recordIfNew(i, optionalValues[OPTIONAL_INDEX.music_id]);
      user.push(u);
      item.push(i);
      time.push(created);
      label.push(finish);
      watchTime.push(finish);
    },
    { signal: options.signal, onProgress: progressFor(path, options, () => report.rowsRead) },
  );
  if (result.lines === 0) throw new ImportError(path, 'the file is empty');
  if (user.length === 0) throw new ImportError(path, 'no row has a label (finish is -1 everywhere)');
  OPTIONAL.forEach(([column], k) => {
    if (missing[k]) countInto(report.missingValues, column, missing[k]);
  });

  const itemDense: DenseFeature[] = [];
  if (files.video) {
    itemDense.push(
      await readJsonLinesFeature(
        { path: files.video, name: 'video', modality: 'V', key: 'video_feature_dim_128', kind: 'vector' },
        items,
        report,
        options.signal,
        progressFor(files.video, options, () => report.rowsRead),
      ),
    );
  }
  if (files.audio) {
    itemDense.push(
      await readJsonLinesFeature(
        { path: files.audio, name: 'audio', modality: 'A', key: 'audio_feature_128_dim', kind: 'vector' },
        items,
        report,
        options.signal,
        progressFor(files.audio, options, () => report.rowsRead),
      ),
    );
  }
  if (files.title) {
    itemDense.push(
      await readJsonLinesFeature(
        { path: files.title, name: 'title', modality: 'T', key: 'title_features', kind: 'bag', dim: 64 },
        items,
        report,
        options.signal,
        progressFor(files.title, options, () => report.rowsRead),
      ),
    );
  }

  return finalizeImport(
    {
      format: 'tiktok',
      name: options.name ?? 'TikTok (ICME 2019 track 2)',
      userRawIds: users.rawIds,
      itemRawIds: items.rawIds,
      user: user.toArray(),
      item: item.toArray(),
      time: time.toArray(),
      label: label.toArray(),
      watchTime: watchTime.toArray(),
      userFeatures: [userCity.finish()],
      itemFeatures: itemFeatures.map((f) => f.finish()),
      itemDense,
      report,
    },
    options.filters,
  );
}
