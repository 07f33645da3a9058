import { describe, expect, it } from 'vitest';
import { JobCancelledError, type JobEvent } from '../../experiments/job';
import { createRng } from '../../random';
import { type StoppingRule, trainWithEarlyStopping } from './early-stopping';

/** Runs the loop on `rows` rows with validation values taken in turn from `values`. */
async function run(rule: StoppingRule, values: number[], rows = 10, batchSize = 4, signal?: AbortSignal) {
  const events: JobEvent[] = [];
  const batches: number[][] = [];
  const bestAt: number[] = [];
  let evaluation = 0;
  const result = await trainWithEarlyStopping({
    ctx: { emit: (e) => events.push(e), signal: signal ?? new AbortController().signal },
    rows,
    batchSize,
    shuffle: createRng(3),
    rule,
    curve: 'm',
    label: 'M',
    step: async (batch) => {
      batches.push(Array.from(batch));
      return 0.5;
    },
    validate: async () => values[evaluation++],
    onBest: async (step) => {
      bestAt.push(step);
    },
  });
  return { result, events, batches, bestAt };
}

describe('trainWithEarlyStopping', () => {
  it('stops after `patience` evaluations without improvement and reports the best step', async () => {
    const { result, bestAt, events } = await run(
      { maxSteps: 100, evalEvery: 2, patience: 2 },
      [0.5, 0.6, 0.55, 0.7, 0.69, 0.7, 0.9],
    );
    expect(bestAt).toEqual([2, 4, 8]);
    expect(result).toEqual({ bestStep: 8, bestValue: 0.7, stoppedStep: 12, capped: false });
    const valid = events.flatMap((e) => (e.type === 'curve' && e.name === 'm/valid-gauc' ? [e.step] : []));
    expect(valid).toEqual([2, 4, 6, 8, 10, 12]);
    const last = events.filter((e) => e.type === 'progress').pop();
    expect(last?.type === 'progress' && last.fraction).toBe(1);
  });

  it('stops at maxSteps (evaluating there) and covers every row once per pass', async () => {
    const { result, batches } = await run({ maxSteps: 5, evalEvery: 3, patience: 4 }, [0.1, 0.2]);
    expect(result).toEqual({ bestStep: 5, bestValue: 0.2, stoppedStep: 5, capped: true });
    // 10 rows at batch 4: passes of 4 + 4 + 2 rows, reshuffled between passes.
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2, 4, 4]);
    expect(
      batches
        .slice(0, 3)
        .flat()
        .sort((a, b) => a - b),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('names the setting of an impossible rule and stops when cancelled', async () => {
    await expect(run({ maxSteps: 2, evalEvery: 3, patience: 1 }, [])).rejects.toThrow(
      /protocolParams\.maxSteps/,
    );
    const controller = new AbortController();
    controller.abort();
    await expect(
      run({ maxSteps: 4, evalEvery: 1, patience: 1 }, [], 10, 4, controller.signal),
    ).rejects.toBeInstanceOf(JobCancelledError);
  });
});
