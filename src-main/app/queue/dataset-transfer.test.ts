import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readProcessed } from '../../core/node/importers/processed';
import { runImport } from '../../core/node/importers/run-import';
import {
  DATASET_KEY_PREFIX,
  DATASET_TTL_SECONDS,
  fetchDataset,
  manifestKey,
  publishDataset,
  VERIFIED_MARKER,
} from './dataset-transfer';
import { connectRedis } from './redis-url';
import { startRedisServer, type RedisServerHandle } from './local-redis';

const tiktok = (name: string) => join(import.meta.dirname, '../../core/node/importers/fixtures/tiktok', name);

let server: RedisServerHandle;
let redis: Redis;
let work: string;
/** A processed dataset as the workbench stores it: the TikTok fixture through the importer. */
let dataset: string;
/** Small chunks, so that the fixture's files span several. */
const chunkBytes = 1024;

beforeAll(async () => {
  server = await startRedisServer();
  redis = connectRedis(server.url, { maxRetriesPerRequest: 0 });
  work = mkdtempSync(join(tmpdir(), 'cascade-dataset-transfer-'));
  dataset = join(work, 'stored', 'tiny-tiktok');
  await runImport(
    {
      format: 'tiktok',
      name: 'tiny tiktok',
      paths: [
        tiktok('final_track2_train.txt'),
        tiktok('track2_video_features.txt'),
        tiktok('track2_title.txt'),
      ],
    },
    dataset,
  );
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

let cacheRoot: string;
beforeEach(async () => {
  await redis.flushdb();
  cacheRoot = mkdtempSync(join(work, 'worker-'));
});

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

async function datasetKeys(): Promise<string[]> {
  return (await redis.keys(`${DATASET_KEY_PREFIX}*`)).sort();
}

describe('publishDataset and fetchDataset', () => {
  it('carry a processed dataset folder through Redis, byte for byte', async () => {
    const ref = await publishDataset(redis, dataset, { chunkBytes });
    const names = readdirSync(dataset).sort();
    expect(ref.files.map((file) => file.name)).toEqual(names);
    expect(names).toEqual(
      expect.arrayContaining(['meta.json', 'profile.json', 'user.i32', 'item_dense_0.f32']),
    );
    expect(ref.bytes).toBe(ref.files.reduce((sum, file) => sum + file.bytes, 0));
    const largest = Math.max(...ref.files.map((file) => file.bytes));
    expect(largest).toBeGreaterThan(2 * chunkBytes);
    // The hash is the manifest's, as Redis holds it.
    expect(sha256((await redis.getBuffer(manifestKey(ref.hash))) as Buffer)).toBe(ref.hash);
    const ttl = await redis.ttl(manifestKey(ref.hash));
    expect(ttl).toBeGreaterThan(DATASET_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(DATASET_TTL_SECONDS);

    const fetched = await fetchDataset(redis, ref, cacheRoot);
    expect(fetched).toBe(join(cacheRoot, 'datasets', ref.hash));
    expect(readdirSync(fetched).sort()).toEqual([VERIFIED_MARKER, ...names].sort());
    for (const name of names)
      expect(readFileSync(join(fetched, name)).equals(readFileSync(join(dataset, name)))).toBe(true);
    const [original, copy] = await Promise.all([readProcessed(dataset), readProcessed(fetched)]);
    expect(copy.numUsers).toBe(original.numUsers);
    expect(Array.from(copy.item)).toEqual(Array.from(original.item));
    expect(Array.from(copy.itemDense[0].values)).toEqual(Array.from(original.itemDense[0].values));
    // Nothing else is left beside it: the temp folder was renamed into place.
    expect(readdirSync(join(cacheRoot, 'datasets'))).toEqual([ref.hash]);
  });

  it('serves a verified copy from the cache without asking Redis', async () => {
    const ref = await publishDataset(redis, dataset, { chunkBytes });
    const first = await fetchDataset(redis, ref.hash, cacheRoot);
    await redis.flushdb();
    const again = await fetchDataset(redis, ref.hash, cacheRoot);
    expect(again).toBe(first);
    expect(readFileSync(join(again, 'meta.json')).equals(readFileSync(join(dataset, 'meta.json')))).toBe(
      true,
    );
    // A second worker with its own cache has nothing to go on: the hit came from the cache.
    await expect(fetchDataset(redis, ref.hash, mkdtempSync(join(work, 'other-')))).rejects.toThrow(
      'is not on the queue',
    );
  });

  it('lets two jobs of one worker fetch the same dataset at once', async () => {
    const ref = await publishDataset(redis, dataset, { chunkBytes });
    const folders = await Promise.all([1, 2, 3].map(() => fetchDataset(redis, ref, cacheRoot)));
    expect(new Set(folders)).toEqual(new Set([join(cacheRoot, 'datasets', ref.hash)]));
    expect(readdirSync(join(cacheRoot, 'datasets'))).toEqual([ref.hash]);
    expect(readdirSync(folders[0]).length).toBe(ref.files.length + 1);
  });

  it('refuses a corrupted chunk, naming the file, and keeps nothing of it', async () => {
    const ref = await publishDataset(redis, dataset, { chunkBytes });
    const index = ref.files.findIndex((file) => file.bytes > 2 * chunkBytes);
    const key = `${DATASET_KEY_PREFIX}${ref.hash}:${index}:1`;
    const chunk = (await redis.getBuffer(key)) as Buffer;
    chunk[100] ^= 0xff;
    await redis.set(key, chunk);
    await expect(fetchDataset(redis, ref, cacheRoot)).rejects.toThrow(
      new RegExp(
        `dataset ${ref.hash}: ${ref.files[index].name.replace('.', '\\.')} does not match its sha256`,
      ),
    );
    expect(readdirSync(join(cacheRoot, 'datasets'))).toEqual([]);

    await redis.del(key);
    await expect(fetchDataset(redis, ref, cacheRoot)).rejects.toThrow(
      `chunk 1 of ${ref.files[index].name} is missing from the queue's Redis`,
    );
    expect(readdirSync(join(cacheRoot, 'datasets'))).toEqual([]);
  });

  it.each(['../x', '/etc/passwd', '..', '.', 'a/b', VERIFIED_MARKER, '', 'x'.repeat(129)])(
    'refuses a manifest naming the file %j and writes nothing outside the cache',
    async (name) => {
      // A manifest made by hand (as a hostile or broken publisher would): its hash is right.
      const content = 'pwned\n';
      const manifest = JSON.stringify({ files: [{ name, bytes: content.length, sha256: sha256(content) }] });
      const hash = sha256(manifest);
      await redis.set(manifestKey(hash), manifest);
      await redis.set(`${DATASET_KEY_PREFIX}${hash}:0:0`, content);
      const cache = join(cacheRoot, 'cache');
      mkdirSync(cache);
      await expect(fetchDataset(redis, hash, cache)).rejects.toThrow(
        `dataset ${hash}: refusing its manifest: file name ${JSON.stringify(name)} is not one plain, unique file name`,
      );
      expect(readdirSync(cacheRoot)).toEqual(['cache']);
      expect(readdirSync(cache)).toEqual([]);
      expect(existsSync(join(cache, 'datasets'))).toBe(false);
    },
  );

  it('refuses a manifest that does not match its hash, and a hash that is not one', async () => {
    const ref = await publishDataset(redis, dataset, { chunkBytes });
    const manifest = ((await redis.get(manifestKey(ref.hash))) as string).replace('"bytes":', '"bytes": ');
    await redis.set(manifestKey(ref.hash), manifest);
    await expect(fetchDataset(redis, ref.hash, cacheRoot)).rejects.toThrow(
      `dataset ${ref.hash}: the manifest on Redis does not match its hash`,
    );
    await expect(fetchDataset(redis, '../../etc', cacheRoot)).rejects.toThrow(
      'not a dataset hash (64 lowercase hex digits): "../../etc"',
    );
    await expect(fetchDataset(redis, ref.hash.toUpperCase(), cacheRoot)).rejects.toThrow(
      'not a dataset hash',
    );
    expect(readdirSync(cacheRoot)).toEqual([]);
  });

  it('says clearly when the dataset is not on Redis', async () => {
    const hash = sha256('never published');
    await expect(fetchDataset(redis, hash, cacheRoot)).rejects.toThrow(
      `dataset ${hash} is not on the queue's Redis (expired or never published)`,
    );
  });

  it('publishes idempotently, refreshing the TTL and re-sending chunks that are gone', async () => {
    const first = await publishDataset(redis, dataset, { chunkBytes, ttlSeconds: 100 });
    const keys = await datasetKeys();
    expect(keys.length).toBeGreaterThan(first.files.length + 1);
    const second = await publishDataset(redis, dataset, { chunkBytes });
    expect(second).toEqual(first);
    expect(await datasetKeys()).toEqual(keys);
    for (const key of keys) expect(await redis.ttl(key)).toBeGreaterThan(100);

    // Evicted under memory pressure: the next publish puts it back.
    const evicted = keys.find((key) => key.endsWith(':0:0')) as string;
    await redis.del(evicted);
    await publishDataset(redis, dataset, { chunkBytes });
    expect(await datasetKeys()).toEqual(keys);
    await expect(fetchDataset(redis, first, cacheRoot)).resolves.toBe(
      join(cacheRoot, 'datasets', first.hash),
    );
  });

  it('names the same content with the same hash, whatever the folder or the chunk size', async () => {
    const copy = join(work, 'copy-of-dataset');
    mkdirSync(copy, { recursive: true });
    for (const name of readdirSync(dataset))
      writeFileSync(join(copy, name), readFileSync(join(dataset, name)));
    const a = await publishDataset(redis, dataset, { chunkBytes });
    const b = await publishDataset(redis, copy);
    expect(b.hash).toBe(a.hash);
    writeFileSync(join(copy, 'meta.json'), `${readFileSync(join(copy, 'meta.json'))} `);
    expect((await publishDataset(redis, copy)).hash).not.toBe(a.hash);
    mkdirSync(join(copy, 'nested'));
    await expect(publishDataset(redis, copy)).rejects.toThrow(
      `${join(copy, 'nested')}: a dataset folder holds only plain files`,
    );
    rmSync(copy, { recursive: true, force: true });
  });
});
