/**
 * The `app://` protocol the Electron window loads the workbench from.
 *
 * Electron's security checklist advises against `file://`: a page there may read any file the
 * user can, and every `file://` URL shares one origin. A privileged standard scheme gives the
 * bundle an origin of its own (app://cascade-lab) that the IPC check and the navigation guards
 * compare against, and its handler serves only the built renderer folder, with the same CSP and
 * security headers as the browser host.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { Privileges } from 'electron';
import { bundleContentType, SECURITY_HEADERS } from '../contract/security';

export const APP_SCHEME = 'app';
/** The one host of the scheme; URLs naming another are refused. */
export const APP_HOST = 'cascade-lab';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** What the window loads outside `electron-vite dev`. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * standard: URLs resolve like http (relative paths, an origin of their own); secure: a secure
 * context, like https; supportFetchAPI: the bundle's module scripts and assets are fetched.
 * Nothing more: no bypassCSP, no service workers, no CORS to other schemes.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
} as const satisfies Privileges;

/**
 * The file of the bundle an app:// URL names, or null when it names none: another scheme or host,
 * a malformed escape, a NUL, or a path that, decoded, leaves the bundle folder (`..`, encoded
 * slashes or backslashes, absolute paths). The URL parser already folds plain `..` segments;
 * their percent-encoded forms survive it, hence the decode-then-contain check.
 */
export function bundleFileFor(bundleDir: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const relative = pathname.replace(/^\/+/, '') || 'index.html';
  const root = resolve(bundleDir);
  const file = resolve(root, relative);
  return file.startsWith(root + sep) ? file : null;
}

function refusal(status: number, message: string): Response {
  return new Response(message, {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/** Answers one app:// request from the bundle folder (the `protocol.handle` handler). */
export async function serveBundleRequest(bundleDir: string, request: Request): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405, 'GET and HEAD only.');
  const file = bundleFileFor(bundleDir, request.url);
  if (file === null) return refusal(403, 'Outside the workbench bundle.');
  const info = await stat(file).catch(() => null);
  if (info === null || !info.isFile()) return refusal(404, 'Not found.');
  const headers = {
    ...SECURITY_HEADERS,
    'Content-Type': bundleContentType(extname(file)),
    'Content-Length': String(info.size),
  };
  if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
  return new Response(new Uint8Array(await readFile(file)), { status: 200, headers });
}
