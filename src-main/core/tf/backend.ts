/**
 * Chooses and initialises the TensorFlow.js backend.
 *
 * Order (fastest first): `tensorflow` (native TensorFlow through @tensorflow/tfjs-node-gpu, then
 * @tensorflow/tfjs-node, whichever has its native binding built: `cascade-lab setup tensorflow`
 * builds it where npm could not download it), `webgpu` (Dawn through the `webgpu` npm package plus
 * @tensorflow/tfjs-backend-webgpu), `wasm`, `cpu`. The native and WebGPU packages are optional
 * and usually absent, so they are loaded by dynamic import of a module name held in a variable:
 * neither tsc nor a bundler tries to resolve them. A backend that fails hands over to the next
 * one in the order, with a one-line note saying why.
 *
 * What needs Node (finding the native packages in node_modules, probing for Dawn's Vulkan
 * loader, starting wasm's thread pool in worker threads) lives in core/node and is imported
 * only when that backend is tried in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, type BackendChoice, type BackendName } from '../../contract/api';

export interface BackendInit {
  backend: BackendName;
  /** Device or adapter, e.g. `WebAssembly SIMD, 1 thread`. */
  device: string;
  /** One line per backend that was tried and skipped, in order. */
  notes: string[];
}

/** Initialises one backend and returns its device string, or throws saying why it cannot run. */
export type BackendLoader = () => Promise<string>;
export type BackendLoaders = Record<BackendName, BackendLoader>;

/** The first line of an error's message: notes are one line each. */
export function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Notes are one line: keep the first line of multi-line loader errors.
  return message.split('\n')[0].trim() || 'unknown error';
}

/**
 * Pure selection logic: tries the requested backend (for `auto`, the first in the order) and
 * falls back along BACKEND_NAMES after it. Throws when nothing from there on works.
 */
export async function chooseBackend(choice: BackendChoice, loaders: BackendLoaders): Promise<BackendInit> {
  const start = choice === 'auto' ? 0 : BACKEND_NAMES.indexOf(choice);
  if (start < 0)
    throw new Error(
      `Unknown backend "${String(choice)}"; expected auto or one of ${BACKEND_NAMES.join(', ')}.`,
    );
  const notes: string[] = [];
  for (let k = start; k < BACKEND_NAMES.length; k++) {
    const name = BACKEND_NAMES[k];
    try {
      const device = await loaders[name]();
      return { backend: name, device, notes };
    } catch (error) {
      const next = BACKEND_NAMES[k + 1];
      notes.push(`${name} unavailable (${reason(error)})${next ? `; trying ${next}` : ''}.`);
    }
  }
  throw new Error(`No TensorFlow.js backend could be initialised: ${notes.join(' ')}`);
}

type LooseModule = Record<string, unknown>;

/** Dynamic import of a package that may be absent; the name in a variable keeps tsc and bundlers out. */
export async function importOptional(name: string): Promise<LooseModule> {
  const specifier = name;
  try {
    return (await import(/* @vite-ignore */ specifier)) as LooseModule;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    // Only the package itself being absent is "not installed"; a broken dependency keeps its message.
    if (missing && error instanceof Error && error.message.includes(`'${name}'`)) {
      throw new Error(`${name} is not installed`);
    }
    throw error;
  }
}

/** Switches tfjs to the registered backend `name` and waits until it is ready. */
export async function activate(name: BackendName): Promise<void> {
  if (!tf.findBackendFactory(name)) throw new Error(`the ${name} backend is not registered`);
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`tf.getBackend() is ${tf.getBackend()}, not ${name}`);
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  requestAdapterInfo?: () => Promise<{
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
  }>;
}
interface GpuLike {
  requestAdapter(options?: unknown): Promise<GpuAdapterLike | null>;
}

/** Where and how the Vulkan loader is looked for (injectable for tests). */
export interface VulkanProbe {
  platform: string;
  /** LD_LIBRARY_PATH */
  libraryPath: string | undefined;
  exists: (path: string) => boolean;
  /** The dynamic linker's cache (/etc/ld.so.cache), or null when unreadable. */
  linkerCache: () => string | null;
}

export const VULKAN_LOADER = 'libvulkan.so.1';
const STANDARD_LIBRARY_DIRS = [
  '/lib',
  '/usr/lib',
  '/lib64',
  '/usr/lib64',
  '/usr/local/lib',
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
];

/**
 * Whether Dawn can load the Vulkan loader on Linux (other platforms: true, Dawn uses Metal or
 * D3D there). Without it Dawn finds no adapter anyway, after printing a multi-line warning of
 * its own; checking first keeps the fallback note to one line and skips loading Dawn.
 */
export function vulkanLoaderFound(probe: VulkanProbe): boolean {
  if (probe.platform !== 'linux') return true;
  const dirs = [...(probe.libraryPath ?? '').split(':').filter((d) => d !== ''), ...STANDARD_LIBRARY_DIRS];
  if (dirs.some((dir) => probe.exists(`${dir}/${VULKAN_LOADER}`))) return true;
  return probe.linkerCache()?.includes(VULKAN_LOADER) ?? false;
}

