/**
 * Dense item features from JSON-lines files (TikTok's video, audio and title features), matched
 * to the items of the interactions by raw id.
 */
import { readLines } from './line-reader';
import { ImportError, InvalidValue, quoteContent } from './errors';
import { fieldText, fitsFloat32, idFromValue } from './fields';
import type { IdMap } from './columns';
import type { DenseFeature, ImportReport } from './processed';
import { countInto } from './processed';

export interface JsonLinesFeatureSpec {
  path: string;
  name: string;
  modality: DenseFeature['modality'];
  /** Key of the vector in each JSON object. */
  key: string;
  /**
   * `vector`: an array of numbers of a fixed length; `bag`: an object of token id → count, hashed
   * into `dim` buckets and L2-normalised (title words).
   */
  kind: 'vector' | 'bag';
  /** Required for `bag`; for `vector` the first row sets it. */
  dim?: number;
}

/**
 * Reads one JSON-lines feature file into a dense feature over `items`. Items absent from the
 * interactions are counted and skipped; a file matching none of them is an error.
 */
export async function readJsonLinesFeature(
  spec: JsonLinesFeatureSpec,
  items: IdMap,
  report: ImportReport,
  signal?: AbortSignal,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
): Promise<DenseFeature> {
  let dim = spec.kind === 'bag' ? (spec.dim ?? 64) : (spec.dim ?? 0);
  let values = new Float32Array(items.size * Math.max(dim, 1));
  const present = new Uint8Array(items.size);
  let matched = 0;
  let unknown = 0;
  let rows = 0;
  const result = await readLines(
    spec.path,
    (bytes, start, end, line) => {
      if (start === end) return;
      rows++;
      let record: unknown;
      try {
        record = JSON.parse(fieldText(bytes, start, end));
      } catch {
        throw new ImportError(spec.path, 'not valid JSON', line);
      }
      if (typeof record !== 'object' || record === null)
        throw new ImportError(spec.path, 'expected a JSON object', line);
      const object = record as Record<string, unknown>;
      const rawId = object.item_id;
      // A big id is text in the train file; here it may be a JSON string, or a number if safe.
      let id: number | string | null = null;
      try {
        id = typeof rawId === 'number' || typeof rawId === 'string' ? idFromValue(rawId) : null;
      } catch (error) {
        if (!(error instanceof InvalidValue)) throw error;
        throw new ImportError(spec.path, error.problem, line, 'item_id');
      }
      if (id === null || (typeof id === 'string' && !/^-?\d+$/.test(id))) {
        throw new ImportError(spec.path, 'missing or non-integer item id', line, 'item_id');
      }
      const item = items.lookup(id);
      if (item === undefined) {
        unknown++;
        return;
      }
      const raw = object[spec.key];
      if (spec.kind === 'vector') {
        if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'number')) {
          throw new ImportError(spec.path, 'expected an array of numbers', line, spec.key);
        }
        // JSON.parse reads 1e999 as Infinity; a float32 holds less than a double.
        const outOfRange = (raw as number[]).findIndex((v) => !fitsFloat32(v));
        if (outOfRange !== -1) {
          throw new ImportError(
            spec.path,
            `number ${outOfRange + 1} is out of range (stored as a 32-bit float)`,
            line,
            spec.key,
          );
        }
        if (dim === 0) {
          dim = raw.length;
          values = new Float32Array(items.size * dim);
        }
        if (raw.length !== dim) {
          throw new ImportError(spec.path, `expected ${dim} numbers, found ${raw.length}`, line, spec.key);
        }
        values.set(raw as number[], item * dim);
      } else {
        if (typeof raw !== 'object' || raw === null) {
          throw new ImportError(spec.path, 'expected an object of token counts', line, spec.key);
        }
        let norm = 0;
        const offset = item * dim;
        for (const [token, count] of Object.entries(raw as Record<string, unknown>)) {
          const bucket = hashToken(token) % dim;
          if (typeof count !== 'number' || !(count >= 0) || !fitsFloat32(count)) {
            throw new ImportError(
              spec.path,
              `the count of token ${quoteContent(token)} is not a non-negative number`,
              line,
              spec.key,
            );
          }
          values[offset + bucket] += count;
        }
        for (let d = 0; d < dim; d++) norm += values[offset + d] ** 2;
        norm = Math.sqrt(norm) || 1;
        for (let d = 0; d < dim; d++) values[offset + d] /= norm;
      }
      present[item] = 1;
      matched++;
    },
    { signal, onProgress },
  );
  if (result.lines === 0) throw new ImportError(spec.path, 'the file is empty');
  if (matched === 0) {
    throw new ImportError(
      spec.path,
      `none of its ${rows} items appear in the interactions: is it the right feature file?`,
    );
  }
  if (unknown)
    report.warnings.push(`${spec.path}: ${unknown} items are not in the interactions and were skipped`);
  const missing = items.size - matched;
  if (missing) countInto(report.missingValues, spec.name, missing);
  return { name: spec.name, modality: spec.modality, dim, values, present };
}

/** FNV-1a, stable across runs, for hashing token ids into buckets. */
function hashToken(token: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < token.length; k++) {
    h ^= token.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
