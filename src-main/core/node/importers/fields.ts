/**
 * Byte-level field splitting and number parsing for delimited lines. Working on the bytes avoids a
 * string and an array per line; numbers are parsed digit by digit.
 */
import { ImportError, InvalidValue, QUOTE_LIMIT, quoteContent } from './errors';

/** Reusable field boundaries of one line. */
export class FieldSpans {
  starts: Int32Array;
  ends: Int32Array;
  count = 0;

  constructor(capacity = 64) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  /**
   * Splits bytes[start, end) on `separator` (no quoting: the WeChat and TikTok files have none).
   * Returns the number of fields.
   */
  split(bytes: Uint8Array, start: number, end: number, separator: number): number {
    let count = 0;
    let fieldStart = start;
    for (let i = start; i < end; i++) {
      if (bytes[i] === separator) {
        this.push(count++, fieldStart, i);
        fieldStart = i + 1;
      }
    }
    this.push(count++, fieldStart, end);
    this.count = count;
    return count;
  }

  private push(index: number, start: number, end: number): void {
    if (index >= this.starts.length) {
      const starts = new Int32Array(this.starts.length * 2);
      const ends = new Int32Array(this.ends.length * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    this.starts[index] = start;
    this.ends[index] = end;
  }
}

const MINUS = 0x2d;
const PLUS = 0x2b;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;
const SPACE = 0x20;

/**
 * Parses a decimal integer from bytes[start, end); surrounding spaces are allowed.
 * Returns NaN for an empty field or any other character, so callers can name the bad column.
 */
export function parseIntBytes(bytes: Uint8Array, start: number, end: number): number {
  while (start < end && bytes[start] === SPACE) start++;
  while (end > start && bytes[end - 1] === SPACE) end--;
  if (start === end) return NaN;
  let sign = 1;
  if (bytes[start] === MINUS) {
    sign = -1;
    start++;
  } else if (bytes[start] === PLUS) {
    start++;
  }
  if (start === end) return NaN;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c < ZERO || c > NINE) return NaN;
    value = value * 10 + (c - ZERO);
  }
  return sign * value;
}

/** Parses a decimal number (integer, fraction or exponent form). NaN when it is not one. */
export function parseFloatBytes(bytes: Uint8Array, start: number, end: number): number {
  const asInt = parseIntBytes(bytes, start, end);
  if (!Number.isNaN(asInt)) return asInt;
  let hasDigit = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c >= ZERO && c <= NINE) hasDigit = true;
    else if (c !== DOT && c !== MINUS && c !== PLUS && c !== SPACE && c !== 0x65 && c !== 0x45) return NaN;
  }
  if (!hasDigit) return NaN;
  return Number(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'));
}

/**
 * An integer id kept exactly: a number while it is a safe integer (the usual case, nothing
 * allocated), else its decimal text (see `canonicalIntegerText`), so that ids beyond 2^53 never
 * round into one another. null when the field is not an integer.
 */
export function parseIdBytes(bytes: Uint8Array, start: number, end: number): number | string | null {
  const value = parseIntBytes(bytes, start, end);
  if (Number.isNaN(value)) return null;
  // Digit by digit, every partial value is at most the final one: a safe result is exact.
  if (Number.isSafeInteger(value)) return value;
  return canonicalIntegerText(
    Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'),
  );
}

/**
 * A non-negative integer id (a user, item or feed) read exactly as `parseIdBytes` reads it; anything
 * else is an ImportError naming the file, line and column and quoting the field. `what` names the
 * id in the message ("user id"). Positional arguments: it runs once per id on every row.
 */
export function requireIdBytes(
  bytes: Uint8Array,
  start: number,
  end: number,
  path: string,
  line: number,
  column: string,
  what: string,
): number | string {
  const id = parseIdBytes(bytes, start, end);
  if (id === null || isNegativeId(id)) {
    throw new ImportError(
      path,
      `${what} is not a non-negative integer: ${quoteField(bytes, start, end)}`,
      line,
      column,
    );
  }
  return id;
}

/**
 * A category id (an author, song or singer of a feed) kept exactly: what `parseIdBytes` reads, and
 * also an integer written as a decimal ("25252.0"), which is how pandas writes an integer column
 * that has missing values, as WeChat's feed_info.csv and the DAMCAR fidelity generator do. null when
 * missing (empty, or NaN as pandas may spell it). Throws InvalidValue for anything else (text, a
 * fraction, a decimal beyond 2^53), which used to be counted as missing and silently drop the field.
 */
