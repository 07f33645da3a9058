/**
 * The trainer's gradient plumbing: the show and genre tables live outside the graph, and their
 * gradient is assembled from the table variables and (for ranking) the rows gathered in JS. The
 * first Adagrad update of an entry moves it by exactly -lr * sign(gradient), so comparing that
 * move with a finite-difference gradient of the step's loss checks the assembly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSimulatorParams, simulateCascade } from '../../data/simulator';
import { createRng } from '../../random';
import { initBackend } from '../../tf/backend';
import { TINY_SIMULATOR } from '../test-support';
import { type RraLog, simulateRraLog, splitRequests } from './data';
import { resolveRraSettings } from './settings';
import { type LossSwitches, NO_LOSSES, RraTrainer, type TrainingPlan, crossFeatures } from './model-trainer';

beforeAll(async () => {
  await initBackend('wasm');
});

const LR = 0.01;
let log: RraLog;
let batch: Int32Array;
beforeAll(() => {
  const sim = resolveSimulatorParams(TINY_SIMULATOR);
  log = simulateRraLog(
    simulateCascade(sim),
    sim,
    resolveRraSettings({ candidates: 40, recallK: 10, nktdN: 20 }),
  ).log;
  batch = splitRequests(log).train.subarray(0, 6);
});

function trainer(losses: LossSwitches, ranking: TrainingPlan['ranking'], retrieval = true): RraTrainer {
  const plan: TrainingPlan = {
    losses,
    wCtr: 0.5,
    wServe: 0.5,
    negatives: { strategy: 'AN', randomNegatives: 0, hardFrom: 1, hardTo: 1 },
    retrieval,
    ranking,
    samples: { kind: 'impressions' },
  };
  return new RraTrainer(
    log,
    plan,
    {
      numItems: log.numItems,
      learningRate: LR,
      embeddingDim: 4,
      architecture: 'prod',
      experts: 2,
      rng: createRng(7),
    },
    300,
    createRng(8),
  );
}

/**
 * Finite-difference derivative of the step's loss w.r.t. one table entry, and the entry's move
 * in the first step.
 */
async function check(
  make: () => RraTrainer,
  table: (t: RraTrainer) => Float32Array,
  entry: number,
): Promise<{ derivative: number; move: number }> {
  const h = 5e-3;
  const lossAt = async (delta: number): Promise<number> => {
    const t = make();
    table(t)[entry] += delta;
    const loss = (await t.step(batch)).total;
    t.dispose();
    return loss;
  };
  const derivative = ((await lossAt(h)) - (await lossAt(-h))) / (2 * h);
  const t = make();
  const before = table(t)[entry];
  await t.step(batch);
  const move = table(t)[entry] - before;
  t.dispose();
  return { derivative, move };
}

/** Show-table entries of the batch's impressed shows (dimension 0). */
function impressedEntries(): number[] {
  const r = batch[0];
  return Array.from(log.impressionItem.subarray(log.impressionOffsets[r], log.impressionOffsets[r + 1])).map(
    (i) => i * 4,
  );
}

describe('RraTrainer gradients', () => {
  it.each([
    [
      'retrieval softmax and masked binary losses',
      { ...NO_LOSSES, clsCtr: true, maskDwm: true },
      'none',
      true,
    ],
    [
      'ranking losses on a separate backbone',
      { ...NO_LOSSES, rankCtr: true, rankDwm: true },
      'separate',
      false,
    ],
    [
      'every term on a shared backbone',
      { ...NO_LOSSES, clsCtr: true, rankCtr: true, kdDwm: true },
      'shared',
      true,
    ],
  ] as const)(
    '%s: the first update is -lr * sign(dL/dw) on show and genre entries',
    async (_name, losses, ranking, retrieval) => {
      const make = (): RraTrainer => trainer(losses, ranking, retrieval);
      const backboneOf = (t: RraTrainer) => (retrieval ? t.retrievalBackbone : t.rankingBackbone)!;
      let checked = 0;
      for (const entry of [...impressedEntries(), 1, 5]) {
        const isGenre = entry === 1 || entry === 5;
        const { derivative, move } = await check(
          make,
          (t) => (isGenre ? backboneOf(t).genres.weights : backboneOf(t).items.weights),
          entry,
        );
        if (Math.abs(derivative) < 1e-4) continue; // too flat for float32 differences
        expect(move).toBeCloseTo(-LR * Math.sign(derivative), 6);
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(2);
    },
  );
});

describe('cross features x_ui', () => {
  it("are the whole history's genre share and log(1 + watched shows of the show's franchise)", () => {
    const r = batch.find((q) => log.historyOffsets[q + 1] - log.historyOffsets[q] > 1) as number;
    const history = Array.from(log.historyItems.subarray(log.historyOffsets[r], log.historyOffsets[r + 1]));
    const out = new Float32Array(4);
    for (const show of [history[0], 0, log.numItems - 1]) {
      crossFeatures(log, r, show, out, 2);
      const genre = history.filter((i) => log.itemCategory[i] === log.itemCategory[show]).length;
      const franchise = history.filter(
        (i) => i !== show && log.itemFranchise[i] === log.itemFranchise[show],
      ).length;
      expect(out[2]).toBeCloseTo(genre / history.length, 6);
      expect(out[3]).toBeCloseTo(Math.log1p(franchise), 6);
    }
    expect(out[0]).toBe(0);
  });

  it('count a franchise mate in the history (the sequel signal)', () => {
    // A show of the franchise of a watched show other than itself.
    let found = false;
    for (let r = 0; r < log.requestUser.length && !found; r++) {
      const history = log.historyItems.subarray(log.historyOffsets[r], log.historyOffsets[r + 1]);
      for (const watched of history) {
        const mate = log.itemFranchise.findIndex((f, i) => f === log.itemFranchise[watched] && i !== watched);
        if (mate < 0 || history.includes(mate)) continue;
        const out = new Float32Array(2);
        crossFeatures(log, r, mate, out, 0);
        expect(out[1]).toBeGreaterThanOrEqual(Math.log(2) - 1e-6);
        found = true;
        break;
      }
    }
    expect(found).toBe(true);
  });
});
