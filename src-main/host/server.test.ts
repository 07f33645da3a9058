import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvents, EventName, ExperimentSpec, ExperimentSummary } from '../contract/api';
import type { ApiHandlers, EventHub, LabApp } from '../app/types';
import { NotFoundError, ValidationError } from '../contract/errors';
import { MAX_REQUEST_BYTES } from '../contract/limits';
import { RemoteBindRefusedError, startHost, type RunningHost } from './server';

/* A small stand-in for the real LabApp: the host only forwards, so canned answers suffice. */

function makeEventHub(): EventHub {
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  return {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    emit(event, payload) {
      for (const listener of listeners.get(event) ?? []) (listener as (p: typeof payload) => void)(payload);
    },
  };
}

const template: ExperimentSpec = {
  name: 'quickstart',
  dataset: { kind: 'simulated', params: { users: 100 } },
  retrieval: { model: 'dssm' },
  methods: [{ id: 'bc' }],
  training: { epochs: 1, batchSize: 256, learningRate: 0.01, embeddingDim: 16 },
  evaluation: { retrievalK: [10], corpus: 'all' },
  seeds: [1],
  backend: 'auto',
};

function summary(id: number, spec: ExperimentSpec): ExperimentSummary {
  return {
    id,
    name: spec.name,
    createdAt: '2025-01-01T00:00:00.000Z',
    spec,
    runCounts: { queued: 0, running: 0, finished: 0, failed: 0, cancelled: 0 },
    tags: [],
    note: '',
    archived: false,
  };
}

function makeFakeApp(): LabApp & { calls: { channel: string; request: unknown }[] } {
  const calls: { channel: string; request: unknown }[] = [];
  const record = (channel: string, request: unknown): void => {
    calls.push({ channel, request });
  };
  const handlers: ApiHandlers = {
    'app:info': async (request) => {
      record('app:info', request);
      return {
        version: '0.1.0',
        transport: 'browser-host',
        backend: 'wasm',
        device: 'WebAssembly SIMD (1 thread)',
        backendNotes: [],
        dataDir: '/tmp/lab',
        databasePath: '/tmp/lab/cascade-lab.db',
      };
    },
    'methods:list': async () => [],
    'protocols:list': async () => [],
    'datasets:list': async () => [],
    'datasets:preview': async (request) => ({
      path: request.path,
      layout: 'csv',
      separator: ',',
      columns: [],
      rows: [],
      bytes: 0,
    }),
    'datasets:import': async () => ({ importId: 'import-1' }),
    'datasets:cancel-import': async () => ({ cancelled: false }),
    'datasets:profile': async (request) => {
      throw new ValidationError('datasetId', `dataset ${request.datasetId} is simulated`);
    },
    'datasets:delete': async () => ({ deleted: false }),
    'experiments:list': async () => [],
    'experiments:get': async (request) => {
      record('experiments:get', request);
      if (request.experimentId !== 7) {
        throw new NotFoundError(`No experiment ${request.experimentId}.`);
      }
      return summary(7, template);
    },
    'experiments:template': async () => template,
    'experiments:bundled': async () => [{ file: 'quickstart.json', spec: template, rows: 1, runs: 1 }],
    'runs:curves': async () => [],
    'runs:histograms': async () => [],
    'experiments:create': async (request) => {
      record('experiments:create', request);
      if (request.spec.name === '') throw new ValidationError('spec.name', 'must not be empty');
      return summary(1, request.spec);
    },
    'experiments:run': async () => {
      throw new Error('worker crashed');
    },
    'runs:list': async () => [],
    'runs:cancel': async () => ({ cancelled: 0 }),
    'results:table': async (request) => ({
      experimentId: request.experimentId,
      protocol: 'damcar' as const,
      title: 't',
      caption: 'c',
      columns: [],
      rows: [],
      warnings: [],
    }),
    'runs:compare': async () => ({
      rows: [],
      columns: [],
      params: [],
      baselineKey: null,
      alpha: 0.05,
      caption: 'No runs chosen.',
    }),
    'runs:annotate': async () => {
      throw new ValidationError('runId', 'not in this fake');
    },
    'runs:archive': async () => ({ changed: 0 }),
    'runs:delete': async () => ({ deleted: 0 }),
    'experiments:annotate': async (request) => summary(request.experimentId, template),
    'experiments:archive': async (request) => summary(request.experimentId, template),
    'experiments:delete': async () => ({ deletedRuns: 0 }),
    'results:export': async () => ({ filename: 'r.csv', mimeType: 'text/csv', content: 'a,b\n' }),
    'queue:status': async () => ({ runOn: { kind: 'local' }, workers: [], queuedRuns: 0, error: null }),
    'queue:connect': async () => ({ runOn: { kind: 'local' }, workers: [], queuedRuns: 0, error: null }),
  };
  return {
    calls,
    handlers,
    events: makeEventHub(),
    waitForExperiment: async () => undefined,
    close: async () => undefined,
  };
}

