import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError } from './errors';
import { readLines } from './line-reader';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-line-reader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCount = 0;
async function fileWith(bytes: Uint8Array | string): Promise<string> {
  const path = join(dir, `f${fileCount++}.txt`);
  await writeFile(path, bytes);
  return path;
}

async function linesOf(path: string, chunkBytes?: number): Promise<string[]> {
  const lines: string[] = [];
  await readLines(path, (bytes, start, end) => lines.push(bytes.toString('utf8', start, end)), {
    chunkBytes,
  });
  return lines;
}

async function errorOf(path: string, chunkBytes?: number): Promise<ImportError> {
  const error: unknown = await linesOf(path, chunkBytes).then(
    () => null,
    (failure: unknown) => failure,
  );
  if (!(error instanceof ImportError)) throw new Error(`expected an ImportError, got ${String(error)}`);
  return error;
}

/** Small chunks put line and character boundaries everywhere in the buffer. */
const CHUNK_SIZES = [4, 7, 16, 1 << 16];

describe('readLines', () => {
  it('hands out multi-byte characters whole whatever the chunk size', async () => {
    const text = ['café €uro 😀', 'ü'.repeat(40), '', 'naïve\r', 'end'];
    const path = await fileWith(text.join('\n'));
    for (const chunkBytes of CHUNK_SIZES) {
      expect(await linesOf(path, chunkBytes)).toEqual(['café €uro 😀', 'ü'.repeat(40), '', 'naïve', 'end']);
    }
  });

  it('skips a UTF-8 byte order mark, and reads a file of only one as empty', async () => {
    expect(await linesOf(await fileWith('\ufeffuser,item\n1,2\n'), 4)).toEqual(['user,item', '1,2']);
    expect(await linesOf(await fileWith('\ufeff'))).toEqual([]);
  });

  it('names the line, the byte and the file offset of the first byte that is not UTF-8', async () => {
    // A U+FFFD the file spells out itself (EF BF BD) comes first and is valid.
    const head = Buffer.from('ok line\nsecond \ufffd line\nthird caf', 'utf8');
    const path = await fileWith(Buffer.concat([head, Buffer.from([0xe9]), Buffer.from(' more\nlast\n')]));
    for (const chunkBytes of CHUNK_SIZES) {
      const error = await errorOf(path, chunkBytes);
      expect(error.line).toBe(3);
      expect(error.message).toContain(
        `is not valid UTF-8: byte 0xe9 at byte 10 of the line (file offset ${head.length}), after "third caf"`,
      );
    }
  });

  it('finds a sequence cut off at the end of the file', async () => {
    const path = await fileWith(Buffer.concat([Buffer.from('a\nb €'), Buffer.from([0xe2, 0x82])]));
    for (const chunkBytes of CHUNK_SIZES) {
      const error = await errorOf(path, chunkBytes);
      expect(error.line).toBe(2);
      expect(error.message).toContain('byte 0xe2 at byte 6 of the line (file offset 7)');
    }
  });

  it('agrees with TextDecoder on what is UTF-8', async () => {
    const cases = [
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xf0, 0x9f, 0x98],
      [0x80],
      [0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x98, 0x80],
    ];
    for (const sequence of cases) {
      const bytes = Buffer.concat([Buffer.from('x,'), Buffer.from(sequence), Buffer.from(',y\n')]);
      let valid = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        valid = false;
      }
      const path = await fileWith(bytes);
      if (valid) {
        expect(await linesOf(path)).toHaveLength(1);
      } else {
        expect((await errorOf(path)).message).toContain(
          `byte 0x${sequence[0].toString(16)} at byte 3 of the line`,
        );
      }
    }
  });

  it('refuses NUL bytes, compressed files and directories by name', async () => {
    const nul = await errorOf(await fileWith(Buffer.from('a,b\nc\u0000d\n')), 4);
    expect(nul.line).toBe(2);
    expect(nul.message).toContain('has a NUL byte at byte 2 of the line (file offset 5)');
    expect((await errorOf(await fileWith(Buffer.from([0x1f, 0x8b, 8, 0])))).message).toMatch(
      /is a gzip file; decompress it first/,
    );
    expect((await errorOf(await fileWith(Buffer.from('PK\u0003\u0004data')))).message).toMatch(
      /is a zip archive/,
    );
    expect((await errorOf(await fileWith(Buffer.from('SQLite format 3\u0000...')))).message).toMatch(
      /is an SQLite database/,
    );
    const folder = join(dir, 'folder');
    await mkdir(folder);
    expect((await errorOf(folder)).message).toBe(`${folder}: is a directory; pick the files inside it`);
  });
});
