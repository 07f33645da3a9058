/**
 * DAMCAR's label generator (Chen et al., ACM MM 2024, Section 4.2, Eq. 4-11, Algorithm 1 lines
 * 1-8): the network that learns exposure-independent pseudo-labels by adversarial domain
 * adaptation with an EMA teacher. The retrieval model is trained afterwards (method-damcar.ts).
 *
 * Architecture (Section 5.1.5):
 *   input  x = [e_user; e_item; e_category; item dense vector]  (own embedding tables, embeddingDim each)
 *   E      encoder, MLP 300-200-100, ReLU                         z = E(x)               (Eq. 4)
 *   g      "linear transformation", MLP 128-100, ReLU (the paper gives both MLPs ReLU)
 *   Phi    label generator, one dense layer + sigmoid             yhat^s = Phi(g(z^s)), yhat^t = Phi(z^t)  (Eq. 5)
 *   Psi    domain classifier, one dense layer + sigmoid           dhat^s = Psi(g(z^s)), dhat^t = Psi(z^t)  (Eq. 7)
 * Source samples pass through g, target samples do not, as Eq. 5 and 7 write it. Phi and Psi
 * output logits here; the losses (losses.ts) apply the sigmoid in their stable forms.
 *
 * One training step on a batch of S_T = S_exp u S_sam (Algorithm 1 lines 3-6):
 *   - the EMA teacher (E_tea with its own embedding tables, Phi_tea) gives y_tea^t = sigmoid(Phi_tea(E_tea(x^t)))
 *     for the batch's target samples, a constant (computed outside the gradient);
 *   - L_ce (Eq. 6), L_sup (Eq. 10), L_dom (Eq. 8) are computed and
 *     `grlObjective` = L_ce + lambda1 L_sup + lambda2 L_dom is minimised with gradient reversal in
 *     front of Psi: Psi descends lambda2 * L_dom while E and g descend Eq. 11,
 *     L_total = L_ce + lambda1 L_sup - lambda2 L_dom. Two forms (model-adversary.ts):
 *       'unbounded' is Eq. 11 literally, one GRL (tf/grl.ts). The encoder's objective is unbounded
 *       below (it can make Psi's logits arbitrarily wrong by growing its ReLU features), and with
 *       Adagrad at lr 0.01 on the default simulator it diverges within ten steps (L_dom ~ 1e3,
 *       L_ce ~ 1e2), after which the pseudo-labels are saturated (mean 0.003 on S_sam).
 *       'bounded' (default) keeps Psi's update exactly (Eq. 8 on features held fixed) but gives the
 *       encoder Eq. 8's reversed gradient only for samples Psi still gets right: each domain logit
 *       is clipped at 0 on the fooled side, so the encoder drives Psi to chance, the paper's stated
 *       aim ("indistinguishable"), and no further. 'ramped' is the plain GRL with DANN's reversal
 *       coefficient schedule over the training progress. All report Psi's L_dom;
 *   - Adagrad (PyTorch form) updates every student parameter (embedding rows sparsely);
 *   - Eq. 9 moves the teacher: Theta_tea <- alpha Theta_tea + (1 - alpha) Theta_stu for E (its
 *     embedding tables included, lazily per row, tf/ema.ts) and Phi.
 * Without a teacher ("w/o EMA", Section 5.3) there is no L_sup and no Eq. 9: L_ce - lambda2 L_dom.
 * The teacher starts as a copy of the student.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ItemCatalogue } from '../../data/dataset';
import type { Rng } from '../../random';
import { DenseAdagrad, Mlp } from '../../tf/dense';
import { LazyRowEma, emaUpdateVariables } from '../../tf/ema';
import { EmbeddingTable } from '../../tf/embedding';
import {
  ADVERSARY_MODES,
  type AdversaryMode,
  adversarialDomainLoss,
  boundedDomainLoss,
  sideLogits,
} from './model-adversary';
import '../../tf/gradients';
import {
  type StageOneTerms,
  type StageOneWeights,
  domainLoss,
  grlObjective,
  labelLoss,
  teacherSupervisionLoss,
} from './losses';

export const ENCODER_UNITS: readonly number[] = [300, 200, 100];
export const TRANSFORM_UNITS: readonly number[] = [128, 100];

const FILE = 'src-main/core/protocols/damcar/model.ts';

/** The teacher's forward pass runs on target rows padded to a multiple of this (teacherProbabilities). */
const TEACHER_ROW_BLOCK = 32;

