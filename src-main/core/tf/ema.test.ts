import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LazyRowEma, emaUpdateVariables } from './ema';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('emaUpdateVariables (Eq. 9)', () => {
  it('moves each teacher variable by exactly (1 - alpha) of the difference to the student', () => {
    const teacher = [
      tf.variable(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
      ),
      tf.variable(tf.tensor1d([10, -10, 0])),
    ];
    const student = [
      tf.tensor2d([
        [3, 2],
        [-1, 8],
      ]),
      tf.tensor1d([0, 0, 5]),
    ];
    const before = teacher.map((v) => Array.from(v.dataSync()));
    const alpha = 0.75;
    emaUpdateVariables(teacher, student, alpha);
    for (let k = 0; k < teacher.length; k++) {
      const after = teacher[k].dataSync();
      const s = student[k].dataSync();
      for (let j = 0; j < after.length; j++) {
        expect(after[j] - before[k][j]).toBeCloseTo((1 - alpha) * (s[j] - before[k][j]), 6);
      }
    }
    // [1, 2, 3, 4] towards [3, 2, -1, 8] by a quarter: [1.5, 2, 2, 5].
    expect(Array.from(teacher[0].dataSync())).toEqual([1.5, 2, 2, 5]);
  });

  it('does not leak tensors and rejects mismatched shapes', () => {
    const teacher = [tf.variable(tf.zeros([4, 3]))];
    const student = [tf.ones([4, 3])];
    const before = tf.memory().numTensors;
    emaUpdateVariables(teacher, student, 0.99);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => emaUpdateVariables(teacher, [tf.ones([3, 4])], 0.99)).toThrow(
      /ema\.ts: teacher\[0\] has shape/,
    );
    expect(() => emaUpdateVariables(teacher, student, 1.5)).toThrow(/alpha must be in \[0, 1\]/);
  });
});

/** The dense Eq. 9 the lazy rows must match: teacher <- alpha * teacher + (1 - alpha) * student. */
function denseEma(teacher: Float32Array, student: Float32Array, alpha: number): void {
  for (let k = 0; k < teacher.length; k++) teacher[k] = alpha * teacher[k] + (1 - alpha) * student[k];
}

describe('LazyRowEma', () => {
  it('equals the dense EMA at every read while the student changes sparsely', () => {
    const rows = 12;
    const dim = 3;
    const alpha = 0.9;
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const student = Float32Array.from({ length: rows * dim }, () => random() - 0.5);
    const denseTeacher = student.slice();
    const lazyTeacher = student.slice();
    const lazy = new LazyRowEma(lazyTeacher, student, dim, alpha);
    for (let step = 0; step < 40; step++) {
      // 0-3 touched rows, sometimes repeated, sometimes none.
      const touched = Int32Array.from({ length: Math.floor(random() * 4) }, () =>
        Math.floor(random() * rows),
      );
      lazy.step(touched, () => {
        for (const row of touched) for (let d = 0; d < dim; d++) student[row * dim + d] += random() - 0.5;
      });
      denseEma(denseTeacher, student, alpha);
      if (step % 7 === 3) {
        const probe = Int32Array.from([0, 5, 11]);
        lazy.syncRows(probe);
        for (const row of probe) {
          for (let d = 0; d < dim; d++)
            expect(lazyTeacher[row * dim + d]).toBeCloseTo(denseTeacher[row * dim + d], 5);
        }
      }
    }
    lazy.syncAll();
    expect(lazy.steps).toBe(40);
    let moved = 0;
    for (let k = 0; k < student.length; k++) {
      expect(lazyTeacher[k]).toBeCloseTo(denseTeacher[k], 5);
      if (Math.abs(lazyTeacher[k] - student[k]) > 1e-3) moved++;
    }
    expect(moved).toBeGreaterThan(0); // the teacher really lags the student
  });

  it('moves a touched row by exactly (1 - alpha) of the difference in one step', () => {
    const teacher = Float32Array.from([0, 0, 0, 0]);
    const student = Float32Array.from([0, 0, 0, 0]);
    const ema = new LazyRowEma(teacher, student, 2, 0.75);
    ema.step(Int32Array.from([1, 1]), () => {
      student[2] = 4;
      student[3] = -8;
    });
    expect(Array.from(teacher)).toEqual([0, 0, 1, -2]);
  });
});
