import { describe, expect, it } from 'vitest';
import { MAX_NOTE_CHARS, MAX_TAG_CHARS, MAX_TAGS } from '../contract/limits';
import { normalizeAnnotation, normalizeTags } from './annotations';

describe('tags and notes', () => {
  it('trim tags, squeeze spaces, drop empty ones and keep each once (first spelling, any case)', () => {
    expect(normalizeTags(['  lr  sweep ', '', 'Baseline', 'baseline', 'paper'])).toEqual([
      'lr sweep',
      'Baseline',
      'paper',
    ]);
  });

  it('refuse tags and notes past the contract limits, naming the field', () => {
    // A ValidationError's message leads with its field.
    expect(() => normalizeTags(['ok', 'x'.repeat(MAX_TAG_CHARS + 1)])).toThrow(
      /^tags\[1\]: at most 40 characters/,
    );
    expect(normalizeTags(['x'.repeat(MAX_TAG_CHARS)])).toHaveLength(1);
    const many = Array.from({ length: MAX_TAGS + 1 }, (_, k) => `t${k}`);
    expect(() => normalizeTags(many)).toThrow(/^tags: at most 20 tags, got 21$/);
    expect(() => normalizeAnnotation({ note: 'n'.repeat(MAX_NOTE_CHARS + 1) })).toThrow(
      /^note: at most 4096/,
    );
  });

  it('leave out what the change leaves out', () => {
    expect(normalizeAnnotation({ note: 'seen' })).toEqual({ note: 'seen' });
    expect(normalizeAnnotation({})).toEqual({});
  });
});
