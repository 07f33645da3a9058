/**
 * Importer for the WeChat Big Data Challenge 2021 files (`wechat_algo_data1/`): `user_action.csv`
 * and `feed_info.csv`, plus the optional `feed_embeddings.csv` (512 floats per feed, optionally
 * reduced by PCA).
 *
 * Label y (finish playing): play >= videoplayseconds * 1000 (play is in milliseconds). Watch time
 * (the random-walk edge weight v_ui): play / 1000 seconds. Time: `date_` (day 1-14); rows of one
 * day keep the file's order.
 */
import { basename } from 'node:path';
import { CategoryEncoder, GrowableColumn, IdMap, EntityFeature } from './columns';
import { ImportError, InvalidValue } from './errors';
import {
  FieldSpans,
  fieldText,
  fitsFloat32,
  idText,
  parseCategoryIdBytes,
  parseFloatBytes,
  parseIdBytes,
  requireIdBytes,
  parseIntBytes,
  quoteField,
} from './fields';
import { resolveColumns } from './header';
import { readLines } from './line-reader';
import { pcaReduce } from './pca';
import {
  countInto,
  emptyReport,
  finalizeImport,
  type DenseFeature,
  type ProcessedDataset,
} from './processed';
import { progressFor, type ImportOptions } from './common';

export interface WeChatFiles {
  userAction: string;
  feedInfo: string;
  feedEmbeddings?: string;
}

export interface WeChatImportOptions extends ImportOptions {
  /** Reduce the 512-d feed embedding to this many PCA components; 0 keeps all 512. Default 64. */
  embeddingDim?: number;
}

const COMMA = 0x2c;
const SPACE = 0x20;
const SEMICOLON = 0x3b;

export function identifyWeChatFiles(paths: string[]): WeChatFiles {
  const byName = new Map(paths.map((p) => [basename(p), p]));
  const find = (pattern: RegExp) => [...byName.entries()].find(([name]) => pattern.test(name))?.[1];
  const userAction = find(/user_action/);
  const feedInfo = find(/feed_info/);
  if (!userAction)
    throw new ImportError(paths.join(', ') || '(no files)', 'the WeChat import needs user_action.csv');
  if (!feedInfo) throw new ImportError(paths.join(', '), 'the WeChat import needs feed_info.csv');
  return { userAction, feedInfo, feedEmbeddings: find(/feed_embeddings/) };
}

interface FeedTable {
  feeds: IdMap;
  durationSeconds: Float64Array;
  author: Int32Array;
  song: Int32Array;
  singer: Int32Array;
  firstTag: Int32Array;
  cardinalities: { author: number; song: number; singer: number; firstTag: number };
}

