import { describe, expect, it } from 'vitest';
import { coresPerRun, tensorflowEnvironment } from './tensorflow-env';

describe('tensorflowEnvironment', () => {
  it('quiets the start-up banner and sets intra-op threads only where the user has not', () => {
    expect(tensorflowEnvironment({}, undefined)).toEqual({ TF_CPP_MIN_LOG_LEVEL: '2' });
    expect(tensorflowEnvironment({}, 3)).toEqual({
      TF_CPP_MIN_LOG_LEVEL: '2',
      TF_NUM_INTRAOP_THREADS: '3',
      TF_NUM_INTEROP_THREADS: '1',
    });
    expect(tensorflowEnvironment({ TF_CPP_MIN_LOG_LEVEL: '0', TF_NUM_INTRAOP_THREADS: '8' }, 2)).toEqual({});
    expect(tensorflowEnvironment({ TF_NUM_INTEROP_THREADS: '4' }, 2)).toEqual({
      TF_CPP_MIN_LOG_LEVEL: '2',
      TF_NUM_INTRAOP_THREADS: '2',
    });
  });

  it('splits the cores between runs, one thread at least, one of two or more for the embedding L2', () => {
    expect(coresPerRun(16, 4)).toEqual({ tensorflowThreads: 3, l2Thread: true, rowHelpers: true });
    expect(coresPerRun(2, 1)).toEqual({ tensorflowThreads: 1, l2Thread: true, rowHelpers: true });
    expect(coresPerRun(7, 2)).toEqual({ tensorflowThreads: 2, l2Thread: true, rowHelpers: true });
    // Every core has a run: the L2 thread still takes work off the training threads.
    expect(coresPerRun(2, 2)).toEqual({ tensorflowThreads: 1, l2Thread: true, rowHelpers: true });
    expect(coresPerRun(2, 3)).toEqual({ tensorflowThreads: 1, l2Thread: true, rowHelpers: true });
    expect(coresPerRun(1, 1)).toEqual({ tensorflowThreads: 1, l2Thread: false, rowHelpers: false });
  });
});
