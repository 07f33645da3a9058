import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, APP_ORIGIN } from './app-protocol';
import { EXTERNAL_LINK_HOSTS, isAllowedExternalUrl, isAllowedRequestUrl, isWorkbenchUrl } from './url-policy';

const DEV = 'http://localhost:5173/';

describe('isWorkbenchUrl', () => {
  it('accepts the app:// origin only', () => {
    expect(isWorkbenchUrl(APP_ENTRY_URL)).toBe(true);
    expect(isWorkbenchUrl(`${APP_ORIGIN}/assets/index.js`)).toBe(true);
    for (const url of [
      'file:///home/user/out/renderer/index.html',
      'devtools://devtools/bundled/devtools_app.html',
      // Node's URL gives both of these the origin "null", like app:// itself.
      'evil://cascade-lab/index.html',
      'app://elsewhere/index.html',
      'app://cascade-lab:1/index.html',
      'https://cascade-lab/index.html',
      'http://localhost:5173/',
      '',
      'not a url',
    ]) {
      expect(isWorkbenchUrl(url), url).toBe(false);
    }
  });

  it("accepts the dev server's origin only when there is a dev server", () => {
    expect(isWorkbenchUrl('http://localhost:5173/src/main.ts', DEV)).toBe(true);
    expect(isWorkbenchUrl(APP_ENTRY_URL, DEV)).toBe(true);
    expect(isWorkbenchUrl('http://localhost:5174/', DEV)).toBe(false);
    expect(isWorkbenchUrl('http://127.0.0.1:5173/', DEV)).toBe(false);
    expect(isWorkbenchUrl('file:///index.html', DEV)).toBe(false);
    // A dev server URL that is not http(s) trusts nothing extra.
    expect(isWorkbenchUrl('file:///x/index.html', 'file:///x/index.html')).toBe(false);
  });
});

describe('isAllowedRequestUrl', () => {
  it('lets through the bundle, data: images and DevTools, and nothing remote or on disk', () => {
    expect(isAllowedRequestUrl(`${APP_ORIGIN}/assets/index.css`)).toBe(true);
    expect(isAllowedRequestUrl('data:image/png;base64,iVBORw0KGgo=')).toBe(true);
    expect(isAllowedRequestUrl('devtools://devtools/bundled/devtools_app.html')).toBe(true);
    expect(isAllowedRequestUrl('https://cdn.example/lib.js')).toBe(false);
    expect(isAllowedRequestUrl('file:///etc/passwd')).toBe(false);
    expect(isAllowedRequestUrl('ws://localhost:5173/')).toBe(false);
  });

  it('lets the dev server and its hot-reload websocket through in dev only', () => {
    expect(isAllowedRequestUrl('http://localhost:5173/@vite/client', DEV)).toBe(true);
    expect(isAllowedRequestUrl('ws://localhost:5173/', DEV)).toBe(true);
    expect(isAllowedRequestUrl('ws://localhost:9999/', DEV)).toBe(false);
    expect(isAllowedRequestUrl('http://localhost:5173/@vite/client')).toBe(false);
  });
});

describe('isAllowedExternalUrl', () => {
  it('opens nothing: the renderer links to no outside page today', () => {
    expect(EXTERNAL_LINK_HOSTS).toEqual([]);
    expect(isAllowedExternalUrl('https://doi.org/10.1145/3580305.3599800')).toBe(false);
    expect(isAllowedExternalUrl('https://github.com/')).toBe(false);
  });

  it('opens https pages on listed hosts exactly, nothing that only looks like them', () => {
    const hosts = ['doi.org', 'arxiv.org'];
    expect(isAllowedExternalUrl('https://doi.org/10.1145/3580305.3599800', hosts)).toBe(true);
    expect(isAllowedExternalUrl('https://arxiv.org/abs/2401.00001', hosts)).toBe(true);
    for (const url of [
      'http://doi.org/10.1145/1',
      'https://doi.org.evil.example/',
      'https://evil.example/doi.org',
      'https://sub.doi.org/',
      'https://doi.org@evil.example/',
      'https://user:pass@doi.org/',
      'https://doi.org:8443/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      `${APP_ORIGIN}/index.html`,
      'not a url',
    ]) {
      expect(isAllowedExternalUrl(url, hosts), url).toBe(false);
    }
  });
});
