/**
 * `cascade-lab serve` as a user runs it: `node bin/cascade-lab.mjs serve ...` in a child process,
 * which bin hands to this folder's main.ts (not the command line's); and main() in-process for
 * the replies that need no server.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type BinResult, runBin } from '../app/fixtures/run-bin';
import { defaultDatabasePath } from '../app/paths';
import { type HostIo, SERVE_HELP, main } from './main';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-serve-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<BinResult> {
  return runBin(dir, args);
}

/** main() with its output captured; interrupted() never resolves (no test here gets that far). */
async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: HostIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    interrupted: () => new Promise(() => undefined),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe('cascade-lab serve', () => {
  it('serves the API to the token in the printed URL and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--db', join(dir, 'serve.db'), '--port', '0'], {
      cwd: dir,
      env: { ...process.env, CASCADE_LAB_DATA_DIR: join(dir, 'data') },
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /serving at (http:\/\/\S+)\n/.exec(out);
        if (match) resolve(match[1]);
      });
      child.on('close', () => reject(new Error(`serve exited early: ${out}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const token = new URL(url).searchParams.get('token');
    const list = (headers: Record<string, string>): Promise<Response> =>
      fetch(new URL('api/experiments:list', url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: '{}',
      });
    expect((await list({})).status).toBe(401);
    const response = await list({ Authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('refuses a non-loopback --host without --allow-remote, before creating the database', async () => {
    const db = join(dir, 'remote.db');
    const result = await cli(['serve', '--db', db, '--host', '0.0.0.0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--host 0.0.0.0 is not a loopback address');
    expect(result.stderr).toContain('--allow-remote');
    expect(result.stdout).toBe('');
    expect(existsSync(db)).toBe(false);
  });
});

describe('serve main()', () => {
  it('prints its help for -h or --help anywhere before --, whatever else is on the line', async () => {
    for (const args of [['--help'], ['-h'], ['--port', 'x', '--help'], ['--bogus', '-h']]) {
      expect(await runMain(args)).toEqual({ code: 0, stdout: SERVE_HELP, stderr: '' });
    }
    expect(SERVE_HELP).toMatch(
      /^Usage: cascade-lab serve \[--port N\] \[--host H\] \[--allow-remote\] \[--db FILE\]/,
    );
  });

  it('exits 2 with the help on unknown flags and arguments, and names a bad port', async () => {
    const unknown = await runMain(['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^cascade-lab serve: Unknown option '--bogus'/);
    expect(unknown.stderr).toContain(SERVE_HELP);
    const positional = await runMain(['now']);
    expect(positional.code).toBe(2);
    expect(positional.stderr).toContain('serve takes no arguments, got now');
    for (const port of ['x', '65536', '1.5', '']) {
      const bad = await runMain(['--port', port]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(
        `cascade-lab serve: --port must be an integer from 0 to 65535, got ${JSON.stringify(port)}\n`,
      );
    }
  });
});

describe('cascade-lab --help', () => {
  it("lists serve among the commands, and bin sends serve --help to the host's entry", async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/\n {2}serve {13}Serve the workbench to a browser on this machine\n/);
    // The child's data folder is its own (CASCADE_LAB_DATA_DIR), so its help names that database.
    const serveHelp = await cli(['serve', '--help']);
    expect(serveHelp.code).toBe(0);
    expect(serveHelp.stderr).toBe('');
    expect(serveHelp.stdout).toBe(
      SERVE_HELP.replace(defaultDatabasePath(), join(dir, 'data', 'cascade-lab.db')),
    );
  });
});
