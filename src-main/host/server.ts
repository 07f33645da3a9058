/**
 * The browser host: serves the built workbench and the API over plain HTTP on the loopback
 * interface, for machines where Electron's binary is not available.
 *
 *   POST /api/<channel>   JSON request body -> the channel's handler -> JSON response
 *   GET  /api/events      server-sent events, one `event:` per name in EVENTS
 *   GET  /*               the renderer bundle (out/renderer)
 *
 * Only node:http: the surface is small enough that a framework would add more than it saves.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNELS, EVENTS, type ApiErrorPayload, type Channel } from '../contract/api';
import { MAX_REQUEST_BYTES } from '../contract/limits';
import type { LabApp } from '../app/types';
import { toTransportError } from './api-error';
import { SECURITY_HEADERS } from './security';

export interface HostOptions {
  app: LabApp;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Interface to bind; 127.0.0.1 unless the caller asks otherwise. */
  host?: string;
  /** Folder with the built renderer (index.html and assets); defaults to out/renderer. */
  staticDir?: string;
}

export interface RunningHost {
  /** Where the workbench is served, e.g. `http://127.0.0.1:5174/`. */
  url: string;
  close(): Promise<void>;
}

/** out/renderer of this checkout (src-main/host -> repository root). */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../out/renderer/', import.meta.url));

/** Requests larger than this are refused; experiment specs are a few kilobytes. */
const MAX_BODY_BYTES = MAX_REQUEST_BYTES;
/** Comment lines keep idle event streams open through proxies and let dead clients be noticed. */
const EVENT_STREAM_HEARTBEAT_MS = 15_000;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function isChannel(name: string): name is Channel {
  return (CHANNELS as readonly string[]).includes(name);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, payload: ApiErrorPayload): void {
  sendJson(res, status, payload);
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `Request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'Request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Starts the host. Resolves once it listens; `url` carries the real port when `port` is 0.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const { app } = options;
  const bindHost = options.host ?? '127.0.0.1';
  const staticDir = resolve(options.staticDir ?? DEFAULT_STATIC_DIR);
  const eventStreams = new Set<ServerResponse>();
  let port = 0;

  /**
   * Bound to loopback, the host answers only requests addressed to loopback names (a page on
   * another site cannot reach it through DNS rebinding) and API calls only from its own origin
   * (another site's page cannot post to it: JSON bodies need a CORS preflight nobody answers).
   */
  const loopbackOnly = LOOPBACK_HOSTS.has(bindHost);

  function hostAllowed(req: IncomingMessage): boolean {
    if (!loopbackOnly) return true;
    const header = req.headers.host ?? '';
    const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0];
    return LOOPBACK_HOSTS.has(name);
  }

  function originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    try {
      const parsed = new URL(origin);
      return LOOPBACK_HOSTS.has(parsed.hostname) && Number(parsed.port) === port;
    } catch {
      return false;
    }
  }

  async function handleApiCall(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (!isChannel(name)) {
      sendError(res, 404, { message: `Unknown channel "${name}". Channels: ${CHANNELS.join(', ')}.` });
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendError(res, 405, { message: `Channel "${name}" takes POST with a JSON body, not ${req.method}.` });
      return;
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json') {
      sendError(res, 415, { message: 'API requests must send Content-Type: application/json.' });
      return;
    }
    const body = await readJsonBody(req);
    // The mapped handler type cannot be indexed by a union key without widening; the handler
    // validates its own request, so passing the parsed body through is the contract.
    const handler = app.handlers[name] as unknown as (request: unknown) => Promise<unknown>;
    try {
      const response = await handler(body);
      sendJson(res, 200, response ?? null);
    } catch (error) {
      const { status, payload } = toTransportError(error);
      sendError(res, status, payload);
    }
  }

  function openEventStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const unsubscribers = EVENTS.map((event) =>
      app.events.on(event, (payload) => {
        res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
      }),
    );
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), EVENT_STREAM_HEARTBEAT_MS);
    heartbeat.unref();
    eventStreams.add(res);
    const cleanUp = (): void => {
      clearInterval(heartbeat);
      for (const unsubscribe of unsubscribers) unsubscribe();
      eventStreams.delete(res);
    };
    req.on('close', cleanUp);
    res.on('close', cleanUp);
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendError(res, 405, { message: `${req.method} is not allowed here.` });
      return;
    }
    const relative = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
    const file = resolve(join(staticDir, relative));
    if (file !== staticDir && !file.startsWith(staticDir + sep)) {
      sendError(res, 403, { message: 'Path outside the workbench bundle.' });
      return;
    }
    const info = await stat(file).catch(() => null);
    if (info === null || !info.isFile()) {
      if (relative === 'index.html') {
        sendError(res, 503, {
          message: `The workbench is not built (no ${file}). Run "npm run build" first.`,
        });
      } else {
        sendError(res, 404, { message: `Not found: ${pathname}` });
      }
      return;
    }
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': type,
      'Content-Length': info.size,
      // Assets carry content hashes in their names; index.html must always be fresh.
      'Cache-Control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req)) {
      sendError(res, 421, { message: 'This host only answers requests addressed to localhost.' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      throw new HttpError(400, `Malformed path: ${url.pathname}`);
    }
    if (pathname.startsWith('/api/') && !originAllowed(req)) {
      sendError(res, 403, { message: 'API calls are only accepted from the workbench itself.' });
      return;
    }
    if (pathname === '/api/events') {
      if (req.method !== 'GET') {
        sendError(res, 405, { message: '/api/events takes GET (server-sent events).' });
        return;
      }
      openEventStream(req, res);
      return;
    }
    if (pathname.startsWith('/api/')) {
      await handleApiCall(req, res, pathname.slice('/api/'.length));
      return;
    }
    await serveStatic(req, res, pathname);
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (res.headersSent) res.destroy();
      else sendError(res, status, { message });
    });
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, bindHost, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost =
    bindHost === '0.0.0.0' || bindHost === '::'
      ? '127.0.0.1'
      : bindHost.includes(':')
        ? `[${bindHost}]`
        : bindHost;

  return {
    url: `http://${urlHost}:${port}/`,
    close: () =>
      new Promise<void>((resolveClose, rejectClose) => {
        for (const stream of eventStreams) stream.end();
        eventStreams.clear();
        server.close((error) => (error ? rejectClose(error) : resolveClose()));
        server.closeAllConnections();
      }),
  };
}
