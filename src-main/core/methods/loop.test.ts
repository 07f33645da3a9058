import { describe, expect, it } from 'vitest';
import { JobCancelledError, type JobEvent, TrainingDivergedError } from '../experiments/job';
import { createRng } from '../random';
import { type EpochLoopOptions, PROGRESS_INTERVAL_MS, runEpochs } from './loop';

function context(events: JobEvent[], signal = new AbortController().signal): EpochLoopOptions['ctx'] {
  return { emit: (e) => events.push(e), signal };
}

const examples = Int32Array.from({ length: 10 }, (_, i) => i);

describe('runEpochs', () => {
  it('visits every example once per epoch in shuffled batches, with per-epoch curves and logs', async () => {
    const events: JobEvent[] = [];
    const seen: number[][] = [[], []];
    let epoch = 0;
    const result = await runEpochs({
      ctx: context(events),
      label: 'T',
      examples,
      epochs: 2,
      batchSize: 4,
      shuffle: createRng(3),
      step: async (batch) => {
        seen[epoch].push(...batch);
        return batch.length; // loss = batch size, so the weighted mean is known
      },
      afterEpoch: (e) => {
        epoch = e;
        return { 'valid/x': e * 10 };
      },
    });
    for (const s of seen) expect([...s].sort((a, b) => a - b)).toEqual(Array.from(examples));
    expect(seen[0]).not.toEqual(Array.from(examples));
    // Batches of 4, 4, 2: weighted mean loss = (4*4 + 4*4 + 2*2) / 10 = 3.6.
    expect(result.epochLoss).toEqual([3.6, 3.6]);
    const curves = events.flatMap((e) => (e.type === 'curve' ? [`${e.name}@${e.step}=${e.value}`] : []));
    expect(curves).toEqual(['train/loss@1=3.6', 'valid/x@1=10', 'train/loss@2=3.6', 'valid/x@2=20']);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.at(-1)).toMatchObject({
      epoch: 2,
      step: 3,
      stepsPerEpoch: 3,
      fraction: 1,
      phase: 'train',
    });
    expect(events.filter((e) => e.type === 'log')).toHaveLength(2);
  });

  it('emits progress at most every PROGRESS_INTERVAL_MS, plus once per epoch end', async () => {
    const events: JobEvent[] = [];
    const start = performance.now();
    await runEpochs({
      ctx: context(events),
      label: 'T',
      examples: Int32Array.from({ length: 4000 }, (_, i) => i),
      epochs: 2,
      batchSize: 1,
      shuffle: createRng(3),
      step: async () => {
        const until = performance.now() + 0.1;
        while (performance.now() < until) {
          /* about 0.1 ms of work per step */
        }
        return 1;
      },
    });
    const elapsed = performance.now() - start;
    const count = events.filter((e) => e.type === 'progress').length;
    expect(count).toBeLessThanOrEqual(Math.ceil(elapsed / PROGRESS_INTERVAL_MS) + 2);
    expect(count).toBeGreaterThanOrEqual(2);
  });

  it('throws JobCancelledError once the signal aborts, and rejects non-finite losses', async () => {
    const controller = new AbortController();
    let steps = 0;
    await expect(
      runEpochs({
        ctx: context([], controller.signal),
        label: 'T',
        examples,
        epochs: 5,
        batchSize: 2,
        shuffle: createRng(1),
        step: async () => {
          if (++steps === 3) controller.abort();
          return 1;
        },
      }),
    ).rejects.toBeInstanceOf(JobCancelledError);
    expect(steps).toBe(3);
    await expect(
      runEpochs({
        ctx: context([]),
        label: 'T',
        examples,
        epochs: 1,
        batchSize: 5,
        shuffle: createRng(1),
        step: async () => NaN,
      }),
    ).rejects.toThrow(/T: training diverged at epoch 1, step 1: the loss became NaN/);
  });

  it('stops at the first step whose loss explodes, with no curve for that epoch', async () => {
    const events: JobEvent[] = [];
    let steps = 0;
    const run = runEpochs({
      ctx: context(events),
      label: 'T',
      examples,
      epochs: 3,
      batchSize: 5,
      shuffle: createRng(1),
      // Two healthy steps (epoch 1), then the loss multiplies by 100 each step.
      step: async () => (++steps <= 2 ? 0.7 : 0.7 * 100 ** (steps - 2)),
    });
    await expect(run).rejects.toBeInstanceOf(TrainingDivergedError);
    await expect(run).rejects.toThrow(
      /^T: training diverged at epoch 2, step 2: the loss reached 7000, over 1000 times/,
    );
    expect(steps).toBe(4);
    const curves = events.flatMap((e) => (e.type === 'curve' ? [e.step] : []));
    expect(curves).toEqual([1]);
  });
});
