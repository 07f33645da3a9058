/**
 * A testbed registered at run time (core/protocols/test-fake-testbed.ts) runs through the
 * browser host's API with a real app whose jobs run in worker threads, and its descriptor reaches
 * the workbench (cli/fake-testbed.test.ts runs it through `cascade-lab run`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentSpec, ExperimentSummary, ResultTable, RunSummary } from '../contract/api';
import { createLabApp } from '../app/lab-app';
import { FAKE_SPEC as SPEC, FAKE_TESTBED_ID, fakeScore } from '../core/protocols/test-fake-testbed';
import { startHost } from './server';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-fake-testbed-host-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a testbed registered at run time', () => {
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
