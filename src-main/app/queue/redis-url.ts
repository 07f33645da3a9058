/**
 * The queue's Redis address, as users write it: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`, or
 * `rediss://...` for TLS. Remote execution talks only to Redis (BullMQ for the jobs, chunked keys
 * for stored datasets), so this URL is all a worker or a coordinator needs, and its password is
 * the one secret: every message and log line shows it through `redactRedisUrl`.
 *
 * Hand-written rather than left to ioredis's own URL parsing, which accepts almost anything
 * (`http://`, a port of `abc`, a db of `x`) and fails later with a connection error far from the
 * typo; here a bad URL is refused at once, saying which part is wrong. The TLS CA comes from a
 * file (`--redis-ca`, or CASCADE_LAB_REDIS_CA) because a private Redis usually has a private CA.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';

/** Where the CA certificate of a `rediss://` server comes from when no file is given. */
export const REDIS_CA_ENV = 'CASCADE_LAB_REDIS_CA';

export const DEFAULT_REDIS_PORT = 6379;

/** The connection part of ioredis's options, as the URL decides it. */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  /** Present for `rediss://`: the CA (absent: the system's store) and the name to check. */
  tls?: { ca?: Buffer; servername?: string };
}

export interface ParseRedisUrlOptions {
  /**
   * PEM file of the CA that signed the server's certificate (`rediss://` only). Without it the
   * file named by CASCADE_LAB_REDIS_CA is used, and without that the system's CA store.
   */
  caFile?: string;
}

/** A Redis URL that cannot be used; the message names the part and shows the URL redacted. */
export class RedisUrlError extends Error {
  constructor(url: string, problem: string) {
    super(`Redis URL ${redactRedisUrl(url)}: ${problem}`);
    this.name = 'RedisUrlError';
  }
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/**
 * The URL cut at its user info: everything up to the last `@` after the scheme. Redis URLs have
 * no other use for `@`, and taking the last one keeps a password with an unencoded `/`, `?`, `#`
 * or `@` inside the user info, where redaction hides it.
 */
function splitUserInfo(url: string): { prefix: string; userInfo?: string; rest: string } {
  const start = SCHEME.exec(url)?.[0].length ?? 0;
  const at = url.lastIndexOf('@');
  if (at < start) return { prefix: url.slice(0, start), rest: url.slice(start) };
  return { prefix: url.slice(0, start), userInfo: url.slice(start, at), rest: url.slice(at + 1) };
}

/**
 * The URL with its password replaced by `***`, for messages and logs. Works on any string, also
 * one that does not parse: a user info without `:` is hidden whole, since a password written
 * without its colon is still a password.
 */
export function redactRedisUrl(url: string): string {
  const { prefix, userInfo, rest } = splitUserInfo(url);
  if (userInfo === undefined) return url;
  const colon = userInfo.indexOf(':');
  return `${prefix}${colon === -1 ? '***' : `${userInfo.slice(0, colon)}:***`}@${rest}`;
}

/**
 * Reads a `redis://` or `rediss://` URL into ioredis's connection options. Throws a RedisUrlError
 * for a wrong scheme, port, database number, a user without a password, query parameters (none
 * are understood, so none are silently dropped) or an unreadable CA file.
 */
export function parseRedisUrl(url: string, options: ParseRedisUrlOptions = {}): RedisConnectionOptions {
  const scheme = SCHEME.exec(url)?.[1].toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw new RedisUrlError(
      url,
      scheme === undefined
        ? 'write it as redis://HOST[:PORT][/DB] or rediss://... for TLS'
        : `the scheme must be redis:// or rediss:// (TLS), not ${scheme}://`,
    );
  }
  const { userInfo, rest } = splitUserInfo(url);
  if (userInfo !== undefined && /[/?#]/.test(userInfo)) {
    throw new RedisUrlError(url, "percent-encode '/', '?' and '#' in the user or password (%2F, %3F, %23)");
  }
  // The port is checked on the raw text: WHATWG URL refuses a bad one with a bare "Invalid URL".
  const hostPort = rest.slice(0, rest.search(/[/?#]|$/));
  const portText = /^(?:\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort)?.[1];
  if (portText !== undefined && portText !== '') {
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      throw new RedisUrlError(url, `the port must be a number from 1 to 65535, not '${portText}'`);
    }
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError(url, 'not a valid URL');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new RedisUrlError(url, 'no host');
  if (parsed.search !== '') {
    throw new RedisUrlError(url, `query parameters are not understood (${parsed.search}); leave them out`);
  }
  if (parsed.hash !== '') throw new RedisUrlError(url, 'a #fragment has no meaning here');
  const dbText = parsed.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,5}$/.test(dbText)) {
    throw new RedisUrlError(url, `the path is the database number (/0, /1, ...), not '/${dbText}'`);
  }
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  if (username !== '' && password === '') {
    throw new RedisUrlError(
      url,
      'a user without a password: write redis://:PASSWORD@HOST for the default user, or USER:PASSWORD@',
    );
  }
  const result: RedisConnectionOptions = {
    host,
    port: parsed.port === '' ? DEFAULT_REDIS_PORT : Number(parsed.port),
    db: dbText === '' ? 0 : Number(dbText),
  };
  if (username !== '') result.username = username;
  if (password !== '') result.password = password;
  if (scheme === 'rediss') {
    const caFile = options.caFile ?? (process.env[REDIS_CA_ENV] || undefined);
    result.tls = {};
    if (caFile !== undefined) result.tls.ca = readCa(caFile, options.caFile === undefined);
    // SNI takes host names only (RFC 6066); for an address Node checks the certificate's IP SANs.
    if (isIP(host) === 0) result.tls.servername = host;
  } else if (options.caFile !== undefined) {
    throw new RedisUrlError(url, `a CA file (${options.caFile}) is for TLS: write rediss:// to use it`);
  }
  return result;
}

function readCa(file: string, fromEnv: boolean): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`${file}${fromEnv ? ` (from ${REDIS_CA_ENV})` : ''}: cannot read the Redis CA (${code})`);
  }
}

