/**
 * `cascade-lab bench-store` at a tiny size, so the benchmark and its verifier cannot rot. Not a
 * timed test: only what it counts is checked.
 */
import { describe, expect, it } from 'vitest';
import { captureIo } from './capture-io';
import { main } from './main';
import { splitEvenly, verifyStoreBench, type StoredCounts, type WorkerReport } from './bench-store-command';

function report(process: number, runs: number, points: number, busyErrors = 0): WorkerReport {
  return {
    process,
    experimentId: process + 1,
    requestedRuns: runs,
    requestedPoints: points,
    runs,
    points,
    busyErrors,
    slowestCallMs: 1,
    startedAtMs: 0,
    endedAtMs: 1,
  };
}

describe('verifyStoreBench', () => {
  const reports = [report(0, 10, 100), report(1, 10, 100)];
  const stored = (): StoredCounts[] => [
    { experimentId: 1, runs: 10, finishedRuns: 10, points: 100 },
    { experimentId: 2, runs: 10, finishedRuns: 10, points: 100 },
  ];

  it('passes when every process has all it wrote, finished', () => {
    expect(verifyStoreBench(reports, stored())).toMatchObject({
      ok: true,
      lost_runs: 0,
      lost_points: 0,
      problems: [],
    });
  });

  it('names a loss, an unfinished run and a surfaced SQLITE_BUSY', () => {
    const counts = stored();
    counts[1] = { experimentId: 2, runs: 9, finishedRuns: 8, points: 97 };
    const busy = [report(0, 10, 100, 2), reports[1]];
    busy[0].points = 98;
    const verdict = verifyStoreBench(busy, counts);
    expect(verdict.ok).toBe(false);
    expect(verdict.lost_runs).toBe(1);
    expect(verdict.lost_points).toBe(3);
    expect(verdict.problems).toEqual([
      'process 0 wrote 98 of its 100 points',
      'process 0 wrote 98 points but the database holds 100',
      'process 0 met 2 SQLITE_BUSY error(s)',
      'process 1 wrote 10 runs but the database holds 9',
      'process 1 wrote 100 points but the database holds 97',
      'process 1: 1 of its runs are not finished',
    ]);
  });

  it('splits work into shares that differ by at most one', () => {
    expect(splitEvenly(10, 4)).toEqual([3, 3, 2, 2]);
    expect(splitEvenly(1_000_000, 10_000).every((n) => n === 100)).toBe(true);
  });
});

describe('cascade-lab bench-store', () => {
  it('writes from 2 processes at once and verifies every run and point is stored', async () => {
    const { io, out, err } = captureIo();
    const code = await main(['bench-store', '--processes', '2', '--runs', '20', '--points', '203'], io);
    expect(err()).toContain('Verified: every process has all its runs');
    expect(code).toBe(0);
    const line = JSON.parse(out()) as {
      ok: boolean;
      busy_errors: number;
      journal_mode: string;
      busy_timeout_ms: number;
      per_process: { stored_runs: number; stored_points: number; finished_runs: number }[];
    };
    expect(line).toMatchObject({ ok: true, busy_errors: 0, journal_mode: 'wal', busy_timeout_ms: 5000 });
    expect(line.per_process.map((p) => [p.stored_runs, p.finished_runs, p.stored_points])).toEqual([
      [10, 10, 103],
      [10, 10, 100],
    ]);
  });
});
