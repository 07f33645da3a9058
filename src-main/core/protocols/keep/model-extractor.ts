/**
 * KEEP's knowledge extraction module (KEEP, CIKM 2022, section 4.2, Figures 3(a) and 4) and the
 * two serving variants of section 5.2 (Figure 5), trained by supervised multi-task pre-training
 * on the super-domain with the hybrid loss of Eq. 1-3 for each task.
 *
 * Architectures (`ExtractorArchitecture`):
 * - 'interaction' (the paper's extraction model): shared embeddings of user id (userEmbeddingDim;
 *   paper 48), item id and category (embeddingDim; paper 16) and the item's dense vector, with an
 *   interaction unit u * (v W) between the user side u and the item side v (features.ts
 *   CoActionUnit), all concatenated, feed one private MLP per task, HEAD_UNITS then one logit
 *   (paper: [512, 256, 128, 64, 2] with a 2-way softmax; here three hidden layers and one sigmoid
 *   logit, an equivalent output scaled to the simulator). K_ui^task is the last hidden layer (the layer before the logit).
 *   Simplification: the paper's model is DIN, attending over the user's behaviour sequence; the
 *   simulator has no behaviour features, so the user is represented by the user-id embedding
 *   (the paper also feeds the user id) and the attention unit by the product interaction unit.
 * - 'two-tower' (decomposition, section 5.2.1): a user tower on the user-id embedding and an item
 *   tower on [item id, category, dense] (TOWER_UNITS, last layer linear) give K^_u and K^_i; each
 *   task's logit is a linear head on their element-wise product K^_u * K^_i, the decomposed
 *   interaction knowledge. So everything it knows is cacheable per user and per item.
 * - 'category' (degeneration, section 5.2.2): the 'interaction' model with the item-related
 *   inputs (item id, dense vector) replaced by the category embedding (also in the interaction
 *   unit), so K^_uc depends on (user, category) only and can be cached per user-category pair.
 *
 * Training: one step = one batch of super-domain impressions. Click is trained on every
 * impression, conversion and add-to-cart on clicked impressions (point-wise Eq. 1 with a mask).
 * For Eq. 2 each impression whose task label is 1 is paired with a random impression of the same
 * user in the same task's data with label 0 (j: "an additional item with a different feedback
 * label"); those pair rows are appended to the batch, so one forward pass gives every logit.
 * Loss = sum over tasks of Eq. 3 (section 4.2.2 trains the tasks jointly with a shared bottom).
 * Optimiser: Adagrad (sparse for the embeddings, tf/embedding.ts) with the experiment's learning
 * rate, not the paper's Adam (lr 0.001): the engine updates embedding rows outside the graph with
 * sparse Adagrad.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type ItemCatalogue, catalogueOf } from '../../data/dataset';
import type { Rng } from '../../random';
import { DenseAdagrad, Mlp } from '../../tf/dense';
import { EmbeddingTable } from '../../tf/embedding';
import '../../tf/gradients';
import type { BehaviourLog, Task } from './data';
import { CoActionUnit, InputBlock, applyLayers, categoriesOf } from './features';
import { hybridLoss, pairLoss, pointLoss } from './losses';

export type ExtractorArchitecture = 'interaction' | 'two-tower' | 'category';

/** Hidden units of each task's private MLP; the last one is K_ui^task (paper: 512-256-128-64). */
export const HEAD_UNITS: readonly number[] = [64, 32, 16];
/** Units of the decomposition's user and item towers; the last one is K^_u and K^_i. */
export const TOWER_UNITS: readonly number[] = [32, 16];
/** Rows per tensor call when extracting knowledge. */
const EXTRACT_CHUNK = 4096;

/** The users, items and item features the extractor is sized from. */
export type ExtractorFeatures = ItemCatalogue;

export interface ExtractorOptions extends ExtractorFeatures {
  architecture: ExtractorArchitecture;
  /** Pre-training tasks, in TASKS order; at least one. */
  tasks: readonly Task[];
  /** Item-id and category embedding size (paper 16). */
  embeddingDim: number;
  /** User-id embedding size (paper 48). */
  userEmbeddingDim: number;
  learningRate: number;
  /** Weight of the pair-wise loss in Eq. 3 (paper 0.25). */
  alpha: number;
  rng: Rng;
}

