/**
 * A disk cache of trained ranking models. Every method of a seed is re-ranked by the same DeepFM
 * or DCN, trained on the same exposed data with the same seed; jobs run in separate workers (and
 * experiments in separate processes), so without a shared cache each run trained it again. A
 * cached model is keyed by everything its training reads (dataset source, split, seed, model
 * kind, training settings, backend, and RANKING_CACHE_VERSION) and scores bit-identically to the
 * model that was trained (tested), so reusing it changes no metric.
 *
 * File: 4-byte little-endian header length, the JSON header ({ key, kind, validAuc, curves,
 * lengths }), zero padding to a multiple of 4, then the weight arrays as float32, in
 * CtrModel.exportWeights order. Files are written to a temporary name and renamed, so a reader
 * never sees half a file; a file that fails to parse is ignored (and retrained over).
 *
 * Jobs that start together (the first two runs of an experiment on two job slots) would each find
 * no file and train the same model at once, each at half the machine. So the first claims the
 * training (`claimRankingTraining`: a `.training` file beside the model's, created exclusively) and
 * the others wait for the model's file. The claim's modification time is its heartbeat, moved on
 * while the model trains; a claim left by a process that died goes stale and is taken over.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { JobEvent } from '../experiments/job';
import type { RankingKind } from '../models/ranking-model';

/** Bump when the ranking models' architecture or training changes: old files stop matching. */
export const RANKING_CACHE_VERSION = 1;

/** Files kept in the cache folder; the least recently used beyond this are deleted. */
export const RANKING_CACHE_MAX_FILES = 24;

export type RankingCurve = Extract<JobEvent, { type: 'curve' }>;

export interface CachedRankingFile {
  kind: RankingKind;
  validAuc: number;
  /** The training curves, replayed into every run that reuses the model. */
  curves: RankingCurve[];
  weights: Float32Array[];
}

interface Header {
  key: string;
  kind: RankingKind;
  /** null stands for NaN (JSON has none). */
  validAuc: number | null;
  curves: RankingCurve[];
  lengths: number[];
}

/** The file of a cache key (its SHA-256, so any key fits a file name). */
export function rankingCacheFile(dir: string, key: string): string {
  const digest = createHash('sha256').update(`v${RANKING_CACHE_VERSION}\n${key}`).digest('hex');
  return join(dir, `ranking-${digest.slice(0, 32)}.bin`);
}

/** Reads the cached model of `key`, or null when there is none (or it is unreadable). */
export function readCachedRanking(dir: string, key: string): CachedRankingFile | null {
  const file = rankingCacheFile(dir, key);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  try {
    const headerLength = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as Header;
    // A hash collision or a file of another version: not ours.
    if (header.key !== `v${RANKING_CACHE_VERSION}\n${key}`) return null;
    let offset = Math.ceil((4 + headerLength) / 4) * 4;
    const weights = header.lengths.map((length) => {
      const array = new Float32Array(length);
      const end = offset + length * 4;
      if (end > bytes.length) throw new Error('truncated');
      new Uint8Array(array.buffer).set(bytes.subarray(offset, end));
      offset = end;
      return array;
    });
    // Mark it used (its modification time), for the least-recently-used clean-up.
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      /* a read-only cache still serves */
    }
    return { kind: header.kind, validAuc: header.validAuc ?? Number.NaN, curves: header.curves, weights };
  } catch {
    return null;
  }
}

/** Stores a trained model under `key` (atomically) and trims the folder to RANKING_CACHE_MAX_FILES. */
export function writeCachedRanking(dir: string, key: string, entry: CachedRankingFile): void {
  mkdirSync(dir, { recursive: true });
  const header: Header = {
    key: `v${RANKING_CACHE_VERSION}\n${key}`,
    kind: entry.kind,
    validAuc: Number.isFinite(entry.validAuc) ? entry.validAuc : null,
    curves: entry.curves,
    lengths: entry.weights.map((w) => w.length),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const start = Math.ceil((4 + headerBytes.length) / 4) * 4;
  const total = start + entry.weights.reduce((sum, w) => sum + w.length * 4, 0);
  const bytes = Buffer.alloc(total);
  bytes.writeUInt32LE(headerBytes.length, 0);
  headerBytes.copy(bytes, 4);
  let offset = start;
  for (const w of entry.weights) {
    bytes.set(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), offset);
    offset += w.byteLength;
  }
  const file = rankingCacheFile(dir, key);
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, file);
  trimCache(dir);
}

function trimCache(dir: string): void {
  const files = readdirSync(dir)
    .filter((name) => name.startsWith('ranking-') && name.endsWith('.bin'))
    .map((name) => ({ path: join(dir, name), used: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const { path } of files.slice(RANKING_CACHE_MAX_FILES)) rmSync(path, { force: true });
}

/** A claim older than this since its last heartbeat belongs to a job that died: it is taken over. */
export const RANKING_CLAIM_STALE_MS = 60_000;

/** Least time between two heartbeats of a claim. */
const CLAIM_HEARTBEAT_MS = 2_000;

/** A job's claim to train the model of a key (see the file comment). */
export interface RankingClaim {
  /** Moves the heartbeat on (at most every CLAIM_HEARTBEAT_MS; cheap to call often). */
  beat(): void;
  /** Gives the claim up (the model's file is written, or the training failed). */
  release(): void;
}

/**
 * Claims the training of `key`'s model in `dir`: the claim, or null while another job holds a
 * live one. A claim whose heartbeat is older than RANKING_CLAIM_STALE_MS is removed and claimed.
 */
export function claimRankingTraining(dir: string, key: string): RankingClaim | null {
  mkdirSync(dir, { recursive: true });
  const file = `${rankingCacheFile(dir, key)}.training`;
  const token = JSON.stringify({ pid: process.pid, claim: randomUUID(), at: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, token);
      closeSync(fd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let age: number;
      try {
        age = Date.now() - statSync(file).mtimeMs;
      } catch {
        continue; // released meanwhile: try again
      }
      if (age < RANKING_CLAIM_STALE_MS) return null;
      rmSync(file, { force: true });
      continue;
    }
    let lastBeat = Date.now();
    let released = false;
    return {
      beat() {
        const now = Date.now();
        if (released || now - lastBeat < CLAIM_HEARTBEAT_MS) return;
        lastBeat = now;
        try {
          utimesSync(file, new Date(now), new Date(now));
        } catch {
          /* removed as stale by another job: it trains too, as without a claim */
        }
      },
      release() {
        if (released) return;
        released = true;
        // Only our own claim: a job that found it stale holds the file now.
        try {
          if (readFileSync(file, 'utf8') === token) rmSync(file, { force: true });
        } catch {
          /* gone already */
        }
      },
    };
  }
  return null;
}
