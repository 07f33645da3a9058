/**
 * `cascade-lab bench-store`: several processes writing runs and training curves to one database at
 * once, the way the desktop app and CLI runs beside it do. Each worker process goes through the
 * real store API with the app's call pattern (create a run, mark it running, one curve point per
 * `curve` event, finish it with its metrics), so the numbers are what the app gets. It reports the
 * throughput, every SQLITE_BUSY that surfaced as an error, and checks that each process's writes
 * are all in the database.
 *
 * The workers are this command again in a hidden `--worker` mode; they wait at a start line so the
 * interpreter's start-up is not timed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolveSimulatorParams } from '../core/data/simulator';
import { defaultExperimentSpec } from '../core/experiments/spec';
import { openStore, type LabStore } from '../store/index';
import { integerOption, parseCommandArgs as parse, stringOption } from './args';
import { BENCH_STORE_HELP } from './help';
import { EXIT_OK, EXIT_RUN_FAILED, UsageError, type CliIo } from './io';

/** What one worker wrote; its counts are of the calls that returned without an error. */
export interface WorkerReport {
  process: number;
  experimentId: number;
  requestedRuns: number;
  requestedPoints: number;
  runs: number;
  points: number;
  /** SQLITE_BUSY errors that reached the caller (waits inside the busy timeout are not errors). */
  busyErrors: number;
  /** The slowest single store call, in milliseconds: how close the waits came to the timeout. */
  slowestCallMs: number;
  startedAtMs: number;
  endedAtMs: number;
}

/** What the database holds for one worker's experiment. */
export interface StoredCounts {
  experimentId: number;
  runs: number;
  finishedRuns: number;
  points: number;
}

export interface ProcessVerdict {
  process: number;
  requested_runs: number;
  written_runs: number;
  stored_runs: number;
  finished_runs: number;
  requested_points: number;
  written_points: number;
  stored_points: number;
  busy_errors: number;
}

export interface Verification {
  ok: boolean;
  lost_runs: number;
  lost_points: number;
  problems: string[];
  per_process: ProcessVerdict[];
}

/** `total` split into `parts` shares that differ by at most one, the larger ones first. */
export function splitEvenly(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/**
 * Compares what each worker says it wrote with what the database holds, and both with what it was
 * asked to write: anything missing, extra or unfinished is a problem, and so is a surfaced
 * SQLITE_BUSY (the app would have lost that write).
 */
export function verifyStoreBench(
  reports: readonly WorkerReport[],
  stored: readonly StoredCounts[],
): Verification {
  const problems: string[] = [];
  let lostRuns = 0;
  let lostPoints = 0;
  const perProcess = reports.map((report): ProcessVerdict => {
    const counts = stored.find((s) => s.experimentId === report.experimentId) ?? {
      experimentId: report.experimentId,
      runs: 0,
      finishedRuns: 0,
      points: 0,
    };
    const who = `process ${report.process}`;
    lostRuns += Math.max(0, report.requestedRuns - counts.runs);
    lostPoints += Math.max(0, report.requestedPoints - counts.points);
    if (report.runs !== report.requestedRuns)
      problems.push(`${who} wrote ${report.runs} of its ${report.requestedRuns} runs`);
    if (report.points !== report.requestedPoints)
      problems.push(`${who} wrote ${report.points} of its ${report.requestedPoints} points`);
    if (counts.runs !== report.runs)
      problems.push(`${who} wrote ${report.runs} runs but the database holds ${counts.runs}`);
    if (counts.points !== report.points)
      problems.push(`${who} wrote ${report.points} points but the database holds ${counts.points}`);
    if (counts.finishedRuns !== counts.runs)
      problems.push(`${who}: ${counts.runs - counts.finishedRuns} of its runs are not finished`);
    if (report.busyErrors > 0) problems.push(`${who} met ${report.busyErrors} SQLITE_BUSY error(s)`);
    return {
      process: report.process,
      requested_runs: report.requestedRuns,
      written_runs: report.runs,
      stored_runs: counts.runs,
      finished_runs: counts.finishedRuns,
      requested_points: report.requestedPoints,
      written_points: report.points,
      stored_points: counts.points,
      busy_errors: report.busyErrors,
    };
  });
  return {
    ok: problems.length === 0,
    lost_runs: lostRuns,
    lost_points: lostPoints,
    problems,
    per_process: perProcess,
  };
}

/** Counts per experiment, read back through a store of its own. */
export function storedCounts(store: LabStore, experimentIds: readonly number[]): StoredCounts[] {
  const runs = store.db.prepare<[number], { runs: number; finished: number | null }>(
    "SELECT COUNT(*) AS runs, SUM(status = 'finished') AS finished FROM runs WHERE experiment_id = ?",
  );
  const points = store.db.prepare<[number], { points: number }>(
    'SELECT COUNT(*) AS points FROM curves JOIN runs ON runs.id = curves.run_id WHERE runs.experiment_id = ?',
  );
  return experimentIds.map((experimentId) => {
    const row = runs.get(experimentId) ?? { runs: 0, finished: 0 };
    return {
      experimentId,
      runs: row.runs,
      finishedRuns: row.finished ?? 0,
      points: points.get(experimentId)?.points ?? 0,
    };
  });
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const BIN = fileURLToPath(new URL('../../bin/cascade-lab.mjs', import.meta.url));

/* ----------------------------------------------------------------------------------------------
 * The worker
 * -------------------------------------------------------------------------------------------- */

/** Resolves with the first line on stdin: the parent's start signal. */
function startSignal(): Promise<void> {
  return new Promise((done) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', () => {
      lines.close();
      done();
    });
  });
}