/** One pre-training batch: B impressions, then for each task its positive and negative pair rows. */
export interface PretrainBatch {
  /** [N] user of each row (N = B + 2 * sum of pairs) */
  users: Int32Array;
  /** [N] */
  items: Int32Array;
  /** B */
  batchSize: number;
  /** Per task: [B] labels, [B] masks (1 where the task is trained), pair count and the pair rows' start. */
  tasks: { labels: Float32Array; mask: Float32Array; pairs: number; pairStart: number }[];
}

export interface PretrainStep {
  /** Sum over tasks of Eq. 3. */
  loss: number;
  /** Per task: Eq. 1 and Eq. 2 (means), in the extractor's task order. */
  point: number[];
  pair: number[];
}

function taskLabels(log: BehaviourLog, task: Task): Uint8Array {
  return task === 'click' ? log.click : task === 'conversion' ? log.conversion : log.cart;
}

/**
 * Builds pre-training batches of one super-domain log: masks per task and the Eq. 2 pairs, drawn
 * from per-user pools of negative rows (click: non-clicked impressions; conversion and cart:
 * clicked impressions without that behaviour).
 */
export class PretrainSampler {
  /** Per task: CSR of each user's negative rows. */
  private readonly pools: { offsets: Int32Array; rows: Int32Array }[];

  constructor(
    readonly log: BehaviourLog,
    readonly tasks: readonly Task[],
    numUsers: number,
    private readonly rng: Rng,
  ) {
    this.pools = tasks.map((task) => {
      const labels = taskLabels(log, task);
      const counts = new Int32Array(numUsers + 1);
      const eligible = (r: number): boolean => labels[r] === 0 && (task === 'click' || log.click[r] === 1);
      for (let r = 0; r < labels.length; r++) if (eligible(r)) counts[log.user[r] + 1]++;
      for (let u = 0; u < numUsers; u++) counts[u + 1] += counts[u];
      const rows = new Int32Array(counts[numUsers]);
      const fill = counts.slice(0, numUsers);
      for (let r = 0; r < labels.length; r++) if (eligible(r)) rows[fill[log.user[r]]++] = r;
      return { offsets: counts, rows };
    });
  }

  batch(rows: Int32Array): PretrainBatch {
    const { log } = this;
    const B = rows.length;
    const users: number[] = Array.from(rows, (r) => log.user[r]);
    const items: number[] = Array.from(rows, (r) => log.item[r]);
    const tasks = this.tasks.map((task, t) => {
      const labels = taskLabels(log, task);
      const mask = Float32Array.from(rows, (r) => (task === 'click' || log.click[r] === 1 ? 1 : 0));
      const y = Float32Array.from(rows, (r) => labels[r]);
      const pool = this.pools[t];
      const positives: number[] = [];
      const negatives: number[] = [];
      for (let b = 0; b < B; b++) {
        if (mask[b] === 0 || y[b] === 0) continue;
        const u = log.user[rows[b]];
        const size = pool.offsets[u + 1] - pool.offsets[u];
        if (size === 0) continue;
        positives.push(rows[b]);
        negatives.push(pool.rows[pool.offsets[u] + this.rng.int(size)]);
      }
      const pairStart = users.length;
      for (const r of [...positives, ...negatives]) {
        users.push(log.user[r]);
        items.push(log.item[r]);
      }
      return { labels: y, mask, pairs: positives.length, pairStart };
    });
    return { users: Int32Array.from(users), items: Int32Array.from(items), batchSize: B, tasks };
  }
}

export class KnowledgeExtractor {
  readonly architecture: ExtractorArchitecture;
  readonly tasks: readonly Task[];
  readonly alpha: number;
  readonly userIds: EmbeddingTable;
  /** Null in the degenerate ('category') model, which never sees item ids. */
  readonly itemIds: EmbeddingTable | null;
  readonly categories: EmbeddingTable;
  /** One per task: HEAD_UNITS + 1 ('interaction', 'category') or a linear 1-unit head ('two-tower'). */
  readonly heads: Mlp[];
  readonly userTower: Mlp | null;
  readonly itemTower: Mlp | null;
  /** The interaction unit of 'interaction' and 'category' (null for two-tower). */
  readonly coAction: CoActionUnit | null;
  private readonly features: ExtractorFeatures;
  private readonly optimizer: DenseAdagrad;

