/**
 * Importer for any CSV / TSV / JSON-lines interaction log, with a column mapping chosen by the
 * analyst after a preview of the first rows.
 *
 * Required: user, item, label (0/1, true/false; or any number with `labelThreshold`: label =
 * value >= threshold). Optional: timestamp (number or ISO date; without it, file order), weight
 * (e.g. watch time; without it, the label), extra user and item feature columns (categorical).
 */
import type { ColumnMapping } from '../../../contract/api';
import { GrowableColumn, IdMap, EntityFeature } from './columns';
import { ImportError } from './errors';
import { fieldText, splitQuoted } from './fields';
import { readLines } from './line-reader';
import { countInto, emptyReport, finalizeImport, type ProcessedDataset } from './processed';
import { progressFor, type ImportOptions } from './common';

export type LogFormat = 'csv' | 'tsv' | 'jsonl';
export type { ColumnMapping };

export interface LogPreview {
  format: LogFormat;
  /** Separator for csv/tsv ('' for jsonl). */
  separator: string;
  columns: string[];
  rows: string[][];
}

/** Guesses the format from the first line and returns the header and the first rows. */
export async function previewLog(path: string, maxRows = 10, format?: LogFormat): Promise<LogPreview> {
  const lines: string[] = [];
  const controller = new AbortController();
  try {
    await readLines(
      path,
      (bytes, start, end) => {
        // The abort is noticed per chunk; the rest of this chunk's lines are skipped here.
        if (start === end || lines.length > maxRows) return;
        lines.push(fieldText(bytes, start, end));
        if (lines.length > maxRows) controller.abort();
      },
      { signal: controller.signal, chunkBytes: 1 << 16 },
    );
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  if (lines.length === 0) throw new ImportError(path, 'the file is empty');
  const detected = format ?? detectFormat(lines[0]);
  if (detected === 'jsonl') {
    const records = lines.map((line, k) => parseJsonRecord(path, line, k + 1));
    const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
    return {
      format: 'jsonl',
      separator: '',
      columns,
      rows: records.map((r) => columns.map((c) => (r[c] === undefined ? '' : String(r[c])))),
    };
  }
  const separator = detected === 'tsv' ? '\t' : detectSeparator(lines[0]);
  return {
    format: detected,
    separator,
    columns: splitQuoted(lines[0], separator).fields.map((c) => c.trim()),
    rows: lines.slice(1).map((line) => splitQuoted(line, separator).fields),
  };
}

function detectFormat(firstLine: string): LogFormat {
  if (firstLine.trimStart().startsWith('{')) return 'jsonl';
  return firstLine.includes('\t') ? 'tsv' : 'csv';
}

function detectSeparator(header: string): string {
  const candidates = [',', ';', '|', '\t'];
  return candidates.reduce((best, c) => (header.split(c).length > header.split(best).length ? c : best), ',');
}

function parseJsonRecord(path: string, line: string, lineNumber: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ImportError(path, 'not valid JSON', lineNumber);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ImportError(path, 'expected a JSON object per line', lineNumber);
  }
  return value as Record<string, unknown>;
}

export interface GenericImportOptions extends ImportOptions {
  mapping: ColumnMapping;
  format?: LogFormat;
  /** Separator for csv (auto-detected from the header when absent). */
  separator?: string;
}

