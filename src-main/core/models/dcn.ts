/**
 * DCN, Deep & Cross Network (Wang et al., ADKDD 2017), the ranking model of DAMCAR's Table 3
 * (DAMCAR, ACM MM 2024, section 5.1.2). The input x0 = [v_user, v_item, v_category, x] stacks the
 * field embeddings and the dense item vector (width D). Two parallel parts read it:
 *
 *   cross network (DCN Eq. 3):  x_{l+1} = x0 (x_l^T w_l) + b_l + x_l,   w_l, b_l in R^D, l = 0..L-1
 *   deep network:               h = MLP(x0), hidden units 300-200-100, ReLU
 *   output:                     logit = [x_L, h] w_out + b_out,   p = sigmoid(logit)
 *
 * L = 3 cross layers by default. Each cross layer adds 2D parameters and keeps the width D, so the
 * cross part models bounded-degree feature crosses at linear cost. Embeddings live in tables
 * outside the graph (ranking-model.ts); this module holds the dense part. Cross weights are
 * Glorot-uniform, biases zero.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random';
import { Mlp, glorotUniform } from '../tf/dense';
import type { CtrInputs, CtrNetwork, CtrShape } from './ranking-model';

export const DCN_CROSS_LAYERS = 3;
export const DCN_HIDDEN_UNITS: readonly number[] = [300, 200, 100];

export interface DcnOptions {
  /** Number of cross layers L (default DCN_CROSS_LAYERS). */
  crossLayers?: number;
  /** Hidden units of the deep part (default DCN_HIDDEN_UNITS). */
  hiddenUnits?: readonly number[];
}

/**
 * One cross layer: x_{l+1} = x0 (x_l w) + b + x_l.
 * @param x0 [batch, D] the network's input
 * @param xl [batch, D] the previous cross layer's output (x0 for the first)
 * @param weight [D, 1]
 * @param bias [D]
 * @returns [batch, D]
 */
export function crossLayer(
  x0: tf.Tensor2D,
  xl: tf.Tensor2D,
  weight: tf.Tensor2D,
  bias: tf.Tensor1D,
): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(x0, tf.matMul(xl, weight)), tf.add(xl, bias)));
}

interface CrossWeights {
  /** [D, 1] */
  weight: tf.Variable<tf.Rank.R2>;
  /** [D] */
  bias: tf.Variable<tf.Rank.R1>;
}

export class DcnNetwork implements CtrNetwork {
  static readonly modelName = 'DCN';
  readonly name = DcnNetwork.modelName;
  readonly usesFirstOrder = false;
  readonly inputDim: number;
  readonly cross: readonly CrossWeights[];
  /** Deep part; its last hidden layer is ReLU too. */
  readonly deep: Mlp;
  /** [x_L, h] -> logit, linear. */
  readonly output: Mlp;

  constructor(shape: CtrShape, rng: Rng, options: DcnOptions = {}) {
    const layers = options.crossLayers ?? DCN_CROSS_LAYERS;
    if (!Number.isInteger(layers) || layers < 0)
      throw new Error(`DCN: crossLayers must be an integer >= 0, got ${layers}`);
    const width = shape.numFields * shape.embeddingDim + shape.denseDim;
    this.inputDim = width;
    this.cross = Array.from({ length: layers }, (_, l) => ({
      weight: tf.tidy(() =>
        tf.variable(tf.tensor2d(glorotUniform(width, 1, rng.fork(1 + l)), [width, 1]), true),
      ),
      bias: tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R1>([width]), true)),
    }));
    this.deep = new Mlp(width, [...(options.hiddenUnits ?? DCN_HIDDEN_UNITS)], rng.fork(100), {
      outputActivation: 'relu',
    });
    this.output = new Mlp(width + this.deep.outputDim, [1], rng.fork(101));
  }

  variables(): tf.Variable[] {
    return [
      ...this.cross.flatMap((c) => [c.weight, c.bias]),
      ...this.deep.variables(),
      ...this.output.variables(),
    ];
  }

  /**
   * @param inputs fields [batch, numFields * dim], dense [batch, denseDim] or null (firstOrder unused)
   * @returns [batch] logits
   */
  logits(inputs: CtrInputs): tf.Tensor1D {
    const { fields, dense } = inputs;
    return tf.tidy(() => {
      const x0 = dense ? tf.concat([fields, dense], 1) : fields;
      let x = x0;
      for (const layer of this.cross) x = crossLayer(x0, x, layer.weight, layer.bias);
      const logit = this.output.apply(tf.concat([x, this.deep.apply(x0)], 1));
      return tf.reshape(logit, [fields.shape[0]]);
    });
  }

  dispose(): void {
    for (const c of this.cross) {
      c.weight.dispose();
      c.bias.dispose();
    }
    this.deep.dispose();
    this.output.dispose();
  }
}
