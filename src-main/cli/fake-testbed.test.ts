/**
 * A new testbed needs no file but its own: this test registers a fake one (fixtures/fake-testbed.ts,
 * one method, a formula for a job) and runs it through `cascade-lab run` and through the browser
 * host's API, each with a real app whose jobs run in worker threads.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentSpec, ExperimentSummary, ResultTable, RunSummary } from '../contract/api';
import { createLabApp } from '../app/lab-app';
import { startHost } from '../host/server';
import { captureIo } from './capture-io';
import { FAKE_METHOD_ID, FAKE_TESTBED_ID, fakeScore } from './fixtures/fake-testbed';
import { main } from './main';
import type { RunsJson } from './run-command';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-fake-testbed-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SPEC = {
  name: 'Fake testbed run',
  protocol: FAKE_TESTBED_ID,
  protocolParams: { scale: 2 },
  dataset: {
    kind: 'simulated',
    params: { users: 60, items: 120, exposuresPerUser: 16, candidatesPerRequest: 30, exposedPerRequest: 4 },
  },
  methods: [{ id: FAKE_METHOD_ID, params: { offset: 0.25 } }],
  training: { epochs: 1, batchSize: 1, learningRate: 0.01, embeddingDim: 1 },
  evaluation: { retrievalK: [10], corpus: 'all' },
  seeds: [1, 2],
  backend: 'cpu',
};

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

  it("runs through the browser host's API, and its descriptor reaches the workbench", async () => {
    const app = await createLabApp({
      transport: 'browser-host',
      dataDir: join(dir, 'host'),
      maxParallelJobs: 2,
    });
    const host = await startHost({ app, port: 0 });
    try {
      const call = async <T>(channel: string, body: unknown): Promise<T> => {
        const response = await fetch(new URL(`api/${channel}`, host.url), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${host.token}` },
          body: JSON.stringify(body),
        });
        expect(response.status, channel).toBe(200);
        return (await response.json()) as T;
      };
      const protocols = await call<{ id: string }[]>('protocols:list', {});
      expect(protocols.map((p) => p.id)).toContain(FAKE_TESTBED_ID);
      const experiment = await call<ExperimentSummary>('experiments:create', {
        spec: SPEC as unknown as ExperimentSpec,
      });
      await call('experiments:run', { experimentId: experiment.id });
      let runs: RunSummary[] = [];
      for (let tries = 0; tries < 600; tries++) {
        runs = await call<RunSummary[]>('runs:list', { experimentId: experiment.id });
        if (runs.length > 0 && runs.every((run) => run.status !== 'queued' && run.status !== 'running'))
          break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(runs.map((run) => [run.status, run.error, run.seed, run.metrics.Score])).toEqual([
        ['finished', null, 1, fakeScore(0.25, 2, 1)],
        ['finished', null, 2, fakeScore(0.25, 2, 2)],
      ]);
      const table = await call<ResultTable>('results:table', { experimentId: experiment.id });
      expect(table.protocol).toBe(FAKE_TESTBED_ID);
      expect(table.columns).toEqual([{ key: 'Score', group: 'Fake', higherIsBetter: true }]);
      expect(table.rows[0].cells.Score?.mean).toBeCloseTo(
        (fakeScore(0.25, 2, 1) + fakeScore(0.25, 2, 2)) / 2,
        12,
      );
      expect(table.caption).toContain('Score = offset + scale * seed / 100');
    } finally {
      await host.close();
      await app.close();
    }
  });
});
