import { describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../../src-main/contract/api';
import { ApiError } from './errors';
import { createHttpApi, type EventSourceLike } from './http-api';

class FakeEventSource implements EventSourceLike {
  static opened: FakeEventSource[] = [];
  readonly listeners = new Map<string, Set<(event: MessageEvent<string>) => void>>();
  closed = false;

  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener);
    this.listeners.set(type, set);
  }
  removeEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.get(type)?.delete(listener);
  }
  close(): void {
    this.closed = true;
  }
  emit(type: string, payload: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) {
      listener({ data: JSON.stringify(payload) } as MessageEvent<string>);
    }
  }
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('createHttpApi', () => {
  it('posts the request as JSON to /api/<channel> and returns the parsed response', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const api = createHttpApi({
      baseUrl: 'http://127.0.0.1:9000/',
      fetch: async (url, init) => {
        calls.push({ url, init });
        return jsonResponse(200, { runIds: [4, 5] });
      },
    });
    await expect(api.invoke('experiments:run', { experimentId: 3 })).resolves.toEqual({ runIds: [4, 5] });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('http://127.0.0.1:9000/api/experiments:run');
    expect(calls[0].init.method).toBe('POST');
    expect(new Headers(calls[0].init.headers).get('content-type')).toBe('application/json');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ experimentId: 3 });
  });

  it('throws an ApiError carrying the payload field and HTTP status', async () => {
    const api = createHttpApi({
      baseUrl: 'http://h',
      fetch: async () => jsonResponse(400, { message: 'must be positive', field: 'spec.training.epochs' }),
    });
    const error = await api.invoke('app:info', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe('must be positive');
    expect((error as ApiError).field).toBe('spec.training.epochs');
    expect((error as ApiError).status).toBe(400);
  });

  it('says the host is unreachable when fetch itself fails, and names the channel for bodiless errors', async () => {
    const down = createHttpApi({
      baseUrl: 'http://h',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(down.invoke('app:info', {})).rejects.toThrow(/not reachable \(Failed to fetch\)/);
    const broken = createHttpApi({
      baseUrl: 'http://h',
      fetch: async () => new Response('oops', { status: 502 }),
    });
    await expect(broken.invoke('runs:list', {})).rejects.toThrow('runs:list failed with HTTP 502.');
  });

  it('shares one EventSource between listeners and closes it when the last one leaves', () => {
    FakeEventSource.opened = [];
    const api = createHttpApi({ baseUrl: 'http://h', openEventSource: (url) => new FakeEventSource(url) });
    const logs: ApiEvents['job:log'][] = [];
    const statuses: ApiEvents['run:status'][] = [];
    const offLog = api.on('job:log', (line) => logs.push(line));
    const offStatus = api.on('run:status', (status) => statuses.push(status));
    expect(FakeEventSource.opened).toHaveLength(1);
    const source = FakeEventSource.opened[0];
    expect(source.url).toBe('http://h/api/events');

    const line: ApiEvents['job:log'] = { time: 't', level: 'warn', runId: 1, message: 'slow' };
    source.emit('job:log', line);
    expect(logs).toEqual([line]);
    expect(statuses).toEqual([]);

    offLog();
    offLog();
    source.emit('job:log', line);
    expect(logs).toHaveLength(1);
    expect(source.closed).toBe(false);
    offStatus();
    expect(source.closed).toBe(true);

    api.on('job:progress', () => undefined);
    expect(FakeEventSource.opened).toHaveLength(2);
  });

  it('hands saveFile to the download function', async () => {
    const saved: (string | Uint8Array)[][] = [];
    const api = createHttpApi({ baseUrl: 'http://h', download: (...args) => saved.push(args) });
    await api.saveFile('r.md', 'text/markdown', '| a |');
    expect(saved).toEqual([['r.md', 'text/markdown', '| a |']]);
  });

  it('has no file dialog: pickFiles says so with null', async () => {
    const api = createHttpApi({ baseUrl: 'http://h' });
    await expect(api.pickFiles({ title: 'Log', multiple: false })).resolves.toBeNull();
  });
});
