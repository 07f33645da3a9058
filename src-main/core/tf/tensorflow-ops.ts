/**
 * TensorFlow kernels that tfjs has no op for, run through the `tensorflow` backend's eager op API
 * (tfjs-node's executeMultipleOutputs), where one TensorFlow kernel replaces a chain of tfjs ones.
 * Used only while the active backend is `tensorflow` (see kernel-choice.ts).
 *
 * FusedBatchNormV3 / FusedBatchNormGradV3 (training mode): a batch-normalised layer's forward and
 * backward pass as one kernel each, instead of about 15 element-wise tfjs kernels each way, every
 * one a pass over the [batch, units] activations plus ~10-15 us of dispatch.
 *
 * ResourceApplyAdagradV2 on resource variables (VarHandleOp): one dense variable's Adagrad update
 * as one kernel instead of six (square, add, sqrt, add, mul, div and a sub), the same arithmetic.
 *
 * BatchMatMulV2, BiasAdd, BiasAddGrad, Relu and ReluGrad for dense layers (dense.ts): tfjs runs a
 * 2-D matMul as BatchMatMulV2 between three Reshapes, a bias as a broadcasting Add and relu's
 * gradient as Sign and Multiply; these are one kernel each.
 */
import * as tf from '@tensorflow/tfjs-core';

interface OpAttr {
  name: string;
  type: number;
  value: number | boolean | string | number[];
}

interface NativeBinding {
  TF_ATTR_TYPE: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_STRING: number;
  TF_ATTR_SHAPE: number;
  TF_FLOAT: number;
}

