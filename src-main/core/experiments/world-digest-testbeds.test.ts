/**
 * Every testbed rebuilds the same world from the same request (what remote workers rely on:
 * app/queue/), and runJob reports its digest: 'only' stops after the data phase, 'report' adds it
 * to a finished job's result. Building another world in between evicts the per-worker data caches,
 * so the third digest is of a world built afresh.
 */
import { describe, expect, it } from 'vitest';
import type { ParamValues, ProtocolId, SimulatorParams } from '../../contract/api';
import { TINY_KEEP_PARAMS } from '../protocols/keep/test-support';
import { clearUkdslCaches } from '../protocols/ukdsl/cache';
import { protocolTestContext } from '../protocols/test-support';
import type { JobRequest } from './job';
import { runJob } from './run-job';

const TESTBEDS: { protocol: ProtocolId; method: string; protocolParams?: ParamValues }[] = [
  { protocol: 'damcar', method: 'bc' },
  {
    protocol: 'rra',
    method: 'rra',
    protocolParams: { users: 40, shows: 80, candidates: 30, recallK: 10, nktdN: 20 },
  },
  { protocol: 'keep', method: 'keep-base', protocolParams: { ...TINY_KEEP_PARAMS } },
  { protocol: 'ukdsl', method: 'ukdsl-baseline', protocolParams: { poolSize: 60 } },
  { protocol: 'cp2rec', method: 'cp2rec-base' },
];

function request(
  testbed: (typeof TESTBEDS)[number],
  simulator: Partial<SimulatorParams>,
  worldDigest: JobRequest['worldDigest'],
): JobRequest {
  const { request } = protocolTestContext({ ...testbed, simulator });
  return { ...request, spec: { ...request.spec, ranking: { model: 'none' } }, worldDigest };
}

async function digestOf(testbed: (typeof TESTBEDS)[number], seed: number): Promise<string | undefined> {
  const events: string[] = [];
  const result = await runJob(
    request(testbed, { seed }, 'only'),
    (event) => events.push(event.type),
    new AbortController().signal,
  );
  expect(result.metrics).toEqual({});
  expect(events).not.toContain('curve'); // stopped before training
  return result.worldDigest;
}

describe('world digests of the testbeds', () => {
  for (const testbed of TESTBEDS) {
    it(`${testbed.protocol}: the same request rebuilds the same world; another seed another`, async () => {
      const first = await digestOf(testbed, 3);
      const other = await digestOf(testbed, 4);
      clearUkdslCaches();
      const again = await digestOf(testbed, 3);
      expect(first).toMatch(/^[0-9a-f]{64}$/);
      expect(again).toBe(first);
      expect(other).not.toBe(first);
    }, 60_000);
  }

  it("'report' adds the digest of the world the job trained on to its result", async () => {
    const cp2rec = TESTBEDS[4];
    const only = await digestOf(cp2rec, 5);
    const full = await runJob(
      request(cp2rec, { seed: 5 }, 'report'),
      () => undefined,
      new AbortController().signal,
    );
    expect(Object.keys(full.metrics).length).toBeGreaterThan(0);
    expect(full.worldDigest).toBe(only);
  }, 60_000);
});
