/**
 * The sweep of unfinished import folders, with real processes: a dead one, a live one (the stand-in
 * for a concurrent CLI import) and this one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProcessAlive, processStartedAtMs } from '../store/index';
import { createLabApp } from './lab-app';
import { partialFolderPid, sweepPartialImports } from './partial-sweep';

const HAS_PROC = existsSync('/proc/self/stat');
const HOUR_MS = 3_600_000;

let dir: string;
let datasets: string;
let sleeper: ChildProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-sweep-'));
  datasets = join(dir, 'datasets');
  mkdirSync(datasets);
});
afterEach(() => {
  if (sleeper?.pid !== undefined && sleeper.exitCode === null) sleeper.kill('SIGKILL');
  sleeper = null;
  rmSync(dir, { recursive: true, force: true });
});

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout);
}

/** A live process that stays until the test ends, once /proc shows it. */
async function livePid(): Promise<number> {
  sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  const pid = sleeper.pid as number;
  while (!isProcessAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 10));
  return pid;
}

/** A partial folder of `pid` with a file in it, last written at `mtimeMs`. */
function partial(pid: number, mtimeMs: number, hash = 'a1b2c3'): string {
  const name = `${hash}.partial-${pid}-0badf00d`;
  const path = join(datasets, name);
  mkdirSync(path);
  writeFileSync(join(path, 'user.i32'), Buffer.alloc(16));
  utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
  return name;
}

describe('partialFolderPid', () => {
  it("reads the writer's pid and rejects every other name", () => {
    expect(partialFolderPid('0123abcd.partial-4242-9f8e7d6c')).toBe(4242);
    expect(partialFolderPid('0123abcd')).toBeNull();
    expect(partialFolderPid('0123abcd.partial-x-9f8e')).toBeNull();
    expect(partialFolderPid('0123abcd.partial-4242')).toBeNull();
    expect(partialFolderPid('.partial-4242-9f8e')).toBeNull();
  });
});

describe('sweepPartialImports', () => {
  it("removes a dead process's and an earlier same-pid process's folders, and keeps the rest", async () => {
    const old = Date.now() - HOUR_MS;
    const dead = partial(deadPid(), old, 'aa');
    const earlierMe = partial(process.pid, old, 'bb');
    const recentDead = partial(deadPid(), Date.now(), 'cc');
    mkdirSync(join(datasets, 'dd')); // a finished dataset
    writeFileSync(join(datasets, 'ee.partial-1-ff'), 'a file, not a folder writeProcessed made');
    utimesSync(join(datasets, 'ee.partial-1-ff'), old / 1000, old / 1000);

    // As if this process started a minute ago: the hour-old folders predate it, `recentDead` not.
    const removed = await sweepPartialImports(datasets, { selfStartedAtMs: Date.now() - 60_000 });
    expect(removed.sort()).toEqual([dead, earlierMe].sort());
    // Written since this process started: a concurrent process may still be writing it.
    expect(readdirSync(datasets).sort()).toEqual([recentDead, 'dd', 'ee.partial-1-ff'].sort());
  });

  it('keeps the folder of a live process that is still writing it (a concurrent CLI import)', async () => {
    const pid = await livePid();
    // It started before this app and last wrote a file just now, so after its own start.
    const live = partial(pid, Date.now());
    const removed = await sweepPartialImports(datasets, { selfStartedAtMs: Date.now() + 60_000 });
    expect(removed).toEqual([]);
    expect(readdirSync(datasets)).toEqual([live]);
  });

  it.runIf(HAS_PROC)(
    'removes a folder last written before its live pid started: the pid was reused',
    async () => {
      const pid = await livePid();
      const started = processStartedAtMs(pid) as number;
      expect(Math.abs(started - Date.now())).toBeLessThan(30_000);
      const stale = partial(pid, started - HOUR_MS);
      expect(await sweepPartialImports(datasets)).toEqual([stale]);
    },
  );

  it('keeps a live pid whose start time cannot be read (no /proc: macOS, Windows)', async () => {
    const pid = await livePid();
    partial(pid, Date.now() - HOUR_MS);
    expect(await sweepPartialImports(datasets, { processStartedAtMs: () => null })).toEqual([]);
    expect(readdirSync(datasets)).toHaveLength(1);
  });

  it('has nothing to do without a datasets folder', async () => {
    expect(await sweepPartialImports(join(dir, 'missing'))).toEqual([]);
  });
});

describe('createLabApp', () => {
  it('sweeps abandoned partial folders when it opens the data folder', async () => {
    const dead = partial(deadPid(), Date.now() - HOUR_MS, 'aa');
    const pid = await livePid();
    const live = partial(pid, Date.now(), 'bb');
    const app = await createLabApp({ dataDir: dir, transport: 'cli' });
    try {
      expect(readdirSync(datasets)).toEqual([live]);
      expect(existsSync(join(datasets, dead))).toBe(false);
    } finally {
      await app.close();
    }
  });
});
