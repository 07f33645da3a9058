import { describe, expect, it } from 'vitest';
import { TrainingDivergedError } from '../experiments/job';
import { createRng } from '../random';
import { LOSS_GROWTH_BOUND, LOSS_SCALE_FLOOR, LossWatch, formatLoss } from './loss-watch';

/** Feeds losses as steps of epochs of `stepsPerEpoch`; returns what the watch threw, if anything. */
function watchOver(losses: readonly number[], stepsPerEpoch = 4): TrainingDivergedError | null {
  const watch = new LossWatch('BC');
  try {
    losses.forEach((loss, i) =>
      watch.observe(loss, Math.floor(i / stepsPerEpoch) + 1, (i % stepsPerEpoch) + 1),
    );
  } catch (error) {
    if (error instanceof TrainingDivergedError) return error;
    throw error;
  }
  return null;
}

describe('LossWatch', () => {
  it('stops at a NaN loss and names the method, epoch, step and the last finite loss', () => {
    const error = watchOver([0.69, 0.6, 0.55, 0.52, 0.5, NaN, 0.4]);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect(error?.message).toBe(
      'BC: training diverged at epoch 2, step 2: the loss became NaN; the last finite loss was 0.5 ' +
        '(epoch 2, step 1). A lower learning rate usually helps.',
    );
    expect(error?.label).toBe('BC');
    expect(error?.at).toMatchObject({ epoch: 2, step: 2 });
    expect(error?.lastFinite).toEqual({ epoch: 2, step: 1, loss: 0.5 });
  });

  it('stops at an infinite loss, also on the very first step', () => {
    expect(watchOver([0.7, -Infinity])?.message).toMatch(
      /^BC: training diverged at epoch 1, step 2: the loss became -Infinity; the last finite loss was 0\.7 /,
    );
    const first = watchOver([Infinity]);
    expect(first?.message).toMatch(
      /at epoch 1, step 1: the loss became Infinity; no step before it had a finite loss/,
    );
    expect(first?.lastFinite).toBeNull();
  });

  it(`stops a finite loss that grows past ${LOSS_GROWTH_BOUND} times its starting scale`, () => {
    // A blown-up optimiser: the loss multiplies by ten each step (lr 10 reached 3.8e17).
    const losses = Array.from({ length: 12 }, (_, i) => 2.5 * 10 ** i);
    const error = watchOver(losses);
    expect(error?.message).toBe(
      'BC: training diverged at epoch 2, step 1: the loss reached 25000, over 1000 times its starting ' +
        'scale (first loss 2.5, counted as at least 1). A lower learning rate usually helps.',
    );
    expect(error?.at).toEqual({ epoch: 2, step: 1, loss: losses[4] });
    expect(error?.lastFinite).toEqual({ epoch: 1, step: 4, loss: losses[3] });
    // Right at the bound is still allowed; just past it is not.
    expect(watchOver([2, 2 * LOSS_GROWTH_BOUND])).toBeNull();
    expect(watchOver([2, 2 * LOSS_GROWTH_BOUND * 1.001])).toBeInstanceOf(TrainingDivergedError);
    // Growth is measured in magnitude, so a loss that runs off to minus infinity is caught too.
    expect(watchOver([-2, -2001, -1e6])?.at.step).toBe(2);
    // A loss that starts below the floor is measured from the floor.
    expect(watchOver([0.6931, LOSS_GROWTH_BOUND * LOSS_SCALE_FLOOR])).toBeNull();
    expect(watchOver([0.6931, 1.001 * LOSS_GROWTH_BOUND * LOSS_SCALE_FLOOR])).toBeInstanceOf(
      TrainingDivergedError,
    );
  });

  it('lets a healthy noisy loss through, also one that starts at exactly zero', () => {
    // Mini-batch BCE: falling from ln 2 with multiplicative noise of up to 20 times either way.
    const rng = createRng(7);
    const losses = Array.from(
      { length: 2000 },
      (_, i) => (0.6931 / (1 + i / 200)) * 20 ** (2 * rng.uniform() - 1),
    );
    expect(Math.max(...losses) / losses[0]).toBeGreaterThan(10);
    expect(watchOver(losses, 100)).toBeNull();
    // An objective that is a difference (AR: L_bce - lambda * L_dom) may start near zero or at
    // zero and then move by order one.
    expect(watchOver([0.0001, -0.4, 1.5, 0.2])).toBeNull();
    expect(watchOver([0, 0.7, 3.5, -2])).toBeNull();
  });

  it('formats losses compactly', () => {
    expect([0.69314718, 12.345678, 3.8e17, 1.5e-7, 0, NaN].map(formatLoss)).toEqual([
      '0.6931',
      '12.35',
      '3.800e+17',
      '1.500e-7',
      '0',
      'NaN',
    ]);
  });
});
