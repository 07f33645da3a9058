/** Header handling for delimited files with a header row (WeChat's CSVs, generic logs). */
import { ImportError, quoteContent } from './errors';

/**
 * Finds required (and optional) columns by name; a missing required column is an error naming it,
 * and so is a name the header has twice (which column would be meant?), naming both positions.
 * `line` is the header's line number (1 unless blank lines come first).
 */
export function resolveColumns<R extends string, O extends string>(
  file: string,
  header: string[],
  required: readonly R[],
  optional: readonly O[] = [],
  line = 1,
): Record<R, number> & Partial<Record<O, number>> {
  const trimmed = header.map((name) => name.trim());
  const firstAt = new Map<string, number>();
  trimmed.forEach((name, index) => {
    const first = firstAt.get(name);
    if (first !== undefined) {
      throw new ImportError(
        file,
        `the header names column ${quoteContent(name)} twice, as columns ${first + 1} and ${index + 1}`,
        line,
      );
    }
    firstAt.set(name, index);
  });
  const positions: Record<string, number> = {};
  for (const name of required) {
    const index = firstAt.get(name);
    if (index === undefined) {
      const hint = header.length === 1 ? ' (only one column found: is the separator right?)' : '';
      throw new ImportError(
        file,
        `missing column ${quoteContent(name)}${hint}; the header has: ${quoteContent(trimmed.join(', '))}`,
        line,
        name,
      );
    }
    positions[name] = index;
  }
  for (const name of optional) {
    const index = firstAt.get(name);
    if (index !== undefined) positions[name] = index;
  }
  return positions as Record<R, number> & Partial<Record<O, number>>;
}
