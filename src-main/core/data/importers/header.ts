/** Header handling for delimited files with a header row (WeChat's CSVs, generic logs). */
import { ImportError } from './errors';

/** Finds required (and optional) columns by name; a missing required column is an error naming it. */
export function resolveColumns<R extends string, O extends string>(
  file: string,
  header: string[],
  required: readonly R[],
  optional: readonly O[] = [],
): Record<R, number> & Partial<Record<O, number>> {
  const positions: Record<string, number> = {};
  const trimmed = header.map((name) => name.trim().replace(/^\uFEFF/, ''));
  for (const name of required) {
    const index = trimmed.indexOf(name);
    if (index === -1) {
      const hint = header.length === 1 ? ' (only one column found: is the separator right?)' : '';
      throw new ImportError(
        file,
        `missing column "${name}"${hint}; the header has: ${trimmed.join(', ')}`,
        1,
        name,
      );
    }
    positions[name] = index;
  }
  for (const name of optional) {
    const index = trimmed.indexOf(name);
    if (index !== -1) positions[name] = index;
  }
  return positions as Record<R, number> & Partial<Record<O, number>>;
}