export async function importGenericLog(
  path: string,
  options: GenericImportOptions,
): Promise<ProcessedDataset> {
  const { mapping } = options;
  const report = emptyReport();
  const users = new IdMap();
  const items = new IdMap();
  const user = new GrowableColumn(Int32Array);
  const item = new GrowableColumn(Int32Array);
  const time = new GrowableColumn(Float64Array);
  const label = new GrowableColumn(Uint8Array);
  const weight = new GrowableColumn(Float32Array);
  const userFeatures = (mapping.userFeatures ?? []).map((name) => new EntityFeature(name));
  const itemFeatures = (mapping.itemFeatures ?? []).map((name) => new EntityFeature(name));
  let format = options.format;
  let separator = options.separator;
  let positions: Map<string, number> | null = null;
  let rowIndex = 0;

  const get = (fields: string[] | Record<string, unknown>, column: string): unknown => {
    if (Array.isArray(fields)) {
      const p = positions?.get(column);
      return p === undefined ? undefined : fields[p];
    }
    return fields[column];
  };

  const result = await readLines(
    path,
    (bytes, start, end, line, unterminated) => {
      if (start === end) return;
      const text = fieldText(bytes, start, end);
      format ??= detectFormat(text);
      let fields: string[] | Record<string, unknown>;
      if (format === 'jsonl') {
        fields = parseJsonRecord(path, text, line);
      } else {
        separator ??= format === 'tsv' ? '\t' : detectSeparator(text);
        const split = splitQuoted(text, separator);
        if (split.unterminatedQuote) throw new ImportError(path, 'a quoted field is not closed', line);
        if (!positions) {
          const header = split.fields.map((c) => c.trim().replace(/^\uFEFF/, ''));
          positions = new Map(header.map((name, index) => [name, index]));
          const wanted = [
            mapping.user,
            mapping.item,
            mapping.label,
            mapping.timestamp,
            mapping.weight,
            ...(mapping.userFeatures ?? []),
            ...(mapping.itemFeatures ?? []),
          ].filter((c): c is string => c !== undefined);
          for (const column of wanted) {
            if (!positions.has(column)) {
              throw new ImportError(
                path,
                `missing column "${column}"; the header has: ${header.join(', ')}`,
                line,
                column,
              );
            }
          }
          return;
        }
        if (split.fields.length !== positions.size) {
          const cut =
            unterminated && split.fields.length < positions.size ? ' (the last line looks truncated)' : '';
          throw new ImportError(
            path,
            `has ${split.fields.length} fields, the header has ${positions.size}${cut}`,
            line,
          );
        }
        fields = split.fields;
      }
      report.rowsRead++;
      const rawUser = idValue(get(fields, mapping.user));
      if (rawUser === null) throw new ImportError(path, 'the user id is empty', line, mapping.user);
      const rawItem = idValue(get(fields, mapping.item));
      if (rawItem === null) throw new ImportError(path, 'the item id is empty', line, mapping.item);
      const y = labelValue(get(fields, mapping.label), mapping.labelThreshold);
      if (y === null) {
        countInto(report.rowsDropped, `label missing (${mapping.label})`);
        return;
      }
      if (y === undefined) {
        throw new ImportError(
          path,
          'the label must be 0/1 or true/false (or set a label threshold)',
          line,
          mapping.label,
        );
      }
      let t = rowIndex;
      if (mapping.timestamp) {
        const parsed = timeValue(get(fields, mapping.timestamp));
        if (parsed === null) throw new ImportError(path, 'not a number or a date', line, mapping.timestamp);
        t = parsed;
      }
      let w: number = y;
      if (mapping.weight) {
        const raw = get(fields, mapping.weight);
        const parsed = raw === '' || raw === undefined || raw === null ? NaN : Number(raw);
        if (Number.isNaN(parsed)) countInto(report.missingValues, mapping.weight);
        else w = parsed;
      }
      rowIndex++;
      const u = users.intern(rawUser);
      const i = items.intern(rawItem);
      userFeatures.forEach((f) => f.recordIfNew(u, optionalValue(report, f.name, get(fields, f.name))));
      itemFeatures.forEach((f) => f.recordIfNew(i, optionalValue(report, f.name, get(fields, f.name))));
      user.push(u);
      item.push(i);
      time.push(t);
      label.push(y);
      weight.push(w);
    },
    { signal: options.signal, onProgress: progressFor(path, options, () => report.rowsRead) },
  );
  if (result.lines === 0) throw new ImportError(path, 'the file is empty');
  if (user.length === 0) throw new ImportError(path, 'no rows with a label');
  return finalizeImport(
    {
      format: 'csv',
      name: options.name ?? path.split('/').pop() ?? path,
      userRawIds: users.rawIds,
      itemRawIds: items.rawIds,
      user: user.toArray(),
      item: item.toArray(),
      time: time.toArray(),
      label: label.toArray(),
      watchTime: weight.toArray(),
      userFeatures: userFeatures.map((f) => f.finish()),
      itemFeatures: itemFeatures.map((f) => f.finish()),
      itemDense: [],
      report,
    },
    options.filters,
  );
}

function idValue(raw: unknown): number | string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'number') return raw;
  const text = String(raw).trim();
  if (text === '') return null;
  // Numeric-looking ids stay numbers so "7" in a CSV and 7 in JSON name the same entity.
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/** 0 / 1, null for missing, undefined for a value that is not a label. */
function labelValue(raw: unknown, threshold: number | undefined): 0 | 1 | null | undefined {
  if (raw === undefined || raw === null || raw === '' || raw === -1 || raw === '-1') return null;
  if (raw === true || raw === 'true' || raw === 'True') return 1;
  if (raw === false || raw === 'false' || raw === 'False') return 0;
  const value = Number(raw);
  if (Number.isNaN(value)) return undefined;
  if (threshold !== undefined) return value >= threshold ? 1 : 0;
  if (value === 0 || value === 1) return value;
  return undefined;
}

function timeValue(raw: unknown): number | null {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const asNumber = Number(raw);
  if (!Number.isNaN(asNumber)) return asNumber;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : ms / 1000;
}

function optionalValue(
  report: ReturnType<typeof emptyReport>,
  column: string,
  raw: unknown,
): number | string | null {
  const value = idValue(raw);
  if (value === null) countInto(report.missingValues, column);
  return value;
}
