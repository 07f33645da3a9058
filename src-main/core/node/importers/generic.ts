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
import { ImportError, InvalidValue, quoteContent } from './errors';
import { fieldText, fitsFloat32, idFromValue, notSingleValue, splitQuoted } from './fields';
import { resolveColumns } from './header';
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
      rows: records.map((r) => columns.map((c) => previewCell(r[c]))),
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

/** A JSON value as the preview shows it: objects and arrays as the JSON the file holds (the import refuses them). */
function previewCell(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
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
  /** Column positions by name, once the header is read (csv / tsv). */
  let positions: Record<string, number> | null = null;
  let headerWidth = 0;
  let rowIndex = 0;

  const get = (fields: string[] | Record<string, unknown>, column: string): unknown => {
    if (Array.isArray(fields)) {
      const p = positions?.[column];
      return p === undefined ? undefined : fields[p];
    }
    return fields[column];
  };

  /**
   * The value of `column` in a row, or an error naming the line, the column and the value. One
   * function for all rows: a closure per row costs more than the parsing at millions of rows.
   */
  const value = <T>(
    fields: string[] | Record<string, unknown>,
    line: number,
    column: string,
    parse: (raw: unknown, labelThreshold?: number) => T,
  ): T => {
    const raw = get(fields, column);
    try {
      return parse(raw, mapping.labelThreshold);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      throw new ImportError(path, `${error.problem}: ${quoteValue(raw)}`, line, column);
    }
  };
  const recordFeatures = (
    features: EntityFeature[],
    index: number,
    fields: string[] | Record<string, unknown>,
    line: number,
  ): void => {
    for (const feature of features) {
      const v = value(fields, line, feature.name, idFromValue);
      if (v === null) countInto(report.missingValues, feature.name);
      feature.recordIfNew(index, v);
    }
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
          const wanted = [
            mapping.user,
            mapping.item,
            mapping.label,
            mapping.timestamp,
            mapping.weight,
            ...(mapping.userFeatures ?? []),
            ...(mapping.itemFeatures ?? []),
          ].filter((c): c is string => c !== undefined);
          positions = resolveColumns(path, split.fields, wanted, [], line);
          headerWidth = split.fields.length;
          return;
        }
        if (split.fields.length !== headerWidth) {
          const cut =
            unterminated && split.fields.length < headerWidth ? ' (the last line looks truncated)' : '';
          throw new ImportError(
            path,
            `has ${split.fields.length} fields, the header has ${headerWidth}${cut}`,
            line,
          );
        }
        fields = split.fields;
      }
      report.rowsRead++;
      const rawUser = value(fields, line, mapping.user, idFromValue);
      if (rawUser === null) throw new ImportError(path, 'the user id is empty', line, mapping.user);
      const rawItem = value(fields, line, mapping.item, idFromValue);
      if (rawItem === null) throw new ImportError(path, 'the item id is empty', line, mapping.item);
      const y = value(fields, line, mapping.label, labelValue);
      if (y === null) {
        countInto(report.rowsDropped, `label missing (${mapping.label})`);
        return;
      }
      const t = mapping.timestamp ? value(fields, line, mapping.timestamp, timeValue) : rowIndex;
      let w: number = y;
      if (mapping.weight) {
        const parsed = value(fields, line, mapping.weight, weightValue);
        if (parsed === null) countInto(report.missingValues, mapping.weight);
        else w = parsed;
      }
      rowIndex++;
      const u = users.intern(rawUser);
      const i = items.intern(rawItem);
      recordFeatures(userFeatures, u, fields, line);
      recordFeatures(itemFeatures, i, fields, line);
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

/** A value as an error message quotes it: text as it is, JSON values as JSON. */
function quoteValue(raw: unknown): string {
  return quoteContent(typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? String(raw)));
}

/**
 * A number written in decimal (or "Infinity", so that it is named out of range rather than not a
 * number); NaN for anything else. `Number()` alone also reads hex, octal and binary ("0x10" is 16).
 */
const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?Infinity$/;
function decimalValue(raw: string | number | boolean): number {
  if (typeof raw === 'number') return raw;
  return typeof raw === 'string' && DECIMAL_TEXT.test(raw.trim()) ? Number(raw) : NaN;
}

const LABEL_RULE = 'the label must be 0/1 or true/false (or set a label threshold)';

/** 0 / 1, or null for a missing label (empty, or -1). */
function labelValue(raw: unknown, threshold?: number): 0 | 1 | null {
  if (typeof raw === 'object' && raw !== null) throw new InvalidValue(notSingleValue(raw));
  const text = typeof raw === 'string' ? raw.trim() : raw;
  if (text === undefined || text === null || text === '' || text === -1 || text === '-1') return null;
  if (text === true || text === 'true' || text === 'True') return 1;
  if (text === false || text === 'false' || text === 'False') return 0;
  const value = decimalValue(text as string | number | boolean);
  if (Number.isNaN(value)) throw new InvalidValue(LABEL_RULE);
  if (!Number.isFinite(value)) throw new InvalidValue('the label is out of range');
  if (threshold !== undefined) return value >= threshold ? 1 : 0;
  if (value === 0 || value === 1) return value;
  throw new InvalidValue(LABEL_RULE);
}

/** Seconds: a finite number, or an ISO date. */
function timeValue(raw: unknown): number {
  if (typeof raw === 'object' && raw !== null) throw new InvalidValue(notSingleValue(raw));
  if (typeof raw !== 'number' && (typeof raw !== 'string' || raw.trim() === '')) {
    throw new InvalidValue('not a number or a date');
  }
  const asNumber = decimalValue(raw);
  if (Number.isFinite(asNumber)) return asNumber;
  if (!Number.isNaN(asNumber)) throw new InvalidValue('the time is out of range');
  const ms = Date.parse(raw as string);
  if (Number.isNaN(ms)) throw new InvalidValue('not a number or a date');
  return ms / 1000;
}

/** A non-negative edge weight that a float32 holds, or null when missing (empty). */
function weightValue(raw: unknown): number | null {
  if (typeof raw === 'object' && raw !== null) throw new InvalidValue(notSingleValue(raw));
  const text = typeof raw === 'string' ? raw.trim() : raw;
  if (text === undefined || text === null || text === '') return null;
  const value = typeof text === 'number' || typeof text === 'string' ? decimalValue(text) : NaN;
  if (Number.isNaN(value)) throw new InvalidValue('the weight is not a number');
  if (!fitsFloat32(value))
    throw new InvalidValue('the weight is out of range (it is stored as a 32-bit float)');
  if (value < 0)
    throw new InvalidValue('the weight must not be negative (it weighs an edge of the random walk)');
  return value;
}
