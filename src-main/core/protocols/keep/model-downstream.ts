/**
 * The downstream ranking model of KEEP's testbed with the plug-in network (KEEP, CIKM 2022,
 * section 4.3, Figure 3(b), Eq. 5):
 *
 *   h^k  = MLP(K(u, i))           projection of the extracted knowledge to the width of h_m
 *   h'_m = h_m + h^k              added to the output of the m-th dense layer (not concatenated)
 *
 * so the downstream network keeps its architecture: with the plug-in's output layer at zero it
 * is exactly the Base model. The plug-in is shallow: PLUG_HIDDEN ReLU units and a linear layer to
 * the width of h_m. The knowledge is an input (computed once from the frozen extractor), not a
 * parameter initialisation; only the plug-in and the downstream model are trained on the
 * sub-domain.
 *
 * Network. The paper's downstream model is Alibaba's production CTR model (CAN with target
 * attention and search-based interest modelling), which the simulator cannot feed. Here it is an
 * embedding + MLP CTR model in CAN's spirit: [item id, category] embeddings (embeddingDim) with the
 * item's dense vector, the user-id embedding u, and a co-action product u * (v W) of the user with
 * the item side v (features.ts CoActionUnit), concatenated into hidden layers DOWNSTREAM_UNITS
 * with ReLU and one logit. The paper keeps the user id
 * out of the main task; here the user id is the only user feature there is (no behaviour
 * sequences), so it is kept by default and the testbed's `downstreamUserId` switch drops it.
 * Adagrad (sparse for the embeddings) with the experiment's learning rate, binary cross-entropy.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ItemCatalogue } from '../../data/dataset';
import type { Rng } from '../../random';
import { DenseAdagrad, Mlp } from '../../tf/dense';
import { EmbeddingTable } from '../../tf/embedding';
import '../../tf/gradients';
import { sigmoidBce } from '../../tf/losses';
import { CoActionUnit, type EmbeddingField, InputBlock, applyLayers, categoriesOf } from './features';

/** Hidden units of the downstream MLP; the plug-in layer m is 1-based into this list. */
export const DOWNSTREAM_UNITS: readonly number[] = [64, 32, 16];
/** Hidden units of the plug-in network's projection MLP. */
export const PLUG_HIDDEN = 32;
const PREDICT_CHUNK = 4096;

export interface DownstreamOptions extends ItemCatalogue {
  embeddingDim: number;
  learningRate: number;
  rng: Rng;
  /** Feed the user-id embedding (see the file comment). */
  useUserId: boolean;
  /** Width of K(u, i); 0 = no plug-in (Base, Sample Merging). */
  knowledgeDim: number;
  /** m of Eq. 5, in [1, DOWNSTREAM_UNITS.length]. */
  plugLayer: number;
  /** The plug-in's output layer at the start: zero (h'_m = h_m) or random like every other layer. */
  plugInInit: PlugInInit;
}

/** How the plug-in's output layer starts (the paper does not say; KEEP's `plugInInit`). */
export type PlugInInit = 'zero' | 'random';

export class DownstreamModel {
  readonly userIds: EmbeddingTable | null;
  readonly itemIds: EmbeddingTable;
  readonly categories: EmbeddingTable;
  /** DOWNSTREAM_UNITS then one linear logit. */
  readonly network: Mlp;
  /** The plug-in network of Eq. 5, or null without knowledge. */
  readonly plugIn: Mlp | null;
  /** u * (v W) between the user-id embedding and the item side (null without the user id). */
  readonly coAction: CoActionUnit | null;
  readonly plugLayer: number;
  readonly knowledgeDim: number;
  private readonly options: DownstreamOptions;
  private readonly optimizer: DenseAdagrad;

  constructor(options: DownstreamOptions) {
    const hidden = DOWNSTREAM_UNITS.length;
    if (!Number.isInteger(options.plugLayer) || options.plugLayer < 1 || options.plugLayer > hidden)
      throw new Error(`params.plugLayer: m must be an integer in [1, ${hidden}], got ${options.plugLayer}`);
    this.options = options;
    this.plugLayer = options.plugLayer;
    this.knowledgeDim = options.knowledgeDim;
    const d = options.embeddingDim;
    const embedding = { learningRate: options.learningRate };
    const rng = options.rng;
    this.userIds = options.useUserId ? new EmbeddingTable(options.numUsers, d, rng.fork(1), embedding) : null;
    this.itemIds = new EmbeddingTable(options.numItems, d, rng.fork(2), embedding);
    this.categories = new EmbeddingTable(options.numCategories, d, rng.fork(3), embedding);
    const itemWidth = 2 * d + options.denseDim;
    this.coAction = options.useUserId ? new CoActionUnit(itemWidth, d, rng.fork(6)) : null;
    const inputDim = itemWidth + (options.useUserId ? 2 * d : 0);
    this.network = new Mlp(inputDim, [...DOWNSTREAM_UNITS, 1], rng.fork(4));
    this.plugIn =
      options.knowledgeDim > 0
        ? new Mlp(options.knowledgeDim, [PLUG_HIDDEN, DOWNSTREAM_UNITS[options.plugLayer - 1]], rng.fork(5))
        : null;
    // 'zero': the plug-in starts as a no-op (h'_m = h_m), so the downstream model begins where
    // Base does and the knowledge enters only as far as training finds it useful (section 4.3's
    // point that the architecture, and hence a trained model's parameters, stay valid). 'random':
    // initialised like the network's own layers, so K feeds the model from the first step.
    if (this.plugIn && options.plugInInit === 'zero') {
      const last = this.plugIn.layers[this.plugIn.layers.length - 1];
      tf.tidy(() => last.kernel.assign(tf.zerosLike(last.kernel)));
    }
    this.optimizer = new DenseAdagrad(this.variables(), { learningRate: options.learningRate });
  }

