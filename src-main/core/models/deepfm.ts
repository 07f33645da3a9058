/**
 * DeepFM (Guo et al., IJCAI 2017), the ranking model of DAMCAR's Table 2 (DAMCAR, ACM MM 2024,
 * section 5.1.2). Over the sparse fields f = user, item, category with embeddings v_f and
 * first-order weights w_f, and the dense item vector x:
 *
 *   logit = [ sum_f w_f + <w_x, x> ]                                    first order (linear part)
 *         + 1/2 sum_k [ (sum_f v_fk)^2 - sum_f v_fk^2 ]                 FM second order = sum_{f<g} <v_f, v_g>
 *         + DNN([v_user, v_item, v_category, x])                        deep part
 *   p     = sigmoid(logit)
 *
 * The FM and the DNN share the embeddings (DeepFM's point); as in DeepCTR-Torch (the authors'
 * code base) the dense vector enters the linear part and the DNN, not the FM. The DNN has hidden
 * units 300-200-100 with ReLU (the paper's MLP sizes, section 5.1.5) and a linear output unit
 * whose bias is the model's global bias. Embeddings and first-order weights live in tables
 * outside the graph (ranking-model.ts); this module holds the dense part.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random';
import { Mlp, type MlpInit, glorotUniform } from '../tf/dense';
import type { CtrInputs, CtrNetwork, CtrShape } from './ranking-model';

export const DEEPFM_HIDDEN_UNITS: readonly number[] = [300, 200, 100];

export interface DeepFmOptions {
  /** Hidden units of the DNN (default DEEPFM_HIDDEN_UNITS); a linear unit follows them. */
  hiddenUnits?: readonly number[];
  /**
   * 'glorot' (default): Glorot kernels; 'normal': DeepCTR-Torch's N(0, 1e-4) kernels for the DNN
   * and the dense first-order weights, as the DAMCAR authors' DeepFM.
   */
  init?: MlpInit;
}

/**
 * FM second-order interaction of field embeddings, in O(fields * dim):
 *   1/2 sum_k [ (sum_f v_fk)^2 - sum_f v_fk^2 ]  =  sum_{f < g} <v_f, v_g>.
 * @param fieldEmbeddings [batch, numFields, dim]
 * @returns [batch]
 */
export function fmSecondOrder(fieldEmbeddings: tf.Tensor3D): tf.Tensor1D {
  return tf.tidy(() => {
    const squareOfSum = tf.square(tf.sum(fieldEmbeddings, 1));
    const sumOfSquares = tf.sum(tf.square(fieldEmbeddings), 1);
    return tf.mul(tf.sum(tf.sub(squareOfSum, sumOfSquares), 1), 0.5) as tf.Tensor1D;
  });
}

export class DeepFmNetwork implements CtrNetwork {
  static readonly modelName = 'DeepFM';
  readonly name = DeepFmNetwork.modelName;
  readonly usesFirstOrder = true;
  readonly shape: CtrShape;
  /** Fields and dense vector -> hidden units -> 1 (linear, with the global bias). */
  readonly dnn: Mlp;
  /** [denseDim, 1] first-order weights of the dense vector, or null without one. */
  readonly denseWeights: tf.Variable<tf.Rank.R2> | null;

  constructor(shape: CtrShape, rng: Rng, options: DeepFmOptions = {}) {
    this.shape = shape;
    const hidden = [...(options.hiddenUnits ?? DEEPFM_HIDDEN_UNITS)];
    const init = options.init ?? 'glorot';
    this.dnn = new Mlp(shape.numFields * shape.embeddingDim + shape.denseDim, [...hidden, 1], rng.fork(1), {
      init,
    });
    const denseDim = shape.denseDim;
    const denseRng = rng.fork(2);
    this.denseWeights =
      denseDim > 0
        ? tf.tidy(() =>
            tf.variable(
              tf.tensor2d(
                init === 'glorot'
                  ? glorotUniform(denseDim, 1, denseRng)
                  : Float32Array.from({ length: denseDim }, () => denseRng.normal(0, 1e-4)),
                [denseDim, 1],
              ),
              true,
            ),
          )
        : null;
  }

  variables(): tf.Variable[] {
    return this.denseWeights ? [...this.dnn.variables(), this.denseWeights] : this.dnn.variables();
  }

  /**
   * @param inputs fields [batch, numFields * dim], firstOrder [batch, numFields], dense [batch, denseDim] or null
   * @returns [batch] logits
   */
  logits(inputs: CtrInputs): tf.Tensor1D {
    const { fields, firstOrder, dense } = inputs;
    if (!firstOrder) throw new Error('DeepFM: the first-order weights are missing');
    return tf.tidy(() => {
      const batch = fields.shape[0];
      const { numFields, embeddingDim } = this.shape;
      const fm = fmSecondOrder(tf.reshape(fields, [batch, numFields, embeddingDim]));
      const deep = tf.reshape(this.dnn.apply(dense ? tf.concat([fields, dense], 1) : fields), [batch]);
      let linear = tf.sum(firstOrder, 1);
      if (dense && this.denseWeights)
        linear = tf.add(linear, tf.reshape(tf.matMul(dense, this.denseWeights), [batch]));
      return tf.add(tf.add(linear, fm), deep) as tf.Tensor1D;
    });
  }

  dispose(): void {
    this.dnn.dispose();
    this.denseWeights?.dispose();
  }
}