  constructor(options: ExtractorOptions) {
    if (options.tasks.length === 0)
      throw new Error('KnowledgeExtractor: at least one pre-training task is needed');
    this.architecture = options.architecture;
    this.tasks = [...options.tasks];
    this.alpha = options.alpha;
    this.features = catalogueOf(options);
    const d = options.embeddingDim;
    const embedding = { learningRate: options.learningRate };
    const rng = options.rng;
    this.userIds = new EmbeddingTable(options.numUsers, options.userEmbeddingDim, rng.fork(1), embedding);
    this.itemIds =
      options.architecture === 'category'
        ? null
        : new EmbeddingTable(options.numItems, d, rng.fork(2), embedding);
    this.categories = new EmbeddingTable(options.numCategories, d, rng.fork(3), embedding);
    const dense = options.denseDim;
    if (options.architecture === 'two-tower') {
      this.userTower = new Mlp(options.userEmbeddingDim, [...TOWER_UNITS], rng.fork(4));
      this.itemTower = new Mlp(2 * d + dense, [...TOWER_UNITS], rng.fork(5));
      const width = TOWER_UNITS[TOWER_UNITS.length - 1];
      this.heads = this.tasks.map((_, t) => new Mlp(width, [1], rng.fork(10 + t)));
      this.coAction = null;
    } else {
      this.userTower = null;
      this.itemTower = null;
      const itemWidth = options.architecture === 'interaction' ? 2 * d + dense : d;
      this.coAction = new CoActionUnit(itemWidth, options.userEmbeddingDim, rng.fork(6));
      const inputDim = 2 * options.userEmbeddingDim + itemWidth;
      this.heads = this.tasks.map((_, t) => new Mlp(inputDim, [...HEAD_UNITS, 1], rng.fork(10 + t)));
    }
    this.optimizer = new DenseAdagrad(this.variables(), { learningRate: options.learningRate });
  }

  variables(): tf.Variable[] {
    return [
      ...(this.coAction ? [this.coAction.projection] : []),
      ...(this.userTower?.variables() ?? []),
      ...(this.itemTower?.variables() ?? []),
      ...this.heads.flatMap((h) => h.variables()),
    ];
  }

  /** K_u width: the user-id embedding, or the user tower's output (two-tower). */
  get userKnowledgeDim(): number {
    return this.userTower ? this.userTower.outputDim : this.userIds.dim;
  }

  /** K_i width: [item id, category] embeddings, the category embedding (degenerate), or the item tower's output. */
  get itemKnowledgeDim(): number {
    if (this.itemTower) return this.itemTower.outputDim;
    return this.itemIds ? this.itemIds.dim + this.categories.dim : this.categories.dim;
  }

  /** K_ui width: each task's last hidden layer side by side, or the tower width (two-tower). */
  get interactionKnowledgeDim(): number {
    if (this.userTower) return this.userTower.outputDim;
    return this.tasks.length * HEAD_UNITS[HEAD_UNITS.length - 1];
  }

  /**
   * The model's input blocks for rows (users[r], items[r]); `categoryIds` overrides the items'
   * categories (the degenerate model reads nothing else of the item).
   */
  private blocks(users: Int32Array, items: Int32Array, categoryIds?: Int32Array): InputBlock[] {
    const categories = {
      table: this.categories,
      ids: categoryIds ?? categoriesOf(items, this.features.itemCategory),
    };
    const user = { table: this.userIds, ids: users };
    const dense = { dim: this.features.denseDim, values: this.features.itemDense, items };
    if (this.architecture === 'category') return [new InputBlock([user]), new InputBlock([categories])];
    const item = { table: this.itemIds as EmbeddingTable, ids: items };
    return [new InputBlock([user]), new InputBlock([item, categories], dense)];
  }

