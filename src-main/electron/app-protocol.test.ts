import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../contract/security';
import { APP_ENTRY_URL, APP_ORIGIN, bundleFileFor, serveBundleRequest } from './app-protocol';

let outer: string;
let bundle: string;

beforeAll(async () => {
  // A secret beside the bundle folder: what a traversal would reach.
  outer = await mkdtemp(join(tmpdir(), 'cascade-app-protocol-'));
  bundle = join(outer, 'renderer');
  await mkdir(join(bundle, 'assets'), { recursive: true });
  await writeFile(join(bundle, 'index.html'), '<title>workbench</title>');
  await writeFile(join(bundle, 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(join(bundle, 'assets', 'index-abc.css'), 'body{}');
  await writeFile(join(outer, 'secret.txt'), 'not yours');
});

afterAll(async () => {
  await rm(outer, { recursive: true, force: true });
});

describe('bundleFileFor', () => {
  it('maps app:// paths into the bundle folder, the bare origin to index.html', () => {
    expect(bundleFileFor(bundle, APP_ENTRY_URL)).toBe(join(bundle, 'index.html'));
    expect(bundleFileFor(bundle, APP_ORIGIN)).toBe(join(bundle, 'index.html'));
    expect(bundleFileFor(bundle, `${APP_ORIGIN}/`)).toBe(join(bundle, 'index.html'));
    expect(bundleFileFor(bundle, `${APP_ORIGIN}/assets/index-abc.js?v=1#x`)).toBe(
      join(bundle, 'assets', 'index-abc.js'),
    );
    expect(bundleFileFor(bundle, `${APP_ORIGIN}/assets/a%20b.png`)).toBe(join(bundle, 'assets', 'a b.png'));
  });

  it('refuses every way out of the folder', () => {
    // Whatever a path decodes to, the answer is nothing or a file inside the bundle.
    for (const path of [
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/%2fetc%2fpasswd',
      '//..%2f..%2fsecret.txt',
      '/..',
    ]) {
      const file = bundleFileFor(bundle, `${APP_ORIGIN}${path}`);
      expect(file === null || file.startsWith(bundle + sep), `${path} -> ${file}`).toBe(true);
    }
    expect(bundleFileFor(bundle, `${APP_ORIGIN}/..%2fsecret.txt`)).toBeNull();
    expect(bundleFileFor(bundle, `${APP_ORIGIN}/assets/..%2f..%2fsecret.txt`)).toBeNull();
    // A decoded leading slash is still relative to the bundle, not the file system's root.
    expect(bundleFileFor(bundle, `${APP_ORIGIN}/%2fetc%2fpasswd`)).toBe(join(bundle, 'etc', 'passwd'));
    expect(bundleFileFor(bundle, `${APP_ORIGIN}/index.html%00.png`)).toBeNull();
    expect(bundleFileFor(bundle, `${APP_ORIGIN}/%E0%A4%A`)).toBeNull();
  });

  it('answers only its own scheme and host', () => {
    expect(bundleFileFor(bundle, 'app://elsewhere/index.html')).toBeNull();
    expect(bundleFileFor(bundle, 'app://cascade-lab:8080/index.html')).toBeNull();
    expect(bundleFileFor(bundle, 'file:///index.html')).toBeNull();
    expect(bundleFileFor(bundle, 'https://cascade-lab/index.html')).toBeNull();
    expect(bundleFileFor(bundle, 'not a url')).toBeNull();
  });
});

describe('serveBundleRequest', () => {
  it('serves bundle files with their content type and the security headers', async () => {
    const index = await serveBundleRequest(bundle, new Request(APP_ENTRY_URL));
    expect(index.status).toBe(200);
    expect(await index.text()).toBe('<title>workbench</title>');
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      expect(index.headers.get(name), name).toBe(value);
    }
    const script = await serveBundleRequest(bundle, new Request(`${APP_ORIGIN}/assets/index-abc.js`));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const style = await serveBundleRequest(bundle, new Request(`${APP_ORIGIN}/assets/index-abc.css`));
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await style.text()).toBe('body{}');
  });

  it('refuses traversal, other hosts, missing files, folders and writes', async () => {
    const status = async (url: string, method = 'GET'): Promise<number> =>
      (await serveBundleRequest(bundle, new Request(url, { method }))).status;
    expect(await status(`${APP_ORIGIN}/assets/..%2f..%2fsecret.txt`)).toBe(403);
    expect(await status(`${APP_ORIGIN}/..%5csecret.txt`)).not.toBe(200);
    expect(await status('app://elsewhere/index.html')).toBe(403);
    expect(await status(`${APP_ORIGIN}/nope.js`)).toBe(404);
    expect(await status(`${APP_ORIGIN}/assets`)).toBe(404);
    expect(await status(APP_ENTRY_URL, 'POST')).toBe(405);
    const head = await serveBundleRequest(bundle, new Request(APP_ENTRY_URL, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('<title>workbench</title>'.length));
  });
});
