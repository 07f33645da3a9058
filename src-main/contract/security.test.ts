import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  bundleContentType,
  CONTENT_SECURITY_POLICY,
  DEV_SERVER_CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
} from './security';

describe('CONTENT_SECURITY_POLICY', () => {
  it('is the policy in the renderer index.html meta tag', async () => {
    const html = await readFile(new URL('../../src-renderer/index.html', import.meta.url), 'utf8');
    const match = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(match?.[1]).toBe(CONTENT_SECURITY_POLICY);
  });

  it('is sent as a header with frame-ancestors, which a meta tag cannot carry', () => {
    expect(SECURITY_HEADERS['Content-Security-Policy']).toBe(
      `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
    );
    expect(SECURITY_HEADERS['X-Content-Type-Options']).toBe('nosniff');
  });

  it('is relaxed for the dev server in styles and websockets only', () => {
    const relaxed = DEV_SERVER_CONTENT_SECURITY_POLICY.split('; ');
    const strict = CONTENT_SECURITY_POLICY.split('; ');
    const changed = relaxed.filter((directive) => !strict.includes(directive));
    expect(changed).toEqual([
      "style-src 'self' 'unsafe-inline'",
      "connect-src 'self' ws://localhost:* ws://127.0.0.1:*",
    ]);
    expect(relaxed).toHaveLength(strict.length);
  });
});

describe('bundleContentType', () => {
  it('types scripts as JavaScript whatever the case of the extension, and unknown files as bytes', () => {
    expect(bundleContentType('.js')).toBe('text/javascript; charset=utf-8');
    expect(bundleContentType('.HTML')).toBe('text/html; charset=utf-8');
    expect(bundleContentType('.exe')).toBe('application/octet-stream');
    expect(bundleContentType('')).toBe('application/octet-stream');
  });
});
