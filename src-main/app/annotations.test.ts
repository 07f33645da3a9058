import { describe, expect, it } from 'vitest';
import { MAX_NOTE_CHARS, MAX_TAG_CHARS, MAX_TAGS } from '../contract/limits';
import { normalizeAnnotation, normalizeTags } from './annotations';
import { ValidationError } from '../contract/errors';

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).field;
  }
  throw new Error('expected a ValidationError');
}

describe('tags and notes', () => {
  it('trim tags, squeeze spaces, drop empty ones and keep each once (first spelling, any case)', () => {
    expect(normalizeTags(['  lr  sweep ', '', 'Baseline', 'baseline', 'paper'])).toEqual([
      'lr sweep',
      'Baseline',
      'paper',
    ]);
  });

  it('refuse tags and notes past the contract limits, naming the field', () => {
    expect(fieldOf(() => normalizeTags(['ok', 'x'.repeat(MAX_TAG_CHARS + 1)]))).toBe('tags[1]');
    expect(normalizeTags(['x'.repeat(MAX_TAG_CHARS)])).toHaveLength(1);
    const many = Array.from({ length: MAX_TAGS + 1 }, (_, k) => `t${k}`);
    expect(fieldOf(() => normalizeTags(many))).toBe('tags');
    expect(fieldOf(() => normalizeAnnotation({ note: 'n'.repeat(MAX_NOTE_CHARS + 1) }))).toBe('note');
  });

  it('leave out what the change leaves out', () => {
    expect(normalizeAnnotation({ note: 'seen' })).toEqual({ note: 'seen' });
    expect(normalizeAnnotation({})).toEqual({});
  });
});
