/**
 * Gradient functions for the kernels the engine differentiates through, written with public tf
 * ops. Importing this module registers them (side effect; `registerGradients()` is idempotent);
 * each is checked against central finite differences in gradients.test.ts.
 *
 * Why ours: @tensorflow/tfjs-core registers no gradients. The union package @tensorflow/tfjs does,
 * and its Node bundle (dist/tf.node.js, CommonJS) loads in Node and fills tfjs-core's registry
 * (tfjs-core's own dist/register_all_gradients is ES modules with extension-less imports, which
 * Node cannot load). Measured against it with tfjs 4.22.0 on this 2-core machine (CPU time, the
 * two registrations alternating in one process, medians of 9 paired rounds, load 6 to 9):
 *  - Where it differs, it is wrong, missing or slower: SquaredDifference's gradient ignores
 *    broadcasting (the wrong shape for b); GatherV2's needs UnsortedSegmentSum, which wasm lacks;
 *    the comparisons and logical ops (Greater, Less, LessEqual, Equal, NotEqual, LogicalAnd,
 *    LogicalOr, LogicalNot) have none; Relu's masks with step, five kernels on native TensorFlow
 *    (the hybrid bench step at batch 4096: 1.52x the CPU time of ours, a relu gradient 2.1x);
 *    BatchMatMul's uses the transpose flags, which wasm runs slowly (1.7x to 6.4x the CPU time
 *    for [512, 200] x [200, 300]).
 *  - With ours kept for those, its functions for the other kernels train the dssm, deepfm and
 *    hybrid bench steps at ours' speed (0.95x to 1.03x, batch 512 and 4096, wasm and native
 *    TensorFlow), but loading the package costs every process and worker thread (a worker per
 *    run) 0.16 s of CPU and 17 MB (tfjs-core and wasm alone: 0.19 s), and it brings
 *    tfjs-layers, -converter, -data and -backend-webgl as a required dependency (about 220 MB).
 * So ours stay, all of them: about 300 lines of one-line gradients against a start-up cost on
 * every run. Where a backend runs the same arithmetic faster in another form (Relu's mask, the
 * matrix products' transposes) the choice is made per backend in kernel-choice.ts.
 *
 * A kernel that already has a gradient is left alone, except that @tensorflow/tfjs-node loads
 * the union package, whose set replaces ours: core/node/tf-backends.ts registers ours again.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMulTransposed, reluGradient } from './kernel-choice';

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
  // From the saved output: relu'(x) = [relu(x) > 0], one kernel (kernel-choice.ts), no relu recomputed.
  unaryFromOutput('Relu', (dy, y) => reluGradient(dy, y)),
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

  // Matrix product (rank 2, or batched with broadcasting batch dimensions), each product in the
  // form this backend runs faster (kernel-choice.ts): y = op(a) op(b), with op a transpose or not.
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const g = single(dy);
      const ta = boolAttr(attrs, 'transposeA');
      const tb = boolAttr(attrs, 'transposeB');
      // dA = g op(b)^T, transposed when a entered transposed; dB = op(a)^T g, likewise. Lazy: tfjs
      // asks only for the inputs on the path to the gradient's variables.
      return {
        a: () =>
          reduceTo(ta ? matMulTransposed(b, g, tb, true) : matMulTransposed(g, b, false, !tb), a.shape),
        b: () =>
          reduceTo(tb ? matMulTransposed(g, a, true, ta) : matMulTransposed(a, g, !ta, false), b.shape),
      };
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
