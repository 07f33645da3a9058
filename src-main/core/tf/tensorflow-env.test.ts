import { describe, expect, it } from 'vitest';
import { tensorflowEnvironment, threadsPerWorker } from './tensorflow-env';

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

  it('splits the cores between workers, one thread at least', () => {
    expect(threadsPerWorker(16, 4)).toBe(4);
    expect(threadsPerWorker(2, 2)).toBe(1);
    expect(threadsPerWorker(2, 3)).toBe(1);
    expect(threadsPerWorker(7, 2)).toBe(3);
  });
});
