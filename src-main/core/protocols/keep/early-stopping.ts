/**
 * The downstream models' training budget (issue #15): every downstream model of the KEEP testbed
 * (Base, Sample Merging, KEEP-C's and KEEP's) trains under the same rule, whatever the size of its
 * training set: batches drawn from its own rows (reshuffled at every pass), a validation GAUC
 * every `evalEvery` steps, a stop after `patience` evaluations without improvement or at
 * `maxSteps`, and the model of the best evaluation is the one scored. So Sample Merging's larger
 * pool no longer buys it more optimisation than Base, and each method is measured at its own
 * convergence point rather than after a fixed number of passes over its data.
 *
 * The best model is kept by scoring the test window whenever validation improves (`onBest`), which
 * gives the scores of the best step without copying weights. Curves per run: the mean training
 * loss and the validation GAUC at every evaluation (`<curve>/train`, `<curve>/valid-gauc`).
 */
import { JobCancelledError, type JobEvent } from '../../experiments/job';
import { LossWatch } from '../../methods/loss-watch';
import type { Rng } from '../../random';

/** The stopping rule (protocol settings maxSteps, evalEvery, patience; settings.ts). */
export interface StoppingRule {
  maxSteps: number;
  evalEvery: number;
  patience: number;
}

export interface EarlyStoppingOptions {
  ctx: { emit(event: JobEvent): void; signal: AbortSignal };
  /** Number of training rows; batches hold row indices in [0, rows). */
  rows: number;
  batchSize: number;
  shuffle: Rng;
  rule: StoppingRule;
  /** Curve name prefix, e.g. 'keep/downstream'. */
  curve: string;
  /** Words for log lines. */
  label: string;
  /** One optimisation step; returns its loss. */
  step(batch: Int32Array): Promise<number>;
  /** The validation metric (higher is better). */
  validate(): Promise<number>;
  /** Called after an evaluation that improved on every earlier one (score the test window here). */
  onBest(step: number): Promise<void>;
}

export interface EarlyStoppingResult {
  /** Step of the best validation value. */
  bestStep: number;
  bestValue: number;
  /** Step the training stopped at. */
  stoppedStep: number;
  /** Whether it stopped at maxSteps with validation still improving within `patience`. */
  capped: boolean;
}

export async function trainWithEarlyStopping(options: EarlyStoppingOptions): Promise<EarlyStoppingResult> {
  const { ctx, rows, batchSize, rule } = options;
  if (rows === 0) throw new Error(`${options.label}: there are no training examples`);
  if (rule.evalEvery < 1 || rule.maxSteps < rule.evalEvery || rule.patience < 1)
    throw new Error(
      `protocolParams.maxSteps: need 1 <= evalEvery <= maxSteps and patience >= 1, got ${JSON.stringify(rule)}`,
    );
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  options.shuffle.shuffle(order);
  const watch = new LossWatch(options.label);
  let position = 0;
  let lossSum = 0;
  let lossCount = 0;
  let best = -Infinity;
  let bestStep = 0;
  let sinceBest = 0;
  let step = 0;
  let lastEmit = performance.now();
  /** One progress event of this stage: its steps count against the maxSteps cap. */
  const emitProgress = (atStep: number, loss: number | null, fraction: number): void =>
    ctx.emit({
      type: 'progress',
      phase: 'train',
      epoch: 1,
      epochs: 1,
      step: atStep,
      stepsPerEpoch: rule.maxSteps,
      loss,
      samplesPerSecond: null,
      fraction,
    });
  while (step < rule.maxSteps) {
    if (ctx.signal.aborted) throw new JobCancelledError();
    if (position >= rows) {
      options.shuffle.shuffle(order);
      position = 0;
    }
    const batch = order.subarray(position, Math.min(rows, position + batchSize));
    position += batchSize;
    const loss = await options.step(batch);
    step++;
    watch.observe(loss, Math.ceil((step * batchSize) / rows), step);
    lossSum += loss * batch.length;
    lossCount += batch.length;
    const now = performance.now();
    if (now - lastEmit >= 200) {
      lastEmit = now;
      emitProgress(step, loss, step / rule.maxSteps);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (step % rule.evalEvery !== 0 && step !== rule.maxSteps) continue;
    const value = await options.validate();
    ctx.emit({ type: 'curve', name: `${options.curve}/train`, step, value: lossSum / lossCount });
    ctx.emit({ type: 'curve', name: `${options.curve}/valid-gauc`, step, value });
    lossSum = 0;
    lossCount = 0;
    if (value > best) {
      best = value;
      bestStep = step;
      sinceBest = 0;
      await options.onBest(step);
    } else if (++sinceBest >= rule.patience) break;
  }
  const capped = sinceBest < rule.patience;
  // The stage is done, stopped early or not: its share of the progress bar is full.
  emitProgress(step, null, 1);
  ctx.emit({
    type: 'log',
    level: 'info',
    message:
      `${options.label}: best validation GAUC ${best.toFixed(4)} at step ${bestStep}; stopped at step ${step}` +
      (capped
        ? ` (the maxSteps cap, ${rule.maxSteps}, before patience ran out)`
        : ` (patience ${rule.patience})`) +
      `; ${((step * batchSize) / rows).toFixed(1)} passes over ${rows} rows.`,
  });
  return { bestStep, bestValue: best, stoppedStep: step, capped };
}