async function readFeedInfo(
  path: string,
  options: ImportOptions,
  report: ReturnType<typeof emptyReport>,
): Promise<FeedTable> {
  const feeds = new IdMap();
  const duration = new GrowableColumn(Float64Array);
  const encoders = {
    author: new CategoryEncoder(),
    song: new CategoryEncoder(),
    singer: new CategoryEncoder(),
    firstTag: new CategoryEncoder(),
  };
  const codes = {
    author: new GrowableColumn(Int32Array),
    song: new GrowableColumn(Int32Array),
    singer: new GrowableColumn(Int32Array),
    firstTag: new GrowableColumn(Int32Array),
  };
  const spans = new FieldSpans(16);
  let columns: ReturnType<typeof resolveFeedColumns> | null = null;
  const result = await readLines(
    path,
    (bytes, start, end, line) => {
      const count = spans.split(bytes, start, end, COMMA);
      if (line === 1) {
        const header: string[] = [];
        for (let c = 0; c < count; c++) header.push(fieldText(bytes, spans.starts[c], spans.ends[c]));
        columns = resolveFeedColumns(path, header);
        return;
      }
      if (start === end || !columns) return;
      if (count <= Math.max(columns.feedid, columns.videoplayseconds, columns.authorid)) {
        throw new ImportError(path, `has ${count} columns, fewer than the header`, line);
      }
      const field = (c: number) => [spans.starts[c], spans.ends[c]] as const;
      const feedId = requireIdBytes(bytes, ...field(columns.feedid), path, line, 'feedid', 'feed id');
      const seconds = parseFloatBytes(bytes, ...field(columns.videoplayseconds));
      if (!(seconds >= 0) || !fitsFloat32(seconds)) {
        const problem = seconds >= 0 ? 'out of range' : 'not a non-negative number';
        throw new ImportError(
          path,
          `${problem}: ${quoteField(bytes, ...field(columns.videoplayseconds))}`,
          line,
          'videoplayseconds',
        );
      }
      if (feeds.lookup(feedId) !== undefined)
        throw new ImportError(path, `feed ${idText(feedId)} appears twice`, line, 'feedid');
      feeds.intern(feedId);
      duration.push(seconds);
      // Categories, kept exactly like ids ("25252.0" is 25252); empty counts as missing.
      const optionalInt = (c: number | undefined, name: string): number | string | null => {
        if (c === undefined || c >= count) return null;
        let v: number | string | null;
        try {
          v = parseCategoryIdBytes(bytes, spans.starts[c], spans.ends[c]);
        } catch (error) {
          if (!(error instanceof InvalidValue)) throw error;
          throw new ImportError(path, `${error.problem}: ${quoteField(bytes, ...field(c))}`, line, name);
        }
        if (v === null) {
          countInto(report.missingValues, name);
          return null;
        }
        return v;
      };
      codes.author.push(encoders.author.encode(optionalInt(columns.authorid, 'authorid')));
      codes.song.push(encoders.song.encode(optionalInt(columns.bgm_song_id, 'bgm_song_id')));
      codes.singer.push(encoders.singer.encode(optionalInt(columns.bgm_singer_id, 'bgm_singer_id')));
      let tag: number | string | null = null;
      if (columns.manual_tag_list !== undefined && columns.manual_tag_list < count) {
        const [s, e] = field(columns.manual_tag_list);
        let stop = s;
        while (stop < e && bytes[stop] !== SEMICOLON) stop++;
        tag = parseIdBytes(bytes, s, stop);
        if (tag === null) {
          countInto(report.missingValues, 'manual_tag_list');
          tag = null;
        }
      }
      codes.firstTag.push(encoders.firstTag.encode(tag));
    },
    { signal: options.signal, onProgress: progressFor(path, options, () => feeds.size) },
  );
  if (result.lines === 0) throw new ImportError(path, 'the file is empty');
  if (feeds.size === 0) throw new ImportError(path, 'has a header but no feeds');
  return {
    feeds,
    durationSeconds: duration.toArray(),
    author: codes.author.toArray(),
    song: codes.song.toArray(),
    singer: codes.singer.toArray(),
    firstTag: codes.firstTag.toArray(),
    cardinalities: {
      author: encoders.author.cardinality,
      song: encoders.song.cardinality,
      singer: encoders.singer.cardinality,
      firstTag: encoders.firstTag.cardinality,
    },
  };
}

function resolveFeedColumns(path: string, header: string[]) {
  return resolveColumns(
    path,
    header,
    ['feedid', 'authorid', 'videoplayseconds'] as const,
    ['bgm_song_id', 'bgm_singer_id', 'manual_tag_list'] as const,
  );
}