  /**
   * Forward pass on the input blocks.
   * @param inputs one [rows, width] tensor per block (see `blocks`)
   * @returns per task [rows] logits; per task [rows, k] interaction knowledge (two-tower: the
   *   one product, shared); the towers' outputs (two-tower only)
   */
  private forward(inputs: tf.Tensor2D[]): {
    logits: tf.Tensor1D[];
    interaction: tf.Tensor2D[];
    user: tf.Tensor2D | null;
    item: tf.Tensor2D | null;
  } {
    const rows = inputs[0].shape[0];
    if (this.userTower && this.itemTower) {
      const user = this.userTower.apply(inputs[0]);
      const item = this.itemTower.apply(inputs[1]);
      const product = tf.mul(user, item) as tf.Tensor2D;
      const logits = this.heads.map((h) => tf.reshape(h.apply(product), [rows]) as tf.Tensor1D);
      return { logits, interaction: [product], user, item };
    }
    const coAction = this.coAction as CoActionUnit;
    const x = tf.concat([inputs[0], inputs[1], coAction.apply(inputs[0], inputs[1])], 1);
    const interaction: tf.Tensor2D[] = [];
    const logits = this.heads.map((head) => {
      const last = head.layers.length - 1;
      const hidden = applyLayers(head, x, 0, last);
      interaction.push(hidden);
      return tf.reshape(applyLayers(head, hidden, last, last + 1), [rows]) as tf.Tensor1D;
    });
    return { logits, interaction, user: null, item: null };
  }

  /** One multi-task step of Eq. 3 per task, summed over tasks; updates every parameter. */
  async trainStep(batch: PretrainBatch): Promise<PretrainStep> {
    const blocks = this.blocks(batch.users, batch.items);
    const variables = this.variables();
    const B = batch.batchSize;
    const T = this.tasks.length;
    const kept: { terms?: tf.Tensor } = {};
    const flat = tf.tidy(() => {
      const inputs = blocks.map((b) => b.tensor());
      const labels = batch.tasks.map((t) => tf.tensor1d(t.labels));
      const masks = batch.tasks.map((t) => tf.tensor1d(t.mask));
      const lossOf = (...args: tf.Tensor[]): tf.Scalar => {
        const { logits } = this.forward(args.slice(0, blocks.length) as tf.Tensor2D[]);
        const terms: tf.Scalar[] = [];
        let total: tf.Scalar = tf.scalar(0);
        batch.tasks.forEach((task, t) => {
          const point = pointLoss(tf.slice(logits[t], 0, B), labels[t], masks[t]);
          const pair =
            task.pairs > 0
              ? pairLoss(
                  tf.slice(logits[t], task.pairStart, task.pairs),
                  tf.slice(logits[t], task.pairStart + task.pairs, task.pairs),
                )
              : tf.scalar(0);
          terms.push(point, pair);
          total = tf.add(total, hybridLoss(point, pair, this.alpha));
        });
        kept.terms = tf.keep(tf.stack(terms));
        return total;
      };
      const { value, grads } = tf.valueAndGrads(lossOf)([...inputs, ...variables]);
      this.optimizer.apply(grads.slice(blocks.length));
      return tf.concat([
        ...grads.slice(0, blocks.length).map((g) => tf.reshape(g, [-1])),
        tf.reshape(value, [1]),
        tf.reshape(kept.terms as tf.Tensor, [-1]),
      ]);
    });
    kept.terms?.dispose();
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    let offset = 0;
    for (const block of blocks) {
      block.applyGradient(values, offset);
      offset += block.rows * block.width;
    }
    const point: number[] = [];
    const pair: number[] = [];
    for (let t = 0; t < T; t++) {
      point.push(values[offset + 1 + 2 * t]);
      pair.push(values[offset + 2 + 2 * t]);
    }
    return { loss: values[offset], point, pair };
  }

  /**
   * Runs `pick` on the forward pass over (users, items) in chunks; returns [n, width] row-major.
   * `categoryIds` (optional, [n]) replaces the items' categories.
   */
  private async extract(
    users: Int32Array,
    items: Int32Array,
    width: number,
    pick: (out: ReturnType<KnowledgeExtractor['forward']>) => tf.Tensor2D,
    categoryIds?: Int32Array,
  ): Promise<Float32Array> {
    if (users.length !== items.length)
      throw new Error(`KnowledgeExtractor: ${users.length} users, ${items.length} items`);
    const out = new Float32Array(users.length * width);
    for (let start = 0; start < users.length; start += EXTRACT_CHUNK) {
      const end = Math.min(users.length, start + EXTRACT_CHUNK);
      const blocks = this.blocks(
        users.subarray(start, end),
        items.subarray(start, end),
        categoryIds?.subarray(start, end),
      );
      const result = tf.tidy(() => pick(this.forward(blocks.map((b) => b.tensor()))));
      out.set(await result.data(), start * width);
      result.dispose();
    }
    return out;
  }

