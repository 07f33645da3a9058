/**
 * Where a training step's time goes: kernels per step, milliseconds per kernel, and host reads
 * (tensor data brought back to JavaScript, a sync point on every backend), for `bench --profile`.
 *
 * Two passes over the same step function: the first times steps as they run (wall clock, nothing
 * instrumented); the second runs them inside tf.profile, which times each kernel (on CPU backends
 * the time spent in the kernel's call; on WebGPU the GPU's own timer), while the backend's read
 * methods are wrapped to count reads. Wall time minus kernel time is what the step spends outside
 * kernels: JavaScript (host-side embedding updates, batch drawing), tensor bookkeeping, GC.
 */
import * as tf from '@tensorflow/tfjs-core';
import { observeNativeOps } from '../tf/tensorflow-ops';

export interface KernelRow {
  kernel: string;
  callsPerStep: number;
  msPerStep: number;
}

export interface StepProfile {
  steps: number;
  /** Uninstrumented wall time per step. */
  wallMsPerStep: number;
  /** Sum of kernel times per step (instrumented pass). */
  kernelMsPerStep: number;
  kernelsPerStep: number;
  hostReadsPerStep: number;
  /** Slowest first. */
  kernels: KernelRow[];
}

/** The name tf.profile gives a tf.customGrad's forward function. */
const CUSTOM_FORWARD = 'forward';

type ReadMethods = { read: (dataId: object) => Promise<unknown>; readSync: (dataId: object) => unknown };

/** Counts the backend's reads while `body` runs (a read made inside another, e.g. read -> readSync, once). */
async function countingReads<T>(body: () => Promise<T>): Promise<{ value: T; reads: number }> {
  const backend = tf.backend() as unknown as ReadMethods;
  const { read, readSync } = backend;
  let reads = 0;
  let depth = 0;
  const counted = <R>(inner: () => R): R => {
    if (depth === 0) reads++;
    depth++;
    try {
      return inner();
    } finally {
      depth--;
    }
  };
  backend.read = (dataId) => counted(() => read.call(backend, dataId));
  backend.readSync = (dataId) => counted(() => readSync.call(backend, dataId));
  try {
    return { value: await body(), reads };
  } finally {
    backend.read = read;
    backend.readSync = readSync;
  }
}

/**
 * @param step one training step (it may read tensors; the reads are counted)
 * @param steps steps per pass (after `warmup` untimed ones)
 */
export async function profileSteps(
  step: () => Promise<void>,
  steps: number,
  warmup = 3,
): Promise<StepProfile> {
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`profileSteps: steps must be >= 1, got ${steps}`);
  for (let k = 0; k < warmup; k++) await step();
  const start = performance.now();
  for (let k = 0; k < steps; k++) await step();
  const wallMsPerStep = (performance.now() - start) / steps;

  // TensorFlow kernels run through tfjs-node's eager op API (batch norm, Adagrad) are not tfjs
  // kernels, so tf.profile does not see them: they are observed and counted as '<op> (native)'.
  const nativeOps: { name: string; ms: number }[] = [];
  observeNativeOps((op, ms) => nativeOps.push({ name: `${op} (native)`, ms }));
  const { value: info, reads } = await countingReads(() =>
    tf.profile(async () => {
      for (let k = 0; k < steps; k++) await step();
    }),
  ).finally(() => observeNativeOps(null));
  const byKernel = new Map<string, { calls: number; ms: number }>();
  // Composite records wrap kernels that are recorded too; counting both would count their time
  // twice: a custom gradient's forward function ('forward'), op scopes ('<op>__op') and, on
  // native TensorFlow, tfjs-node's _FusedMatMul (a matMul, an add and an activation).
  const composite = (name: string): boolean =>
    name === CUSTOM_FORWARD ||
    name.endsWith('__op') ||
    (name === '_FusedMatMul' && tf.getBackend() === 'tensorflow');
  const kernelsRun = [
    ...info.kernels
      .filter((kernel) => !composite(kernel.name))
      .map((kernel) => ({
        name: kernel.name,
        ms: typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0,
      })),
    ...nativeOps,
  ];
  for (const kernel of kernelsRun) {
    const row = byKernel.get(kernel.name) ?? { calls: 0, ms: 0 };
    row.calls++;
    row.ms += kernel.ms;
    byKernel.set(kernel.name, row);
  }
  const kernels = [...byKernel.entries()]
    .map(([kernel, row]) => ({ kernel, callsPerStep: row.calls / steps, msPerStep: row.ms / steps }))
    .sort((a, b) => b.msPerStep - a.msPerStep);
  return {
    steps,
    wallMsPerStep,
    kernelMsPerStep: kernels.reduce((sum, row) => sum + row.msPerStep, 0),
    kernelsPerStep: kernelsRun.length / steps,
    hostReadsPerStep: reads / steps,
    kernels,
  };
}
