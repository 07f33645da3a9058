/**
 * Stored datasets travel to workers through the queue's own Redis, by content hash. Workers talk
 * only to Redis: no shared file system, no second port to open or secure, and the same password
 * and TLS as the jobs. (The host's HTTP API would need every worker to reach the coordinator's
 * machine; an S3 store such as MinIO is one more service to run.) Redis holds a dataset as its
 * manifest plus its files cut into 1 MiB chunks, each key with a TTL that every publish
 * refreshes, so that an unused dataset leaves Redis's memory on its own.
 *
 *   cascade-lab:dataset:<hash>:manifest        {"files":[{"name","bytes","sha256"}, ...]}
 *   cascade-lab:dataset:<hash>:<file>:<chunk>  the file's bytes, chunk by chunk, in order
 *
 * `<hash>` is the sha256 of the manifest's text, so the hash names the exact bytes of every file.
 * A worker caches what it fetched under `<cacheRoot>/datasets/<hash>`, downloaded into a temp
 * folder beside it, checked file by file, marked `.verified` and renamed into place: a cached
 * folder is whole or absent. Nothing on the queue chooses a path: the hash and every file name
 * are checked against narrow patterns before anything is written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import {
  SHA256_HEX,
  isDatasetFileName,
  type DatasetFile,
  type DatasetRef,
} from '../../contract/queue-payload';

export type { DatasetFile, DatasetRef };

export interface PublishDatasetOptions {
  /** Seconds the dataset's keys live after this publish; default 7 days. */
  ttlSeconds?: number;
  /** Bytes per chunk key; default 1 MiB. Fetching does not need to know it. */
  chunkBytes?: number;
}

export const DATASET_KEY_PREFIX = 'cascade-lab:dataset:';
export const DATASET_TTL_SECONDS = 7 * 24 * 3600;
export const DATASET_CHUNK_BYTES = 1 << 20;
/** Written last into a fetched folder, before it is renamed into place. */
export const VERIFIED_MARKER = '.verified';

/** Chunks asked of Redis in one round trip (at most this many MiB in memory). */
const CHUNKS_PER_BATCH = 8;

/** A dataset that cannot be published or fetched; the message says which and why. */
export class DatasetTransferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetTransferError';
  }
}

export function manifestKey(hash: string): string {
  return `${DATASET_KEY_PREFIX}${hash}:manifest`;
}

function chunkKey(hash: string, file: number, chunk: number): string {
  return `${DATASET_KEY_PREFIX}${hash}:${file}:${chunk}`;
}

/** The manifest's text: files by name, keys in a fixed order, so that equal folders hash equal. */
function manifestText(files: DatasetFile[]): string {
  return JSON.stringify({ files: files.map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 })) });
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Puts the folder's files on Redis and returns the reference a job carries. Idempotent: when the
 * dataset is already there, it only refreshes the TTL (and re-sends it if any chunk has expired).
 */
export async function publishDataset(
  redis: Redis,
  folder: string,
  options: PublishDatasetOptions = {},
): Promise<DatasetRef> {
  const ttl = options.ttlSeconds ?? DATASET_TTL_SECONDS;
  const chunkBytes = options.chunkBytes ?? DATASET_CHUNK_BYTES;
  if (!(Number.isInteger(ttl) && ttl > 0))
    throw new RangeError(`ttlSeconds must be a positive integer, not ${ttl}`);
  if (!(Number.isInteger(chunkBytes) && chunkBytes > 0)) {
    throw new RangeError(`chunkBytes must be a positive integer, not ${chunkBytes}`);
  }
  const files = await describeFolder(folder);
  const manifest = manifestText(files);
  const hash = sha256Hex(manifest);
  const ref: DatasetRef = { hash, files, bytes: files.reduce((sum, file) => sum + file.bytes, 0) };

  if (await refreshTtl(redis, hash, files, chunkBytes, ttl)) return ref;
  for (const [index, file] of files.entries()) {
    let batch = redis.pipeline();
    let inBatch = 0;
    let chunk = 0;
    for await (const bytes of readChunks(join(folder, file.name), chunkBytes)) {
      batch.set(chunkKey(hash, index, chunk++), bytes, 'EX', ttl);
      if (++inBatch === CHUNKS_PER_BATCH) {
        await execOrThrow(batch);
        batch = redis.pipeline();
        inBatch = 0;
      }
    }
    if (inBatch > 0) await execOrThrow(batch);
  }
  // Last: a manifest on Redis means all its chunks are there.
  await redis.set(manifestKey(hash), manifest, 'EX', ttl);
  return ref;
}

/**
 * When the manifest is on Redis, pushes back the expiry of it and of every chunk; false when it
 * is not, or a chunk is gone (evicted, or expired before the manifest), so that all are re-sent.
 */
async function refreshTtl(
  redis: Redis,
  hash: string,
  files: DatasetFile[],
  chunkBytes: number,
  ttl: number,
): Promise<boolean> {
  if ((await redis.exists(manifestKey(hash))) === 0) return false;
  const batch = redis.pipeline();
  batch.expire(manifestKey(hash), ttl);
  // The chunks as this publish would cut them; another chunk size means a re-send, still correct.
  for (const [index, file] of files.entries()) {
    const chunks = Math.max(1, Math.ceil(file.bytes / chunkBytes));
    for (let chunk = 0; chunk < chunks; chunk++) batch.expire(chunkKey(hash, index, chunk), ttl);
  }
  const results = await execOrThrow(batch);
  return results.every((refreshed) => refreshed === 1);
}

