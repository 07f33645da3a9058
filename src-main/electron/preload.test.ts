/**
 * The preload against a stand-in `electron` module: it exposes exactly `window.api`, unwraps the
 * main process's envelopes and never hands out ipcRenderer.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { CascadeApi } from '../contract/api';
import { OPEN_FILES_CHANNEL, SAVE_FILE_CHANNEL } from './ipc';

const fake = vi.hoisted(() => {
  const exposed = new Map<string, unknown>();
  const invoked: { channel: string; request: unknown }[] = [];
  const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  const replies = new Map<string, unknown>();
  const module = {
    contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
    ipcRenderer: {
      invoke: async (channel: string, request: unknown) => {
        invoked.push({ channel, request });
        return replies.get(channel) ?? { ok: true, value: null };
      },
      on: (channel: string, listener: (event: unknown, payload: unknown) => void) => {
        const set = listeners.get(channel) ?? new Set();
        set.add(listener);
        listeners.set(channel, set);
      },
      removeListener: (channel: string, listener: (event: unknown, payload: unknown) => void) => {
        listeners.get(channel)?.delete(listener);
      },
    },
  };
  return { exposed, invoked, listeners, replies, module };
});

vi.mock('electron', () => ({ ...fake.module, default: fake.module }));

let api: CascadeApi;

beforeAll(async () => {
  await import('./preload');
  api = fake.exposed.get('api') as CascadeApi;
});

describe('preload', () => {
  it('exposes one object, api, with invoke, on, saveFile and pickFiles only', () => {
    expect([...fake.exposed.keys()]).toEqual(['api']);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on', 'pickFiles', 'saveFile']);
  });

  it('unwraps a successful envelope', async () => {
    fake.replies.set('runs:cancel', { ok: true, value: { cancelled: 2 } });
    await expect(api.invoke('runs:cancel', { experimentId: 1 })).resolves.toEqual({ cancelled: 2 });
    expect(fake.invoked.at(-1)).toEqual({ channel: 'runs:cancel', request: { experimentId: 1 } });
  });

  it("rejects with the plain ApiErrorPayload (contextBridge would drop an Error's field)", async () => {
    fake.replies.set('experiments:create', {
      ok: false,
      error: { message: 'must not be empty', field: 'spec.name' },
    });
    await expect(api.invoke('experiments:create', { spec: {} as never })).rejects.toEqual({
      message: 'must not be empty',
      field: 'spec.name',
    });
  });

  it('refuses channels and events outside the contract', async () => {
    const before = fake.invoked.length;
    await expect(api.invoke('shell:exec' as never, {} as never)).rejects.toEqual({
      message: 'Unknown channel "shell:exec".',
    });
    expect(fake.invoked.length).toBe(before);
    expect(() => api.on('ipc:raw' as never, () => undefined)).toThrow('Unknown event');
  });

  it('delivers event payloads without the IPC event and unsubscribes', () => {
    const received: unknown[] = [];
    const off = api.on('run:status', (payload) => received.push(payload));
    const payload = { runId: 1, experimentId: 2, status: 'finished', error: null };
    for (const listener of fake.listeners.get('run:status') ?? []) listener({ sender: 'secret' }, payload);
    expect(received).toEqual([payload]);
    off();
    expect(fake.listeners.get('run:status')?.size).toBe(0);
  });

  it('sends saveFile over the save channel', async () => {
    await api.saveFile('r.csv', 'text/csv', 'a,b');
    expect(fake.invoked.at(-1)).toEqual({
      channel: SAVE_FILE_CHANNEL,
      request: { filename: 'r.csv', mimeType: 'text/csv', content: 'a,b' },
    });
  });

  it('asks the open channel for files to import and returns their paths', async () => {
    fake.replies.set(OPEN_FILES_CHANNEL, { ok: true, value: { paths: ['/d/final_track2_train.txt'] } });
    const options = { title: 'TikTok files', multiple: true };
    await expect(api.pickFiles(options)).resolves.toEqual(['/d/final_track2_train.txt']);
    expect(fake.invoked.at(-1)).toEqual({ channel: OPEN_FILES_CHANNEL, request: options });
  });
});
