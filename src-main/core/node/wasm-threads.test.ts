import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../tf/backend';
import { MAX_WASM_THREADS } from '../tf/threads';
import { prepareNodeWasmThreads, unrefPthreadWorkers } from './wasm-threads';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('prepareNodeWasmThreads', () => {
  it('accepts 2 to 8 threads only', () => {
    const wasm = { setThreadsCount: () => undefined };
    const env = { set: () => undefined };
    for (const bad of [0, 1, 2.5, MAX_WASM_THREADS + 1])
      expect(() => prepareNodeWasmThreads(bad, wasm, env)).toThrow(/from 2 to 8/);
  });

  it('unrefPthreadWorkers releases the pool workers it finds and ignores other backends', () => {
    let unrefs = 0;
    const worker = { unref: () => unrefs++ };
    const backend = { wasm: { PThread: { unusedWorkers: [worker, worker], runningWorkers: [worker] } } };
    expect(unrefPthreadWorkers(backend)).toBe(3);
    expect(unrefs).toBe(3);
    expect(unrefPthreadWorkers({})).toBe(0);
    expect(unrefPthreadWorkers(null)).toBe(0);
  });
});

describe('initBackend with wasm threads (this file runs in a process of its own)', () => {
  it('starts the threaded binary with 2 threads, computes correctly and restores what it patched', async () => {
    const createObjectURL = URL.createObjectURL;
    const cpus = os.cpus;
    const result = await initBackend('wasm', { threads: 2 });
    expect(result.backend).toBe('wasm');
    expect(result.device).toBe('WebAssembly SIMD, 2 threads');
    expect(URL.createObjectURL).toBe(createObjectURL);
    expect(os.cpus).toBe(cpus);

    // A product large enough for XNNPACK to split it across the threads, checked in plain JS.
    const n = 96;
    const a = Float32Array.from({ length: n * n }, (_, k) => ((k * 7) % 13) - 6);
    const b = Float32Array.from({ length: n * n }, (_, k) => ((k * 5) % 11) - 5);
    const product = tf.matMul(tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])).dataSync();
    for (const [i, j] of [
      [0, 0],
      [17, 63],
      [95, 95],
      [50, 3],
    ]) {
      let expected = 0;
      for (let k = 0; k < n; k++) expected += a[i * n + k] * b[k * n + j];
      expect(product[i * n + j]).toBe(expected);
    }

    // The thread count is fixed for the process: a later request says what it got.
    const again = await initBackend('wasm', { threads: 1 });
    expect(again.device).toBe(
      'WebAssembly SIMD, 2 threads (1 requested; the wasm backend of this process started with 2)',
    );
  });

  it('lets the process exit once the work is done (the pool workers do not hold it)', () => {
    const script = [
      `import * as tf from ${JSON.stringify(import.meta.resolve('@tensorflow/tfjs-core'))};`,
      `import { initBackend } from ${JSON.stringify(new URL('../tf/backend.ts', import.meta.url).href)};`,
      "const r = await initBackend('wasm', { threads: 2 });",
      'tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync();',
      'console.log(r.device);',
    ].join('\n');
    const dir = mkdtempSync(join(os.tmpdir(), 'cascade-wasm-threads-'));
    const file = join(dir, 'exit.mts');
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      timeout: 30_000,
      encoding: 'utf8',
    });
    rmSync(dir, { recursive: true, force: true });
    expect(child.error, child.stderr).toBeUndefined();
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('WebAssembly SIMD, 2 threads');
  });
});