export function parseCategoryIdBytes(bytes: Uint8Array, start: number, end: number): number | string | null {
  const id = parseIdBytes(bytes, start, end);
  if (id !== null) return id;
  const text = fieldText(bytes, start, end).trim();
  if (text === '' || /^nan$/i.test(text)) return null;
  const value = parseFloatBytes(bytes, start, end);
  if (Number.isInteger(value) && !/[eE]/.test(text)) {
    if (Number.isSafeInteger(value)) return value;
    throw new InvalidValue(
      'the id is beyond 2^53 written as a decimal, where it may be rounded; write it as digits',
    );
  }
  throw new InvalidValue('the id is not an integer');
}

/**
 * The text of an integer too large to be a number exactly, in one spelling per value (no '+', no
 * leading zeros), as "007" and "7" are one id when they are numbers. `text` is an optionally
 * signed run of digits with surrounding white space.
 */
export function canonicalIntegerText(text: string): string {
  const trimmed = text.trim();
  const sign = trimmed.startsWith('-') ? '-' : '';
  const digits = trimmed.replace(/^[+-]/, '').replace(/^0+(?=\d)/, '');
  return sign + digits;
}

/**
 * An id from a text field or a JSON value, kept exactly: integers as numbers while they are safe
 * (so "7" in a CSV and 7 in JSON name the same entity), larger ones as their text, other text as
 * it is (trimmed). null when missing (empty). Throws InvalidValue for what cannot be an id: a
 * JSON object or array, or a JSON number that JSON.parse may have rounded.
 */
export function idFromValue(raw: unknown): number | string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'number') {
    if (Number.isSafeInteger(raw)) return raw;
    if (!Number.isFinite(raw)) throw new InvalidValue('the number is out of range');
    if (Number.isInteger(raw)) {
      throw new InvalidValue(
        `${raw} is beyond 2^53 as a JSON number, so it may have been rounded; write the id as a string`,
      );
    }
    return String(raw);
  }
  if (typeof raw === 'boolean') return String(raw);
  if (typeof raw !== 'string') throw new InvalidValue(notSingleValue(raw as object));
  const text = raw.trim();
  if (text === '') return null;
  if (!INTEGER_TEXT.test(text)) return text;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : canonicalIntegerText(text);
}

const INTEGER_TEXT = /^-?\d+$/;

/** Why a JSON object or array cannot stand where one value belongs. */
export function notSingleValue(raw: object): string {
  return `expected a single value, found a JSON ${Array.isArray(raw) ? 'array' : 'object'}`;
}

/** Whether an id from `parseIdBytes` is below zero. */
export function isNegativeId(id: number | string): boolean {
  return typeof id === 'number' ? id < 0 : id.startsWith('-');
}

/** Whether `value` is finite as a float32 too (watch times and embeddings are stored as float32). */
export function fitsFloat32(value: number): boolean {
  return Number.isFinite(Math.fround(value));
}

/** An id from `parseIdBytes` as a message names it: digits only, so only its length needs a limit. */
export function idText(id: number | string): string {
  const text = String(id);
  return text.length <= QUOTE_LIMIT ? text : quoteContent(text);
}

/** The field as an error message quotes it (short, control characters escaped). */
export function quoteField(bytes: Uint8Array, start: number, end: number): string {
  return quoteContent(fieldText(bytes, start, end));
}

/** The field as a string (UTF-8). */
export function fieldText(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

/**
 * Splits one CSV line with RFC 4180 quoting ("a ""b""", embedded separators). Used by the generic
 * importer, whose files may quote; quoted fields spanning lines are not supported and reported.
 */
export function splitQuoted(
  line: string,
  separator: string,
): { fields: string[]; unterminatedQuote: boolean } {
  const fields: string[] = [];
  let current = '';
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inQuotes) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          current += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        current += c;
      }
    } else if (c === '"' && current.length === 0) {
      inQuotes = true;
    } else if (c === separator) {
      fields.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  fields.push(current);
  return { fields, unterminatedQuote: inQuotes };
}
