import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { BackendName } from '../../contract/api';
import { TENSORFLOW_PACKAGES, nativeBindingState } from '../node/tf-backends';
import {
  type BackendLoaders,
  type VulkanProbe,
  chooseBackend,
  initBackend,
  vulkanLoaderFound,
} from './backend';

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
  it('takes native TensorFlow when its binding is built, else falls back to wasm saying why in one line', async () => {
    const states = await Promise.all(TENSORFLOW_PACKAGES.map((p) => nativeBindingState(p.name)));
    const built = states.some((s) => s.state === 'built');
    const result = await initBackend('auto');
    if (built) {
      expect(result).toEqual({
        backend: 'tensorflow',
        device: expect.stringMatching(/^TensorFlow native/),
        notes: [],
      });
    } else {
      expect(result.backend).toBe('wasm');
      expect(result.device).toMatch(/^WebAssembly( SIMD)?, \d+ threads?$/);
      expect(result.notes[0]).toMatch(/^tensorflow unavailable \(.*cascade-lab setup tensorflow/);
      // Installed or not, the webgpu backend cannot start without a GPU: one line saying why.
      expect(result.notes[1]).toMatch(
        /^webgpu unavailable \((webgpu is not installed|Dawn needs the Vulkan loader|no WebGPU adapter found)/,
      );
    }
    for (const note of result.notes) expect(note).not.toContain('\n');
    const wasm = await initBackend('wasm');
    expect(wasm.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const cpu = await initBackend('cpu');
    expect(cpu).toEqual({ backend: 'cpu', device: 'JavaScript (CPU)', notes: [] });
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('vulkanLoaderFound', () => {
  const probe = (over: Partial<VulkanProbe>): VulkanProbe => ({
    platform: 'linux',
    libraryPath: undefined,
    exists: () => false,
    linkerCache: () => null,
    ...over,
  });

  it('finds libvulkan.so.1 on LD_LIBRARY_PATH, in a standard folder or in the linker cache', () => {
    expect(vulkanLoaderFound(probe({}))).toBe(false);
    expect(
      vulkanLoaderFound(
        probe({ libraryPath: '/opt/vk/lib:', exists: (p) => p === '/opt/vk/lib/libvulkan.so.1' }),
      ),
    ).toBe(true);
    expect(
      vulkanLoaderFound(probe({ exists: (p) => p === '/usr/lib/x86_64-linux-gnu/libvulkan.so.1' })),
    ).toBe(true);
    expect(
      vulkanLoaderFound(probe({ linkerCache: () => 'ld.so-1.7.0\0libvulkan.so.1\0/usr/lib/libvulkan.so.1' })),
    ).toBe(true);
    expect(vulkanLoaderFound(probe({ linkerCache: () => 'libc.so.6 libm.so.6' }))).toBe(false);
    // Other platforms have their own graphics APIs (Metal, D3D12).
    expect(vulkanLoaderFound(probe({ platform: 'darwin' }))).toBe(true);
    expect(vulkanLoaderFound(probe({ platform: 'win32' }))).toBe(true);
  });
});
