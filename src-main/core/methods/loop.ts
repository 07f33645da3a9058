/**
 * The epoch/batch loop shared by methods: per-epoch shuffling, cancellation between steps,
 * progress events at most five times a second (with a yield to the event loop so a worker can
 * receive its abort message), per-epoch curves and log lines, and the health check of every
 * step's loss (loss-watch.ts: a diverged training throws TrainingDivergedError).
 */
import { JobCancelledError, type JobEvent } from '../experiments/job';
import type { Rng } from '../random';
import { LossWatch } from './loss-watch';

/** Minimum time between two progress events. */
export const PROGRESS_INTERVAL_MS = 200;

export interface EpochLoopOptions {
  /** Where events go and what cancels the loop (a testbed's job or method context). */
  ctx: { emit(event: JobEvent): void; signal: AbortSignal };
  /** Example ids (e.g. interaction rows); shuffled every epoch with `shuffle`. */
  examples: Int32Array;
  epochs: number;
  batchSize: number;
  /** Shuffling randomness (fork of the context's rng). */
  shuffle: Rng;
  /**
   * One optimisation step on a batch of example ids; returns its loss. Asynchronous so that a
   * step reads its tensors with `await data()`: the WebGPU backend cannot read synchronously in
   * Node, and an await lets the worker's event loop run.
   */
  step(batch: Int32Array): Promise<number>;
  /** After each epoch: extra named values for the curves (e.g. validation loss). */
  afterEpoch?(epoch: number): Promise<Record<string, number>> | Record<string, number>;
  /** Curve name of the mean training loss per epoch. */
  lossCurve?: string;
  /** Words for log lines, e.g. 'BC'. */
  label: string;
}

export interface EpochLoopResult {
  /** Mean training loss of each epoch. */
  epochLoss: number[];
  samplesPerSecond: number;
}

/** Lets queued messages (an abort from the parent thread) run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new JobCancelledError();
}

export async function runEpochs(options: EpochLoopOptions): Promise<EpochLoopResult> {
  const { ctx, epochs, batchSize } = options;
  const order = Int32Array.from(options.examples);
  const stepsPerEpoch = Math.ceil(order.length / batchSize);
  if (stepsPerEpoch === 0) throw new Error(`${options.label}: there are no training examples`);
  const totalSteps = epochs * stepsPerEpoch;
  const epochLoss: number[] = [];
  const trainStart = performance.now();
  let lastEmit = performance.now();
  let samplesSinceEmit = 0;
  let samplesTotal = 0;
  const watch = new LossWatch(options.label);

  for (let epoch = 0; epoch < epochs; epoch++) {
    options.shuffle.shuffle(order);
    let lossSum = 0;
    let lossCount = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      throwIfCancelled(ctx.signal);
      const batch = order.subarray(s * batchSize, Math.min(order.length, (s + 1) * batchSize));
      const loss = await options.step(batch);
      watch.observe(loss, epoch + 1, s + 1);
      lossSum += loss * batch.length;
      lossCount += batch.length;
      samplesSinceEmit += batch.length;
      samplesTotal += batch.length;
      const now = performance.now();
      const lastStep = s === stepsPerEpoch - 1;
      if (now - lastEmit >= PROGRESS_INTERVAL_MS || lastStep) {
        ctx.emit({
          type: 'progress',
          phase: 'train',
          epoch: epoch + 1,
          epochs,
          step: s + 1,
          stepsPerEpoch,
          loss,
          samplesPerSecond: (samplesSinceEmit * 1000) / Math.max(1e-3, now - lastEmit),
          fraction: (epoch * stepsPerEpoch + s + 1) / totalSteps,
        });
        lastEmit = now;
        samplesSinceEmit = 0;
        await yieldToEventLoop();
      }
    }
    const meanLoss = lossSum / lossCount;
    epochLoss.push(meanLoss);
    ctx.emit({ type: 'curve', name: options.lossCurve ?? 'train/loss', step: epoch + 1, value: meanLoss });
    const extra = options.afterEpoch ? await options.afterEpoch(epoch + 1) : {};
    for (const [name, value] of Object.entries(extra))
      ctx.emit({ type: 'curve', name, step: epoch + 1, value });
    const extraText = Object.entries(extra)
      .map(([name, value]) => `, ${name} ${value.toFixed(4)}`)
      .join('');
    ctx.emit({
      type: 'log',
      level: 'info',
      message: `${options.label} epoch ${epoch + 1}/${epochs}: train loss ${meanLoss.toFixed(4)}${extraText}`,
    });
  }
  const seconds = (performance.now() - trainStart) / 1000;
  return { epochLoss, samplesPerSecond: samplesTotal / Math.max(1e-6, seconds) };
}