export interface NativeBackend {
  binding: NativeBinding;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

/** Told of each native op this module runs, with its wall milliseconds (bench --profile). */
export type NativeOpObserver = (op: string, ms: number) => void;
let observer: NativeOpObserver | null = null;

/**
 * Makes `next` the observer of the native ops run here (null: none). tf.profile sees only tfjs
 * kernels, so without this a profile would leave out batch norm's and Adagrad's TensorFlow kernels.
 */
export function observeNativeOps(next: NativeOpObserver | null): void {
  observer = next;
}

/** Every native op of this module goes through here, so that a profile sees it. */
function runNative(
  native: NativeBackend,
  op: string,
  attrs: OpAttr[],
  inputs: tf.Tensor[],
  outputs: number,
): tf.Tensor[] {
  if (!observer) return native.executeMultipleOutputs(op, attrs, inputs, outputs);
  const start = performance.now();
  const result = native.executeMultipleOutputs(op, attrs, inputs, outputs);
  observer(op, performance.now() - start);
  return result;
}

/** The active backend's eager op API, or null unless the backend is native TensorFlow. */
export function nativeBackend(): NativeBackend | null {
  if (tf.getBackend() !== 'tensorflow') return null;
  const backend = tf.backend() as unknown as Partial<NativeBackend>;
  return typeof backend.executeMultipleOutputs === 'function' && backend.binding
    ? (backend as NativeBackend)
    : null;
}

function floatType(native: NativeBackend): OpAttr {
  return { name: 'T', type: native.binding.TF_ATTR_TYPE, value: native.binding.TF_FLOAT };
}

function dataFormat(native: NativeBackend): OpAttr {
  return { name: 'data_format', type: native.binding.TF_ATTR_STRING, value: 'NHWC' };
}

/**
 * @param averageFactor the forward kernel's m (the running statistics become (1 - m) old + m batch,
 *   the variance unbiased, n / (n - 1)); null for the backward kernel
 */
function batchNormAttrs(native: NativeBackend, epsilon: number, averageFactor: number | null): OpAttr[] {
  const b = native.binding;
  return [
    floatType(native),
    { name: 'U', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: epsilon },
    // NHWC with H = W = 1: each unit is a channel, normalised over the batch.
    dataFormat(native),
    { name: 'is_training', type: b.TF_ATTR_BOOL, value: true },
    ...(averageFactor === null
      ? []
      : [{ name: 'exponential_avg_factor', type: b.TF_ATTR_FLOAT, value: averageFactor }]),
  ];
}

/**
 * a b with either operand transposed by the kernel's flags, one kernel: BatchMatMulV2 on 2-D
 * operands, which oneDNN runs as its brgemm matmul. Not TensorFlow's MatMul: that one reaches
 * oneDNN's AVX-512 sgemm (jit_avx512_common_gemm_f32), which points the stack register into the
 * heap, so a signal arriving while it runs (a sampling profiler such as Node's --cpu-prof, or any
 * handler) corrupts the heap (uxlfoundation/oneDNN#4845); measured here, 200 steps of an Mlp under
 * --cpu-prof aborted on every run with MatMul and never with BatchMatMulV2
 * (native-signals.test.ts). BatchMatMulV2 was also faster on these shapes.
 * @param a [m, k] ([k, m] when transposeA)
 * @param b [k, n] ([n, k] when transposeB)
 * @returns [m, n]
 */
export function nativeMatMul(
  native: NativeBackend,
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor2D {
  const binding = native.binding;
  return runNative(
    native,
    'BatchMatMulV2',
    [
      floatType(native),
      { name: 'adj_x', type: binding.TF_ATTR_BOOL, value: transposeA },
      { name: 'adj_y', type: binding.TF_ATTR_BOOL, value: transposeB },
    ],
    [a, b],
    1,
  )[0] as tf.Tensor2D;
}

/**
 * x + bias on the last axis.
 * @param x [..., units]
 * @param bias [units]
 */
export function nativeBiasAdd<T extends tf.Tensor>(native: NativeBackend, x: T, bias: tf.Tensor): T {
  return runNative(native, 'BiasAdd', [floatType(native), dataFormat(native)], [x, bias], 1)[0] as T;
}

/**
 * The bias gradient of nativeBiasAdd: dy summed over every axis but the last.
 * @param dy [..., units]
 * @returns [units]
 */
export function nativeBiasAddGrad(native: NativeBackend, dy: tf.Tensor): tf.Tensor1D {
  return runNative(native, 'BiasAddGrad', [floatType(native), dataFormat(native)], [dy], 1)[0] as tf.Tensor1D;
}

/** max(x, 0). */
export function nativeRelu<T extends tf.Tensor>(native: NativeBackend, x: T): T {
  return runNative(native, 'Relu', [floatType(native)], [x], 1)[0] as T;
}

/**
 * relu's gradient: dy where the layer's output y = relu(z) is positive (z > 0), else 0.
 * @param dy the shape of y
 */
export function nativeReluGrad<T extends tf.Tensor>(native: NativeBackend, dy: T, y: tf.Tensor): T {
  return runNative(native, 'ReluGrad', [floatType(native)], [dy, y], 1)[0] as T;
}

export interface FusedBatchNormResult {
  /** [n, units] */
  y: tf.Tensor2D;
  /** What FusedBatchNormGradV3 needs besides dy and gamma: x in the kernel's layout, the reserves. */
  saved: tf.Tensor[];
  /** [units] each: the running statistics after this batch. */
  running: { mean: tf.Tensor1D; variance: tf.Tensor1D };
}

/**
 * y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch's mean and biased variance, and
 * the running statistics' update in the same kernel:
 * (1 - m) old + m mean_B and (1 - m) old + m var_B n / (n - 1).
 * @param x [n, units]
 * @param gamma [units]
 * @param beta [units]
 * @param running the old running mean and variance [units] and the momentum m
 */
export function fusedBatchNormTraining(
  native: NativeBackend,
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  running: { mean: tf.Tensor1D; variance: tf.Tensor1D; momentum: number },
): FusedBatchNormResult {
  const [n, units] = x.shape;
  const x4 = tf.reshape(x, [n, 1, 1, units]);
  const [y, runningMean, runningVariance, ...reserve] = runNative(
    native,
    'FusedBatchNormV3',
    batchNormAttrs(native, epsilon, running.momentum),
    [x4, gamma, beta, running.mean, running.variance],
    6,
  );
  return {
    y: tf.reshape(y, [n, units]),
    saved: [x4, ...reserve],
    running: { mean: runningMean as tf.Tensor1D, variance: runningVariance as tf.Tensor1D },
  };
}

/**
 * The gradients of fusedBatchNormTraining's y.
 * @param dy [n, units]
 * @param saved fusedBatchNormTraining's `saved`
 * @returns dx [n, units], dgamma [units], dbeta [units]
 */
export function fusedBatchNormGrad(
  native: NativeBackend,
  dy: tf.Tensor2D,
  gamma: tf.Tensor1D,
  saved: tf.Tensor[],
  epsilon: number,
): [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D] {
  const [n, units] = dy.shape;
  const [x4, ...reserve] = saved;
  const [dx, dgamma, dbeta] = runNative(
    native,
    'FusedBatchNormGradV3',
    batchNormAttrs(native, epsilon, null),
    [tf.reshape(dy, [n, 1, 1, units]), x4, gamma, ...reserve],
    5,
  );
  return [tf.reshape(dx, [n, units]), dgamma as tf.Tensor1D, dbeta as tf.Tensor1D];
}

let resourceCount = 0;
/** Resource names are per TensorFlow context; the random part keeps two modules' names apart. */
const resourcePrefix = `cascade-lab-${Math.random().toString(36).slice(2)}`;

/**
 * A float32 TensorFlow resource variable of a fixed shape (VarHandleOp). tfjs-node represents
 * its handle as a scalar 'string' tensor; the variable lives until destroy().
 */
export class NativeResourceVariable {
  /** The resource handle (kept: not owned by any tidy). */
  readonly handle: tf.Tensor;

  constructor(
    private readonly native: NativeBackend,
    readonly shape: number[],
  ) {
    const b = native.binding;
    this.handle = tf.keep(
      runNative(
        native,
        'VarHandleOp',
        [
          { name: 'dtype', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
          { name: 'shape', type: b.TF_ATTR_SHAPE, value: shape },
          { name: 'container', type: b.TF_ATTR_STRING, value: '' },
          // An empty shared_name would make every handle the same variable.
          { name: 'shared_name', type: b.TF_ATTR_STRING, value: `${resourcePrefix}-${resourceCount++}` },
        ],
        [],
        1,
      )[0],
    );
  }

  /** Sets the variable to `value` (same shape). */
  assign(value: tf.Tensor): void {
    const b = this.native.binding;
    runNative(
      this.native,
      'AssignVariableOp',
      [
        { name: 'dtype', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
        { name: 'validate_shape', type: b.TF_ATTR_BOOL, value: true },
      ],
      [this.handle, value],
      0,
    );
  }

  /** The variable's current value, a new tensor. */
  read(): tf.Tensor {
    const b = this.native.binding;
    return runNative(
      this.native,
      'ReadVariableOp',
      [{ name: 'dtype', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }],
      [this.handle],
      1,
    )[0];
  }

  destroy(): void {
    const b = this.native.binding;
    runNative(
      this.native,
      'DestroyResourceOp',
      [{ name: 'ignore_lookup_error', type: b.TF_ATTR_BOOL, value: true }],
      [this.handle],
      0,
    );
    this.handle.dispose();
  }
}

/**
 * accumulator += g^2; variable -= learningRate * g / (sqrt(accumulator) + epsilon), in place, as
 * one kernel (PyTorch's Adagrad form, dense.ts).
 * @param learningRate [] scalar
 * @param epsilon [] scalar
 * @param gradient the variable's shape
 */
export function resourceApplyAdagrad(
  native: NativeBackend,
  variable: NativeResourceVariable,
  accumulator: NativeResourceVariable,
  learningRate: tf.Scalar,
  epsilon: tf.Scalar,
  gradient: tf.Tensor,
): void {
  const b = native.binding;
  runNative(
    native,
    'ResourceApplyAdagradV2',
    [
      { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
      { name: 'use_locking', type: b.TF_ATTR_BOOL, value: false },
      { name: 'update_slots', type: b.TF_ATTR_BOOL, value: true },
    ],
    [variable.handle, accumulator.handle, learningRate, epsilon, gradient],
    0,
  );
}

/** Distinct shapes whose operand registerNativeReshape keeps per backend (a run uses a few dozen). */
const RESHAPE_SHAPES_KEPT = 1024;

interface NativeReshapeBackend {
  write(values: Int32Array, shape: number[], dtype: 'int32'): object;
  getDTypeInteger(dtype: tf.DataType): number;
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.TensorInfo;
  binding: NativeBinding;
}

let nativeReshapeRegistered = false;

/**
 * Replaces tfjs-node's Reshape kernel with one that keeps its shape operand. tfjs-node's makes the
 * target shape a new int32 tensor at every call (through tfjs's engine, then a TensorFlow tensor
 * handle) and disposes it; here each backend writes a shape's operand once, outside the engine's
 * tensor counts, and TensorFlow's Reshape reads it again (the same kernel, the same output). The
 * hybrid DSSM step runs 48 reshapes (38 us each, 1.8 of its 23.7 ms; `bench --profile`).
 */
export function registerNativeReshape(): void {
  if (nativeReshapeRegistered) return;
  const original = tf.getKernel(tf.Reshape, 'tensorflow');
  if (!original) return;
  nativeReshapeRegistered = true;
  const operands = new WeakMap<object, Map<string, tf.TensorInfo>>();
  tf.unregisterKernel(tf.Reshape, 'tensorflow');
  tf.registerKernel({
    kernelName: tf.Reshape,
    backendName: 'tensorflow',
    kernelFunc: (args) => {
      const backend = args.backend as unknown as NativeReshapeBackend;
      const x = args.inputs.x as tf.TensorInfo;
      const shape = (args.attrs as unknown as { shape: number[] }).shape;
      let kept = operands.get(backend);
      if (!kept) {
        kept = new Map();
        operands.set(backend, kept);
      }
      const key = shape.join(',');
      let operand = kept.get(key);
      if (!operand) {
        if (kept.size >= RESHAPE_SHAPES_KEPT) return original.kernelFunc(args);
        const values = Int32Array.from(shape);
        operand = {
          dataId: backend.write(values, [shape.length], 'int32'),
          shape: [shape.length],
          dtype: 'int32',
        };
        kept.set(key, operand);
      }
      const b = backend.binding;
      const attrs: OpAttr[] = [
        { name: 'T', type: b.TF_ATTR_TYPE, value: backend.getDTypeInteger(x.dtype) },
        { name: 'Tshape', type: b.TF_ATTR_TYPE, value: backend.getDTypeInteger('int32') },
      ];
      return backend.executeSingleOutput(tf.Reshape, attrs, [x, operand]);
    },
  });
}