async function worker(
  index: number,
  dbPath: string,
  runs: number,
  points: number,
  busyTimeoutMs: number | undefined,
  io: CliIo,
): Promise<number> {
  const store = openStore(dbPath, busyTimeoutMs === undefined ? {} : { busyTimeoutMs });
  let busyErrors = 0;
  let slowestCallMs = 0;
  /** One store call, timed; a SQLITE_BUSY is counted and reported as `false`, anything else thrown. */
  const call = <T>(write: () => T): T | false => {
    const start = performance.now();
    try {
      return write();
    } catch (error) {
      if (!isBusy(error)) throw error;
      busyErrors += 1;
      return false;
    } finally {
      slowestCallMs = Math.max(slowestCallMs, performance.now() - start);
    }
  };
  try {
    const spec = { ...defaultExperimentSpec(), name: `bench-store process ${index}` };
    const dataset = { kind: 'simulated' as const, params: resolveSimulatorParams({ seed: index }) };
    io.stdout.write(`${JSON.stringify({ ready: index })}\n`);
    await startSignal();
    const startedAtMs = Date.now();
    let experiment = call(() => store.experiments.create(spec));
    while (experiment === false) experiment = call(() => store.experiments.create(spec));
    const experimentId = experiment.id;
    const pointsPerRun = splitEvenly(points, runs);
    let runsWritten = 0;
    let pointsWritten = 0;
    for (let r = 0; r < runs; r++) {
      const seed = r + 1;
      const run = call(() =>
        store.runs.create({
          experimentId,
          methodIndex: 0,
          method: 'bc',
          label: 'BC',
          params: {},
          seed,
          config: {
            experimentId,
            spec,
            method: { id: 'bc', params: {}, label: 'BC' },
            seed,
            dataset,
            backend: 'auto',
          },
        }),
      );
      if (run === false) continue;
      runsWritten += 1;
      call(() => store.runs.markRunning(run.id));
      for (let step = 1; step <= pointsPerRun[r]; step++) {
        const value = 1 / (step + r);
        if (call(() => store.runs.addCurvePoint(run.id, 'loss', step, value)) !== false) pointsWritten += 1;
      }
      call(() =>
        store.runs.finish(run.id, { metrics: { 'R@100': 0.1, 'N@10': 0.05 }, timings: { train: 1 } }),
      );
    }
    const report: WorkerReport = {
      process: index,
      experimentId,
      requestedRuns: runs,
      requestedPoints: points,
      runs: runsWritten,
      points: pointsWritten,
      busyErrors,
      slowestCallMs: Math.round(slowestCallMs * 10) / 10,
      startedAtMs,
      endedAtMs: Date.now(),
    };
    io.stdout.write(`${JSON.stringify({ report })}\n`);
    return EXIT_OK;
  } finally {
    store.close();
  }
}

/* ----------------------------------------------------------------------------------------------
 * The parent
 * -------------------------------------------------------------------------------------------- */

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  report: Promise<WorkerReport>;
}

function startWorker(args: string[]): Child {
  const child = spawn(process.execPath, [BIN, 'bench-store', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((done) => (markReady = done));
  const report = new Promise<WorkerReport>((done, fail) => {
    let result: WorkerReport | null = null;
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { ready?: number; report?: WorkerReport };
      if (message.ready !== undefined) markReady();
      if (message.report) result = message.report;
    });
    child.on('error', fail);
    child.on('close', (code) => {
      if (result && code === 0) done(result);
      else
        fail(new Error(`a bench-store worker exited with code ${code}: ${stderr.trim() || '(no output)'}`));
    });
  });
  // A worker that dies before it is ready must not leave the parent waiting for it.
  report.catch(() => markReady());
  return { process: child, ready, report };
}

