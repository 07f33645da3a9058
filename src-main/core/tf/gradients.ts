/**
 * Gradient functions for the kernels the engine differentiates through.
 *
 * Why this file exists: @tensorflow/tfjs-core registers no gradients by itself. The union
 * package @tensorflow/tfjs does (via tfjs-core's dist/register_all_gradients), but the engine
 * depends on tfjs-core only, and those ES-module files use extension-less imports that Node
 * cannot load. So tf.grads / tf.valueAndGrads would fail with "gradient function not found".
 * Here each gradient is written with public tf ops and registered once; a kernel that already
 * has a gradient is left alone, except that loading @tensorflow/tfjs-node (which brings the full
 * set) registers ours again over it (core/node/tf-backends.ts).
 *
 * Importing this module registers them (side effect); `registerGradients()` is idempotent.
 * Every entry is checked against central finite differences in gradients.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { reluMask } from './kernel-choice';

type Grads = Record<string, () => tf.Tensor>;

function single(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(dy) ? dy[0] : dy;
}

/** Sums a broadcast gradient back to `shape` (reverse of broadcasting). */
function reduceTo(grad: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, grad.shape);
  const summed = axes.length > 0 ? tf.sum(grad, axes) : grad;
  return tf.reshape(summed, shape);
}

function numberAttr(attrs: tf.NamedAttrMap, key: string): number {
  const value: unknown = attrs[key];
  if (typeof value !== 'number') throw new Error(`gradient: attribute ${key} is not a number`);
  return value;
}

function numbersAttr(attrs: tf.NamedAttrMap, key: string): number[] {
  const value: unknown = attrs[key];
  if (typeof value === 'number') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  throw new Error(`gradient: attribute ${key} is not a number list`);
}

function boolAttr(attrs: tf.NamedAttrMap, key: string): boolean {
  return attrs[key] === true;
}

/** Reduction axes of Sum/Mean/Max/Min; a missing axis means all axes. */
function reductionAxes(attrs: tf.NamedAttrMap, key: string, shape: number[]): number[] {
  const value: unknown = attrs[key];
  if (value === null || value === undefined) return shape.map((_, i) => i);
  return tf.util.parseAxisParam(numbersAttr(attrs, key), shape);
}

/** dy reshaped so it broadcasts against the un-reduced input (reduced axes become 1). */
function keepDims(dy: tf.Tensor, inputShape: number[], axes: number[]): tf.Tensor {
  return tf.reshape(
    dy,
    inputShape.map((d, i) => (axes.includes(i) ? 1 : d)),
  );
}

/** Transpose of the last two axes, as an explicit op. */
export function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = t.rank;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
}

const float = (t: tf.Tensor): tf.Tensor => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

function unary(kernelName: string, grad: (dy: tf.Tensor, x: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => grad(single(dy), saved[0]) }),
  };
}

function unaryFromOutput(
  kernelName: string,
  grad: (dy: tf.Tensor, y: tf.Tensor) => tf.Tensor,
): tf.GradConfig {
  return {
    kernelName,
    outputsToSave: [true],
    gradFunc: (dy, saved) => ({ x: () => grad(single(dy), saved[0]) }),
  };
}

function binary(
  kernelName: string,
  gradA: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  gradB: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const g = single(dy);
      return { a: () => reduceTo(gradA(g, a, b), a.shape), b: () => reduceTo(gradB(g, a, b), b.shape) };
    },
  };
}

/** Kernels whose output is piecewise constant (or boolean): zero gradient for every input. */
function zeroGradient(kernelName: string, inputNames: string[]): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: inputNames,
    gradFunc: (_dy, saved) => {
      const out: Grads = {};
      inputNames.forEach((name, k) => {
        out[name] = () => tf.zeros(saved[k].shape, 'float32');
      });
      return out;
    },
  };
}

function allInputs(
  kernelName: string,
  grad: (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => tf.Tensor[],
): tf.GradConfig {
  return {
    kernelName,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const grads = grad(single(dy), saved, attrs);
      const out: Grads = {};
      grads.forEach((g, k) => {
        out[k] = () => g;
      });
      return out;
    },
  };
}

