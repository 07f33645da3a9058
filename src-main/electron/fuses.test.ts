/**
 * The declared fuse set, and scripts/flip-fuses.mjs applying it to a stand-in binary: bytes laid
 * out as Electron lays out its fuse wire (sentinel, version, length, one byte per fuse).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUSES, fuseConfigFor } from './fuses';

const root = join(import.meta.dirname, '..', '..');
/** @electron/fuses' SENTINEL and FuseState bytes (constants.js, not exported from its entry). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const OFF = 48;
const ON = 49;

/** Electron's defaults for the eight known fuses, plus a ninth @electron/fuses 1.8 cannot name. */
const SHIPPED_WIRE = [ON, OFF, ON, ON, OFF, OFF, OFF, ON, ON];

function fakeElectron(wire: number[]): Buffer {
  return Buffer.concat([
    Buffer.from('ELF and code before the wire '),
    Buffer.from(SENTINEL),
    Buffer.from([1, wire.length, ...wire]),
    Buffer.from(' and code after it'),
  ]);
}

function wireOf(binary: Buffer): number[] {
  const start = binary.indexOf(SENTINEL) + SENTINEL.length;
  return [...binary.subarray(start + 2, start + 2 + binary[start + 1])];
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-fuses-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fuseConfigFor', () => {
  it('gives a packaged build every fuse the security checklist recommends', () => {
    expect(fuseConfigFor('packaged')).toEqual({
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    });
  });

  it('leaves the ASAR and inspect fuses alone on the installed, unpackaged binary', () => {
    expect(fuseConfigFor('installed')).toEqual({
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    });
  });

  it('declares each fuse once', () => {
    const options = FUSES.map(({ option }) => option);
    expect(new Set(options).size).toBe(options.length);
  });
});

describe('scripts/flip-fuses.mjs', () => {
  it('flips a packaged binary to the declared set and leaves unknown fuses as shipped', async () => {
    const binary = join(dir, 'cascade-lab');
    await writeFile(binary, fakeElectron(SHIPPED_WIRE));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(root, 'scripts', 'flip-fuses.mjs'), '--packaged', binary],
      { cwd: root },
    );
    expect(stdout).toContain('set for the packaged target');
    const after = await readFile(binary);
    expect(wireOf(after)).toEqual([OFF, ON, OFF, OFF, ON, ON, OFF, OFF, ON]);
    expect(after.length).toBe(fakeElectron(SHIPPED_WIRE).length);
  });

  it('refuses arguments it does not know', async () => {
    await expect(
      promisify(execFile)(process.execPath, [join(root, 'scripts', 'flip-fuses.mjs'), '--all'], {
        cwd: root,
      }),
    ).rejects.toMatchObject({ code: 2 });
  });
});
