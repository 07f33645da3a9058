/**
 * A new testbed needs no file but its own: this test registers a fake one
 * (core/protocols/test-fake-testbed.ts, one method, a formula for a job) and runs it through
 * `cascade-lab run` with a real app whose jobs run in worker threads (host/fake-testbed.test.ts
 * runs it through the browser host).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from './capture-io';
import { FAKE_METHOD_ID, FAKE_SPEC as SPEC, fakeScore } from '../core/protocols/test-fake-testbed';
import { main } from './main';
import type { RunsJson } from './run-command';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-fake-testbed-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a testbed registered at run time', () => {
  it('runs through `cascade-lab run`: its jobs reach the workers and its columns the table', async () => {
    const specFile = join(dir, 'fake.json');
    const jsonFile = join(dir, 'runs.json');
    writeFileSync(specFile, JSON.stringify(SPEC));
    const { io, out, err } = captureIo();
    const code = await main(['run', specFile, '--db', join(dir, 'cli.db'), '--json', jsonFile], io);
    expect(err()).not.toMatch(/failed/);
    expect(code).toBe(0);
    expect(out()).toContain('Fake testbed run');
    // The testbed's column and caption: mean of 0.27 and 0.29 over the two seeds.
    expect(out()).toMatch(/\| Method +\| +Score \|\n.*\n\| Fake +\| 0\.2800 ± 0\.0141 \|/);
    expect(out()).toContain('Score = offset + scale * seed / 100');
    const { runs } = JSON.parse(readFileSync(jsonFile, 'utf8')) as RunsJson;
    expect(runs.map((run) => [run.status, run.method, run.metrics.Score])).toEqual([
      ['finished', FAKE_METHOD_ID, fakeScore(0.25, 2, 1)],
      ['finished', FAKE_METHOD_ID, fakeScore(0.25, 2, 2)],
    ]);
  });
});
