/**
 * The training health check of the epoch loop (loop.ts), so every method's training has it: a
 * loss that is not finite, or that grows past LOSS_GROWTH_BOUND times its starting scale, stops the
 * run with a TrainingDivergedError instead of letting it finish with metrics of a blown-up model.
 *
 * It looks only at the per-step losses the loop already holds as numbers (each step reads its
 * loss with `await data()`), so it adds no read from the device: a few comparisons per step.
 */
import { type DivergencePoint, TrainingDivergedError } from '../experiments/job';

/**
 * How many times its starting scale (the magnitude of its first value, at least LOSS_SCALE_FLOOR)
 * a training loss may reach before the run counts as diverged. Healthy losses fall or wobble
 * within a small multiple of where they start (BCE starts near ln 2; mini-batch noise moves it by
 * a few times at most), while a blown-up optimiser takes them up by many orders of magnitude
 * (learning rate 10 took a ranking model's BCE to 3.8e17), so three orders of magnitude separate
 * the two with room to spare either way.
 */
export const LOSS_GROWTH_BOUND = 1e3;

/**
 * Growth is measured from the first finite loss's magnitude, or from this when that is smaller:
 * some objectives are differences that can start near zero (AR reports L_bce - lambda * L_dom),
 * and a start of 1e-4 would make healthy noise of order one look like growth.
 */
export const LOSS_SCALE_FLOOR = 1;

/** Compact form of a loss for messages: 0.6931, 3.800e+17, NaN. */
export function formatLoss(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e5 || magnitude < 1e-3)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** Follows one training's per-step losses; `observe` throws when they diverge. */
export class LossWatch {
  /** The first loss (a non-finite one throws at once): growth is measured from its scale. */
  private first: DivergencePoint | null = null;
  private limit = Infinity;
  private lastFinite: DivergencePoint | null = null;

  /** @param label who is training, named in the error, e.g. 'BC' */
  constructor(private readonly label: string) {}

  /** One step's loss (epoch and step 1-based). */
  observe(loss: number, epoch: number, step: number): void {
    const at = { epoch, step, loss };
    if (!Number.isFinite(loss)) {
      const before = this.lastFinite
        ? `the last finite loss was ${formatLoss(this.lastFinite.loss)} (epoch ${this.lastFinite.epoch}, step ${this.lastFinite.step})`
        : 'no step before it had a finite loss';
      this.fail(at, `the loss became ${loss}; ${before}`);
    }
    if (this.first === null) {
      this.first = at;
      this.limit = LOSS_GROWTH_BOUND * Math.max(Math.abs(loss), LOSS_SCALE_FLOOR);
    }
    if (Math.abs(loss) > this.limit) {
      this.fail(
        at,
        `the loss reached ${formatLoss(loss)}, over ${LOSS_GROWTH_BOUND} times its starting scale ` +
          `(first loss ${formatLoss(this.first.loss)}, counted as at least ${LOSS_SCALE_FLOOR})`,
      );
    }
    this.lastFinite = at;
  }

  private fail(at: DivergencePoint, what: string): never {
    throw new TrainingDivergedError(
      this.label,
      `${this.label}: training diverged at epoch ${at.epoch}, step ${at.step}: ${what}. ` +
        'A lower learning rate usually helps.',
      at,
      this.lastFinite,
    );
  }
}
