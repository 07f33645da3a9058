import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src-main/contract/api';
import { parseSearch, parseTagList, runMatches } from './search';

function run(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    id: 7,
    experimentId: 1,
    experimentName: 'RRA Table 1',
    protocol: 'rra',
    method: 'rra',
    methodName: 'RRA',
    label: 'RRA (w_ctr=0.5)',
    datasetId: 2,
    datasetName: 'TikTok sample',
    seed: 3,
    status: 'finished',
    backend: 'wasm',
    device: null,
    worker: null,
    params: {},
    createdAt: '2026-12-05T10:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    timings: {},
    error: null,
    metrics: {},
    tags: ['baseline', 'Sweep A'],
    note: 'loss flat after epoch 3',
    archived: false,
    ...overrides,
  };
}

describe('search', () => {
  it('reads words and key:value terms, and names what it cannot read', () => {
    const query = parseSearch('  Flat  method:RRA tag:sweep colour:red after:2026-13 is:hidden ');
    expect(query.words).toEqual(['flat']);
    expect(query.terms).toEqual([
      { key: 'method', value: 'rra' },
      { key: 'tag', value: 'sweep' },
    ]);
    expect(query.problems).toHaveLength(3);
    expect(query.problems[0]).toMatch(/"colour:" is not a search key/);
    expect(query.problems[1]).toMatch(/after: needs a date as YYYY-MM-DD/);
    expect(query.problems[2]).toMatch(/is: takes "archived"/);
  });

  it('matches words anywhere and every term on its own field', () => {
    const matches = (text: string, overrides: Partial<RunSummary> = {}): boolean =>
      runMatches(run(overrides), parseSearch(text));
    expect(matches('')).toBe(true);
    expect(matches('epoch tiktok #7')).toBe(true);
    expect(matches('epoch nowhere')).toBe(false);
    // The queue worker that ran it is a word too: find what ran on one machine.
    expect(matches('gpu-1', { worker: 'gpu-1 (NVIDIA H100, tensorflow)' })).toBe(true);
    expect(matches('gpu-1')).toBe(false);
    expect(matches('testbed:rra status:finished dataset:tiktok tag:base')).toBe(true);
    expect(matches('status:fin')).toBe(false); // a status is matched whole
    expect(matches('testbed:keep')).toBe(false);
    expect(matches('method:bc')).toBe(false);
    expect(matches('after:2026-12-05 before:2026-12-05')).toBe(true);
    expect(matches('after:2026-12-06')).toBe(false);
    // A colon at either end is part of a word, not a term.
    expect(matches('flat:')).toBe(false);
  });

  it('leaves archived runs out unless asked for', () => {
    const archived = run({ archived: true });
    expect(runMatches(archived, parseSearch(''))).toBe(false);
    expect(runMatches(archived, parseSearch(''), true)).toBe(true);
    expect(runMatches(archived, parseSearch('is:archived'))).toBe(true);
    expect(runMatches(run(), parseSearch('is:archived'))).toBe(false);
  });

  it('reads tags typed with commas', () => {
    expect(parseTagList(' lr sweep, baseline ,, ')).toEqual(['lr sweep', 'baseline']);
  });
});
