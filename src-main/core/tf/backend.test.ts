import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { BackendName } from '../../contract/api';
import { type BackendLoaders, chooseBackend, initBackend } from './backend';

/** Loaders that succeed for the named backends and fail for the others, recording calls. */
function fakeLoaders(working: BackendName[]): { loaders: BackendLoaders; calls: BackendName[] } {
  const calls: BackendName[] = [];
  const make = (name: BackendName) => async () => {
    calls.push(name);
    if (!working.includes(name)) throw new Error(`${name} missing\nsecond line`);
    return `${name}-device`;
  };
  return {
    loaders: { tensorflow: make('tensorflow'), webgpu: make('webgpu'), wasm: make('wasm'), cpu: make('cpu') },
    calls,
  };
}

describe('chooseBackend', () => {
  it('auto takes the first working backend in the order, noting each skipped one in one line', async () => {
    const { loaders, calls } = fakeLoaders(['wasm', 'cpu']);
    const result = await chooseBackend('auto', loaders);
    expect(result.backend).toBe('wasm');
    expect(result.device).toBe('wasm-device');
    expect(calls).toEqual(['tensorflow', 'webgpu', 'wasm']);
    expect(result.notes).toEqual([
      'tensorflow unavailable (tensorflow missing); trying webgpu.',
      'webgpu unavailable (webgpu missing); trying wasm.',
    ]);
  });

  it('auto prefers tensorflow when it works, with no notes', async () => {
    const { loaders, calls } = fakeLoaders(['tensorflow', 'wasm', 'cpu']);
    expect(await chooseBackend('auto', loaders)).toEqual({
      backend: 'tensorflow',
      device: 'tensorflow-device',
      notes: [],
    });
    expect(calls).toEqual(['tensorflow']);
  });

  it('an explicit choice starts there and falls back only to later backends', async () => {
    const { loaders, calls } = fakeLoaders(['tensorflow', 'cpu']);
    const result = await chooseBackend('webgpu', loaders);
    expect(result.backend).toBe('cpu');
    expect(calls).toEqual(['webgpu', 'wasm', 'cpu']);
    expect(result.notes).toHaveLength(2);

    const explicit = fakeLoaders(['wasm', 'cpu']);
    expect((await chooseBackend('cpu', explicit.loaders)).backend).toBe('cpu');
    expect(explicit.calls).toEqual(['cpu']);
  });

  it('throws with every note when nothing works', async () => {
    const { loaders } = fakeLoaders([]);
    await expect(chooseBackend('wasm', loaders)).rejects.toThrow(/wasm unavailable.*cpu unavailable/);
    await expect(chooseBackend('gpu' as BackendName, loaders)).rejects.toThrow(/Unknown backend/);
  });
});

describe('initBackend', () => {
  it('falls back from the absent optional backends to wasm in this environment', async () => {
    const result = await initBackend('auto');
    expect(result.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(result.device).toMatch(/^WebAssembly( SIMD)?, \d+ threads?$/);
    expect(result.notes[0]).toMatch(/^tensorflow unavailable \(.*tfjs-node-gpu/);
    expect(result.notes[1]).toMatch(/^webgpu unavailable/);
    for (const note of result.notes) expect(note).not.toContain('\n');
    const cpu = await initBackend('cpu');
    expect(cpu).toEqual({ backend: 'cpu', device: 'JavaScript (CPU)', notes: [] });
    expect(tf.getBackend()).toBe('cpu');
  });
});