export interface LabelGeneratorOptions extends Omit<ItemCatalogue, 'numUsers'> {
  numUsers: number;
  embeddingDim: number;
  learningRate: number;
  /** Seeds all initial weights. */
  rng: Rng;
  /** EMA smoothing alpha of Eq. 9, or null for no teacher (w/o EMA). */
  emaAlpha: number | null;
  /** How the encoder opposes Psi (see AdversaryMode); default 'bounded'. */
  adversary?: AdversaryMode;
  encoderUnits?: readonly number[];
  transformUnits?: readonly number[];
}

/** A batch of S_T split by domain. */
export interface StageOneBatch {
  /** [nSource] exposed samples */
  sourceUsers: Int32Array;
  sourceItems: Int32Array;
  /** [nSource] y^s in {0, 1} */
  sourceLabels: Float32Array;
  /** [nTarget] sampled unexposed samples */
  targetUsers: Int32Array;
  targetItems: Int32Array;
}

/** Values of one step's loss terms (before the update). */
export interface StageOneValues {
  ce: number;
  sup: number;
  dom: number;
  /** Eq. 11: ce + lambda1 sup - lambda2 dom (sup = 0 without a teacher). */
  total: number;
}

interface Teacher {
  userIds: EmbeddingTable;
  itemIds: EmbeddingTable;
  categories: EmbeddingTable;
  userEma: LazyRowEma;
  itemEma: LazyRowEma;
  categoryEma: LazyRowEma;
  encoder: Mlp;
  labelHead: Mlp;
  alpha: number;
}

/** Gathered inputs of a set of pairs. */
interface PairInputs {
  userRows: tf.Tensor2D;
  itemRows: tf.Tensor2D;
  categoryRows: tf.Tensor2D;
  dense: tf.Tensor2D | null;
}

