/**
 * The spec file reader's size limits, through the CLI's entry function in this process.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SPEC_BYTES, MAX_SPEC_DESCRIPTION_CHARS } from '../contract/limits';
import { captureIo } from './capture-io';
import { main } from './main';
import { ValidationError } from '../contract/errors';
import { readBoundedText } from './spec-file';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-spec-file-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SPEC = { name: 'n', dataset: { kind: 'simulated' }, methods: [{ id: 'bc' }] };

describe('cascade-lab run with an over-size spec', () => {
  it('refuses a 50 MB spec file by its size, naming the file and the limit (exit 2)', async () => {
    const file = join(dir, 'huge.json');
    // Sparse: 50 MB on paper, nothing on disk; the reader must not need to read it.
    const fd = openSync(file, 'w');
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
    const { io, err } = captureIo();
    expect(await main(['run', file, '--db', join(dir, 'never.db')], io)).toBe(2);
    expect(err()).toBe(
      `cascade-lab run: ${file}: is 50.0 MB; a spec file may be at most 2.0 MB (${MAX_SPEC_BYTES} bytes)\n`,
    );
  });

  it('refuses a description over the limit, naming the file and the field (exit 2)', async () => {
    const file = join(dir, 'long-description.json');
    writeFileSync(file, JSON.stringify({ ...SPEC, description: 'x'.repeat(MAX_SPEC_DESCRIPTION_CHARS + 1) }));
    const { io, err } = captureIo();
    expect(await main(['run', file, '--db', join(dir, 'never.db')], io)).toBe(2);
    expect(err()).toBe(
      `cascade-lab run: ${file}: description: must be at most ${MAX_SPEC_DESCRIPTION_CHARS} characters, ` +
        `has ${MAX_SPEC_DESCRIPTION_CHARS + 1}\n`,
    );
  });
});

describe('readBoundedText', () => {
  it('reads a file up to the limit and stops one byte past it', () => {
    const file = join(dir, 'ten.txt');
    writeFileSync(file, '0123456789');
    expect(readBoundedText(file, 10)).toBe('0123456789');
    expect(() => readBoundedText(file, 9)).toThrow(ValidationError);
    expect(() => readBoundedText(file, 9)).toThrow(`${file}: is 10 bytes; a spec file may be at most`);
    expect(() => readBoundedText(join(dir, 'missing.json'), 10)).toThrow(`missing.json: no such file`);
  });

  it.runIf(process.platform === 'linux')(
    'stops a file with no size of its own (a device, a pipe) past the limit',
    () => {
      // /dev/zero has size 0 and never ends: only the bounded read can refuse it.
      expect(() => readBoundedText('/dev/zero', 1024)).toThrow('/dev/zero: is more than 1.0 KB');
    },
  );
});
