import { describe, expect, it } from 'vitest';
import { ApiError, describeError } from './errors';

describe('describeError', () => {
  it('keeps the field and drops its repetition from the message', () => {
    const error = new ApiError({ message: 'spec.seeds: must not be empty', field: 'spec.seeds' }, 400);
    expect(describeError(error)).toEqual({ message: 'must not be empty', field: 'spec.seeds' });
  });

  it('strips the prefix Electron adds to errors that crossed IPC', () => {
    const error = new Error("Error invoking remote method 'experiments:run': Error: no such experiment");
    expect(describeError(error)).toEqual({ message: 'no such experiment' });
  });

  it('describes non-errors', () => {
    expect(describeError('boom')).toEqual({ message: 'boom' });
  });
});
