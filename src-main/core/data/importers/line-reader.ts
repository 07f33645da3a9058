/**
 * Streams a text file line by line over one reusable buffer, so memory stays bounded whatever the
 * file's size. Lines are handed out as byte ranges of that buffer (no string per line): the
 * importers parse numbers straight from the bytes, which is what makes 10 million rows fast.
 */
import { open } from 'node:fs/promises';
import { ImportCancelledError, ImportError } from './errors';

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
    const { size: totalBytes } = await handle.stat();
    let buffer = Buffer.allocUnsafe(options.chunkBytes ?? 4 << 20);
    let filled = 0;
    let bytesRead = 0;
    let lineNumber = 0;
    let lastByte = -1;
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
      bytesRead += got;
      lastByte = buffer[filled + got - 1];
      const end = filled + got;
      let lineStart = 0;
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
      filled = end - lineStart;
      options.onProgress?.(bytesRead, totalBytes);
    }
    if (filled > 0) {
      lineNumber++;
      const lineEnd = buffer[filled - 1] === CARRIAGE_RETURN ? filled - 1 : filled;
      handler(buffer, 0, lineEnd, lineNumber, true);
    }
    return { lines: lineNumber, bytes: bytesRead, endedWithNewline: lastByte === NEWLINE || bytesRead === 0 };
  } finally {
    await handle.close();
  }
}
