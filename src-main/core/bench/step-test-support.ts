/**
 * What every bench workload's test runs after its own checks (imported by *.test.ts only): a
 * warm-up step, then three steps, with what they left for the test to assert.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StepWorkload } from './dssm-step';

export interface CheckedSteps {
  /** Steps the three steps' losses were summed over. */
  steps: number;
  /** Their summed loss. */
  sum: number;
  /** Tensors alive after the three steps less those alive before them. */
  tensorsAdded: number;
}

export async function threeCheckedSteps(workload: StepWorkload): Promise<CheckedSteps> {
  await workload.step();
  await workload.takeLosses();
  const before = tf.memory().numTensors;
  for (let k = 0; k < 3; k++) await workload.step();
  const losses = await workload.takeLosses();
  return { steps: losses.steps, sum: losses.sum, tensorsAdded: tf.memory().numTensors - before };
}