const GRADIENTS: tf.GradConfig[] = [
  // Elementwise binary ops (with broadcasting).
  binary(
    'Add',
    (dy) => dy,
    (dy) => dy,
  ),
  binary(
    'Sub',
    (dy) => dy,
    (dy) => tf.neg(dy),
  ),
  binary(
    'Multiply',
    (dy, _a, b) => tf.mul(dy, float(b)),
    (dy, a) => tf.mul(dy, float(a)),
  ),
  binary(
    'RealDiv',
    (dy, _a, b) => tf.div(dy, b),
    (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
  ),
  binary(
    'Maximum',
    (dy, a, b) => tf.mul(dy, tf.cast(tf.greaterEqual(a, b), 'float32')),
    (dy, a, b) => tf.mul(dy, tf.cast(tf.less(a, b), 'float32')),
  ),
  binary(
    'Minimum',
    (dy, a, b) => tf.mul(dy, tf.cast(tf.lessEqual(a, b), 'float32')),
    (dy, a, b) => tf.mul(dy, tf.cast(tf.greater(a, b), 'float32')),
  ),
  binary(
    'SquaredDifference',
    (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(a, b), 2)),
    (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(b, a), 2)),
  ),
  {
    kernelName: 'Pow',
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [a, b, y] = saved;
      const g = single(dy);
      return {
        a: () => reduceTo(tf.mul(g, tf.mul(b, tf.pow(a, tf.sub(b, 1)))), a.shape),
        // d/db a^b = a^b log a, defined for a > 0 (0 elsewhere, as TensorFlow does).
        b: () => {
          const positive = tf.greater(a, 0);
          const logA = tf.where(positive, tf.log(tf.where(positive, a, tf.onesLike(a))), tf.zerosLike(a));
          return reduceTo(tf.mul(g, tf.mul(y, logA)), b.shape);
        },
      };
    },
  },
  // Clones: the tape disposes accumulated gradients, so one tensor must not serve two inputs.
  allInputs('AddN', (dy, saved) => saved.map(() => tf.clone(dy))),

  // Elementwise unary ops.
  unary('Neg', (dy) => tf.neg(dy)),
  unary('Abs', (dy, x) => tf.mul(dy, tf.sign(x))),
  unaryFromOutput('Exp', (dy, y) => tf.mul(dy, y)),
  unary('Log', (dy, x) => tf.div(dy, x)),
  unary('Log1p', (dy, x) => tf.div(dy, tf.add(x, 1))),
  unary('Sqrt', (dy, x) => tf.div(dy, tf.mul(tf.sqrt(x), 2))),
  unary('Rsqrt', (dy, x) => tf.mul(dy, tf.mul(tf.pow(x, -1.5), -0.5))),
  unary('Square', (dy, x) => tf.mul(dy, tf.mul(x, 2))),
  unary('Reciprocal', (dy, x) => tf.neg(tf.div(dy, tf.square(x)))),
  unary('Relu', (dy, x) => tf.mul(dy, reluMask(tf.relu(x)))),
  unary('Relu6', (dy, x) => tf.mul(dy, tf.cast(tf.logicalAnd(tf.greater(x, 0), tf.less(x, 6)), 'float32'))),
  unaryFromOutput('Sigmoid', (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  unaryFromOutput('Tanh', (dy, y) => tf.mul(dy, tf.sub(1, tf.square(y)))),
  unary('Softplus', (dy, x) => tf.mul(dy, tf.sigmoid(x))),
  unary('Sin', (dy, x) => tf.mul(dy, tf.cos(x))),
  unary('Cos', (dy, x) => tf.neg(tf.mul(dy, tf.sin(x)))),
  unary('Identity', (dy) => tf.clone(dy)),
  unary('Cast', (dy) => tf.clone(dy)),
  {
    kernelName: 'LeakyRelu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const alpha = numberAttr(attrs, 'alpha');
      const x = saved[0];
      return {
        x: () => tf.mul(single(dy), tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, alpha))),
      };
    },
  },
  {
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      const inside = tf.logicalAnd(
        tf.greaterEqual(x, numberAttr(attrs, 'clipValueMin')),
        tf.lessEqual(x, numberAttr(attrs, 'clipValueMax')),
      );
      return { x: () => tf.mul(single(dy), tf.cast(inside, 'float32')) };
    },
  },
  {
    kernelName: 'Select',
    inputsToSave: ['condition'],
    gradFunc: (dy, saved) => {
      const condition = saved[0];
      const g = single(dy);
      return {
        condition: () => tf.zeros(condition.shape, 'float32'),
        t: () => tf.mul(g, tf.cast(condition, 'float32')),
        e: () => tf.mul(g, tf.cast(tf.logicalNot(condition), 'float32')),
      };
    },
  },
  ...[
    'Step',
    'Sign',
    'Floor',
    'Ceil',
    'Round',
    'ZerosLike',
    'OnesLike',
    'IsNan',
    'IsFinite',
    'IsInf',
    'LogicalNot',
  ].map((k) => zeroGradient(k, ['x'])),
  ...['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr'].map(
    (k) => zeroGradient(k, ['a', 'b']),
  ),

  // Reductions.
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      const axes = reductionAxes(attrs, 'axis', x.shape);
      return { x: () => tf.mul(keepDims(single(dy), x.shape, axes), tf.ones(x.shape)) };
    },
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      const axes = reductionAxes(attrs, 'axis', x.shape);
      const count = axes.reduce((n, a) => n * x.shape[a], 1);
      return { x: () => tf.div(tf.mul(keepDims(single(dy), x.shape, axes), tf.ones(x.shape)), count) };
    },
  },
  ...['Max', 'Min'].map((kernelName): tf.GradConfig => ({
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved;
      const axes = reductionAxes(attrs, 'reductionIndices', x.shape);
      // Ties share the gradient of the extreme value, as in TensorFlow.
      return {
        x: () =>
          tf.mul(
            keepDims(single(dy), x.shape, axes),
            tf.cast(tf.equal(x, keepDims(y, x.shape, axes)), 'float32'),
          ),
      };
    },
  })),

  // Shape and indexing ops.
  {
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.reshape(single(dy), saved[0].shape) }),
  },
  {
    kernelName: 'ExpandDims',
    inputsToSave: ['input'],
    gradFunc: (dy, saved) => ({ input: () => tf.reshape(single(dy), saved[0].shape) }),
  },
  {
    kernelName: 'BroadcastTo',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => reduceTo(single(dy), saved[0].shape) }),
  },
  allInputs('Concat', (dy, saved, attrs) => {
    const axis = tf.util.parseAxisParam(numberAttr(attrs, 'axis'), saved[0].shape)[0];
    return tf.split(
      dy,
      saved.map((t) => t.shape[axis]),
      axis,
    );
  }),
  allInputs('Pack', (dy, _saved, attrs) => tf.unstack(dy, numberAttr(attrs, 'axis'))),
  {
    kernelName: 'Unpack',
    inputsToSave: ['value'],
    gradFunc: (dy, saved, attrs) => {
      const value = saved[0];
      const axis = numberAttr(attrs, 'axis');
      const parts = Array.isArray(dy) ? dy : [dy];
      const sliceShape = value.shape.filter((_, i) => i !== (axis < 0 ? axis + value.rank : axis));
      return {
        value: () =>
          tf.stack(
            parts.map((p) => p ?? tf.zeros(sliceShape)),
            axis,
          ),
      };
    },
  },
  {
    kernelName: 'SplitV',
    inputsToSave: [],
    gradFunc: (dy, _saved, attrs) => {
      const parts = Array.isArray(dy) ? dy : [dy];
      return { x: () => tf.concat(parts, numberAttr(attrs, 'axis')) };
    },
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      const [begin, size] = tf.slice_util.parseSliceParams(
        x,
        numbersAttr(attrs, 'begin'),
        numbersAttr(attrs, 'size'),
      );
      const paddings = x.shape.map((d, i): [number, number] => [begin[i], d - begin[i] - size[i]]);
      return { x: () => tf.pad(single(dy), paddings) };
    },
  },
  {
    kernelName: 'PadV2',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      const paddings = attrs.paddings as unknown as [number, number][];
      return {
        x: () =>
          tf.slice(
            single(dy),
            paddings.map((p) => p[0]),
            x.shape,
          ),
      };
    },
  },
  {
    kernelName: 'Transpose',
    inputsToSave: [],
    gradFunc: (dy, _saved, attrs) => ({
      x: () => tf.transpose(single(dy), tf.backend_util.getUndoAxesPermutation(numbersAttr(attrs, 'perm'))),
    }),
  },
  {
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      const reps = numbersAttr(attrs, 'reps');
      // Output axis i holds reps[i] copies of x's axis i: split it into [reps, size] and sum the copies.
      const interleaved = x.shape.flatMap((d, i) => [reps[i], d]);
      const repAxes = x.shape.map((_, i) => 2 * i);
      return { x: () => tf.reshape(tf.sum(tf.reshape(single(dy), interleaved), repAxes), x.shape) };
    },
  },
  {
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved;
      const axis = tf.util.parseAxisParam(numberAttr(attrs, 'axis'), x.shape)[0];
      if ((attrs.batchDims ?? 0) !== 0) throw new Error('GatherV2 gradient: batchDims > 0 is not supported');
      return {
        x: () => {
          // Move the gathered axis first, sum rows per index, move it back.
          const outer = x.shape.slice(0, axis);
          const inner = x.shape.slice(axis + 1);
          const values = tf.reshape(single(dy), [...outer, indices.size, ...inner]);
          const perm = [
            outer.length,
            ...outer.map((_, i) => i),
            ...inner.map((_, i) => outer.length + 1 + i),
          ];
          // scatterND sums the rows of repeated indices; unlike UnsortedSegmentSum it has a wasm
          // kernel, so gather's gradient works on every backend.
          const rows = tf.transpose(values, perm);
          const summed = tf.scatterND(tf.reshape(indices, [indices.size, 1]), rows, [
            x.shape[axis],
            ...rows.shape.slice(1),
          ]);
          return tf.transpose(summed, tf.backend_util.getUndoAxesPermutation(perm));
        },
        indices: () => tf.zeros(indices.shape, 'float32'),
      };
    },
  },
  {
    // 1-D segment ids: each row of x receives the gradient of its segment (none for negative ids).
    kernelName: 'UnsortedSegmentSum',
    inputsToSave: ['segmentIds'],
    gradFunc: (dy, saved) => {
      const ids = saved[0];
      const g = single(dy);
      return {
        x: () => {
          const gathered = tf.gather(g, tf.maximum(ids, tf.scalar(0, 'int32')));
          const valid = tf.reshape(tf.cast(tf.greaterEqual(ids, 0), 'float32'), [
            ids.size,
            ...g.shape.slice(1).map(() => 1),
          ]);
          return tf.mul(gathered, valid);
        },
        segmentIds: () => tf.zeros(ids.shape, 'float32'),
      };
    },
  },

  // Matrix product (rank 2, or batched with broadcasting batch dimensions). The transposes are
  // explicit ops: on the wasm backend a matMul with a transpose flag is about 10x slower than
  // transposing first (measured: 18 ms vs 1.8 ms for [512, 200] x [300, 200]^T).
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const g = single(dy);
      const ta = boolAttr(attrs, 'transposeA');
      const tb = boolAttr(attrs, 'transposeB');
      let da: () => tf.Tensor;
      let db: () => tf.Tensor;
      if (!ta && !tb) {
        da = () => tf.matMul(g, swapLast(b));
        db = () => tf.matMul(swapLast(a), g);
      } else if (!ta && tb) {
        da = () => tf.matMul(g, b);
        db = () => tf.matMul(swapLast(g), a);
      } else if (ta && !tb) {
        da = () => tf.matMul(b, swapLast(g));
        db = () => tf.matMul(a, g);
      } else {
        da = () => swapLast(tf.matMul(g, b));
        db = () => swapLast(tf.matMul(a, g));
      }
      return { a: () => reduceTo(da(), a.shape), b: () => reduceTo(db(), b.shape) };
    },
  },

  // Softmax family.
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const y = saved[0];
      const g = single(dy);
      const dim = numbersAttr(attrs, 'dim');
      return { logits: () => tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), dim, true))) };
    },
  },
  {
    kernelName: 'LogSoftmax',
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const y = saved[0];
      const g = single(dy);
      const axis = numbersAttr(attrs, 'axis');
      return { logits: () => tf.sub(g, tf.mul(tf.sum(g, axis, true), tf.exp(y))) };
    },
  },
];

/** The kernels this module provides gradients for. */
export const GRADIENT_KERNELS: readonly string[] = GRADIENTS.map((g) => g.kernelName);

let registered = false;

/**
 * Registers every gradient above that tfjs does not already have. Safe to call repeatedly.
 * @param replace register them all, replacing tfjs' own: for after @tensorflow/tfjs-node has
 *   loaded the full set, so every backend differentiates with the same functions (tfjs' Relu
 *   gradient, for one, runs tf.step: five kernels on native TensorFlow; ours one)
 */
export function registerGradients(replace = false): void {
  if (registered && !replace) return;
  registered = true;
  for (const config of GRADIENTS) {
    if (replace || !tf.getGradient(config.kernelName)) tf.registerGradient(config);
  }
}

registerGradients();