/** ioredis's other options (events, names, timeouts); the URL alone decides where to connect. */
export type ConnectRedisOptions = ParseRedisUrlOptions &
  Omit<RedisOptions, keyof RedisConnectionOptions | 'path' | 'url'>;

/**
 * An ioredis client for the URL. `maxRetriesPerRequest: null` (commands wait through a reconnect
 * instead of failing after 20 tries) is what BullMQ requires of a worker's connection; a caller
 * may set another value. The client connects in the background; its first command waits for it.
 */
export function connectRedis(url: string, options: ConnectRedisOptions = {}): Redis {
  const { caFile, ...rest } = options;
  return new Redis({ maxRetriesPerRequest: null, ...rest, ...parseRedisUrl(url, { caFile }) });
}

/**
 * Waits for the client's first PING, at most `timeoutMs`: a client made by connectRedis retries
 * for ever, so an unreachable or refusing server would otherwise hang its caller. The error names
 * the server (password redacted) and the client's last connection error.
 */
export async function reachRedis(client: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  let lastError: string | null = null;
  const onError = (error: Error): void => {
    lastError = error.message;
  };
  client.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `cannot reach Redis at ${redactRedisUrl(url)} within ${timeoutMs / 1000} s` +
                  (lastError ? `: ${lastError}` : ''),
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}

/**
 * An 'error' listener for clients that retry on their own (connectRedis's, BullMQ's): a Redis
 * restart makes them fail the same way on every retry, so each distinct message is said once.
 */
export function sayEachConnectionErrorOnce(say: (message: string) => void): (error: Error) => void {
  let last = '';
  return (error) => {
    if (error.message === last) return;
    last = error.message;
    say(error.message);
  };
}