function concatInt(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Copies every variable of `from` into `to` (same architecture). */
function copyMlp(from: Mlp, to: Mlp): void {
  const source = from.variables();
  to.variables().forEach((v, k) => v.assign(source[k]));
}

export class DamcarLabelGenerator {
  readonly embeddingDim: number;
  readonly userIds: EmbeddingTable;
  readonly itemIds: EmbeddingTable;
  readonly categories: EmbeddingTable;
  /** E */
  readonly encoder: Mlp;
  /** g */
  readonly transform: Mlp;
  /** Phi (logits) */
  readonly labelHead: Mlp;
  /** Psi (logits) */
  readonly domainHead: Mlp;
  private readonly features: Omit<ItemCatalogue, 'numUsers'>;
  private readonly optimizer: DenseAdagrad;
  private readonly teacher: Teacher | null;
  private readonly adversary: AdversaryMode;
  /** Training progress of the current step (see trainStep). */
  private progress = 1;
  private teacherUpdates = 0;
  /** Kept loss terms of the current step (read after the gradient pass). */
  private kept: tf.Tensor | null = null;

  constructor(options: LabelGeneratorOptions) {
    const dim = options.embeddingDim;
    const embedding = { learningRate: options.learningRate };
    this.embeddingDim = dim;
    this.adversary = options.adversary ?? 'bounded';
    if (!ADVERSARY_MODES.includes(this.adversary))
      throw new Error(
        `${FILE}: adversary must be one of ${ADVERSARY_MODES.join(', ')}, got ${String(this.adversary)}`,
      );
    this.features = {
      numItems: options.numItems,
      numCategories: options.numCategories,
      itemCategory: options.itemCategory,
      denseDim: options.denseDim,
      itemDense: options.itemDense,
    };
    const rng = options.rng;
    this.userIds = new EmbeddingTable(options.numUsers, dim, rng.fork(1), embedding);
    this.itemIds = new EmbeddingTable(options.numItems, dim, rng.fork(2), embedding);
    this.categories = new EmbeddingTable(options.numCategories, dim, rng.fork(3), embedding);
    const encoderUnits = [...(options.encoderUnits ?? ENCODER_UNITS)];
    const transformUnits = [...(options.transformUnits ?? TRANSFORM_UNITS)];
    const relu = { hiddenActivation: 'relu', outputActivation: 'relu' } as const;
    this.encoder = new Mlp(3 * dim + options.denseDim, encoderUnits, rng.fork(4), relu);
    const zDim = this.encoder.outputDim;
    this.transform = new Mlp(zDim, transformUnits, rng.fork(5), relu);
    if (this.transform.outputDim !== zDim) {
      throw new Error(
        `${FILE}: g must map z back to its own size (Phi and Psi read both g(z^s) and z^t), got ${zDim} -> ${this.transform.outputDim}`,
      );
    }
    this.labelHead = new Mlp(zDim, [1], rng.fork(6));
    this.domainHead = new Mlp(zDim, [1], rng.fork(7));
    this.optimizer = new DenseAdagrad(this.trainableVariables(), { learningRate: options.learningRate });
    this.teacher =
      options.emaAlpha === null ? null : this.createTeacher(options, options.emaAlpha, rng.fork(8));
  }

  private createTeacher(options: LabelGeneratorOptions, alpha: number, rng: Rng): Teacher {
    const dim = options.embeddingDim;
    const copyTable = (student: EmbeddingTable, k: number): EmbeddingTable => {
      // The teacher's tables are only read (gather); their optimiser state is unused.
      const table = new EmbeddingTable(student.rows, dim, rng.fork(k), { learningRate: 0, initStd: 0 });
      table.weights.set(student.weights);
      return table;
    };
    const userIds = copyTable(this.userIds, 1);
    const itemIds = copyTable(this.itemIds, 2);
    const categories = copyTable(this.categories, 3);
    const encoder = new Mlp(
      this.encoder.inputDim,
      this.encoder.layers.map((l) => l.kernel.shape[1]),
      rng.fork(4),
      {
        hiddenActivation: 'relu',
        outputActivation: 'relu',
      },
    );
    copyMlp(this.encoder, encoder);
    const labelHead = new Mlp(this.labelHead.inputDim, [1], rng.fork(5));
    copyMlp(this.labelHead, labelHead);
    return {
      userIds,
      itemIds,
      categories,
      userEma: new LazyRowEma(userIds.weights, this.userIds.weights, dim, alpha),
      itemEma: new LazyRowEma(itemIds.weights, this.itemIds.weights, dim, alpha),
      categoryEma: new LazyRowEma(categories.weights, this.categories.weights, dim, alpha),
      encoder,
      labelHead,
      alpha,
    };
  }

  /** E, g, Phi, Psi variables (the student), in a fixed order. */
  trainableVariables(): tf.Variable[] {
    return [
      ...this.encoder.variables(),
      ...this.transform.variables(),
      ...this.labelHead.variables(),
      ...this.domainHead.variables(),
    ];
  }

  /** Whether an EMA teacher exists (false for w/o EMA). */
  get hasTeacher(): boolean {
    return this.teacher !== null;
  }

  /**
   * The teacher's parameters for inspection (null without a teacher): E_tea and Phi_tea variables
   * in the order of `encoder.variables()` then `labelHead.variables()`, and its embedding tables,
   * brought up to date first.
   */
  teacherState(): { variables: tf.Variable[]; userIds: Float32Array; itemIds: Float32Array } | null {
    const teacher = this.teacher;
    if (!teacher) return null;
    teacher.userEma.syncAll();
    teacher.itemEma.syncAll();
    teacher.categoryEma.syncAll();
    return {
      variables: [...teacher.encoder.variables(), ...teacher.labelHead.variables()],
      userIds: teacher.userIds.weights,
      itemIds: teacher.itemIds.weights,
    };
  }

  /** Eq. 9 updates applied so far (0 without a teacher). */
  get teacherSteps(): number {
    return this.teacherUpdates;
  }

  private categoriesOf(items: Int32Array): Int32Array {
    return Int32Array.from(items, (i) => this.features.itemCategory[i]);
  }

  /** @returns [items.length, denseDim] or null without dense features */
  private denseOf(items: Int32Array): tf.Tensor2D | null {
    const d = this.features.denseDim;
    if (d === 0) return null;
    const out = new Float32Array(items.length * d);
    for (let b = 0; b < items.length; b++)
      out.set(this.features.itemDense.subarray(items[b] * d, items[b] * d + d), b * d);
    return tf.tensor2d(out, [items.length, d]);
  }

  private gatherInputs(
    users: Int32Array,
    items: Int32Array,
    tables: { userIds: EmbeddingTable; itemIds: EmbeddingTable; categories: EmbeddingTable },
  ): PairInputs {
    return {
      userRows: tables.userIds.gather(users),
      itemRows: tables.itemIds.gather(items),
      categoryRows: tables.categories.gather(this.categoriesOf(items)),
      dense: this.denseOf(items),
    };
  }

  /**
   * x = [e_user; e_item; e_category; dense]
   * @returns [batch, 3 * embeddingDim + denseDim]
   */
  private inputOf(u: tf.Tensor2D, i: tf.Tensor2D, c: tf.Tensor2D, dense: tf.Tensor2D | null): tf.Tensor2D {
    return dense ? tf.concat([u, i, c, dense], 1) : tf.concat([u, i, c], 1);
  }

  /**
   * The features Phi and Psi read: g(z^s) of the source rows and z^t of the target rows (null for
   * an absent side). g runs on every row and keeps the source ones: the batch's split changes every
   * step, its size does not, and each matmul shape costs native TensorFlow a kept oneDNN primitive.
   * @param z [nSource + nTarget, zDim], source rows first
   * @returns gs [nSource, zDim], zt [nTarget, zDim]
   */
  private domainFeatures(
    z: tf.Tensor2D,
    numSource: number,
  ): { gs: tf.Tensor2D | null; zt: tf.Tensor2D | null } {
    const numTarget = z.shape[0] - numSource;
    return {
      gs: numSource > 0 ? tf.slice(this.transform.apply(z), [0, 0], [numSource, -1]) : null,
      zt: numTarget > 0 ? tf.slice(z, [numSource, 0], [numTarget, -1]) : null,
    };
  }

  /**
   * Eq. 4-10 on an input whose first `numSource` rows are source samples.
   * @param x [nSource + nTarget, inputDim]
   * @param sourceLabels [nSource]
   * @param teacherProbs [nTarget] y_tea^t, or null (no teacher: L_sup = 0)
   * @param reverse whether a gradient reversal layer sits in front of Psi (training) or not
   */
  private termsOn(
    x: tf.Tensor2D,
    numSource: number,
    sourceLabels: tf.Tensor1D,
    teacherProbs: tf.Tensor1D | null,
    reverse: boolean,
  ): StageOneTerms {
    const numTarget = x.shape[0] - numSource;
    const z = this.encoder.apply(x);
    // Each head runs once on the source and target rows stacked (sideLogits).
    const { gs, zt } = this.domainFeatures(z, numSource);
    const [sourceLabelLogits, targetLabelLogits] = sideLogits((h) => this.labelHead.apply(h), gs, zt);
    const ce = labelLoss(sourceLabelLogits, sourceLabels);
    const sup =
      teacherProbs && numTarget > 0 ? teacherSupervisionLoss(targetLabelLogits, teacherProbs) : tf.scalar(0);
    if (!reverse) {
      return { ce, sup, dom: domainLoss(...sideLogits((h) => this.domainHead.apply(h), gs, zt)) };
    }
    return { ce, sup, dom: adversarialDomainLoss(this.domainHead, gs, zt, this.adversary, this.progress) };
  }

  /**
   * The three loss terms of a batch, without updating anything. With `reverse` the gradient
   * reversal layer is in place (as in training); without it, gradients of these terms are plain.
   * The caller owns the returned scalars (call inside tf.tidy).
   */
  stageOneTerms(batch: StageOneBatch, reverse = false): StageOneTerms {
    const users = concatInt(batch.sourceUsers, batch.targetUsers);
    const items = concatInt(batch.sourceItems, batch.targetItems);
    const inputs = this.gatherInputs(users, items, this);
    const teacherProbs =
      this.teacher && batch.targetUsers.length > 0 ? this.teacherProbabilities(batch) : null;
    return this.termsOn(
      this.inputOf(inputs.userRows, inputs.itemRows, inputs.categoryRows, inputs.dense),
      batch.sourceUsers.length,
      tf.tensor1d(batch.sourceLabels),
      teacherProbs,
      reverse,
    );
  }

  /**
   * The domain term the bounded adversary's encoder maximises, without gradient reversal (for
   * checking its gradient): `boundedDomainLoss` of Psi(g(z^s)) and Psi(z^t).
   * @returns [] scalar; the caller owns it (call inside tf.tidy)
   */
  boundedDomainTerm(batch: StageOneBatch): tf.Scalar {
    const inputs = this.gatherInputs(
      concatInt(batch.sourceUsers, batch.targetUsers),
      concatInt(batch.sourceItems, batch.targetItems),
      this,
    );
    const z = this.encoder.apply(
      this.inputOf(inputs.userRows, inputs.itemRows, inputs.categoryRows, inputs.dense),
    );
    const { gs, zt } = this.domainFeatures(z, batch.sourceUsers.length);
    return boundedDomainLoss(...sideLogits((h) => this.domainHead.apply(h), gs, zt));
  }

  /**
   * y_tea^t = sigmoid(Phi_tea(E_tea(x^t))) for the batch's target samples (Eq. 10's target).
   * @returns [nTarget]
   */
  teacherProbabilities(batch: Pick<StageOneBatch, 'targetUsers' | 'targetItems'>): tf.Tensor1D {
    const teacher = this.teacher;
    if (!teacher) throw new Error(`${FILE}: this label generator has no teacher (w/o EMA)`);
    const numTarget = batch.targetUsers.length;
    // The target rows padded to a multiple of TEACHER_ROW_BLOCK with copies of the first, whose
    // outputs are dropped: a handful of matmul shapes instead of one per split (see termsOn).
    const rows = Math.ceil(numTarget / TEACHER_ROW_BLOCK) * TEACHER_ROW_BLOCK;
    const padded = (ids: Int32Array): Int32Array => {
      const out = new Int32Array(rows).fill(ids[0]);
      out.set(ids);
      return out;
    };
    const users = padded(batch.targetUsers);
    const items = padded(batch.targetItems);
    const categories = this.categoriesOf(items);
    teacher.userEma.syncRows(users);
    teacher.itemEma.syncRows(items);
    teacher.categoryEma.syncRows(categories);
    return tf.tidy(() => {
      const inputs = this.gatherInputs(users, items, teacher);
      const x = this.inputOf(inputs.userRows, inputs.itemRows, inputs.categoryRows, inputs.dense);
      const probabilities = tf.reshape(tf.sigmoid(teacher.labelHead.apply(teacher.encoder.apply(x))), [-1]);
      return (rows === numTarget ? probabilities : tf.slice(probabilities, 0, numTarget)) as tf.Tensor1D;
    });
  }

  /**
   * One step of Algorithm 1 lines 3-6 (see the file comment).
   * @param progress share of the training steps done before this one, in [0, 1] (the 'ramped'
   *   adversary's schedule)
   * @returns the loss terms before the update
   */
  async trainStep(batch: StageOneBatch, weights: StageOneWeights, progress = 1): Promise<StageOneValues> {
    this.progress = progress;
    const numSource = batch.sourceUsers.length;
    if (batch.sourceItems.length !== numSource || batch.sourceLabels.length !== numSource)
      throw new Error(`${FILE}: source users, items and labels must have equal lengths`);
    if (batch.targetItems.length !== batch.targetUsers.length)
      throw new Error(`${FILE}: target users and items must have equal lengths`);
    const users = concatInt(batch.sourceUsers, batch.targetUsers);
    const items = concatInt(batch.sourceItems, batch.targetItems);
    if (users.length === 0) throw new Error(`${FILE}: empty batch`);
    const categoryIds = this.categoriesOf(items);
    const effective: StageOneWeights = this.teacher ? weights : { lambda1: 0, lambda2: weights.lambda2 };
    const teacherProbs =
      this.teacher && batch.targetUsers.length > 0 ? this.teacherProbabilities(batch) : null;
    const size = users.length;
    const dim = this.embeddingDim;
    const flat = tf.tidy(() => {
      const inputs = this.gatherInputs(users, items, this);
      const labels = tf.tensor1d(batch.sourceLabels);
      const lossOf = (u: tf.Tensor, i: tf.Tensor, c: tf.Tensor): tf.Scalar => {
        const x = this.inputOf(u as tf.Tensor2D, i as tf.Tensor2D, c as tf.Tensor2D, inputs.dense);
        const terms = this.termsOn(x, numSource, labels, teacherProbs, true);
        this.kept?.dispose();
        this.kept = tf.keep(tf.stack([terms.ce, terms.sup, terms.dom]));
        const objective = grlObjective(terms, effective);
        if (numSource > 0) return objective;
        // No source sample: g (and, without a teacher, Phi) get no gradient; tie them in with
        // weight 0 so every variable has one (zero: Adagrad then leaves it unchanged).
        const idle = [...this.transform.variables(), ...this.labelHead.variables()].map((v) => tf.sum(v));
        return tf.add(objective, tf.mul(tf.addN(idle), 0)) as tf.Scalar;
      };
      const { grads } = tf.valueAndGrads(lossOf)([
        inputs.userRows,
        inputs.itemRows,
        inputs.categoryRows,
        ...this.trainableVariables(),
      ]);
      this.optimizer.apply(grads.slice(3));
      const kept = this.kept;
      if (!kept) throw new Error(`${FILE}: the loss terms were not computed`);
      // The loss terms ride along with the rows' gradients: one read per step.
      return tf.concat([
        tf.reshape(grads[0], [-1]),
        tf.reshape(grads[1], [-1]),
        tf.reshape(grads[2], [-1]),
        kept,
      ]);
    });
    teacherProbs?.dispose();
    this.kept?.dispose();
    this.kept = null;
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    const applyUsers = () => this.userIds.applyGradient(users, values, 0);
    const applyItems = () => this.itemIds.applyGradient(items, values, size * dim);
    const applyCategories = () => this.categories.applyGradient(categoryIds, values, 2 * size * dim);
    const teacher = this.teacher;
    if (teacher) {
      // Eq. 9 right after the student's update (Algorithm 1, line 6).
      teacher.userEma.step(users, applyUsers);
      teacher.itemEma.step(items, applyItems);
      teacher.categoryEma.step(categoryIds, applyCategories);
      emaUpdateVariables(
        [...teacher.encoder.variables(), ...teacher.labelHead.variables()],
        [...this.encoder.variables(), ...this.labelHead.variables()],
        teacher.alpha,
      );
      this.teacherUpdates++;
    } else {
      applyUsers();
      applyItems();
      applyCategories();
    }
    const termsAt = 3 * size * dim;
    const [ce, sup, dom] = values.subarray(termsAt, termsAt + 3);
    return { ce, sup, dom, total: ce + effective.lambda1 * sup - effective.lambda2 * dom };
  }

  /**
   * Pseudo-labels after training (Algorithm 1, line 9's yhat): Phi(g(E(x))) for source samples,
   * Phi(E(x)) for target samples (Eq. 5), as probabilities, in chunks.
   * @param source [n] 1 for exposed (source) samples, 0 for target samples
   * @returns [n]
   */
  async pseudoLabels(
    users: Int32Array,
    items: Int32Array,
    source: Uint8Array,
    chunk = 4096,
  ): Promise<Float32Array> {
    const n = users.length;
    if (items.length !== n || source.length !== n)
      throw new Error(`${FILE}: users, items and source flags must have equal lengths`);
    const out = new Float32Array(n);
    for (let start = 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk);
      const u = users.subarray(start, end);
      const i = items.subarray(start, end);
      const flags = Float32Array.from(source.subarray(start, end));
      const probs = tf.tidy(() => {
        const inputs = this.gatherInputs(u, i, this);
        const z = this.encoder.apply(
          this.inputOf(inputs.userRows, inputs.itemRows, inputs.categoryRows, inputs.dense),
        );
        const viaG = tf.sigmoid(this.labelHead.apply(this.transform.apply(z)));
        const direct = tf.sigmoid(this.labelHead.apply(z));
        const isSource = tf.reshape(tf.tensor1d(flags), [-1, 1]);
        return tf.reshape(tf.add(tf.mul(viaG, isSource), tf.mul(direct, tf.sub(1, isSource))), [-1]);
      });
      out.set(await probs.data(), start);
      probs.dispose();
    }
    return out;
  }

  dispose(): void {
    for (const mlp of [this.encoder, this.transform, this.labelHead, this.domainHead]) mlp.dispose();
    this.optimizer.dispose();
    this.teacher?.encoder.dispose();
    this.teacher?.labelHead.dispose();
    this.kept?.dispose();
  }
}
