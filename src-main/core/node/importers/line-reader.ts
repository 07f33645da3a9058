/**
 * Streams a text file line by line over one reusable buffer, so memory stays bounded whatever the
 * file's size. Lines are handed out as byte ranges of that buffer (no string per line): the
 * importers parse numbers straight from the bytes, which is what makes 10 million rows fast.
 *
 * Every importer reads through here, so here is where a file is checked to be text: a directory,
 * a compressed or binary file (known magic numbers, NUL bytes) and bytes that are not UTF-8 are
 * errors naming the line and byte, before any line with them reaches an importer. A UTF-8 byte
 * order mark is skipped. The checks run once per chunk on whole lines (`isUtf8` is simdutf), not
 * per field.
 */
import { isUtf8 } from 'node:buffer';
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { ImportCancelledError, ImportError, quoteContent } from './errors';

/**
 * Called for each line without its terminator (`\n` or `\r\n`). `lineNumber` is 1-based;
 * `unterminated` is true for a last line with no newline, which may have been cut off.
 */
export type LineHandler = (
  bytes: Buffer,
  start: number,
  end: number,
  lineNumber: number,
  unterminated: boolean,
) => void;

export interface ReadLinesOptions {
  signal?: AbortSignal;
  /** Called now and then with bytes read so far and the file's size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Initial chunk size; a longer line grows the buffer. */
  chunkBytes?: number;
}

export interface ReadLinesResult {
  lines: number;
  bytes: number;
  /** False when the last line has no terminator: callers decide whether it was cut off. */
  endedWithNewline: boolean;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const NUL = 0x00;
const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf];

/** Leading bytes of files that are not text, with what to tell the analyst. */
const MAGIC_NUMBERS: { bytes: number[]; what: string }[] = [
  { bytes: [0x1f, 0x8b], what: 'is a gzip file; decompress it first (gunzip)' },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    what: 'is a zip archive (an .xlsx workbook is one too); extract or export it as CSV first',
  },
  { bytes: [0x42, 0x5a, 0x68], what: 'is a bzip2 file; decompress it first (bunzip2)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'is an xz file; decompress it first (unxz)' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'is a zstd file; decompress it first (unzstd)' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'is a 7z archive; extract it first' },
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'is a Parquet file, not text; export it as CSV first' },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0],
    what: 'is an Office document (e.g. .xls), not text; export it as CSV first',
  },
  { bytes: [...Buffer.from('SQLite format 3\0', 'latin1')], what: 'is an SQLite database, not a text file' },
  { bytes: [0xff, 0xfe], what: 'is UTF-16 text; save it as UTF-8' },
  { bytes: [0xfe, 0xff], what: 'is UTF-16 text; save it as UTF-8' },
];

function startsWith(buffer: Buffer, length: number, prefix: readonly number[]): boolean {
  if (length < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buffer[k] !== prefix[k]) return false;
  return true;
}