  /** Per task logits of (users[r], items[r]); [tasks][n]. */
  async logits(users: Int32Array, items: Int32Array): Promise<Float32Array[]> {
    const T = this.tasks.length;
    const all = await this.extract(users, items, T, (o) => tf.stack(o.logits, 1) as tf.Tensor2D);
    return this.tasks.map((_, t) => Float32Array.from({ length: users.length }, (_, r) => all[r * T + t]));
  }

  /**
   * K_u of each user (Eq. 4): the user-id embedding row, or K^_u, the user tower's output (two-tower).
   * @returns [users.length, userKnowledgeDim]
   */
  async userKnowledge(users: Int32Array): Promise<Float32Array> {
    if (!this.userTower) {
      const block = new InputBlock([{ table: this.userIds, ids: users }]);
      return block.values();
    }
    return this.extract(
      users,
      new Int32Array(users.length),
      this.userKnowledgeDim,
      (o) => o.user as tf.Tensor2D,
    );
  }

  /**
   * K_i of each item (Eq. 4): [item-id, category] embeddings ('interaction'), the category embedding
   * ('category'), or K^_i, the item tower's output ('two-tower').
   * @returns [items.length, itemKnowledgeDim]
   */
  async itemKnowledge(items: Int32Array): Promise<Float32Array> {
    const categories = { table: this.categories, ids: categoriesOf(items, this.features.itemCategory) };
    if (this.architecture === 'category') return new InputBlock([categories]).values();
    if (this.architecture === 'interaction')
      return new InputBlock([{ table: this.itemIds as EmbeddingTable, ids: items }, categories]).values();
    return this.extract(
      new Int32Array(items.length),
      items,
      this.itemKnowledgeDim,
      (o) => o.item as tf.Tensor2D,
    );
  }

  /**
   * Category embedding rows (K_c, the degenerate model's item-level knowledge, by category id).
   * @returns [categories.length, embeddingDim]
   */
  categoryEmbeddings(categories: Int32Array): Float32Array {
    return new InputBlock([{ table: this.categories, ids: categories }]).values();
  }

  /**
   * K_ui of each pair (Eq. 4): [K_ui^clk, K_ui^cv, K_ui^cart] of the trained tasks (the last hidden
   * layer of each head), K^_uc for the degenerate model (a function of the item's category only),
   * or K^_u * K^_i for the two-tower model.
   * @returns [n, interactionKnowledgeDim]
   */
  interactionKnowledge(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    return this.extract(users, items, this.interactionKnowledgeDim, (o) =>
      o.interaction.length === 1 ? o.interaction[0] : (tf.concat(o.interaction, 1) as tf.Tensor2D),
    );
  }

  /**
   * K^_uc of the degenerate model (section 5.2.2) for (users[r], categories[r]), with no item at all:
   * what the serving cache stores per user-category pair.
   * @returns [n, interactionKnowledgeDim]
   */
  async userCategoryKnowledge(users: Int32Array, categories: Int32Array): Promise<Float32Array> {
    if (this.architecture !== 'category')
      throw new Error(
        `KnowledgeExtractor: user-category knowledge needs the 'category' model, not '${this.architecture}'`,
      );
    return this.extract(
      users,
      new Int32Array(users.length),
      this.interactionKnowledgeDim,
      (o) => (o.interaction.length === 1 ? o.interaction[0] : (tf.concat(o.interaction, 1) as tf.Tensor2D)),
      categories,
    );
  }

  dispose(): void {
    this.userTower?.dispose();
    this.itemTower?.dispose();
    this.coAction?.dispose();
    for (const h of this.heads) h.dispose();
    this.optimizer.dispose();
  }
}
