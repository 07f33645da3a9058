import { describe, expect, it } from 'vitest';
import { createRng } from '../../random';
import type { RraLog } from './data';
import { OUTSIDE_SUPPORT } from './losses';
import { type NegativeOptions, fillSupport, hardNegatives, impressionLogQ } from './negatives';

/** 10 shows; request 0 has candidates 0-5 with impressions 1, 4; request 1 candidates 4-9 with impression 7. */
function handLog(): RraLog {
  return {
    name: 'hand',
    numUsers: 2,
    numItems: 10,
    numCategories: 1,
    itemCategory: new Int32Array(10),
    itemFranchise: Int32Array.from({ length: 10 }, (_, i) => i),
    historyLength: 5,
    requestUser: Int32Array.from([0, 1]),
    requestDay: Int32Array.from([0, 0]),
    historyOffsets: Int32Array.from([0, 0, 0]),
    historyItems: new Int32Array(0),
    candidateOffsets: Int32Array.from([0, 6, 12]),
    candidateItems: Int32Array.from([0, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9]),
    impressionOffsets: Int32Array.from([0, 2, 3]),
    impressionItem: Int32Array.from([1, 4, 7]),
    impressionClick: Uint8Array.from([1, 0, 1]),
    impressionDwm: Float32Array.from([30, 0, 60]),
    testDay: 1,
  };
}

const options = (
  strategy: NegativeOptions['strategy'],
  extra: Partial<NegativeOptions> = {},
): NegativeOptions => ({
  strategy,
  randomNegatives: 3,
  hardFrom: 2,
  hardTo: 3,
  ...extra,
});

function supportOf(
  strategy: NegativeOptions['strategy'],
  extra: Partial<NegativeOptions> = {},
  scores?: Float32Array,
) {
  const log = handLog();
  const out = new Float32Array(2 * 10);
  fillSupport(out, log, Int32Array.from([0, 1]), options(strategy, extra), createRng(5), scores);
  const rows = [Array.from(out.subarray(0, 10)), Array.from(out.subarray(10, 20))];
  const members = rows.map((row) => row.flatMap((v, j) => (v === OUTSIDE_SUPPORT ? [] : [j])));
  return { rows, members };
}

describe('softmax support per negative-sampling strategy (Table 4)', () => {
  it('AN: every candidate of the request', () => {
    expect(supportOf('AN').members).toEqual([
      [0, 1, 2, 3, 4, 5],
      [4, 5, 6, 7, 8, 9],
    ]);
  });

  it('RN n: the impressions plus n distinct shows of the whole corpus', () => {
    const { members } = supportOf('RN');
    expect(members[0]).toEqual(expect.arrayContaining([1, 4]));
    expect(members[0]).toHaveLength(2 + 3);
    expect(members[1]).toContain(7);
    expect(members[1]).toHaveLength(1 + 3);
  });

  it('BN: the shows impressed anywhere in the batch', () => {
    expect(supportOf('BN').members).toEqual([
      [1, 4, 7],
      [1, 4, 7],
    ]);
  });

  it('BNC: batch negatives with log Q subtracted', () => {
    const logQ = Float64Array.from({ length: 10 }, (_, j) => -j / 10);
    const { rows } = supportOf('BNC', { logQ });
    expect(rows[0][1]).toBeCloseTo(0.1, 6);
    expect(rows[0][7]).toBeCloseTo(0.7, 6);
    expect(rows[0][2]).toBe(OUTSIDE_SUPPORT);
  });

  it('HN r_low-r_up: candidates ranked r_low..r_up by the current scores, impressions excluded', () => {
    // Scores rank request 0's candidates 5 > 4 > 3 > 2 > 1 > 0; ranks 2-3 are shows 4 (impressed) and 3.
    const scores = new Float32Array(20);
    for (let j = 0; j < 10; j++) {
      scores[j] = j;
      scores[10 + j] = -j;
    }
    const { members } = supportOf('HN', {}, scores);
    expect(members[0]).toEqual([1, 3, 4]);
    // Request 1 ranks 4 > 5 > 6 > 7 ...: ranks 2-3 are shows 5 and 6.
    expect(members[1]).toEqual([5, 6, 7]);
  });

  it('MN: all candidates, hard negatives counted twice (+log 2)', () => {
    const scores = new Float32Array(20);
    for (let j = 0; j < 10; j++) scores[j] = j;
    const { rows, members } = supportOf('MN', {}, scores);
    expect(members[0]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rows[0][3]).toBeCloseTo(Math.LN2, 6);
    expect(rows[0][4]).toBe(0); // impressed: a positive, not a hard negative
    expect(rows[0][2]).toBe(0);
  });

  it('hard negatives need the serving scores', () => {
    expect(() => supportOf('HN')).toThrow(/serving scores/);
  });
});

describe('impressionLogQ', () => {
  it('is the log share of training impressions per show', () => {
    const logQ = impressionLogQ(handLog(), Int32Array.from([0, 1]));
    expect(logQ[1]).toBeCloseTo(Math.log(1 / 3), 6);
    expect(logQ[0]).toBeCloseTo(Math.log(0.5 / 3), 6);
  });
});

describe('hardNegatives', () => {
  it('clips r_up at the candidate set size', () => {
    const scores = Float32Array.from({ length: 10 }, (_, j) => j);
    // Request 0 ranks 5 > 4 > 3 > 2 > 1 > 0: ranks 4-6 are shows 2, 1 (impressed) and 0.
    expect(hardNegatives(handLog(), 0, scores, 4, 100)).toEqual([2, 0]);
  });
});
