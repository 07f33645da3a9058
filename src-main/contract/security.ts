/**
 * How the renderer bundle is served, shared by both transports (the Electron window's app://
 * protocol and the browser host) and by the dev server's config. No imports, so every side may use it.
 *
 * The renderer is a static bundle: scripts and styles come from the app itself only, it talks to
 * its own origin only (HTTP + server-sent events in the browser, IPC in Electron), and loads
 * nothing remote. Svelte and chart.js set styles through the CSSOM, which CSP allows, so no
 * 'unsafe-inline' is needed. Keep src-renderer/index.html's meta tag equal to this (a test checks).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

/**
 * The policy for `electron-vite dev` only: the dev server injects inline styles (hot reload) and
 * talks to the page over a websocket. Never used for the built bundle.
 */
export const DEV_SERVER_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
  "style-src 'self'",
  "style-src 'self' 'unsafe-inline'",
).replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*");

/** Headers sent with every file of the bundle (and, by the browser host, every API response). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Content types of the bundle's files, by lower-case extension. With `nosniff` the browser
 * trusts these alone (a script served as anything but JavaScript does not run).
 */
export const BUNDLE_CONTENT_TYPES: Readonly<Record<string, string>> = {
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

/** The type a bundle file is served with; unknown extensions are opaque bytes. */
export function bundleContentType(extension: string): string {
  return BUNDLE_CONTENT_TYPES[extension.toLowerCase()] ?? 'application/octet-stream';
}