export async function benchStoreCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      processes: { type: 'string' },
      runs: { type: 'string' },
      points: { type: 'string' },
      db: { type: 'string' },
      'busy-timeout': { type: 'string' },
      worker: { type: 'string' },
    },
    BENCH_STORE_HELP,
  );
  if (values.help) {
    io.stdout.write(BENCH_STORE_HELP);
    return EXIT_OK;
  }
  if (positionals.length) {
    throw new UsageError(
      `bench-store takes no arguments, got ${positionals.join(' ')}\n\n${BENCH_STORE_HELP}`,
    );
  }
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const text = stringOption(values, key);
    return text === undefined ? fallback : integerOption(text, `--${key}`, min, max);
  };
  const busyText = stringOption(values, 'busy-timeout');
  const busyTimeoutMs =
    busyText === undefined ? undefined : integerOption(busyText, '--busy-timeout', 0, 600_000);
  const workerIndex = stringOption(values, 'worker');
  const dbOption = stringOption(values, 'db');
  if (workerIndex !== undefined) {
    if (dbOption === undefined) throw new UsageError('--worker needs --db');
    return worker(
      integerOption(workerIndex, '--worker', 0),
      dbOption,
      integer('runs', 0, 1, 1e9),
      integer('points', 0, 0, 1e12),
      busyTimeoutMs,
      io,
    );
  }

  const processes = integer('processes', 4, 1, 64);
  const runs = integer('runs', 10_000, processes, 1e9);
  const points = integer('points', 1_000_000, 0, 1e12);
  const tempDir = dbOption === undefined ? mkdtempSync(join(tmpdir(), 'cascade-bench-store-')) : null;
  const dbPath = resolve(dbOption ?? join(tempDir as string, 'bench.db'));
  try {
    // Created and migrated once here, so the workers' opens are what the app's second process sees.
    const setup = openStore(dbPath, busyTimeoutMs === undefined ? {} : { busyTimeoutMs });
    const settings = {
      journal_mode: setup.db.pragma('journal_mode', { simple: true }) as string,
      synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][
        setup.db.pragma('synchronous', { simple: true }) as number
      ],
      busy_timeout_ms: setup.db.pragma('busy_timeout', { simple: true }) as number,
    };
    setup.close();

    const runShares = splitEvenly(runs, processes);
    const pointShares = splitEvenly(points, runs);
    let nextRun = 0;
    const children = runShares.map((share, index) => {
      const ownPoints = pointShares.slice(nextRun, nextRun + share).reduce((sum, n) => sum + n, 0);
      nextRun += share;
      const args = [
        '--worker',
        String(index),
        '--db',
        dbPath,
        '--runs',
        String(share),
        '--points',
        String(ownPoints),
      ];
      if (busyTimeoutMs !== undefined) args.push('--busy-timeout', String(busyTimeoutMs));
      return startWorker(args);
    });
    io.stderr.write(
      `bench-store: ${processes} processes, ${runs} runs, ${points} curve points into ${dbPath}\n`,
    );
    let reports: WorkerReport[];
    try {
      await Promise.all(children.map((child) => child.ready));
      for (const child of children) child.process.stdin?.end('go\n');
      reports = await Promise.all(children.map((child) => child.report));
    } catch (error) {
      for (const child of children) if (child.process.exitCode === null) child.process.kill();
      throw error;
    }

    const check = openStore(dbPath);
    let verification: Verification;
    try {
      verification = verifyStoreBench(
        reports,
        storedCounts(
          check,
          reports.map((report) => report.experimentId),
        ),
      );
    } finally {
      check.close();
    }
    const seconds =
      (Math.max(...reports.map((r) => r.endedAtMs)) - Math.min(...reports.map((r) => r.startedAtMs))) / 1000;
    const writtenRuns = reports.reduce((sum, r) => sum + r.runs, 0);
    const writtenPoints = reports.reduce((sum, r) => sum + r.points, 0);
    const busyErrors = reports.reduce((sum, r) => sum + r.busyErrors, 0);
    const line = {
      bench: 'store',
      processes,
      runs,
      points,
      seconds: Math.round(seconds * 100) / 100,
      runs_per_s: Math.round(writtenRuns / seconds),
      points_per_s: Math.round(writtenPoints / seconds),
      busy_errors: busyErrors,
      busy_surfaced_as_error: busyErrors > 0,
      slowest_call_ms: Math.max(...reports.map((r) => r.slowestCallMs)),
      ...settings,
      ok: verification.ok,
      lost_runs: verification.lost_runs,
      lost_points: verification.lost_points,
      problems: verification.problems,
      per_process: verification.per_process,
    };
    io.stderr.write(
      `${writtenRuns} runs and ${writtenPoints} points in ${line.seconds} s: ${line.runs_per_s} runs/s, ` +
        `${line.points_per_s} points/s; SQLITE_BUSY errors: ${busyErrors}; slowest call ${line.slowest_call_ms} ms; ` +
        `journal ${settings.journal_mode}, synchronous ${settings.synchronous}, busy_timeout ${settings.busy_timeout_ms} ms\n` +
        (verification.ok
          ? 'Verified: every process has all its runs (finished) and curve points in the database.\n'
          : `NOT VERIFIED: ${verification.problems.join('; ')}\n`),
    );
    io.stdout.write(`${JSON.stringify(line)}\n`);
    return verification.ok ? EXIT_OK : EXIT_RUN_FAILED;
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}
