import { describe, expect, it, vi } from 'vitest';
import type { CascadeApi } from '../../../src-main/contract/api';
import { ApiError } from './errors';

// api.ts picks its transport from `window` at import; give it a bare one.
vi.stubGlobal('window', { location: { origin: 'http://127.0.0.1:1' } });
const { wrapPreloadApi } = await import('./api');

describe('wrapPreloadApi', () => {
  it("turns the preload's plain error payloads back into ApiErrors with their field", async () => {
    const bridge: CascadeApi = {
      invoke: () => Promise.reject({ message: 'must not be empty', field: 'spec.name' }),
      on: () => () => undefined,
      saveFile: async () => undefined,
      pickFiles: async () => [],
    };
    const error = await wrapPreloadApi(bridge)
      .invoke('app:info', {})
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe('must not be empty');
    expect((error as ApiError).field).toBe('spec.name');
  });

  it('passes answers, events and saves through', async () => {
    const seen: string[] = [];
    const bridge: CascadeApi = {
      invoke: async () => ({ cancelled: 1 }) as never,
      on: (event) => {
        seen.push(`on ${event}`);
        return () => seen.push(`off ${event}`);
      },
      saveFile: async (filename) => {
        seen.push(`save ${filename}`);
      },
      pickFiles: async (options) => {
        seen.push(`pick ${options.title}`);
        return ['/d/log.csv'];
      },
    };
    const api = wrapPreloadApi(bridge);
    await expect(api.invoke('runs:cancel', {})).resolves.toEqual({ cancelled: 1 });
    api.on('job:log', () => undefined)();
    await api.saveFile('r.md', 'text/markdown', '');
    await expect(api.pickFiles({ title: 'Log', multiple: false })).resolves.toEqual(['/d/log.csv']);
    expect(seen).toEqual(['on job:log', 'off job:log', 'save r.md', 'pick Log']);
  });
});