export async function readLines(
  path: string,
  handler: LineHandler,
  options: ReadLinesOptions = {},
): Promise<ReadLinesResult> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new ImportError(path, `cannot open the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const info = await handle.stat();
    assertRegularFile(path, info);
    const totalBytes = info.size;
    let buffer = Buffer.allocUnsafe(options.chunkBytes ?? 4 << 20);
    let filled = 0;
    let bytesRead = 0;
    let lineNumber = 0;
    let lastByte = -1;
    /** Offset in the file of buffer[0]. */
    let bufferOffset = 0;
    /** Where the first line starts: after a byte order mark, if the file has one. */
    let firstLineStart = 0;
    for (;;) {
      if (options.signal?.aborted) throw new ImportCancelledError();
      if (filled === buffer.length) {
        // One line longer than the buffer: grow it rather than split the line.
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
      const { bytesRead: got } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (got === 0) break;
      const end = filled + got;
      let lineStart = 0;
      if (bytesRead === 0) {
        // The first read (4 MB, or the whole file) holds any magic number.
        for (const magic of MAGIC_NUMBERS) {
          if (startsWith(buffer, end, magic.bytes)) throw new ImportError(path, magic.what);
        }
        if (startsWith(buffer, end, BYTE_ORDER_MARK)) firstLineStart = lineStart = BYTE_ORDER_MARK.length;
      }
      bytesRead += got;
      lastByte = buffer[end - 1];
      // Whole lines only: a newline byte never occurs inside a UTF-8 sequence.
      const lastNewline = buffer.lastIndexOf(NEWLINE, end - 1);
      if (lastNewline >= filled) {
        checkText(path, buffer, lineStart, lastNewline + 1, lineNumber, bufferOffset);
      }
      let newline = buffer.indexOf(NEWLINE, filled);
      while (newline !== -1 && newline < end) {
        lineNumber++;
        const lineEnd =
          newline > lineStart && buffer[newline - 1] === CARRIAGE_RETURN ? newline - 1 : newline;
        handler(buffer, lineStart, lineEnd, lineNumber, false);
        lineStart = newline + 1;
        newline = buffer.indexOf(NEWLINE, lineStart);
      }
      // Keep the unfinished tail for the next read.
      buffer.copy(buffer, 0, lineStart, end);
      bufferOffset += lineStart;
      filled = end - lineStart;
      options.onProgress?.(bytesRead, totalBytes);
    }
    if (filled > 0) {
      checkText(path, buffer, 0, filled, lineNumber, bufferOffset);
      lineNumber++;
      const lineEnd = buffer[filled - 1] === CARRIAGE_RETURN ? filled - 1 : filled;
      handler(buffer, 0, lineEnd, lineNumber, true);
    }
    const onlyByteOrderMark = bytesRead === firstLineStart;
    return {
      lines: lineNumber,
      bytes: bytesRead,
      endedWithNewline: lastByte === NEWLINE || onlyByteOrderMark,
    };
  } finally {
    await handle.close();
  }
}

/** A directory (or a device, a pipe) picked as an input file is named as such. */
export function assertRegularFile(path: string, info: Stats): void {
  if (info.isDirectory()) throw new ImportError(path, 'is a directory; pick the files inside it');
  if (!info.isFile()) throw new ImportError(path, 'is not a regular file');
}

/**
 * Checks that buffer[start, end) (whole lines, the first of them line `linesBefore + 1`) is text:
 * no NUL byte, valid UTF-8. `bufferOffset` is the file offset of buffer[0], for the message.
 */
function checkText(
  path: string,
  buffer: Buffer,
  start: number,
  end: number,
  linesBefore: number,
  bufferOffset: number,
): void {
  const region = buffer.subarray(start, end);
  const nul = region.indexOf(NUL);
  if (nul !== -1) {
    const where = locate(buffer, start, start + nul, linesBefore);
    throw new ImportError(
      path,
      `has a NUL byte at byte ${where.column} of the line (file offset ${bufferOffset + start + nul}): it looks like a binary file, not text`,
      where.line,
    );
  }
  if (isUtf8(region)) return;
  const bad = firstInvalidUtf8(buffer, start, end);
  const where = locate(buffer, start, bad, linesBefore);
  const before = buffer.toString('utf8', Math.max(where.lineStart, bad - 60), bad);
  throw new ImportError(
    path,
    `is not valid UTF-8: byte 0x${buffer[bad].toString(16).padStart(2, '0')} at byte ${where.column} of the line ` +
      `(file offset ${bufferOffset + bad}), after ${quoteContent(before)}; save the file as UTF-8`,
    where.line,
  );
}

/** The line number, 1-based byte column and line start of buffer[offset], counting from `start`. */
function locate(
  buffer: Buffer,
  start: number,
  offset: number,
  linesBefore: number,
): { line: number; column: number; lineStart: number } {
  let line = linesBefore + 1;
  let lineStart = start;
  for (let newline = buffer.indexOf(NEWLINE, start); newline !== -1 && newline < offset;) {
    line++;
    lineStart = newline + 1;
    newline = buffer.indexOf(NEWLINE, lineStart);
  }
  return { line, column: offset - lineStart + 1, lineStart };
}

/**
 * Offset of the first byte of buffer[start, end) that is not valid UTF-8 (the region is known to
 * have one). Node's decoder replaces each invalid sequence by U+FFFD; the first U+FFFD that the
 * bytes did not spell out themselves (EF BF BD) marks it.
 */
function firstInvalidUtf8(buffer: Buffer, start: number, end: number): number {
  const text = buffer.toString('utf8', start, end);
  for (let index = text.indexOf('\uFFFD'); index !== -1; index = text.indexOf('\uFFFD', index + 1)) {
    const offset = start + Buffer.byteLength(text.slice(0, index));
    if (!(buffer[offset] === 0xef && buffer[offset + 1] === 0xbf && buffer[offset + 2] === 0xbd))
      return offset;
  }
  return start;
}
