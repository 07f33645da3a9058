import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NATIVE_TENSORFLOW_TESTED, nativeTitle } from './native-test-support';

/*
 * A signal arriving while oneDNN's AVX-512 sgemm runs corrupts the heap (uxlfoundation/oneDNN#4845;
 * TensorFlow's MatMul kernel reaches it, see nativeMatMul in tensorflow-ops.ts). Node's sampling
 * profiler signals the main thread every 100 us here, so a loop of dense-layer steps meets it
 * within seconds: with MatMul this child aborted on every run ("corrupted size vs. prev_size while
 * consolidating", exit 134).
 */
describe.skipIf(!NATIVE_TENSORFLOW_TESTED)(nativeTitle('native TensorFlow training under signals'), () => {
  it('survives 200 dense-layer gradient steps under a 100 us sampling profiler', () => {
    const profiles = mkdtempSync(join(tmpdir(), 'cascade-lab-signals-'));
    try {
      const fixture = fileURLToPath(new URL('./fixtures/dense-training-loop.ts', import.meta.url));
      const child = spawnSync(
        process.execPath,
        [
          '--cpu-prof',
          '--cpu-prof-interval',
          '100',
          '--cpu-prof-dir',
          profiles,
          '--import',
          'tsx',
          fixture,
          '200',
        ],
        { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TF_NUM_INTRAOP_THREADS: '1' } },
      );
      expect({ status: child.status, signal: child.signal, stderr: child.stderr.slice(-2000) }).toEqual({
        status: 0,
        signal: null,
        stderr: expect.any(String) as unknown,
      });
      expect(child.stdout).toBe('done\n');
    } finally {
      rmSync(profiles, { recursive: true, force: true });
    }
  });
});
