/**
 * `cascade-lab bench-queue`: its flags, the sized-down Table 4 grid, the statistics and the
 * metrics check, and one tiny run end to end against a redis-server it starts and a real worker
 * process, so the benchmark cannot rot. Not a timed test: only what it counts is checked.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExperimentSpec, RunSummary } from '../contract/api';
import { validateSpec } from '../core/experiments/spec';
import {
  metricMismatches,
  parseBenchQueueArgs,
  runKey,
  sizedDownSpec,
  spread,
  spreadValues,
  type BenchQueueOptions,
} from './bench-queue-command';
import { captureIo } from './capture-io';
import { UsageError } from './io';
import { main } from './main';

// As `experiments:bundled` gives it: the grid not yet expanded into rows (validateSpec does that).
const TABLE4 = JSON.parse(
  readFileSync(new URL('../../experiments/table4-grid.json', import.meta.url), 'utf8'),
) as ExperimentSpec;

describe('bench-queue arguments', () => {
  it('defaults to a 3x3x3 grid, one seed, the local pool on every core, then 1, 2 and 4 workers', () => {
    expect(parseBenchQueueArgs([], {}, 6)).toEqual({
      points: 3,
      seeds: 1,
      epochs: 1,
      users: 300,
      items: 400,
      jobs: 6,
      workers: [1, 2, 4],
      backend: 'wasm',
      redisUrl: undefined,
      jsonFile: undefined,
      memoryOnly: false,
    });
  });

  it('reads every flag, and the password of --redis from CASCADE_LAB_REDIS_PASSWORD', () => {
    const options = parseBenchQueueArgs(
      ['--points', '5', '--seeds', '2', '--epochs', '3', '--users', '1000', '--items', '2000'].concat(
        ['--jobs', '1', '--workers', '2,8', '--backend', 'cpu', '--redis', 'redis://127.0.0.1:6390'],
        ['--json', 'out.json', '--memory-only'],
      ),
      { CASCADE_LAB_REDIS_PASSWORD: 's3cret' },
      2,
    );
    expect(options).toEqual({
      points: 5,
      seeds: 2,
      epochs: 3,
      users: 1000,
      items: 2000,
      jobs: 1,
      workers: [2, 8],
      backend: 'cpu',
      redisUrl: 'redis://:s3cret@127.0.0.1:6390',
      jsonFile: 'out.json',
      memoryOnly: true,
    });
  });

  it('answers --help with null (the help is printed)', () => {
    expect(parseBenchQueueArgs(['--help'], {})).toBeNull();
  });

  it.each([
    [['--points', '6'], /--points must be an integer from 1 to 5, got "6"/],
    [['--points', '0'], /--points must be an integer from 1 to 5/],
    [['--items', '100'], /--items must be an integer from 200/],
    [['--workers', '1,,4'], /--workers must be a comma-separated list of integers/],
    [['--workers', '0'], /--workers must be an integer from 1 to 64/],
    [['--backend', 'auto'], /--backend must name one backend/],
    [['--backend', 'gpu'], /--backend must be one of/],
    [['--redis', 'http://127.0.0.1:6379'], /--redis must be a redis:\/\/ or rediss:\/\/ URL/],
    [['grid.json'], /bench-queue takes no arguments, got grid\.json/],
    [['--threads', '2'], /Unknown option '--threads'/],
  ])('refuses %j', (args, message) => {
    expect(() => parseBenchQueueArgs(args, {}, 2)).toThrow(UsageError);
    expect(() => parseBenchQueueArgs(args, {}, 2)).toThrow(message);
  });
});

describe('the sized-down Table 4 grid', () => {
  const options = (points: number, seeds = 1): BenchQueueOptions => ({
    ...(parseBenchQueueArgs([], {}, 2) as BenchQueueOptions),
    points,
    seeds,
    epochs: 2,
  });

  it('takes evenly spread values, both ends included', () => {
    const lambda1 = [0.5, 0.6, 0.7, 0.8, 0.9];
    expect(spreadValues(lambda1, 1)).toEqual([0.7]);
    expect(spreadValues(lambda1, 2)).toEqual([0.5, 0.9]);
    expect(spreadValues(lambda1, 3)).toEqual([0.5, 0.7, 0.9]);
    expect(spreadValues(lambda1, 4)).toEqual([0.5, 0.6, 0.8, 0.9]);
    expect(spreadValues(lambda1, 5)).toEqual(lambda1);
  });

  it("keeps the grid's shape over the three weights, on a small world, and is a valid spec", () => {
    const spec = sizedDownSpec(TABLE4, options(3, 2));
    expect(spec.methods).toHaveLength(1);
    expect(spec.methods[0].id).toBe('damcar');
    expect(spec.methods[0].grid).toEqual({
      lambda1: [0.5, 0.7, 0.9],
      lambda2: [0.1, 0.3, 0.5],
      lambda3: [0.1, 0.3, 0.5],
    });
    expect([spec.retrieval, spec.ranking]).toEqual([TABLE4.retrieval, TABLE4.ranking]);
    expect(spec.seeds).toEqual([1, 2]);
    expect(spec.training).toEqual({ ...TABLE4.training, epochs: 2 });
    expect(spec.backend).toBe('wasm');
    expect(spec.dataset).toMatchObject({ kind: 'simulated', params: { users: 300, items: 400 } });
    // Valid, and 27 rows once the grid is expanded, one per weight triple.
    const rows = validateSpec(spec).methods;
    expect(rows).toHaveLength(27);
    expect(new Set(rows.map((row) => JSON.stringify(row.params))).size).toBe(27);
    expect(rows[0].params).toEqual({ lambda1: 0.5, lambda2: 0.1, lambda3: 0.1 });
  });
});

describe('bench-queue statistics', () => {
  it('gives the median and the nearest-rank 90th percentile', () => {
    expect(spread([])).toEqual({ median: null, p90: null });
    expect(spread([7])).toEqual({ median: 7, p90: 7 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 3, p90: 4 });
    expect(spread([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).toEqual({ median: 55, p90: 90 });
  });

  const run = (
    id: number,
    lambda1: number,
    metrics: Record<string, number>,
    status = 'finished',
  ): RunSummary =>
    ({
      id,
      method: 'damcar',
      params: { lambda2: 0.1, lambda1 },
      seed: 1,
      status,
      error: status === 'failed' ? 'diverged' : null,
      metrics,
    }) as unknown as RunSummary;

  it('counts runs whose metrics differ from the same grid point and seed elsewhere, or did not finish', () => {
    const reference = new Map([
      [runKey(run(1, 0.5, {})), { 'R@10': 0.25, 'N@10': 0.125 }],
      [runKey(run(2, 0.7, {})), { 'R@10': 0.5, 'N@10': 0.25 }],
    ]);
    expect(runKey(run(9, 0.5, {}))).toBe(
      JSON.stringify([
        'damcar',
        [
          ['lambda1', 0.5],
          ['lambda2', 0.1],
        ],
        1,
      ]),
    );
    const same = [run(11, 0.5, { 'N@10': 0.125, 'R@10': 0.25 }), run(12, 0.7, { 'R@10': 0.5, 'N@10': 0.25 })];
    expect(metricMismatches(reference, same)).toEqual({ count: 0, examples: [] });
    const other = [
      run(11, 0.5, { 'R@10': 0.25, 'N@10': 0.12500001 }),
      run(12, 0.7, {}, 'failed'),
      run(13, 0.9, { 'R@10': 1 }),
    ];
    const verdict = metricMismatches(reference, other);
    expect(verdict.count).toBe(3);
    expect(verdict.examples).toEqual([
      `${runKey(other[0])}: N@10 0.12500001 vs 0.125`,
      `${runKey(other[1])}: failed: diverged`,
      `${runKey(other[2])}: no reference run`,
    ]);
  });
});

describe('cascade-lab bench-queue', () => {
  it('runs a tiny grid on the local pool and on a worker process, with the same metrics', async () => {
    const { io, out, err } = captureIo();
    const code = await main(
      ['bench-queue', '--points', '1', '--seeds', '2', '--workers', '1'].concat([
        '--users',
        '100',
        '--items',
        '200',
        '--jobs',
        '1',
      ]),
      io,
    );
    expect(err()).toMatch(/bench-queue: 2 DAMCAR runs/);
    expect(code).toBe(0);
    const lines = out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.bench, line.config])).toEqual([
      ['queue', 'local'],
      ['queue-memory', undefined],
      ['queue', 'workers-1'],
      ['queue-summary', undefined],
    ]);
    const [local, memory, workers, summary] = lines;
    expect(local).toMatchObject({ runs: 2, finished: 2, jobs: 1, metric_mismatches: 0 });
    expect(memory).toMatchObject({ state: 'waiting', jobs: 2, events_per_enqueued_job: 2 });
    expect(memory.job_hash_bytes).toEqual({ median: expect.any(Number), p90: expect.any(Number) });
    expect(workers).toMatchObject({
      runs: 2,
      finished: 2,
      workers: 1,
      retried_jobs: 0,
      metric_mismatches: 0,
    });
    for (const key of ['enqueue_to_start_ms', 'first_pickup_ms', 'finish_to_stored_ms', 'on_worker_ms'])
      expect(workers[key]).toEqual({ median: expect.any(Number), p90: expect.any(Number) });
    // One worker takes the two jobs one after the other: one hand-over.
    expect(workers.pickup_gap_ms).toEqual({ median: expect.any(Number), p90: expect.any(Number) });
    expect(workers.events_by_name).toMatchObject({ added: 2, active: 2, completed: 2 });
    expect(workers.events).toBeGreaterThanOrEqual(6);
    expect(summary).toMatchObject({ runs: 2, metric_mismatches: 0, ok: true });
  }, 300_000);

  it('with --memory-only, queues the grid twice with no worker, measures and cancels it, and trains nothing', async () => {
    const { io, out } = captureIo();
    const code = await main(['bench-queue', '--memory-only', '--points', '2'], io);
    expect(code).toBe(0);
    const lines = out().trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as Record<string, number>;
    expect(line).toMatchObject({
      bench: 'queue-memory',
      state: 'waiting',
      jobs: 8,
      events_per_enqueued_job: 2,
    });
    expect(line.used_memory_after_second).toBeGreaterThan(line.used_memory_after_first);
    expect(line.bytes_per_waiting_job).toBeGreaterThan(0);
  }, 120_000);
});
