/**
 * The sweep of unfinished import folders. An import writes its columns into
 * `datasets/<hash>.partial-<pid>-<random>` and renames it when done (writeProcessed); a process
 * killed in between (kill -9, a power cut) leaves that folder behind, and nothing else would ever
 * remove it. When the app opens its data folder it removes the ones whose writer is certainly gone,
 * and keeps any another live process (a CLI import next to the desktop app) may still be writing.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PARTIAL_SUFFIX } from '../core/node/importers/processed';
import { isProcessAlive, processStartedAtMs, thisProcessStartedAtMs } from '../store/index';

/**
 * Start times from /proc are whole seconds of boot time plus ticks, folder times are the file
 * system's: comparisons keep this much doubt on the side of keeping a folder.
 */
const CLOCK_SLACK_MS = 2000;

export interface PartialSweepOptions {
  /** When this process started, ms since the epoch; defaults to the real one. */
  selfStartedAtMs?: number;
  isProcessAlive?: (pid: number) => boolean;
  /** When a live process started, ms since the epoch; null where it cannot be known. */
  processStartedAtMs?: (pid: number) => number | null;
}

/** The writer's pid in a `<dir>.partial-<pid>-<random>` folder name, or null for any other name. */
export function partialFolderPid(name: string): number | null {
  const at = name.lastIndexOf(PARTIAL_SUFFIX);
  if (at <= 0) return null;
  const match = /^(\d+)-[0-9a-f]+$/.exec(name.slice(at + PARTIAL_SUFFIX.length));
  const pid = match ? Number(match[1]) : NaN;
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Whether a partial folder's writer is certainly gone. The folder's mtime is when its writer last
 * added a file, so it is never earlier than the writer's start:
 * - written since this process started: a concurrent process may be writing it; keep it (the next
 *   start looks again);
 * - our own pid on an older folder: an earlier process that had this pid;
 * - a dead pid: its writer is gone;
 * - a live pid that started after the folder was last written: the pid was reused;
 * - otherwise (a live writer, or no way to read start times, as on macOS and Windows): keep it.
 */
export function isAbandonedPartial(
  pid: number,
  mtimeMs: number,
  options: Required<PartialSweepOptions>,
): boolean {
  if (mtimeMs > options.selfStartedAtMs - CLOCK_SLACK_MS) return false;
  if (pid === process.pid) return true;
  if (!options.isProcessAlive(pid)) return true;
  const ownerStartedAt = options.processStartedAtMs(pid);
  return ownerStartedAt !== null && mtimeMs < ownerStartedAt - CLOCK_SLACK_MS;
}

/**
 * Removes the abandoned partial folders directly under `datasetsDir` (a missing folder has none).
 * @returns the names it removed.
 */
export async function sweepPartialImports(
  datasetsDir: string,
  options: PartialSweepOptions = {},
): Promise<string[]> {
  const resolved: Required<PartialSweepOptions> = {
    selfStartedAtMs: options.selfStartedAtMs ?? thisProcessStartedAtMs(),
    isProcessAlive: options.isProcessAlive ?? isProcessAlive,
    processStartedAtMs: options.processStartedAtMs ?? processStartedAtMs,
  };
  let names: string[];
  try {
    names = await readdir(datasetsDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = partialFolderPid(name);
    if (pid === null) continue;
    const path = join(datasetsDir, name);
    // lstat: a link with such a name is not something writeProcessed made; leave it alone.
    const info = await lstat(path).catch(() => null);
    if (!info?.isDirectory() || !isAbandonedPartial(pid, info.mtimeMs, resolved)) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
