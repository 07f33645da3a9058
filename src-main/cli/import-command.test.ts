/**
 * `cascade-lab import` as a user runs it: the real command in a child process, on the fixtures.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BinResult, runBin } from '../app/fixtures/run-bin';
import { openStore } from '../store/index';
import { importRequestFromArgs } from './import-command';
import { UsageError } from './io';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'src-main', 'core', 'node', 'importers', 'fixtures');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-cli-import-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<BinResult> {
  return runBin(dir, args);
}

/** Dataset rows in the database, read independently of the command. */
function storedDatasets(db: string): { id: number; name: string; path: string | null }[] {
  const store = openStore(db);
  try {
    return store.datasets.list().map((d) => ({ id: d.id, name: d.name, path: d.path }));
  } finally {
    store.close();
  }
}

describe('cascade-lab import', () => {
  const db = () => join(dir, 'lab', 'lab.db');
  const folders = () => readdirSync(join(dir, 'lab', 'datasets'));

  it('imports the TikTok fixture, writes the JSON summary, and is a no-op the second time', async () => {
    const train = join(FIXTURES, 'tiktok', 'final_track2_train.txt');
    const audio = join(FIXTURES, 'tiktok', 'track2_audio_features.txt');
    const first = await cli(['import', 'tiktok', train, audio, '--db', db(), '--json', 'first.json']);
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Imported dataset 1 "TikTok \(ICME 2019 track 2\)" \(tiktok\)/);
    const summary = JSON.parse(readFileSync(join(dir, 'first.json'), 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ id: 1, kind: 'tiktok', reused: false, modalities: ['A'] });
    // The fixture has 48 rows, one without a label (finish = -1).
    expect(summary.interactions).toBe(47);
    for (const key of ['users', 'items', 'positives']) expect(summary[key]).toBeGreaterThan(0);
    expect(existsSync(join(String(summary.path), 'meta.json'))).toBe(true);

    const second = await cli(['import', 'tiktok', audio, train, '--db', db(), '--json', 'second.json']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/already stored; nothing imported/);
    const again = JSON.parse(readFileSync(join(dir, 'second.json'), 'utf8')) as Record<string, unknown>;
    expect(again).toMatchObject({ id: 1, reused: true, interactions: 47 });
    expect(storedDatasets(db())).toHaveLength(1);
    expect(folders()).toHaveLength(1);
  });

  it('exits non-zero naming the file, line and column of bad input, and stores nothing', async () => {
    const before = storedDatasets(db());
    const foldersBefore = folders();
    const bad = join(FIXTURES, 'tiktok', 'non_numeric_id.txt');
    const result = await cli(['import', 'tiktok', bad, '--db', db(), '--json', 'bad.json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}, line 4, column "item_id"`);
    expect(result.stderr).toContain('Nothing was stored');
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
    expect(storedDatasets(db())).toEqual(before);
    expect(folders()).toEqual(foldersBefore);

    const wechat = await cli([
      'import',
      'wechat',
      join(FIXTURES, 'wechat', 'unknown_feed_user_action.csv'),
      join(FIXTURES, 'wechat', 'feed_info.csv'),
      '--db',
      db(),
    ]);
    expect(wechat.code).toBe(1);
    expect(wechat.stderr).toMatch(/unknown_feed_user_action\.csv, line 5, column "feedid": feed 777/);
    expect(storedDatasets(db())).toEqual(before);
  });

  it('imports a csv with a column mapping and filters, and refuses one without the label column', async () => {
    const log = join(FIXTURES, 'csv', 'log.csv');
    const result = await cli([
      'import',
      'csv',
      log,
      '--db',
      db(),
      '--name',
      'movie log',
      '--user',
      'user',
      '--item',
      'item',
      '--label',
      'clicked',
      '--time',
      'ts',
      '--weight',
      'dwell',
      '--item-features',
      'genre',
      '--from',
      '2024-05-01T00:00:00Z',
      '--json',
      'csv.json',
    ]);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'csv.json'), 'utf8')) as {
      name: string;
      interactions: number;
      report: { missingValues: Record<string, number> };
    };
    expect(summary.name).toBe('movie log');
    expect(summary.interactions).toBeGreaterThan(0);
    expect(summary.report.missingValues.dwell).toBeGreaterThan(0);

    const usage = await cli(['import', 'csv', log, '--db', db(), '--user', 'user', '--item', 'item']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/needs --label/);
  });
});

describe('importRequestFromArgs', () => {
  it('maps the flags onto an import request with absolute paths', () => {
    const request = importRequestFromArgs('csv', ['log.csv'], {
      user: 'u',
      item: 'i',
      label: 'score',
      time: 't',
      weight: 'w',
      'user-features': 'age, city',
      'item-features': 'genre',
      'label-threshold': '3.5',
      'min-user': '5',
      'min-item': '3',
      from: '10',
      to: '20',
      sample: '0.25',
      seed: '7',
    });
    expect(request).toEqual({
      format: 'csv',
      paths: [join(process.cwd(), 'log.csv')],
      filters: {
        minUserInteractions: 5,
        minItemInteractions: 3,
        timeFrom: 10,
        timeTo: 20,
        userSampleFraction: 0.25,
        sampleSeed: 7,
      },
      mapping: {
        user: 'u',
        item: 'i',
        label: 'score',
        timestamp: 't',
        weight: 'w',
        userFeatures: ['age', 'city'],
        itemFeatures: ['genre'],
        labelThreshold: 3.5,
      },
    });
    expect(importRequestFromArgs('wechat', ['/a/user_action.csv'], { 'embedding-dim': '32' })).toMatchObject({
      embeddingDim: 32,
    });
  });

  it('refuses flags that do not fit the format or are out of range', () => {
    expect(() => importRequestFromArgs('parquet', ['x'], {})).toThrow(UsageError);
    expect(() => importRequestFromArgs('tiktok', [], {})).toThrow(/needs the file paths/);
    expect(() => importRequestFromArgs('tiktok', ['x'], { user: 'u' })).toThrow(/--user applies to csv/);
    expect(() => importRequestFromArgs('tiktok', ['x'], { 'embedding-dim': '8' })).toThrow(/wechat/);
    expect(() => importRequestFromArgs('tiktok', ['x'], { sample: '1.5' })).toThrow(/--sample/);
    expect(() => importRequestFromArgs('tiktok', ['x'], { 'min-user': '-1' })).toThrow(/--min-user/);
    expect(() => importRequestFromArgs('tiktok', ['x'], { from: 'yesterday' })).toThrow(/--from/);
  });
});
