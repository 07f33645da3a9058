/** bench --profile's step profile on native TensorFlow: the kernels tf.profile cannot see are counted too. */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../tf/backend';
import { DenseAdagrad } from '../tf/dense';
import { NATIVE_TENSORFLOW_TESTED, nativeTitle } from '../tf/native-test-support';
import { profileSteps } from './profile';

describe.skipIf(!NATIVE_TENSORFLOW_TESTED)(nativeTitle('profileSteps on native TensorFlow'), () => {
  afterAll(async () => {
    await initBackend('cpu');
  });

  it("counts the TensorFlow kernels run through the eager op API beside tfjs' own", async () => {
    expect((await initBackend('tensorflow')).backend).toBe('tensorflow');
    const w = tf.tidy(() => tf.variable(tf.ones([4, 3])));
    const b = tf.tidy(() => tf.variable(tf.zeros([3])));
    const optimizer = new DenseAdagrad([w, b], { learningRate: 0.1 });
    const x = tf.ones([2, 4]);
    const step = () => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(tf.add(tf.matMul(x, w), b)), [w, b]);
        optimizer.apply([grads[w.name], grads[b.name]]);
      });
      return Promise.resolve();
    };
    const profile = await profileSteps(step, 4, 1);
    const calls = (kernel: string) => profile.kernels.find((k) => k.kernel === kernel)?.callsPerStep ?? 0;
    // Two variables: one update and one read back each, every step.
    expect(calls('ResourceApplyAdagradV2 (native)')).toBe(2);
    expect(calls('ReadVariableOp (native)')).toBe(2);
    expect(calls('BatchMatMul')).toBeGreaterThan(0);
    expect(profile.kernelsPerStep).toBe(profile.kernels.reduce((sum, k) => sum + k.callsPerStep, 0));
    optimizer.dispose();
    for (const t of [w, b, x]) t.dispose();
  });
});
