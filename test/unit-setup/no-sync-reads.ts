/**
 * Vitest setup: training and evaluation read tensors with `await data()` (the WebGPU backend
 * cannot read synchronously in Node). A synchronous read (dataSync, arraySync, bufferSync)
 * called from the project's own code outside a test file throws, so every job the unit tests run,
 * on every testbed, checks it on the CPU backends. Tests themselves may read synchronously.
 */
import * as tf from '@tensorflow/tfjs-core';
import { syncReadCaller } from './sync-read-caller';

type SyncRead = 'dataSync' | 'arraySync' | 'bufferSync';

for (const name of ['dataSync', 'arraySync', 'bufferSync'] as const satisfies readonly SyncRead[]) {
  const prototype = tf.Tensor.prototype as unknown as Record<SyncRead, (...args: unknown[]) => unknown>;
  const original = prototype[name];
  prototype[name] = function (this: tf.Tensor, ...args: unknown[]): unknown {
    const caller = syncReadCaller(new Error().stack ?? '');
    if (caller)
      throw new Error(
        `synchronous tensor read (${name}) in ${caller}: training and evaluation read with await data()`,
      );
    return original.apply(this, args);
  };
}
