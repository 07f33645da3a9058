import { describe, expect, it } from 'vitest';
import { expectedAuc, gauc, groundTruthGauc } from './metrics';
import { rocAuc } from '../../metrics/auc';

describe('GAUC (KEEP Eq. 7)', () => {
  // User 7: 3 impressions, AUC 1. User 8: 4 impressions, positives {0.2, 0.6} against
  // negatives {0.8, 0.4}: only 0.6 > 0.4 is ordered, AUC 1/4. User 9: only clicks, no AUC.
  const users = [7, 8, 7, 8, 8, 7, 9, 9, 8];
  const scores = [0.9, 0.2, 0.1, 0.8, 0.6, 0.5, 0.3, 0.7, 0.4];
  const labels = [1, 1, 0, 0, 1, 0, 1, 1, 0];

  it('weights each user AUC by the user impressions and skips one-class users', () => {
    const result = gauc(users, scores, labels);
    expect(result.gauc).toBeCloseTo((3 * 1 + 4 * 0.25) / 7, 10);
    expect(result.users).toBe(2);
    expect(result.impressions).toBe(7);
    // Not the unweighted mean of user AUCs (0.625), nor the pooled AUC.
    expect(result.gauc).not.toBeCloseTo(0.625, 3);
    expect(rocAuc(scores, labels)).not.toBeCloseTo(result.gauc, 3);
  });

  it('AUC counts ties as one half and is NaN with one class', () => {
    expect(rocAuc([0.5, 0.5, 0.1], [1, 0, 0])).toBeCloseTo(0.75, 10);
    expect(rocAuc([0.1, 0.9], [1, 1])).toBeNaN();
    expect(gauc([1, 1], [0.2, 0.3], [0, 0]).gauc).toBeNaN();
  });

  it('GT-GAUC equals GAUC when the probabilities are the labels, and weighs pairs by p_a (1 - p_b)', () => {
    const twoClassRows = users.map((u, r) => r).filter((r) => users[r] !== 9);
    const pick = <T>(a: T[]) => twoClassRows.map((r) => a[r]);
    expect(groundTruthGauc(pick(users), pick(scores), pick(labels))).toBeCloseTo(
      gauc(pick(users), pick(scores), pick(labels)).gauc,
      10,
    );
    // Two items, p = (0.8, 0.4), scored in that order: (0.8 * 0.6) / (0.8 * 0.6 + 0.4 * 0.2).
    expect(expectedAuc([2, 1], [0.8, 0.4])).toBeCloseTo(0.48 / (0.48 + 0.08), 10);
    expect(expectedAuc([1, 2], [0.8, 0.4])).toBeCloseTo(0.08 / (0.48 + 0.08), 10);
  });
});