let staticDir: string;
let app: ReturnType<typeof makeFakeApp>;
let host: RunningHost;
/** The `name=value` of the cookie that host.url's token was traded for, as a browser sends it. */
let cookie: string;

/** Opens the printed URL as a browser does and returns the exchange's 303 (not followed). */
function openPrintedUrl(target: RunningHost): Promise<Response> {
  return fetch(target.url, { redirect: 'manual' });
}

/** The Cookie header a browser sends after opening the printed URL. */
async function signIn(target: RunningHost): Promise<string> {
  const setCookie = (await openPrintedUrl(target)).headers.get('set-cookie') ?? '';
  return setCookie.split(';')[0];
}

/** POSTs a channel call with no credential unless `headers` brings one. */
async function postAs(
  headers: Record<string, string>,
  channel: string,
  body: unknown,
  target: RunningHost = host,
): Promise<Response> {
  return fetch(new URL(`api/${channel}`, target.url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** POSTs a channel call as the signed-in workbench does. */
function post(channel: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return postAs({ Cookie: cookie, ...headers }, channel, body);
}

/** Status of a GET to `target` sent over a raw socket, so the Host header can be anything. */
function statusWithHost(
  target: RunningHost,
  hostHeader: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const url = new URL(target.url);
  return new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: '/', headers: { ...headers, Host: hostHeader } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeEach(async () => {
  staticDir = await mkdtemp(join(tmpdir(), 'cascade-host-'));
  await mkdir(join(staticDir, 'assets'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>workbench</title>');
  await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1);');
  app = makeFakeApp();
  host = await startHost({ app, port: 0, staticDir });
  cookie = await signIn(host);
});

afterEach(async () => {
  await host.close();
  await rm(staticDir, { recursive: true, force: true });
});

describe('startHost', () => {
  it('binds loopback on a free port and reports the url with a fresh 32-byte token', async () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    expect(new URL(host.url).port).not.toBe('0');
    expect(new URL(host.url).searchParams.get('token')).toBe(host.token);
    expect(Buffer.from(host.token, 'base64url')).toHaveLength(32);
    const second = await startHost({ app, port: 0, staticDir });
    try {
      expect(second.token).not.toBe(host.token);
    } finally {
      await second.close();
    }
  });

  it('forwards a channel call to the handler with the parsed body and returns its JSON', async () => {
    const response = await post('experiments:get', { experimentId: 7 });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as ExperimentSummary;
    expect(body.id).toBe(7);
    expect(body.spec.name).toBe('quickstart');
    expect(app.calls).toEqual([{ channel: 'experiments:get', request: { experimentId: 7 } }]);
  });

  it('sends {} to channels without a request body', async () => {
    const response = await post('app:info', '');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { backend: string }).backend).toBe('wasm');
    expect(app.calls).toEqual([{ channel: 'app:info', request: {} }]);
  });

  it('answers validation errors with 400 and the ApiErrorPayload naming the field', async () => {
    const response = await post('experiments:create', { spec: { ...template, name: '' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: 'spec.name: must not be empty', field: 'spec.name' });
  });

  it('answers NotFoundError with 404 and other handler errors with 500, keeping the message', async () => {
    const missing = await post('experiments:get', { experimentId: 8 });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'No experiment 8.' });
    const crashed = await post('experiments:run', { experimentId: 1 });
    expect(crashed.status).toBe(500);
    expect(await crashed.json()).toEqual({ message: 'worker crashed' });
  });

  it('answers an unknown channel with 404 and lists the real ones', async () => {
    const response = await post('experiments:rename', {});
    expect(response.status).toBe(404);
    const body = (await response.json()) as { message: string };
    expect(body.message).toContain('Unknown channel "experiments:rename"');
    expect(body.message).toContain('results:export');
  });

  it('refuses malformed requests before they reach a handler', async () => {
    const notJson = await post('experiments:create', '{"spec": ');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { message: string }).message).toMatch(/not valid JSON/);

    const array = await post('experiments:create', '[1, 2]');
    expect(array.status).toBe(400);

    const textPlain = await post('app:info', '{}', { 'Content-Type': 'text/plain' });
    expect(textPlain.status).toBe(415);

    const get = await fetch(new URL('api/app:info', host.url), { headers: { Cookie: cookie } });
    expect(get.status).toBe(405);

    const foreignOrigin = await post('app:info', {}, { Origin: 'https://evil.example' });
    expect(foreignOrigin.status).toBe(403);

    expect(app.calls).toEqual([]);
  });

  it('refuses a body over the contract request limit with 413, before the handler', async () => {
    const oversized = JSON.stringify({ spec: { description: 'x'.repeat(MAX_REQUEST_BYTES) } });
    const response = await post('experiments:create', oversized);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { message: string }).message).toContain(String(MAX_REQUEST_BYTES));
    expect(app.calls).toEqual([]);
  });

  it('accepts calls from its own origin', async () => {
    const response = await post('app:info', {}, { Origin: new URL(host.url).origin });
    expect(response.status).toBe(200);
  });

  it('refuses requests addressed to a non-loopback host name (DNS rebinding)', async () => {
    const { port } = new URL(host.url);
    expect(await statusWithHost(host, `evil.example:${port}`, { Cookie: cookie })).toBe(421);
    expect(await statusWithHost(host, `localhost:${port}`, { Cookie: cookie })).toBe(200);
  });

  it('streams every event as server-sent events until the client leaves', async () => {
    const controller = new AbortController();
    const response = await fetch(new URL('api/events', host.url), {
      signal: controller.signal,
      headers: { Cookie: cookie },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    // The stream opens with its retry hint; after it the subscriptions are in place.
    while (!received.includes('retry:')) received += (await reader.read()).value ?? '';

    const log: ApiEvents['job:log'] = { time: 't', level: 'info', runId: 3, message: 'epoch 1' };
    const status: ApiEvents['run:status'] = { runId: 3, experimentId: 1, status: 'finished', error: null };
    app.events.emit('job:log', log);
    app.events.emit('run:status', status);
    while (!received.includes('event: run:status')) received += (await reader.read()).value ?? '';

    const frames = received
      .split('\n\n')
      .filter((frame) => frame.startsWith('event:'))
      .map((frame) => {
        const [eventLine, dataLine] = frame.split('\n');
        return {
          event: eventLine.slice('event: '.length),
          data: JSON.parse(dataLine.slice('data: '.length)),
        };
      });
    expect(frames).toEqual([
      { event: 'job:log', data: log },
      { event: 'run:status', data: status },
    ]);
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });

  it('serves the renderer with the CSP and security headers, and nothing outside it', async () => {
    const get = (path: string): Promise<Response> =>
      fetch(new URL(path, host.url), { headers: { Cookie: cookie } });
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>workbench</title>');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');

    const asset = await get('assets/app.js');
    expect(asset.headers.get('content-type')).toContain('text/javascript');

    expect((await get('nope.js')).status).toBe(404);
    // Encoded slashes survive URL normalisation; decoded, they climb out of the bundle.
    expect((await get('assets/..%2f..%2f..%2fetc%2fpasswd')).status).toBe(403);
  });

  it('says the workbench is not built when index.html is missing', async () => {
    const emptyDir = await mkdtemp(join(tmpdir(), 'cascade-host-empty-'));
    const bare = await startHost({ app, port: 0, staticDir: emptyDir });
    try {
      const response = await fetch(new URL('/', bare.url), {
        headers: { Authorization: `Bearer ${bare.token}` },
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { message: string }).message).toContain('npm run build');
    } finally {
      await bare.close();
      await rm(emptyDir, { recursive: true, force: true });
    }
  });

  it('closes while an event stream is open', async () => {
    const response = await fetch(new URL('api/events', host.url), { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
    await host.close();
    host = await startHost({ app, port: 0, staticDir });
  });
});

describe('the access token', () => {
  it('trades the printed URL for an HttpOnly, SameSite=Strict cookie and redirects to /', async () => {
    const exchange = await openPrintedUrl(host);
    expect(exchange.status).toBe(303);
    expect(exchange.headers.get('location')).toBe('/');
    const setCookie = exchange.headers.get('set-cookie') ?? '';
    const attributes = setCookie.split(';').map((part) => part.trim());
    expect(attributes[0]).toBe(`cascade-lab-token-${new URL(host.url).port}=${host.token}`);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));

    const page = await fetch(new URL('/', host.url), { headers: { Cookie: attributes[0] } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>workbench</title>');
  });

  it('answers API calls and the event stream without it with 401 and a JSON message', async () => {
    const call = await postAs({}, 'datasets:preview', { path: '/etc/shadow' });
    expect(call.status).toBe(401);
    expect(call.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const { message } = (await call.json()) as { message: string };
    expect(message).toContain('access token');
    expect(message).toContain('Authorization: Bearer');

    const events = await fetch(new URL('api/events', host.url));
    expect(events.status).toBe(401);
    expect(events.headers.get('content-type')).toContain('application/json');
    expect(app.calls).toEqual([]);
  });

  it('refuses a wrong token in the cookie, the Bearer header or the query', async () => {
    const wrong = host.token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    const name = cookie.split('=')[0];
    expect((await postAs({ Cookie: `${name}=${wrong}` }, 'app:info', {})).status).toBe(401);
    expect((await postAs({ Authorization: `Bearer ${wrong}` }, 'app:info', {})).status).toBe(401);
    expect((await postAs({ Authorization: `Bearer ${host.token}x` }, 'app:info', {})).status).toBe(401);
    const query = await fetch(new URL(`api/app:info?token=${wrong}`, host.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(query.status).toBe(401);
    expect(app.calls).toEqual([]);
  });

  it("refuses the token in another port's cookie (cookies are shared between ports)", async () => {
    const other = await startHost({ app, port: 0, staticDir });
    try {
      const otherCookie = await signIn(other);
      expect((await postAs({ Cookie: otherCookie }, 'app:info', {})).status).toBe(401);
      const otherName = otherCookie.split('=')[0];
      expect((await postAs({ Cookie: `${otherName}=${host.token}` }, 'app:info', {})).status).toBe(401);
      // A browser sends both hosts' cookies to each; each host picks its own.
      expect((await postAs({ Cookie: `${otherCookie}; ${cookie}` }, 'app:info', {})).status).toBe(200);
      expect((await postAs({ Cookie: `${otherCookie}; ${cookie}` }, 'app:info', {}, other)).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('accepts the token as a Bearer header or ?token= for scripts', async () => {
    expect((await postAs({ Authorization: `Bearer ${host.token}` }, 'app:info', {})).status).toBe(200);
    const query = await fetch(new URL(`api/app:info?token=${host.token}`, host.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(query.status).toBe(200);
    const events = await fetch(new URL('api/events', host.url), {
      headers: { Authorization: `Bearer ${host.token}` },
    });
    expect(events.status).toBe(200);
    await events.body?.cancel();
  });

  it('shows a 401 page instead of the workbench, and serves no file, without it', async () => {
    for (const path of ['/', '/?token=stale', '/assets/app.js']) {
      const response = await fetch(new URL(path, host.url), { redirect: 'manual' });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(response.headers.get('set-cookie')).toBeNull();
      const text = await response.text();
      expect(text).toContain('access token');
      expect(text).not.toContain('workbench</title>');
      expect(text).not.toContain('console.log');
    }
  });
});

describe('binding beyond loopback', () => {
  it('is refused without allowRemote', async () => {
    await expect(startHost({ app, port: 0, staticDir, host: '0.0.0.0' })).rejects.toThrow(
      RemoteBindRefusedError,
    );
    await expect(startHost({ app, port: 0, staticDir, host: '0.0.0.0' })).rejects.toThrow(/not a loopback/);
  });

  it('with allowRemote keeps the token, the Host check and the Origin check', async () => {
    const remote = await startHost({ app, port: 0, staticDir, host: '0.0.0.0', allowRemote: true });
    try {
      expect(remote.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const { port, origin } = new URL(remote.url);
      const remoteCookie = await signIn(remote);
      expect((await postAs({}, 'app:info', {}, remote)).status).toBe(401);
      expect(await statusWithHost(remote, `127.0.0.1:${port}`)).toBe(401);
      expect(await statusWithHost(remote, `127.0.0.1:${port}`, { Cookie: remoteCookie })).toBe(200);
      expect(await statusWithHost(remote, `${hostname()}:${port}`, { Cookie: remoteCookie })).toBe(200);
      expect(await statusWithHost(remote, `evil.example:${port}`, { Cookie: remoteCookie })).toBe(421);
      expect((await postAs({ Cookie: remoteCookie, Origin: origin }, 'app:info', {}, remote)).status).toBe(
        200,
      );
      // The Origin must be the host the request is addressed to, not just any served name.
      const elsewhere = { Cookie: remoteCookie, Origin: `http://localhost:${port}` };
      expect((await postAs(elsewhere, 'app:info', {}, remote)).status).toBe(403);
    } finally {
      await remote.close();
    }
  });
});
