/**
 * The browser host: serves the built workbench and the API over plain HTTP on the loopback
 * interface, for machines where Electron's binary is not available.
 *
 *   GET  /?token=T        trades the start's access token for a cookie, then redirects to /
 *   POST /api/<channel>   JSON request body -> the channel's handler -> JSON response
 *   GET  /api/events      server-sent events, one `event:` per name in EVENTS
 *   GET  /*               the renderer bundle (out/renderer)
 *
 * Every path needs the access token (./access.ts): the cookie, `Authorization: Bearer`, or
 * `?token=`. Without it API paths answer 401 with a JSON message and every other path a small
 * self-contained 401 page saying to open the printed URL. The bundle's assets need it too, though
 * they hold no data: one rule for every path leaves nothing to audit when a file lands in
 * out/renderer, and the browser sends the same-origin cookie with them anyway.
 *
 * Only node:http: the surface is small enough that a framework would add more than it saves.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENTS, type ApiErrorPayload, type Channel } from '../contract/api';
import { CHANNELS } from '../contract/requests';
import { bundleContentType, SECURITY_HEADERS } from '../contract/security';
import { MAX_REQUEST_BYTES } from '../contract/limits';
import type { LabApp } from '../app/types';
import {
  bearerToken,
  cookieValues,
  createAccessToken,
  hostHeaderName,
  isLoopbackHost,
  isWildcardHost,
  servedNameMatcher,
  tokenCookieName,
  tokenMatcher,
} from './access';
import { toTransportError } from '../app/transport-error';

export interface HostOptions {
  app: LabApp;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Interface to bind; 127.0.0.1 unless the caller asks otherwise. */
  host?: string;
  /**
   * Must be true to bind a non-loopback interface: anyone who can reach it and learns the token
   * (it travels in plain HTTP) can use the API, which reads any file this account can.
   */
  allowRemote?: boolean;
  /** Folder with the built renderer (index.html and assets); defaults to out/renderer. */
  staticDir?: string;
}

export interface RunningHost {
  /** The address to open, with the access token: `http://127.0.0.1:5174/?token=…`. */
  url: string;
  /** This start's access token (also in `url`). */
  token: string;
  close(): Promise<void>;
}

/** out/renderer of this checkout (src-main/host -> repository root). */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../out/renderer/', import.meta.url));

/** Requests larger than this are refused (413); the limit is the contract's, shared with the other transports. */
const MAX_BODY_BYTES = MAX_REQUEST_BYTES;
/** Comment lines keep idle event streams open through proxies and let dead clients be noticed. */
const EVENT_STREAM_HEARTBEAT_MS = 15_000;

/** Query parameter (and only credential a plain link can carry) that holds the token. */
const TOKEN_PARAMETER = 'token';

const UNAUTHORIZED_MESSAGE =
  'This Cascade Lab host needs its access token: open the URL it printed when it started ' +
  `(it ends in /?${TOKEN_PARAMETER}=…), or send the token as "Authorization: Bearer <token>".`;