export async function importWeChat(
  files: WeChatFiles,
  options: WeChatImportOptions = {},
): Promise<ProcessedDataset> {
  const report = emptyReport();
  const feedTable = await readFeedInfo(files.feedInfo, options, report);
  const users = new IdMap();
  const items = new IdMap();
  const user = new GrowableColumn(Int32Array);
  const item = new GrowableColumn(Int32Array);
  const time = new GrowableColumn(Float64Array);
  const label = new GrowableColumn(Uint8Array);
  const watchTime = new GrowableColumn(Float32Array);
  const device = new EntityFeature('device');
  /** Feed-table row of each interaction item, to carry the feed features over. */
  const feedRowOfItem = new GrowableColumn(Int32Array);
  const spans = new FieldSpans(16);
  const path = files.userAction;
  let columns: { userid: number; feedid: number; date_: number; play: number; device?: number } | null = null;

  const result = await readLines(
    path,
    (bytes, start, end, line, unterminated) => {
      const count = spans.split(bytes, start, end, COMMA);
      if (line === 1) {
        const header: string[] = [];
        for (let c = 0; c < count; c++) header.push(fieldText(bytes, spans.starts[c], spans.ends[c]));
        columns = resolveColumns(
          path,
          header,
          ['userid', 'feedid', 'date_', 'play'] as const,
          ['device'] as const,
        );
        return;
      }
      if (start === end || !columns) return;
      report.rowsRead++;
      const needed = Math.max(columns.userid, columns.feedid, columns.date_, columns.play);
      if (count <= needed) {
        const cut = unterminated ? ' (the last line looks truncated)' : '';
        throw new ImportError(path, `has ${count} columns, fewer than the header${cut}`, line);
      }
      const { starts, ends } = spans;
      const uid = requireIdBytes(
        bytes,
        starts[columns.userid],
        ends[columns.userid],
        path,
        line,
        'userid',
        'user id',
      );
      const feedId = requireIdBytes(
        bytes,
        starts[columns.feedid],
        ends[columns.feedid],
        path,
        line,
        'feedid',
        'feed id',
      );
      const feedRow = feedTable.feeds.lookup(feedId);
      if (feedRow === undefined) {
        throw new ImportError(
          path,
          `feed ${idText(feedId)} is not in ${basename(files.feedInfo)}`,
          line,
          'feedid',
        );
      }
      const day = parseIntBytes(bytes, starts[columns.date_], ends[columns.date_]);
      if (!Number.isSafeInteger(day)) {
        const problem = Number.isNaN(day) ? 'not an integer day' : 'the day is out of range';
        throw new ImportError(
          path,
          `${problem}: ${quoteField(bytes, starts[columns.date_], ends[columns.date_])}`,
          line,
          'date_',
        );
      }
      const play = parseFloatBytes(bytes, starts[columns.play], ends[columns.play]);
      // Stored as play / 1000 seconds in a float32.
      if (!(play >= 0) || !fitsFloat32(play / 1000)) {
        const problem =
          play >= 0 ? 'play is out of range' : 'play is not a non-negative number of milliseconds';
        throw new ImportError(
          path,
          `${problem}: ${quoteField(bytes, starts[columns.play], ends[columns.play])}`,
          line,
          'play',
        );
      }
      const u = users.intern(uid);
      const before = items.size;
      const i = items.intern(feedId);
      if (i === before) feedRowOfItem.push(feedRow);
      let deviceValue: number | string | null = null;
      if (columns.device !== undefined && columns.device < count) {
        deviceValue = parseIdBytes(bytes, starts[columns.device], ends[columns.device]);
        if (deviceValue === null) countInto(report.missingValues, 'device');
      }
      device.recordIfNew(u, deviceValue);
      user.push(u);
      item.push(i);
      time.push(day);
      label.push(play >= feedTable.durationSeconds[feedRow] * 1000 ? 1 : 0);
      watchTime.push(play / 1000);
    },
    { signal: options.signal, onProgress: progressFor(path, options, () => report.rowsRead) },
  );
  if (result.lines === 0) throw new ImportError(path, 'the file is empty');
  if (user.length === 0) throw new ImportError(path, 'has a header but no rows');

  const feedRows = feedRowOfItem.toArray();
  const pick = (codes: Int32Array) => feedRows.map((row) => codes[row]);
  const durations = new Float32Array(items.size);
  feedRows.forEach((row, i) => (durations[i] = feedTable.durationSeconds[row]));
  const itemDense: DenseFeature[] = [
    {
      name: 'videoplayseconds',
      modality: '',
      dim: 1,
      values: durations,
      present: new Uint8Array(items.size).fill(1),
    },
  ];
  if (files.feedEmbeddings) {
    itemDense.push(await readFeedEmbeddings(files.feedEmbeddings, items, options, report));
  }

  return finalizeImport(
    {
      format: 'wechat',
      name: options.name ?? 'WeChat (Big Data Challenge 2021)',
      userRawIds: users.rawIds,
      itemRawIds: items.rawIds,
      user: user.toArray(),
      item: item.toArray(),
      time: time.toArray(),
      label: label.toArray(),
      watchTime: watchTime.toArray(),
      userFeatures: [device.finish()],
      itemFeatures: [
        { name: 'authorid', codes: pick(feedTable.author), cardinality: feedTable.cardinalities.author },
        { name: 'bgm_song_id', codes: pick(feedTable.song), cardinality: feedTable.cardinalities.song },
        { name: 'bgm_singer_id', codes: pick(feedTable.singer), cardinality: feedTable.cardinalities.singer },
        {
          name: 'manual_tag',
          codes: pick(feedTable.firstTag),
          cardinality: feedTable.cardinalities.firstTag,
        },
      ],
      itemDense,
      report,
    },
    options.filters,
  );
}

