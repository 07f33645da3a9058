/**
 * Byte-level field splitting and number parsing for delimited lines. Working on the bytes avoids a
 * string and an array per line; numbers are parsed digit by digit.
 */

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
