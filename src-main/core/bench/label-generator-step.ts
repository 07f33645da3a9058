/**
 * DAMCAR's label generator step benchmark (Eq. 4-11, Algorithm 1 lines 3-6): one step of the
 * label generator the DAMCAR testbed trains (protocols/damcar/model.ts) with the DAMCAR method's
 * declared defaults (read from method-damcar.ts; the peer states them), on a workload the PyTorch peer scripts/peers/label_generator_step_torch.py builds
 * identically:
 *   user table 20,000 x 32, item table 40,000 x 32, category table 50 x 32 (sparse Adagrad), a
 *   dense item vector of 64 (fixed, uniform in [0, 1)); x = [e_user, e_item, e_category, dense];
 *   E 300-200-100, g 128-100 (ReLU on every layer), Phi and Psi one linear unit each;
 *   each row of a batch is a target-domain row with probability 0.26 (the WeChat-size pipeline's
 *   share: 331,590 target samples beside 952,000 exposed ones, shuffled together), source labels
 *   1 with probability 0.3; L_ce + 0.5 L_sup + 0.2 L_dom with the bounded adversary (the
 *   testbed's default: Psi learns Eq. 8 on features held fixed, the features get the reversed
 *   gradient of Psi's logits clipped at chance); the EMA teacher (alpha 0.99) labels the target
 *   rows and follows the student after every step (Eq. 9); Adagrad lr 0.01 on everything;
 *   fresh random ids, domains and labels every step.
 */
import { ParamReader } from '../methods/param-spec';
import { DAMCAR_DESCRIPTOR } from '../protocols/damcar/method-damcar';
import { DamcarLabelGenerator, type StageOneBatch } from '../protocols/damcar/model';
import type { AdversaryMode } from '../protocols/damcar/model-adversary';
import type { StageOneWeights } from '../protocols/damcar/losses';
import { createRng, type Rng } from '../random';
import { benchModelOptions } from './deepfm-step';
import { LossTally, type StepWorkload, checkedBatch } from './dssm-step';

export const PEER_LABEL_GENERATOR_STEP = {
  users: 20_000,
  items: 40_000,
  categories: 50,
  embeddingDim: 32,
  denseDim: 64,
  learningRate: 0.01,
  targetShare: 0.26,
  positiveRate: 0.3,
} as const;

/** The DAMCAR method's declared defaults (method-damcar.ts: alpha, lambda1, lambda2, adversary). */
export const DAMCAR_DEFAULTS = new ParamReader(DAMCAR_DESCRIPTOR, undefined);

export class LabelGeneratorStepWorkload implements StepWorkload {
  readonly batch: number;
  private readonly generator: DamcarLabelGenerator;
  private readonly batchRng: Rng;
  private readonly weights: StageOneWeights;
  private readonly losses = new LossTally();

  constructor(batch: number, seed = 0) {
    this.batch = checkedBatch(batch, 'LabelGeneratorStepWorkload');
    const config = PEER_LABEL_GENERATOR_STEP;
    const rng = createRng(seed);
    this.generator = new DamcarLabelGenerator({
      ...benchModelOptions(config, rng),
      emaAlpha: DAMCAR_DEFAULTS.number('alpha'),
      adversary: DAMCAR_DEFAULTS.choice<AdversaryMode>('adversary'),
    });
    this.weights = { lambda1: DAMCAR_DEFAULTS.number('lambda1'), lambda2: DAMCAR_DEFAULTS.number('lambda2') };
    this.batchRng = rng.fork(3);
  }

  /** A batch as the testbed's training loop splits one: its source rows and its target rows. */
  drawBatch(): StageOneBatch {
    const { users, items, targetShare, positiveRate } = PEER_LABEL_GENERATOR_STEP;
    const rng = this.batchRng;
    const source = { users: [] as number[], items: [] as number[], labels: [] as number[] };
    const target = { users: [] as number[], items: [] as number[] };
    for (let b = 0; b < this.batch; b++) {
      const side = rng.uniform() < targetShare ? target : source;
      side.users.push(rng.int(users));
      side.items.push(rng.int(items));
      if (side === source) source.labels.push(rng.uniform() < positiveRate ? 1 : 0);
    }
    return {
      sourceUsers: Int32Array.from(source.users),
      sourceItems: Int32Array.from(source.items),
      sourceLabels: Float32Array.from(source.labels),
      targetUsers: Int32Array.from(target.users),
      targetItems: Int32Array.from(target.items),
    };
  }

  async step(): Promise<void> {
    const values = await this.generator.trainStep(this.drawBatch(), this.weights);
    this.losses.add(values.total);
  }

  async takeLosses(): Promise<{ sum: number; steps: number }> {
    return this.losses.take();
  }

  dispose(): void {
    this.generator.dispose();
  }
}
