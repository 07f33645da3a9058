/**
 * Multi-threaded tfjs-backend-wasm under Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD binary (XNNPACK's thread pool on Emscripten
 * pthreads, i.e. worker threads sharing the wasm memory) but switches it off in Node: its flag
 * WASM_HAS_MULTITHREAD_SUPPORT answers false when IS_NODE (tfjs issue #3830). Turned on as it is,
 * three things fail, each worked around here for the duration of the backend's initialisation:
 *  1. The pthread worker script is handed to `new Worker` as a blob: URL, which Node's
 *     worker_threads reject (ERR_WORKER_PATH). -> URL.createObjectURL answers, for that one script,
 *     the path of a copy written to a temporary folder.
 *  2. Each pthread worker then loads the Emscripten module from a Blob through `importScripts`,
 *     which Emscripten's Node shim implements with fs.readFileSync. -> the copy is patched to load
 *     the package's own `wasm-out/tfjs-backend-wasm-threaded-simd.js` by path instead.
 *  3. The pool is capped at emscripten_num_logical_cores() / 2, i.e. os.cpus().length / 2 in
 *     Node (one thread on a 2-core machine). -> os.cpus() reports 2 * threads cores while the
 *     module starts.
 * Everything is restored once the backend is up. The binary pre-creates a pool of 8 worker
 * threads (its PTHREAD_POOL_SIZE) whatever the thread count, about 10 MB each.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { MAX_WASM_THREADS } from '../tf/threads';

const PACKAGE = '@tensorflow/tfjs-backend-wasm';
/** Where the worker loads the Emscripten module from a Blob; replaced by a load by path. */
const BLOB_LOAD = 'if(typeof e.data.urlOrBlob=="string")';

interface WasmThreadsModule {
  setThreadsCount(threads: number): void;
}
interface FlagEnv {
  set(flag: string, value: boolean): void;
}

/** Writes the patched pthread worker script (once per content); returns its path. */
function writeWorkerScript(): string {
  const require = createRequire(import.meta.url);
  const mainScript = require.resolve(`${PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.js`);
  const { wasmWorkerContents } = require(`${PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`) as {
    wasmWorkerContents?: unknown;
  };
  if (typeof wasmWorkerContents !== 'string' || !wasmWorkerContents.includes(BLOB_LOAD)) {
    throw new Error(`this ${PACKAGE} build's pthread worker script has an unexpected form`);
  }
  // The package escapes newlines the same way before making its blob (they sit in string literals).
  const script =
    `var __cascadeLabMainScript = ${JSON.stringify(mainScript)};\n` +
    wasmWorkerContents
      .replace(/\n/g, '\\n')
      .replace(
        BLOB_LOAD,
        `if(typeof e.data.urlOrBlob!="string")e.data.urlOrBlob=__cascadeLabMainScript;${BLOB_LOAD}`,
      );
  // One file per script content, shared by every process and kept: no clean-up to miss when a
  // process is killed. Written under a unique name and renamed, so a reader never sees half of
  // it; an existing file is used only if it holds exactly this script.
  const folder = join(os.tmpdir(), 'cascade-lab-wasm-threads');
  const path = join(folder, `worker-${createHash('sha256').update(script).digest('hex').slice(0, 16)}.cjs`);
  if (!existsSync(path) || readFileSync(path, 'utf8') !== script) {
    mkdirSync(folder, { recursive: true });
    const partial = `${path}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(partial, script);
    renameSync(partial, path);
  }
  return path;
}

/**
 * Prepares the wasm backend to start with `threads` XNNPACK threads; call before its first
 * initialisation, then call the returned function once initialisation has finished (or failed).
 */
export function prepareNodeWasmThreads(threads: number, wasm: WasmThreadsModule, env: FlagEnv): () => void {
  if (!Number.isInteger(threads) || threads < 2 || threads > MAX_WASM_THREADS) {
    throw new Error(`wasm threads must be an integer from 2 to ${MAX_WASM_THREADS}, got ${threads}`);
  }
  const workerPath = writeWorkerScript();
  const originalCreateObjectURL = URL.createObjectURL;
  const originalCpus = os.cpus;
  URL.createObjectURL = (object: Blob) =>
    object.type === 'application/javascript' ? workerPath : originalCreateObjectURL.call(URL, object);
  const cpus = originalCpus();
  const mutableOs = os as { cpus: () => os.CpuInfo[] };
  mutableOs.cpus = () => Array.from({ length: 2 * threads }, (_, k) => cpus[k % Math.max(1, cpus.length)]);
  env.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  return () => {
    URL.createObjectURL = originalCreateObjectURL;
    mutableOs.cpus = originalCpus;
  };
}

interface UnrefWorker {
  unref?: () => void;
}

/**
 * Lets the process exit while the pool's worker threads wait for work: Emscripten keeps them
 * referenced, so a finished CLI command would otherwise hang. `backend` is the started wasm
 * backend (its `wasm.PThread` holds the workers). Returns how many workers were released.
 */
export function unrefPthreadWorkers(backend: unknown): number {
  const pthread = (backend as { wasm?: { PThread?: Record<string, unknown> } } | null)?.wasm?.PThread;
  if (!pthread) return 0;
  let released = 0;
  for (const list of [pthread.unusedWorkers, pthread.runningWorkers]) {
    if (!Array.isArray(list)) continue;
    for (const worker of list as UnrefWorker[]) {
      if (typeof worker.unref === 'function') {
        worker.unref();
        released++;
      }
    }
  }
  return released;
}
