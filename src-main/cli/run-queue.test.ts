/**
 * `cascade-lab run --queue` as a user runs it, beside a `cascade-lab worker` process, both talking
 * only to a real redis-server (app/queue/local-redis.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BIN, runBin } from '../app/fixtures/run-bin';
import { startRedisServer, type RedisServerHandle } from '../app/queue/local-redis';

let dir: string;
let redis: RedisServerHandle | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-run-queue-'));
});
afterEach(async () => {
  await redis?.stop();
  redis = null;
  rmSync(dir, { recursive: true, force: true });
});

it('queues the runs for a worker, names it, and stores and prints what it returns', async () => {
  redis = await startRedisServer({ password: 'pw-in-env' });
  const url = redis.url.replace(':pw-in-env@', ''); // the password comes from the environment
  const env = { ...process.env, CASCADE_LAB_REDIS_PASSWORD: 'pw-in-env' };
  const worker = spawn(
    process.execPath,
    [BIN, 'worker', '--redis', url, '--name', 'cli-w1', '--data', join(dir, 'w1'), '--backend', 'wasm'],
    { cwd: dir, env: { ...env, CASCADE_LAB_DATA_DIR: join(dir, 'w1-home') } },
  );
  let workerOutput = '';
  worker.stderr.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  try {
    const ready = Date.now();
    while (!/Worker cli-w1 on /.test(workerOutput)) {
      if (Date.now() - ready > 60_000) throw new Error(`the worker did not start:\n${workerOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    writeFileSync(
      join(dir, 'tiny.json'),
      JSON.stringify({
        name: 'CLI on a queue',
        dataset: {
          kind: 'simulated',
          params: { users: 150, items: 200, categories: 4, latentDim: 4, seed: 3 },
        },
        ranking: { model: 'none' },
        methods: [{ id: 'bc' }],
        training: { epochs: 1, batchSize: 256, learningRate: 0.05, embeddingDim: 8 },
        evaluation: { retrievalK: [10], corpus: 'all' },
        seeds: [1, 2],
        backend: 'wasm',
      }),
    );
    const previous = process.env.CASCADE_LAB_REDIS_PASSWORD;
    process.env.CASCADE_LAB_REDIS_PASSWORD = 'pw-in-env';
    let result;
    try {
      result = await runBin(dir, [
        'run',
        'tiny.json',
        '--db',
        'lab.db',
        '--json',
        'out.json',
        '--queue',
        url,
      ]);
    } finally {
      if (previous === undefined) delete process.env.CASCADE_LAB_REDIS_PASSWORD;
      else process.env.CASCADE_LAB_REDIS_PASSWORD = previous;
    }
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: cli-w1 \(WebAssembly/);
    expect(result.stderr).not.toContain('pw-in-env');
    const { runs } = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as {
      runs: { status: string; metrics: Record<string, number> }[];
    };
    expect(runs.map((r) => r.status)).toEqual(['finished', 'finished']);
    expect(result.stdout).toMatch(/R@10/);
  } finally {
    worker.kill('SIGKILL');
  }
}, 180_000);