/** `feedid,feed_embedding` where the embedding is 512 space-separated floats (often a trailing space). */
async function readFeedEmbeddings(
  path: string,
  items: IdMap,
  options: WeChatImportOptions,
  report: ReturnType<typeof emptyReport>,
): Promise<DenseFeature> {
  const dim = 512;
  const values = new Float32Array(items.size * dim);
  const present = new Uint8Array(items.size);
  let matched = 0;
  let unknown = 0;
  let rows = 0;
  const result = await readLines(
    path,
    (bytes, start, end, line) => {
      if (line === 1) {
        const header = fieldText(bytes, start, end).split(',');
        resolveColumns(path, header, ['feedid', 'feed_embedding'] as const);
        return;
      }
      if (start === end) return;
      rows++;
      const comma = bytes.indexOf(COMMA, start);
      if (comma === -1 || comma >= end) throw new ImportError(path, 'expected "feedid,feed_embedding"', line);
      const feedId = requireIdBytes(bytes, start, comma, path, line, 'feedid', 'feed id');
      const i = items.lookup(feedId);
      if (i === undefined) {
        unknown++;
        return;
      }
      let d = 0;
      let tokenStart = comma + 1;
      for (let p = comma + 1; p <= end; p++) {
        if (p === end || bytes[p] === SPACE) {
          if (p > tokenStart) {
            if (d >= dim) throw new ImportError(path, `more than ${dim} numbers`, line, 'feed_embedding');
            const v = parseFloatBytes(bytes, tokenStart, p);
            if (!fitsFloat32(v)) {
              const problem = Number.isNaN(v) ? 'not a number' : 'out of range';
              throw new ImportError(
                path,
                `${problem} in the embedding: ${quoteField(bytes, tokenStart, p)}`,
                line,
                'feed_embedding',
              );
            }
            values[i * dim + d++] = v;
          }
          tokenStart = p + 1;
        }
      }
      if (d !== dim)
        throw new ImportError(path, `expected ${dim} numbers, found ${d}`, line, 'feed_embedding');
      present[i] = 1;
      matched++;
    },
    { signal: options.signal, onProgress: progressFor(path, options, () => rows) },
  );
  if (result.lines <= 1) throw new ImportError(path, 'the file is empty');
  if (matched === 0) throw new ImportError(path, `none of its ${rows} feeds appear in the interactions`);
  if (unknown) report.warnings.push(`${path}: ${unknown} feeds are not in the interactions and were skipped`);
  if (items.size > matched) countInto(report.missingValues, 'feed_embedding', items.size - matched);
  const reduceTo = options.embeddingDim ?? 64;
  if (reduceTo > 0 && reduceTo < dim) {
    const pca = pcaReduce(values, present, dim, reduceTo);
    report.warnings.push(
      `feed_embedding reduced from ${dim} to ${pca.components} dimensions by PCA (${(pca.explainedVariance * 100).toFixed(1)}% of the variance)`,
    );
    return { name: 'feed_embedding', modality: 'V', dim: pca.components, values: pca.projected, present };
  }
  return { name: 'feed_embedding', modality: 'V', dim, values, present };
}