/** The 401 page for browsers; self-contained, since without the token nothing else is served. */
const UNAUTHORIZED_PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Cascade Lab: access token needed</title>
<h1>Cascade Lab needs its access token</h1>
<p>Open the address that <code>cascade-lab serve</code> (or <code>npm start</code>) printed in its
terminal. It ends in <code>/?${TOKEN_PARAMETER}=…</code>; paste it into the address bar.</p>
<p>The token changes each time the host starts, so links and bookmarks from an earlier start no
longer work.</p>
</html>
`;

/** Thrown when asked to bind a non-loopback interface without `allowRemote`. */
export class RemoteBindRefusedError extends Error {
  constructor(readonly bindHost: string) {
    super(
      `Refusing to serve on ${bindHost}: it is not a loopback interface, so other machines could ` +
        'reach the workbench, whose API reads any file this account can. Bind 127.0.0.1 (and ' +
        'reach it through an SSH tunnel), or set allowRemote to serve there anyway.',
    );
    this.name = 'RemoteBindRefusedError';
  }
}

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
 * Starts the host with a fresh access token. Resolves once it listens; `url` carries the real port
 * when `port` is 0, and the token. A non-loopback `host` without `allowRemote` is refused
 * (RemoteBindRefusedError) before anything listens.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const { app } = options;
  const bindHost = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(bindHost) && options.allowRemote !== true) throw new RemoteBindRefusedError(bindHost);
  const staticDir = resolve(options.staticDir ?? DEFAULT_STATIC_DIR);
  const eventStreams = new Set<ServerResponse>();
  const token = createAccessToken();
  const isToken = tokenMatcher(token);
  let port = 0;

  /**
   * The host answers only requests addressed to a name it serves (a page on another site cannot
   * reach it through DNS rebinding) and API calls only from the origin it is served at (another
   * site's page cannot post to it: JSON bodies need a CORS preflight nobody answers).
   */
  const isServedName = servedNameMatcher(bindHost);

  function hostAllowed(req: IncomingMessage): boolean {
    const name = hostHeaderName(req.headers.host);
    return name !== null && isServedName(name);
  }

  function originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    try {
      const parsed = new URL(origin);
      return parsed.protocol === 'http:' && parsed.host === new URL(`http://${req.headers.host}`).host;
    } catch {
      return false;
    }
  }

  /** Whether the request carries the token: the cookie, a Bearer header, or the query parameter. */
  function authorized(req: IncomingMessage, url: URL): boolean {
    const candidates = [
      ...cookieValues(req.headers.cookie, tokenCookieName(port)),
      bearerToken(req.headers.authorization),
      url.searchParams.get(TOKEN_PARAMETER),
    ];
    return candidates.some((candidate) => typeof candidate === 'string' && isToken(candidate));
  }

  function sendUnauthorized(res: ServerResponse, api: boolean): void {
    res.setHeader('WWW-Authenticate', 'Bearer realm="cascade-lab"');
    if (api) {
      sendError(res, 401, { message: UNAUTHORIZED_MESSAGE });
      return;
    }
    res.writeHead(401, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(UNAUTHORIZED_PAGE),
      'Cache-Control': 'no-store',
    });
    res.end(UNAUTHORIZED_PAGE);
  }

  /**
   * The link's token becomes a cookie, and the redirect drops it from the address bar and the
   * history. Always to `/`: a path taken from the request could be made to point off-site.
   */
  function exchangeToken(res: ServerResponse): void {
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      'Set-Cookie': `${tokenCookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`,
      Location: '/',
      'Cache-Control': 'no-store',
      'Content-Length': 0,
    });
    res.end();
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
    const type = bundleContentType(extname(file));
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
      sendError(res, 421, {
        message: 'This host only answers requests addressed to localhost or the address it listens on.',
      });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      throw new HttpError(400, `Malformed path: ${url.pathname}`);
    }
    const api = pathname.startsWith('/api/');
    if (api && !originAllowed(req)) {
      sendError(res, 403, { message: 'API calls are only accepted from the workbench itself.' });
      return;
    }
    if (!authorized(req, url)) {
      sendUnauthorized(res, api);
      return;
    }
    if (!api && url.searchParams.has(TOKEN_PARAMETER) && (req.method === 'GET' || req.method === 'HEAD')) {
      exchangeToken(res);
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
  const urlHost = isWildcardHost(bindHost)
    ? '127.0.0.1'
    : bindHost.includes(':')
      ? `[${bindHost}]`
      : bindHost;

  return {
    url: `http://${urlHost}:${port}/?${new URLSearchParams({ [TOKEN_PARAMETER]: token })}`,
    token,
    close: () =>
      new Promise<void>((resolveClose, rejectClose) => {
        for (const stream of eventStreams) stream.end();
        eventStreams.clear();
        server.close((error) => (error ? rejectClose(error) : resolveClose()));
        server.closeAllConnections();
      }),
  };
}
