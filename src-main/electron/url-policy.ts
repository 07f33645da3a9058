/**
 * Which URLs the Electron main process trusts, loads, lets the window navigate to, and opens in
 * the user's browser. Pure functions, so each rule is tested on its own (url-policy.test.ts).
 *
 * Origins are compared by scheme and host, not by `URL.origin`: Node's URL gives every
 * non-special scheme (app:, devtools:, evil:) the same opaque origin "null".
 */
import { APP_HOST, APP_SCHEME } from './app-protocol';

/**
 * Hosts whose https pages the workbench may open in the user's browser (shell.openExternal).
 * Empty on purpose: the renderer links to nothing outside the app today (no `<a href>` to the
 * web, no window.open). Add a host here, e.g. 'doi.org' or 'arxiv.org', when it does.
 */
export const EXTERNAL_LINK_HOSTS: readonly string[] = [];

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function isAppOrigin(url: URL): boolean {
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
}

/** The dev server's http(s) URL as parsed, or null outside `electron-vite dev`. */
function devServer(devServerUrl: string | undefined): URL | null {
  if (devServerUrl === undefined) return null;
  const parsed = parse(devServerUrl);
  return parsed !== null && (parsed.protocol === 'http:' || parsed.protocol === 'https:') ? parsed : null;
}

/**
 * Whether a URL is the workbench itself: the app:// bundle, or during `electron-vite dev` (when
 * `devServerUrl` is given) the dev server's origin. Decides which frames may call the API over
 * IPC and where the window may navigate. `file://` and `devtools://` are not the workbench.
 */
export function isWorkbenchUrl(url: string, devServerUrl?: string): boolean {
  const parsed = parse(url);
  if (parsed === null) return false;
  if (isAppOrigin(parsed)) return true;
  const dev = devServer(devServerUrl);
  return dev !== null && parsed.origin === dev.origin;
}

/**
 * Whether the session lets a request through: the workbench, inline `data:` images (the CSP
 * allows them), DevTools' own pages (DevTools cannot call the API: isWorkbenchUrl refuses it),
 * and in dev the dev server's hot-reload websocket. Everything else, remote or file://, is
 * cancelled.
 */
export function isAllowedRequestUrl(url: string, devServerUrl?: string): boolean {
  if (isWorkbenchUrl(url, devServerUrl)) return true;
  const parsed = parse(url);
  if (parsed === null) return false;
  if (parsed.protocol === 'data:' || parsed.protocol === 'devtools:') return true;
  const dev = devServer(devServerUrl);
  return (
    dev !== null && (parsed.protocol === 'ws:' || parsed.protocol === 'wss:') && parsed.host === dev.host
  );
}

/**
 * Whether shell.openExternal may open a URL: https only, on a listed host exactly (no
 * subdomains), with no credentials or port that could disguise where it goes.
 */
export function isAllowedExternalUrl(url: string, hosts: readonly string[] = EXTERNAL_LINK_HOSTS): boolean {
  const parsed = parse(url);
  return (
    parsed !== null &&
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.port === '' &&
    hosts.includes(parsed.hostname)
  );
}
