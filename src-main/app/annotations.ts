/**
 * Tags and notes as stored: tags trimmed, empty ones dropped, each kept once (the first spelling
 * wins, compared without case), within the contract's limits; a note within its length.
 */
import type { AnnotationChange } from '../contract/api';
import { MAX_NOTE_CHARS, MAX_TAG_CHARS, MAX_TAGS } from '../contract/limits';
import { ValidationError } from '../contract/errors';

export function normalizeTags(tags: readonly string[]): string[] {
  const kept: string[] = [];
  for (const [index, raw] of tags.entries()) {
    const tag = raw.trim().replace(/\s+/g, ' ');
    if (tag === '') continue;
    if (tag.length > MAX_TAG_CHARS) {
      throw new ValidationError(`tags[${index}]`, `at most ${MAX_TAG_CHARS} characters, got ${tag.length}`);
    }
    if (!kept.some((existing) => existing.toLowerCase() === tag.toLowerCase())) kept.push(tag);
  }
  if (kept.length > MAX_TAGS)
    throw new ValidationError('tags', `at most ${MAX_TAGS} tags, got ${kept.length}`);
  return kept;
}

export function normalizeAnnotation(change: AnnotationChange): AnnotationChange {
  const normalized: AnnotationChange = {};
  if (change.tags !== undefined) normalized.tags = normalizeTags(change.tags);
  if (change.note !== undefined) {
    if (change.note.length > MAX_NOTE_CHARS) {
      throw new ValidationError('note', `at most ${MAX_NOTE_CHARS} characters, got ${change.note.length}`);
    }
    normalized.note = change.note;
  }
  return normalized;
}
