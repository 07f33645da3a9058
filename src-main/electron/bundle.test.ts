/**
 * The security settings as shipped: builds the app with electron-vite into a temporary folder and
 * reads the main bundle (out/main/index.js) that Electron runs. The unit tests cover the sources;
 * this fails when the build drops or rewires them (a window without the sandbox, a scheme with
 * other privileges, a loadFile back on file://, an IPC handler without the sender check). The
 * bundle is not minified, so its code reads as the source does.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, APP_ORIGIN, APP_SCHEME, APP_SCHEME_PRIVILEGES } from './app-protocol';

const root = join(import.meta.dirname, '..', '..');
let outDir: string;
let bundle: string;

/** The text of one source module inside the bundle, between its marker comment and the next. */
function moduleText(path: string): string {
  const marker = `// ${path}\n`;
  const start = bundle.indexOf(marker);
  if (start < 0) throw new Error(`The bundle has no module ${path}.`);
  const end = bundle.indexOf('\n// src-main/', start + marker.length);
  return bundle.slice(start, end < 0 ? undefined : end);
}

/** The object literal that follows `prefix` in `text`, read as data (true/false/strings only). */
function objectAfter(text: string, prefix: string): Record<string, unknown> {
  const start = text.indexOf(prefix);
  if (start < 0) throw new Error(`The bundle has no "${prefix}".`);
  const open = text.indexOf('{', start + prefix.length);
  const close = text.indexOf('}', open);
  const entries = text
    .slice(open + 1, close)
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [key, value] = entry.split(':').map((part) => part.trim());
      const parsed = value === 'true' ? true : value === 'false' ? false : value;
      return [key, parsed] as const;
    });
  return Object.fromEntries(entries);
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'cascade-electron-build-'));
  await promisify(execFile)(
    process.execPath,
    [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--outDir', outDir],
    { cwd: root },
  );
  bundle = await readFile(join(outDir, 'main', 'index.js'), 'utf8');
}, 120_000);

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe('the built main bundle', () => {
  it('opens its one window sandboxed, context-isolated, without Node, with web security', () => {
    expect(occurrences(bundle, 'new BrowserWindow(')).toBe(1);
    expect(occurrences(bundle, 'webPreferences:')).toBe(1);
    const prefs = objectAfter(bundle, 'webPreferences:');
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
    });
    expect(prefs.webSecurity).not.toBe(false);
    expect(prefs.allowRunningInsecureContent).not.toBe(true);
    expect(bundle).toContain('app.enableSandbox()');
  });

  it('registers app:// with exactly the declared privileges and loads the bundle from it', () => {
    const registration =
      /registerSchemesAsPrivileged\(\[\{\s*scheme:\s*"([^"]+)",\s*privileges:\s*(\w+)\s*\}\]\)/.exec(bundle);
    expect(registration?.[1]).toBe(APP_SCHEME);
    expect(objectAfter(bundle, `var ${registration?.[2]} =`)).toEqual(APP_SCHEME_PRIVILEGES);
    expect(bundle).toMatch(
      new RegExp(
        `protocol\\.handle\\("${APP_SCHEME}", \\(request\\) => serveBundleRequest\\(rendererDir, request\\)\\)`,
      ),
    );
    expect(bundle).toContain('var rendererDir = join(here, "../renderer");');
    expect(bundle).toContain(`window.loadURL(devServerUrl ?? "${APP_ENTRY_URL}")`);
    expect(bundle).not.toContain('loadFile(');
  });

  it('checks the sender of every IPC call against the workbench origin', () => {
    const handlers = occurrences(bundle, 'ipcMain.handle(');
    expect(handlers).toBeGreaterThanOrEqual(3);
    expect(occurrences(bundle, 'if (!fromAppFrame(event)) return')).toBe(handlers);
    expect(bundle).toMatch(/function fromAppFrame\(event\) \{[^}]*isWorkbenchUrl\(url, devServerUrl\)/);

    // The shipped url-policy module, run as shipped (its constants are inlined, it imports nothing).
    const policy = new Function(
      `${moduleText('src-main/electron/url-policy.ts')}\nreturn { isWorkbenchUrl, isAllowedExternalUrl, EXTERNAL_LINK_HOSTS };`,
    )() as {
      isWorkbenchUrl(url: string, devServerUrl?: string): boolean;
      isAllowedExternalUrl(url: string): boolean;
      EXTERNAL_LINK_HOSTS: string[];
    };
    expect(policy.isWorkbenchUrl(`${APP_ORIGIN}/index.html`)).toBe(true);
    expect(policy.isWorkbenchUrl('file:///index.html')).toBe(false);
    expect(policy.isWorkbenchUrl('devtools://devtools/bundled/devtools_app.html')).toBe(false);
    expect(policy.isWorkbenchUrl('evil://cascade-lab/index.html')).toBe(false);
    expect(policy.isWorkbenchUrl('http://localhost:5173/')).toBe(false);
    expect(policy.isWorkbenchUrl('http://localhost:5173/', 'http://localhost:5173/')).toBe(true);
    expect(policy.EXTERNAL_LINK_HOSTS).toEqual([]);
    expect(policy.isAllowedExternalUrl('https://doi.org/10.1145/1')).toBe(false);
  });

  it('guards navigation, new windows, webviews and permissions', () => {
    expect(bundle).toMatch(
      /on\("will-navigate", \(event, url\) => \{\s*if \(!isWorkbenchUrl\(url, devServerUrl\)\)/,
    );
    expect(bundle).toMatch(
      /on\("will-redirect", \(event, url\) => \{\s*if \(!isWorkbenchUrl\(url, devServerUrl\)\)/,
    );
    expect(bundle).toContain('contents.on("will-attach-webview", (event) => event.preventDefault());');
    expect(bundle).toMatch(
      /setWindowOpenHandler\(\(\{ url \}\) => \{\s*if \(isAllowedExternalUrl\(url\)\) shell\.openExternal\(url\);\s*return \{ action: "deny" \};/,
    );
    expect(occurrences(bundle, 'shell.openExternal(')).toBe(1);
    expect(bundle).toContain(
      'setPermissionRequestHandler((_webContents, _permission, callback) => callback(false))',
    );
    expect(bundle).toContain('setPermissionCheckHandler(() => false)');
  });
});
