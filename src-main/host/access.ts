/**
 * Who may talk to the browser host: the access token and the names the host answers to.
 *
 * The workbench's API reads any file the account running it can read (dataset previews and
 * imports take paths), so reaching the port must not be enough. Like Jupyter, each start draws a
 * random token (32 bytes, base64url) that only the terminal which started the host sees, in the
 * printed URL. The browser trades it once for an HttpOnly, SameSite=Strict cookie; scripts send it
 * as `Authorization: Bearer <token>` or `?token=`. Cookies are not port-scoped, so the cookie's
 * name carries the port: two hosts on one machine keep their own.
 *
 * Independently of the token, the host answers only requests addressed to the names it serves
 * (a page on another site cannot reach it through DNS rebinding) and API calls only from its own
 * origin. Loopback names are always served; a non-loopback bind adds the bound address (for a
 * wildcard bind, this machine's interface addresses and host name).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';

/** Random bytes in a token: as many as Jupyter's, far beyond guessing. */
const TOKEN_BYTES = 32;

/** Binds that listen on every interface. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

/** A fresh access token: TOKEN_BYTES random bytes, base64url (URL- and cookie-safe). */
export function createAccessToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** The cookie that carries the token of the host on `port`. */
export function tokenCookieName(port: number): string {
  return `cascade-lab-token-${port}`;
}

/**
 * A test for "is this the token" that takes the same time whatever the candidate is. Both sides
 * are hashed first, so timingSafeEqual always compares equal lengths and the token's length does
 * not leak either.
 */
export function tokenMatcher(token: string): (candidate: string) => boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  const expected = digest(token);
  return (candidate) => timingSafeEqual(digest(candidate), expected);
}

/** The values of every cookie called `name` in a Cookie header (a client may send several). */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (header === undefined) return [];
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const split = pair.indexOf('=');
    if (split !== -1 && pair.slice(0, split).trim() === name) values.push(pair.slice(split + 1).trim());
  }
  return values;
}

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** A host name without IPv6 brackets, lower case: the form the checks compare. */
function normalizeName(name: string): string {
  return name.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

/** Whether `host` (a bind address or a Host header's name) names this machine's loopback interface. */
export function isLoopbackHost(host: string): boolean {
  const name = normalizeName(host);
  return name === 'localhost' || name === '::1' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/** The name part of a Host header (`[::1]:5174` -> `::1`), or null when it is not a host. */
export function hostHeaderName(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  try {
    return normalizeName(new URL(`http://${header}`).hostname);
  } catch {
    return null;
  }
}

/** Whether `bindHost` listens on every interface (the printed URL then names loopback). */
export function isWildcardHost(bindHost: string): boolean {
  return WILDCARD_HOSTS.has(normalizeName(bindHost));
}

/**
 * A test for the names the host answers to when bound to `bindHost`: loopback names always, plus
 * the bound address, or for a wildcard bind every address of this machine and its host name.
 */
export function servedNameMatcher(bindHost: string): (name: string) => boolean {
  const served = new Set([normalizeName(bindHost)]);
  if (isWildcardHost(bindHost)) {
    served.add(normalizeName(hostname()));
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) served.add(normalizeName(address.address));
    }
  }
  return (name) => isLoopbackHost(name) || served.has(normalizeName(name));
}
