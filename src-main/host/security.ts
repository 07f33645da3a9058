/**
 * Security settings shared by both transports (the Electron window and the browser host).
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

/** Headers sent with every response of the browser host. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