async function execOrThrow(batch: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = (await batch.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** The folder's files, by name, with their sizes and digests; refuses what a manifest cannot hold. */
async function describeFolder(folder: string): Promise<DatasetFile[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const files: DatasetFile[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name === VERIFIED_MARKER) continue;
    if (!entry.isFile()) {
      throw new DatasetTransferError(`${join(folder, entry.name)}: a dataset folder holds only plain files`);
    }
    if (!isDatasetFileName(entry.name)) {
      throw new DatasetTransferError(
        `${join(folder, entry.name)}: file names on the queue are letters, digits, '.', '_' and '-'`,
      );
    }
    const digest = createHash('sha256');
    let bytes = 0;
    for await (const chunk of readChunks(join(folder, entry.name), DATASET_CHUNK_BYTES)) {
      digest.update(chunk);
      bytes += chunk.length;
    }
    files.push({ name: entry.name, bytes, sha256: digest.digest('hex') });
  }
  if (files.length === 0) throw new DatasetTransferError(`${folder}: no files to publish`);
  return files;
}

/** The file in chunks of exactly `size` bytes (the last one shorter; one empty chunk for an empty file). */
async function* readChunks(path: string, size: number): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    for (let position = 0, first = true; ; first = false) {
      const buffer = Buffer.alloc(size);
      let filled = 0;
      while (filled < size) {
        const { bytesRead } = await handle.read(buffer, filled, size - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled > 0 || first) yield buffer.subarray(0, filled);
      if (filled < size) return;
      position += filled;
    }
  } finally {
    await handle.close();
  }
}

/**
 * The dataset's folder in the worker's cache: `<cacheRoot>/datasets/<hash>`, fetched from Redis
 * and verified unless a verified copy is already there (then without asking Redis anything).
 */
export async function fetchDataset(
  redis: Redis,
  dataset: DatasetRef | string,
  cacheRoot: string,
): Promise<string> {
  const hash = typeof dataset === 'string' ? dataset : dataset.hash;
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
    throw new DatasetTransferError(`not a dataset hash (64 lowercase hex digits): ${JSON.stringify(hash)}`);
  }
  const datasets = join(resolve(cacheRoot), 'datasets');
  const target = join(datasets, hash);
  if (existsSync(join(target, VERIFIED_MARKER))) return target;

  const manifest = await redis.getBuffer(manifestKey(hash));
  if (manifest === null) {
    throw new DatasetTransferError(
      `dataset ${hash} is not on the queue's Redis (expired or never published)`,
    );
  }
  if (sha256Hex(manifest) !== hash) {
    throw new DatasetTransferError(`dataset ${hash}: the manifest on Redis does not match its hash`);
  }
  const files = parseManifest(hash, manifest.toString('utf8'));

  await mkdir(datasets, { recursive: true });
  const temp = join(datasets, `${hash}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(temp);
  try {
    for (const [index, file] of files.entries()) await downloadFile(redis, hash, index, file, temp);
    await writeFile(join(temp, VERIFIED_MARKER), `${hash}\n`);
    try {
      await rename(temp, target);
    } catch (error) {
      // Another fetch of the same dataset (a second job on this worker) finished first.
      if (existsSync(join(target, VERIFIED_MARKER))) return target;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      // A folder without the marker is not ours to keep: replace it.
      await rm(target, { recursive: true, force: true });
      await rename(temp, target);
    }
    return target;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** The manifest's files, refusing any name that is not one plain path component. */
function parseManifest(hash: string, text: string): DatasetFile[] {
  const bad = (why: string) => new DatasetTransferError(`dataset ${hash}: refusing its manifest: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const files = (parsed as { files?: unknown } | null)?.files;
  if (!Array.isArray(files) || files.length === 0) throw bad('no list of files');
  const seen = new Set<string>();
  return files.map((file: unknown) => {
    const { name, bytes, sha256 } = (file ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || !isDatasetFileName(name) || seen.has(name)) {
      throw bad(`file name ${JSON.stringify(name)} is not one plain, unique file name`);
    }
    seen.add(name);
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
      throw bad(`${name}: size ${JSON.stringify(bytes)}`);
    }
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))
      throw bad(`${name}: sha256 ${JSON.stringify(sha256)}`);
    return { name, bytes, sha256 };
  });
}

async function downloadFile(
  redis: Redis,
  hash: string,
  index: number,
  file: DatasetFile,
  folder: string,
): Promise<void> {
  const path = join(folder, file.name);
  // The name was checked; this is the last guard that the file lands directly in the temp folder.
  if (dirname(path) !== folder)
    throw new DatasetTransferError(`dataset ${hash}: ${file.name} leaves its folder`);
  const digest = createHash('sha256');
  const handle = await open(path, 'wx');
  try {
    let received = 0;
    let chunk = 0;
    do {
      const batch = redis.pipeline();
      for (let k = 0; k < CHUNKS_PER_BATCH; k++) batch.getBuffer(chunkKey(hash, index, chunk + k));
      const parts = (await execOrThrow(batch)) as (Buffer | null)[];
      for (const part of parts) {
        if (part === null) {
          throw new DatasetTransferError(
            `dataset ${hash}: chunk ${chunk} of ${file.name} is missing from the queue's Redis (expired?)`,
          );
        }
        received += part.length;
        if (received > file.bytes) {
          throw new DatasetTransferError(
            `dataset ${hash}: ${file.name} is longer on Redis than its manifest's ${file.bytes} bytes`,
          );
        }
        digest.update(part);
        await handle.write(part);
        chunk++;
        if (received === file.bytes) break;
      }
    } while (received < file.bytes);
  } finally {
    await handle.close();
  }
  const actual = digest.digest('hex');
  if (actual !== file.sha256) {
    throw new DatasetTransferError(
      `dataset ${hash}: ${file.name} does not match its sha256 (manifest ${file.sha256}, received ${actual})`,
    );
  }
}