async function loadWebgpu(): Promise<string> {
  const globalScope = globalThis as { navigator?: { gpu?: unknown } };
  if (!globalScope.navigator?.gpu) {
    const dawn = await importOptional('webgpu');
    // Importing is silent; Dawn's search for adapters is where a missing loader gets noisy.
    const { nodeVulkanProbe } = await import('../node/tf-backends');
    if (!vulkanLoaderFound(nodeVulkanProbe()))
      throw new Error(`Dawn needs the Vulkan loader (${VULKAN_LOADER}), which is not installed`);
    const create = dawn.create;
    if (typeof create !== 'function') throw new Error('the webgpu package has no create()');
    // The backend package looks for WebGPU globals (GPUBufferUsage, ...) when it loads.
    if (typeof dawn.globals === 'object' && dawn.globals !== null) Object.assign(globalThis, dawn.globals);
    const gpu: unknown = create([]);
    if (globalScope.navigator) {
      Object.defineProperty(globalScope.navigator, 'gpu', { value: gpu, configurable: true });
    } else {
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    }
  }
  const gpu = globalScope.navigator?.gpu as GpuLike | undefined;
  if (!gpu || typeof gpu.requestAdapter !== 'function') throw new Error('navigator.gpu is not available');
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter found');
  const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {});
  await importOptional('@tensorflow/tfjs-backend-webgpu');
  await activate('webgpu');
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ');
  return `WebGPU: ${name || 'unnamed adapter'}`;
}

export interface BackendOptions {
  /** Folder holding the tfjs-backend-wasm *.wasm files, for bundled apps; the package's own by default. */
  wasmDir?: string;
  /**
   * Compute threads. wasm: XNNPACK threads (default 1); more than 1 starts the threaded SIMD
   * binary through core/node/wasm-threads.ts. tensorflow: TensorFlow's intra-op threads (default: its
   * own, all cores), unless TF_NUM_INTRAOP_THREADS is set. Fixed once the backend has started in
   * a process (or worker); jobs already run one worker per core, so keep 1 there.
   */
  threads?: number;
}

/** Thread count the wasm backend of this process started with (null: not started yet). */
let wasmStartedThreads: number | null = null;

async function loadWasm(options: BackendOptions): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (options.wasmDir) {
    const dir = options.wasmDir.endsWith('/') ? options.wasmDir : `${options.wasmDir}/`;
    wasm.setWasmPaths(dir);
  }
  const requested = options.threads ?? 1;
  let fallback = '';
  if (wasmStartedThreads === null && requested > 1) {
    // Browsers pick the threaded binary themselves; in Node it needs the workarounds.
    const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
    if (isNode) {
      let restore: (() => void) | null = null;
      try {
        const { prepareNodeWasmThreads, unrefPthreadWorkers } = await import('../node/wasm-threads');
        restore = prepareNodeWasmThreads(requested, wasm, tf.env());
        await activate('wasm');
        unrefPthreadWorkers(tf.backend());
      } catch (error) {
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        wasm.setThreadsCount(1);
        fallback = ` (${requested} threads requested: ${reason(error)})`;
      } finally {
        restore?.();
      }
    } else {
      wasm.setThreadsCount(requested);
    }
  }
  await activate('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = wasm.getThreadsCount();
  if (wasmStartedThreads === null) wasmStartedThreads = threads;
  if (!fallback && requested !== threads) {
    fallback = ` (${requested} requested; the wasm backend of this process started with ${threads})`;
  }
  return `WebAssembly${simd ? ' SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'}${fallback}`;
}

async function loadCpu(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  await activate('cpu');
  return 'JavaScript (CPU)';
}

/** The real loaders for this process. */
export function defaultBackendLoaders(options: BackendOptions = {}): BackendLoaders {
  return {
    tensorflow: async () => (await import('../node/tf-backends')).loadTensorflow(options),
    webgpu: loadWebgpu,
    wasm: () => loadWasm(options),
    cpu: loadCpu,
  };
}

let current: { key: string; result: Promise<BackendInit> } | null = null;

/**
 * Initialises the backend for this process (or worker). Calling again with the same choice and
 * options returns the first result (re-activating that backend if something switched away from
 * it); a different choice selects again.
 */
export async function initBackend(choice: BackendChoice, options: BackendOptions = {}): Promise<BackendInit> {
  const key = JSON.stringify([choice, options.wasmDir ?? null, options.threads ?? 1]);
  if (current && current.key === key) {
    const previous = await current.result;
    if (tf.getBackend() === previous.backend) return previous;
  }
  const result = chooseBackend(choice, defaultBackendLoaders(options));
  current = { key, result };
  try {
    return await result;
  } catch (error) {
    current = null;
    throw error;
  }
}
