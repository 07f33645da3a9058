import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../tf/backend';
import { threeCheckedSteps } from './step-test-support';
import { readFileSync } from 'node:fs';
import {
  DAMCAR_DEFAULTS,
  LabelGeneratorStepWorkload,
  PEER_LABEL_GENERATOR_STEP,
} from './label-generator-step';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('LabelGeneratorStepWorkload', () => {
  it("splits a batch as the pipeline's shuffled one: about 26% target rows, 30% positive source labels", () => {
    const w = new LabelGeneratorStepWorkload(4000, 5);
    try {
      const batch = w.drawBatch();
      const targets = batch.targetUsers.length;
      const sources = batch.sourceUsers.length;
      expect(targets + sources).toBe(4000);
      expect([batch.sourceItems.length, batch.sourceLabels.length, batch.targetItems.length]).toEqual([
        sources,
        sources,
        targets,
      ]);
      expect(targets / 4000).toBeGreaterThan(0.23);
      expect(targets / 4000).toBeLessThan(0.29);
      const positives = batch.sourceLabels.reduce((sum, y) => sum + y, 0) / sources;
      expect(positives).toBeGreaterThan(0.26);
      expect(positives).toBeLessThan(0.34);
      expect(batch.sourceLabels.every((y) => y === 0 || y === 1)).toBe(true);
      const { users, items } = PEER_LABEL_GENERATOR_STEP;
      for (const [ids, rows] of [
        [batch.sourceUsers, users],
        [batch.targetUsers, users],
        [batch.sourceItems, items],
        [batch.targetItems, items],
      ] as const) {
        expect(Math.min(...ids)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...ids)).toBeLessThan(rows);
      }
    } finally {
      w.dispose();
    }
  });

  it("states the same workload and DAMCAR defaults as its PyTorch peer's script", () => {
    const script = readFileSync(
      new URL('../../../scripts/peers/label_generator_step_torch.py', import.meta.url),
      'utf8',
    );
    const assigned = (names: string): number[] => {
      const line = script.split('\n').find((l) => l.startsWith(`${names} = `));
      if (!line) throw new Error(`the peer script assigns no ${names}`);
      return line
        .slice(names.length + 3)
        .split(',')
        .map(Number);
    };
    const { targetShare, positiveRate } = PEER_LABEL_GENERATOR_STEP;
    expect(assigned('TARGET_SHARE, POSITIVE_RATE')).toEqual([targetShare, positiveRate]);
    expect(assigned('ALPHA, LAMBDA1, LAMBDA2')).toEqual(
      ['alpha', 'lambda1', 'lambda2'].map((key) => DAMCAR_DEFAULTS.number(key)),
    );
    expect(DAMCAR_DEFAULTS.choice('adversary')).toBe('bounded');
  });

  it('refuses a batch that is not a positive integer, naming itself', () => {
    for (const bad of [0, -4, 2.5, Number.NaN])
      expect(() => new LabelGeneratorStepWorkload(bad)).toThrow(
        `LabelGeneratorStepWorkload: batch must be an integer >= 1, got ${bad}`,
      );
  });

  it('trains steps with finite losses and leaks no tensors', async () => {
    const w = new LabelGeneratorStepWorkload(32, 1);
    try {
      const checked = await threeCheckedSteps(w);
      expect(checked.steps).toBe(3);
      expect(Number.isFinite(checked.sum)).toBe(true);
      expect(checked.tensorsAdded).toBe(0);
    } finally {
      w.dispose();
    }
  });
});