  variables(): tf.Variable[] {
    return [
      ...(this.coAction ? [this.coAction.projection] : []),
      ...this.network.variables(),
      ...(this.plugIn?.variables() ?? []),
    ];
  }

  /** The item block [item id, category, dense], then the user block [user id] when it is used. */
  private blocks(users: Int32Array, items: Int32Array): InputBlock[] {
    const fields: EmbeddingField[] = [
      { table: this.itemIds, ids: items },
      { table: this.categories, ids: categoriesOf(items, this.options.itemCategory) },
    ];
    const item = new InputBlock(fields, {
      dim: this.options.denseDim,
      values: this.options.itemDense,
      items,
    });
    return this.userIds ? [item, new InputBlock([{ table: this.userIds, ids: users }])] : [item];
  }

  /**
   * The network's input: [item side, user id, u * (v W)] (or the item side alone).
   * @param blocks tensors of `blocks` ([rows, width] each)
   * @returns [rows, inputDim]
   */
  private input(blocks: tf.Tensor2D[]): tf.Tensor2D {
    if (!this.coAction) return blocks[0];
    return tf.concat([blocks[0], blocks[1], this.coAction.apply(blocks[1], blocks[0])], 1);
  }

  /**
   * Eq. 5 inside the forward pass: after the m-th dense layer, h'_m = h_m + MLP(K).
   * @param x [batch, inputDim] the network's input
   * @param knowledge [batch, knowledgeDim] or null (no plug-in)
   * @returns [batch] logits
   */
  logits(x: tf.Tensor2D, knowledge: tf.Tensor2D | null): tf.Tensor1D {
    const rows = x.shape[0];
    const hiddenLayers = this.network.layers.length - 1;
    let h = applyLayers(this.network, x, 0, this.plugLayer);
    if (this.plugIn) {
      if (!knowledge) throw new Error('DownstreamModel: the plug-in needs the knowledge K(u, i)');
      h = tf.add(h, this.plugIn.apply(knowledge));
    }
    h = applyLayers(this.network, h, this.plugLayer, hiddenLayers + 1);
    return tf.reshape(h, [rows]);
  }

  private knowledgeTensor(knowledge: Float32Array | null, rows: number): tf.Tensor2D | null {
    if (!this.plugIn) return null;
    if (!knowledge || knowledge.length !== rows * this.knowledgeDim)
      throw new Error(
        `DownstreamModel: knowledge has ${knowledge?.length ?? 0} values, expected ${rows} x ${this.knowledgeDim}`,
      );
    return tf.tensor2d(knowledge, [rows, this.knowledgeDim]);
  }

  /**
   * One BCE step.
   * @param users [batch]
   * @param items [batch]
   * @param labels [batch] 0/1 clicks
   * @param knowledge [batch * knowledgeDim] row-major, or null without a plug-in
   * @returns the loss before the update
   */
  async trainStep(
    users: Int32Array,
    items: Int32Array,
    labels: Float32Array,
    knowledge: Float32Array | null,
  ): Promise<number> {
    const blocks = this.blocks(users, items);
    const variables = this.variables();
    const n = blocks.length;
    const flat = tf.tidy(() => {
      const inputs = blocks.map((b) => b.tensor());
      const k = this.knowledgeTensor(knowledge, users.length);
      const y = tf.tensor1d(labels);
      const lossOf = (...args: tf.Tensor[]): tf.Scalar =>
        sigmoidBce(this.logits(this.input(args.slice(0, n) as tf.Tensor2D[]), k), y);
      const { value, grads } = tf.valueAndGrads(lossOf)([...inputs, ...variables]);
      this.optimizer.apply(grads.slice(n));
      return tf.concat([...grads.slice(0, n).map((g) => tf.reshape(g, [-1])), tf.reshape(value, [1])]);
    });
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    let offset = 0;
    for (const block of blocks) {
      block.applyGradient(values, offset);
      offset += block.rows * block.width;
    }
    return values[offset];
  }

  /**
   * Logits of pairs, in chunks.
   * @param knowledge [n * knowledgeDim] or null
   * @returns [n]
   */
  async predict(users: Int32Array, items: Int32Array, knowledge: Float32Array | null): Promise<Float32Array> {
    const out = new Float32Array(users.length);
    const kd = this.knowledgeDim;
    for (let start = 0; start < users.length; start += PREDICT_CHUNK) {
      const end = Math.min(users.length, start + PREDICT_CHUNK);
      const blocks = this.blocks(users.subarray(start, end), items.subarray(start, end));
      const logits = tf.tidy(() =>
        this.logits(
          this.input(blocks.map((b) => b.tensor())),
          this.knowledgeTensor(knowledge ? knowledge.subarray(start * kd, end * kd) : null, end - start),
        ),
      );
      out.set(await logits.data(), start);
      logits.dispose();
    }
    return out;
  }

  dispose(): void {
    this.network.dispose();
    this.plugIn?.dispose();
    this.coAction?.dispose();
    this.optimizer.dispose();
  }
}
