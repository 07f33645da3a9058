import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError } from './errors';
import { importGenericLog, previewLog } from './generic';
import { finalizeImport, kCore, readProcessed, timeOrder, writeProcessed, type RawImport } from './processed';
import { profileDataset } from './profile';
import { identifyTikTokFiles, importTikTok } from './tiktok';
import { identifyWeChatFiles, importWeChat } from './wechat';

const fixtures = join(import.meta.dirname, 'fixtures');
const tiktok = (name: string) => join(fixtures, 'tiktok', name);
const wechat = (name: string) => join(fixtures, 'wechat', name);

/** Independent reading of the TikTok fixture with plain string splitting, to check the fast parser. */
async function referenceTikTok(path: string) {
  const rows = (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t').map(Number));
  return rows.filter((r) => r[6] !== -1);
}

describe('TikTok importer', () => {
  it('imports the train file with ids remapped, time order and labels', async () => {
    const expected = await referenceTikTok(tiktok('final_track2_train.txt'));
    const data = await importTikTok({ train: tiktok('final_track2_train.txt') });
    expect(data.user.length).toBe(expected.length);
    expect(data.report.rowsDropped['label missing (finish = -1)']).toBe(1);
    expect(data.numUsers).toBe(new Set(expected.map((r) => r[0])).size);
    expect(data.numItems).toBe(new Set(expected.map((r) => r[2])).size);
    for (let k = 1; k < data.time.length; k++) expect(data.time[k]).toBeGreaterThanOrEqual(data.time[k - 1]);
    // Every imported row maps back to a row of the file with the same label and time.
    const key = (u: number, i: number, t: number, y: number) => `${u}/${i}/${t}/${y}`;
    const fileRows = expected.map((r) => key(r[0], r[2], r[10], r[6])).sort();
    const imported = Array.from(data.user, (u, k) =>
      key(Number(data.userRawIds[u]), Number(data.itemRawIds[data.item[k]]), data.time[k], data.label[k]),
    ).sort();
    expect(imported).toEqual(fileRows);
    expect(data.report.missingValues.user_city).toBe(expected.filter((r) => r[1] === -1).length);
  });

  it('matches the optional feature files to items, counting what does not match', async () => {
    const files = identifyTikTokFiles([
      tiktok('track2_video_features.txt'),
      tiktok('final_track2_train.txt'),
      tiktok('track2_audio_features.txt'),
      tiktok('track2_title.txt'),
      tiktok('track2_face_attrs.txt'),
    ]);
    expect(files.train).toBe(tiktok('final_track2_train.txt'));
    const data = await importTikTok(files);
    expect(data.itemDense.map((f) => [f.name, f.modality, f.dim])).toEqual([
      ['video', 'V', 128],
      ['audio', 'A', 128],
      ['title', 'T', 64],
    ]);
    expect(data.report.warnings.some((w) => w.includes('1 items are not in the interactions'))).toBe(true);
    const profile = profileDataset(data);
    expect(profile.modalities).toEqual(['V', 'A', 'T']);
    const audio = profile.featureCoverage.find((f) => f.name === 'audio');
    expect(audio?.coverage).toBeLessThan(1);
    // The vector of raw item 100 lands on its dense index.
    const line = (await readFile(tiktok('track2_video_features.txt'), 'utf8')).split('\n')[0];
    const first = JSON.parse(line) as { item_id: number; video_feature_dim_128: number[] };
    const dense = data.itemRawIds.indexOf(first.item_id);
    const video = data.itemDense[0];
    expect(Array.from(video.values.subarray(dense * 128, dense * 128 + 3))).toEqual(
      first.video_feature_dim_128.slice(0, 3).map((v) => Math.fround(v)),
    );
  });

  it.each([
    ['bad_separator.txt', /line 1: found no tab/],
    ['truncated.txt', /line 7: has 7 columns, expected 12 \(the last line looks truncated\)/],
    ['non_numeric_id.txt', /line 4, column "item_id"/],
    ['empty.txt', /the file is empty/],
    ['does_not_exist.txt', /cannot open the file/],
  ])('rejects %s with a clear error', async (file, message) => {
    const error = await importTikTok({ train: tiktok(file) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(file);
  });

  it('rejects a feature file whose items do not match', async () => {
    await expect(
      importTikTok({
        train: tiktok('final_track2_train.txt'),
        video: tiktok('mismatched_video_features.txt'),
      }),
    ).rejects.toThrow(/mismatched_video_features.txt: none of its 5 items appear in the interactions/);
  });

  it('can be cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      importTikTok({ train: tiktok('final_track2_train.txt') }, { signal: controller.signal }),
    ).rejects.toThrow(/cancelled/);
  });
});

describe('WeChat importer', () => {
  it('labels finish playing as play >= videoplayseconds * 1000 and keeps watch time', async () => {
    const files = identifyWeChatFiles([wechat('user_action.csv'), wechat('feed_info.csv')]);
    const data = await importWeChat(files);
    const feeds = new Map(
      (await readFile(wechat('feed_info.csv'), 'utf8'))
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .map((f) => [Number(f[0]), Number(f[2])]),
    );
    const actions = (await readFile(wechat('user_action.csv'), 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    expect(data.user.length).toBe(actions.length);
    // Same day keeps file order, so the k-th imported row is the k-th action (days ascend in the file).
    actions.forEach((a, k) => {
      expect(data.userRawIds[data.user[k]]).toBe(a[0]);
      expect(data.itemRawIds[data.item[k]]).toBe(a[1]);
      expect(data.label[k]).toBe(a[7] >= (feeds.get(a[1]) ?? 0) * 1000 ? 1 : 0);
      expect(data.watchTime[k]).toBeCloseTo(a[7] / 1000, 5);
    });
    expect(data.itemFeatures.map((f) => f.name)).toEqual([
      'authorid',
      'bgm_song_id',
      'bgm_singer_id',
      'manual_tag',
    ]);
    expect(data.report.missingValues.bgm_song_id).toBeGreaterThan(0);
  });

  it('reduces the 512-d feed embeddings by PCA', async () => {
    const data = await importWeChat(
      {
        userAction: wechat('user_action.csv'),
        feedInfo: wechat('feed_info.csv'),
        feedEmbeddings: wechat('feed_embeddings.csv'),
      },
      { embeddingDim: 4 },
    );
    const embedding = data.itemDense.find((f) => f.name === 'feed_embedding');
    expect(embedding?.dim).toBe(4);
    expect(data.report.warnings.some((w) => w.includes('reduced from 512 to 4'))).toBe(true);
  });

  it.each([
    ['missing_column_user_action.csv', /line 1, column "play": missing column "play"/],
    ['unknown_feed_user_action.csv', /line 5, column "feedid": feed 777 is not in feed_info.csv/],
    [
      'semicolon_user_action.csv',
      /missing column "userid" \(only one column found: is the separator right\?\)/,
    ],
  ])('rejects %s with a clear error', async (file, message) => {
    await expect(
      importWeChat({ userAction: wechat(file), feedInfo: wechat('feed_info.csv') }),
    ).rejects.toThrow(message);
  });
});

describe('generic log importer', () => {
  it('previews JSON lines with objects and arrays shown as their JSON, not "[object Object]"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'preview-'));
    const path = join(dir, 'log.jsonl');
    await writeFile(path, '{"u": {"id": 1}, "i": [1, 2], "y": 1}\n{"u": "b", "i": "x", "y": 0}\n');
    const preview = await previewLog(path, 5);
    expect(preview.rows).toEqual([
      ['{"id":1}', '[1,2]', '1'],
      ['b', 'x', '0'],
    ]);
    await rm(dir, { recursive: true });
  });

  it('previews a CSV with quoted fields and maps columns', async () => {
    const path = join(fixtures, 'csv', 'log.csv');
    const preview = await previewLog(path, 5);
    expect(preview.format).toBe('csv');
    expect(preview.columns).toEqual(['user', 'item', 'clicked', 'ts', 'dwell', 'age_group', 'genre']);
    expect(preview.rows[0][1]).toMatch(/^movie \d$/);
    const data = await importGenericLog(path, {
      mapping: {
        user: 'user',
        item: 'item',
        label: 'clicked',
        timestamp: 'ts',
        weight: 'dwell',
        userFeatures: ['age_group'],
        itemFeatures: ['genre'],
      },
    });
    expect(data.user.length).toBe(40);
    expect(data.report.missingValues.dwell).toBeGreaterThan(0);
    expect(data.itemFeatures[0].name).toBe('genre');
    for (let k = 1; k < data.time.length; k++) expect(data.time[k]).toBeGreaterThanOrEqual(data.time[k - 1]);
  });

  it('imports JSON lines and names a missing column', async () => {
    const path = join(fixtures, 'csv', 'log.jsonl');
    const data = await importGenericLog(path, {
      mapping: { user: 'uid', item: 'iid', label: 'y', timestamp: 't', weight: 'w' },
    });
    expect(data.user.length).toBe(30);
    await expect(
      importGenericLog(join(fixtures, 'csv', 'log.csv'), {
        mapping: { user: 'who', item: 'item', label: 'clicked' },
      }),
    ).rejects.toThrow(/column "who": missing column "who"/);
  });
});

describe('filters, ordering and storage', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cascade-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('k-core keeps exactly the rows whose user and item both reach the minimum', () => {
    // users 0,0,0,1 ; items 0,1,0,0 -> with min 2: item 1 has 1 row (drop), then user 0 has 2, user 1 has 1 (drop) ...
    const user = Int32Array.from([0, 0, 0, 1]);
    const item = Int32Array.from([0, 1, 0, 0]);
    const keep = new Uint8Array(4).fill(1);
    const dropped = kCore(user, item, keep, 2, 2, 2, 2);
    expect(Array.from(keep)).toEqual([1, 0, 1, 0]);
    expect(dropped).toBe(2);
  });

  it('orders by time stably, radix and comparison paths alike', () => {
    const keep = new Uint8Array(6).fill(1);
    expect(Array.from(timeOrder(Float64Array.from([5, 1, 5, 70000, 1, 0]), keep))).toEqual([
      5, 1, 4, 0, 2, 3,
    ]);
    expect(Array.from(timeOrder(Float64Array.from([5.5, 1, 5.5, 7, 1, 0]), keep))).toEqual([
      5, 1, 4, 0, 2, 3,
    ]);
  });

  it('writes and reads back the processed columns', async () => {
    const raw: RawImport = {
      format: 'csv',
      name: 'tiny',
      userRawIds: ['a', 'b'],
      itemRawIds: [10, 20, 30],
      user: Int32Array.from([0, 1, 0, 1]),
      item: Int32Array.from([0, 1, 2, 0]),
      time: Float64Array.from([4, 3, 2, 1]),
      label: Uint8Array.from([1, 0, 1, 1]),
      watchTime: Float32Array.from([1.5, 0, 2, 3]),
      userFeatures: [{ name: 'city', codes: Int32Array.from([1, 0]), cardinality: 2 }],
      itemFeatures: [],
      itemDense: [],
      report: { rowsRead: 4, rowsKept: 4, rowsDropped: {}, missingValues: {}, warnings: [] },
    };
    const data = finalizeImport(raw, { timeFrom: 2 });
    expect(data.user.length).toBe(3);
    expect(data.userRawIds).toEqual(['a', 'b']);
    expect(Array.from(data.time)).toEqual([2, 3, 4]);
    const target = join(dir, 'tiny');
    await writeProcessed(target, data);
    const back = await readProcessed(target);
    expect(Array.from(back.user)).toEqual(Array.from(data.user));
    expect(Array.from(back.watchTime)).toEqual(Array.from(data.watchTime));
    expect(back.userFeatures[0].codes).toEqual(data.userFeatures[0].codes);
    await writeFile(join(target, 'user.i32'), Buffer.alloc(4));
    await expect(readProcessed(target)).rejects.toThrow(/user.i32: holds 1 rows, meta.json says 3/);
  });
});

describe('into the engine', () => {
  it('turns an imported dataset into a CascadeDataset with a category and standardised dense features', async () => {
    const { toCascadeDataset } = await import('./to-cascade');
    const data = await importTikTok({
      train: tiktok('final_track2_train.txt'),
      video: tiktok('track2_video_features.txt'),
    });
    const cascade = toCascadeDataset(data);
    expect(cascade.numUsers).toBe(data.numUsers);
    expect(cascade.interactions.user.length).toBe(data.user.length);
    expect(cascade.denseDim).toBe(128);
    expect(cascade.numCategories).toBe(data.itemFeatures.find((f) => f.name === 'author_id')?.cardinality);
    let mean = 0;
    for (let i = 0; i < cascade.numItems; i++) mean += cascade.itemDense[i * 128];
    expect(Math.abs(mean / cascade.numItems)).toBeLessThan(1e-5);
    expect(() => toCascadeDataset(data, 'nope')).toThrow(/no item feature "nope"/);
    // The authors' DSSM and DeepFM read TikTok's author, music and city as item fields.
    expect(cascade.itemFields?.map((f) => f.name)).toEqual(['author_id', 'item_city', 'music_id']);
    const author = data.itemFeatures.find((f) => f.name === 'author_id');
    expect(cascade.itemFields?.[0].codes).toBe(author?.codes);
  });

  it("carries WeChat's author, song and singer (not the manual tag) as item fields", async () => {
    const { toCascadeDataset } = await import('./to-cascade');
    const data = await importWeChat({
      userAction: wechat('user_action.csv'),
      feedInfo: wechat('feed_info.csv'),
    });
    const cascade = toCascadeDataset(data);
    expect(cascade.itemFields?.map((f) => f.name)).toEqual(['authorid', 'bgm_song_id', 'bgm_singer_id']);
    for (const field of cascade.itemFields ?? []) {
      expect(field.codes).toHaveLength(cascade.numItems);
      expect(Math.max(...field.codes)).toBeLessThan(field.cardinality);
    }
  });
});

describe('ids and text kept exactly', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cascade-import-exact-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };
  // 2^53 + 1 and 2^53: one double, two users.
  const ABOVE = '9007199254740993';
  const AT = '9007199254740992';
  const row = (uid: string, item: string) => `${uid}\t-1\t${item}\t4\t5\t0\t1\t0\t6\t7\t53000000\t10`;

  it('TikTok: uids beyond 2^53 stay distinct, a 400-digit uid is kept, a BOM is skipped', async () => {
    const long = '9'.repeat(400);
    const train = await file(
      'final_track2_train.txt',
      `\ufeff${[row(ABOVE, '3'), row(AT, '3'), row(`00${ABOVE}`, '4'), row('7', AT), row(long, '3')].join('\n')}\n`,
    );
    const data = await importTikTok({ train });
    expect(data.numUsers).toBe(4);
    expect([...data.userRawIds].sort()).toEqual([7, AT, ABOVE, long].sort());
    expect(data.itemRawIds).toContain(AT);
    // Leading zeros name the same id, as they do for small ids.
    expect(data.user.filter((u) => data.userRawIds[u] === ABOVE)).toHaveLength(2);
  });

  it('csv: ids beyond 2^53 stay distinct; valid "café" spellings are three items', async () => {
    const nfc = 'café';
    const nfd = 'cafe\u0301';
    const grave = 'cafè';
    const log = await file(
      'log.csv',
      ['user,item,label', `${ABOVE},${nfc},1`, `${AT},${nfd},0`, `7,${grave},1`, `"7",${nfc},1`].join('\n'),
    );
    const data = await importGenericLog(log, { mapping: { user: 'user', item: 'item', label: 'label' } });
    expect(data.numUsers).toBe(3);
    expect([...data.userRawIds].sort()).toEqual([7, AT, ABOVE].sort());
    expect([...data.itemRawIds].sort()).toEqual([nfc, nfd, grave].sort());
  });

  it('JSON lines: big ids as strings stay distinct; 7 and "7" are one user', async () => {
    const log = await file(
      'log.jsonl',
      [
        { u: ABOVE, i: 1, y: 1 },
        { u: AT, i: 1, y: 0 },
        { u: 7, i: 2, y: 1 },
        { u: '7', i: 2, y: 0 },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const data = await importGenericLog(log, { mapping: { user: 'u', item: 'i', label: 'y' } });
    expect([...data.userRawIds].sort()).toEqual([7, AT, ABOVE].sort());
  });

  it('WeChat: feed ids beyond 2^53 match between the two files exactly', async () => {
    const feedInfo = await file(
      'feed_info.csv',
      `feedid,authorid,videoplayseconds\n${ABOVE},1,10\n${AT},2,20\n`,
    );
    const userAction = await file(
      'user_action.csv',
      `userid,feedid,date_,play\n1,${AT},1,25000\n2,${ABOVE},1,500\n`,
    );
    const data = await importWeChat({ userAction, feedInfo }, { embeddingDim: 0 });
    expect([...data.itemRawIds].sort()).toEqual([AT, ABOVE].sort());
    // The label uses each feed's own duration: 25 s of the 20 s feed finished it, 0.5 s of 10 s did not.
    const labelOf = (feed: string) => data.label[data.item.findIndex((i) => data.itemRawIds[i] === feed)];
    expect(labelOf(AT)).toBe(1);
    expect(labelOf(ABOVE)).toBe(0);
  });

  it('WeChat: song and singer ids written as decimals ("25252.0", as pandas writes them) are those integers', async () => {
    const feedInfo = await file(
      'feed_info.csv',
      'feedid,authorid,videoplayseconds,bgm_song_id,bgm_singer_id\n1,1,10,25252.0,7.0\n2,2,20,25252,7\n3,3,30,,\n4,4,40,NaN,30.0\n',
    );
    const userAction = await file(
      'user_action.csv',
      'userid,feedid,date_,play\n1,1,1,25000\n1,2,1,500\n2,3,1,500\n2,4,1,500\n',
    );
    const data = await importWeChat({ userAction, feedInfo }, { embeddingDim: 0 });
    const field = (name: string) => data.itemFeatures.find((f) => f.name === name);
    const song = field('bgm_song_id');
    const singer = field('bgm_singer_id');
    const itemOf = (feed: number) => data.itemRawIds.indexOf(feed);
    expect(song?.codes).toHaveLength(4);
    expect(singer?.codes).toHaveLength(4);
    // Feeds 1 and 2 share song 25252 and singer 7, however written; 3 and 4 have no song.
    expect(song?.codes[itemOf(1)]).toBe(song?.codes[itemOf(2)]);
    expect(singer?.codes[itemOf(1)]).toBe(singer?.codes[itemOf(2)]);
    expect(singer?.codes[itemOf(4)]).not.toBe(singer?.codes[itemOf(1)]);
    expect(data.report.missingValues.bgm_song_id).toBe(2);
    expect(data.report.missingValues.bgm_singer_id).toBe(1);
  });
});
