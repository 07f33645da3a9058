import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { NATIVE_TENSORFLOW_TESTED, nativeTitle } from './native-test-support';

describe.skipIf(!NATIVE_TENSORFLOW_TESTED)(nativeTitle('Reshape on native TensorFlow'), () => {
  afterAll(async () => {
    await initBackend('cpu');
  });

  it('reshapes as asked for every dtype, keeping one shape operand per shape and no tensor', async () => {
    expect((await initBackend('tensorflow')).backend).toBe('tensorflow');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const values = Array.from({ length: 12 }, (_, i) => i + 1);
    const cases: { dtype: 'float32' | 'int32' | 'bool'; target: number[]; shape: number[] }[] = [
      { dtype: 'float32', target: [3, 4], shape: [3, 4] },
      { dtype: 'float32', target: [4, 3], shape: [4, 3] },
      { dtype: 'int32', target: [-1, 4], shape: [3, 4] },
      { dtype: 'bool', target: [2, 2, 3], shape: [2, 2, 3] },
      { dtype: 'float32', target: [3, 4], shape: [3, 4] },
      { dtype: 'float32', target: [12], shape: [12] },
    ];
    const before = tf.memory().numTensors;
    for (let round = 0; round < 3; round++) {
      for (const { dtype, target, shape } of cases) {
        tf.tidy(() => {
          const x = tf.tensor(dtype === 'bool' ? values.map((v) => v % 3 === 0) : values, [2, 6], dtype);
          const y = tf.reshape(x, target);
          expect(y.shape).toEqual(shape);
          expect(y.dtype).toBe(dtype);
          expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
        });
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    // A shape not seen before adds its operand once, however often it is used (tfjs-node's own
    // kernel makes and disposes one at every call).
    const dataIds = backend.numDataIds();
    tf.tidy(() => {
      const x = tf.ones([5, 7]);
      for (let k = 0; k < 4; k++) expect(tf.reshape(x, [7, 5]).shape).toEqual([7, 5]);
    });
    expect(backend.numDataIds() - dataIds).toBe(1);
  });
});
