/**
 * The `workbench` fixture: a page showing the Cascade Lab workbench with an empty data folder.
 *
 * Where Electron's binary exists it launches the real app (out/main/index.js), whose window shows
 * the bundle at app://cascade-lab/index.html. Elsewhere it starts the browser host
 * (`cascade-lab serve`) and drives Debian's Chromium against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  _electron,
  chromium,
  test as base,
  type Browser,
  type ElectronApplication,
  type Page,
} from '@playwright/test';
import { APP_ENTRY_URL } from '../../src-main/electron/app-protocol';

const root = join(import.meta.dirname, '..', '..');
const CHROMIUM = process.env.CASCADE_LAB_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface SavedExport {
  filename: string;
  content: string;
}

export interface Workbench {
  page: Page;
  mode: 'electron' | 'browser';
  /** Clicks through `trigger` and returns the file the workbench saved (download or save dialog). */
  captureSave(trigger: () => Promise<void>): Promise<SavedExport>;
  /** Console errors and CSP violations the page reported. */
  consoleErrors: string[];
}

function electronBinary(): string | null {
  try {
    const path = createRequire(join(root, 'package.json'))('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

interface HostProcess {
  url: string;
  child: ChildProcess;
  /** Everything the host has printed so far, and how it ended if it has. */
  log(): string;
}

/**
 * Starts `cascade-lab serve` on a free port; resolves with the URL it prints, access token
 * included: opening it is the only way in, as for a user.
 */
function startHostProcess(dataDir: string): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    [join(root, 'bin', 'cascade-lab.mjs'), 'serve', '--port', '0', '--db', join(dataDir, 'cascade-lab.db')],
    { cwd: root, env: { ...process.env, CASCADE_LAB_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    let ended = '';
    const log = (): string => `${output}${ended}`;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cascade-lab serve printed no URL within 60 s. Output:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      // Up to the line's end, so a token split across two chunks is never taken half.
      const match = /(https?:\/\/(?:127\.0\.0\.1|localhost):\d+\/\?token=[\w-]+)\n/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], child, log });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code, signal) => {
      ended = `\n[cascade-lab serve exited: ${signal ?? `code ${code}`}]\n`;
      clearTimeout(timer);
      reject(new Error(`cascade-lab serve exited with ${code} before serving. Output:\n${output}`));
    });
  });
}

async function stopHostProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000));
  if ((await Promise.race([exited, timeout])) === 'timeout') child.kill('SIGKILL');
}

function watchConsole(page: Page, sink: string[]): void {
  page.on('console', (message) => {
    if (message.type() === 'error') sink.push(message.text());
  });
  page.on('pageerror', (error) => sink.push(`page error: ${error.message}`));
}

export const test = base.extend<{ workbench: Workbench }>({
  // Playwright reads a fixture's dependencies from this destructuring; this one has none.
  // eslint-disable-next-line no-empty-pattern
  workbench: async ({}, use, testInfo) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cascade-lab-e2e-'));
    const consoleErrors: string[] = [];
    const electronPath = electronBinary();
    let cleanUp: () => Promise<void>;
    let workbench: Workbench;

    if (electronPath) {
      const app: ElectronApplication = await _electron.launch({
        // The app folder, not the script: package.json's main and version apply, and app.getAppPath()
        // is the repository root (where native/electron/better_sqlite3.node lives).
        args: [root],
        cwd: root,
        env: { ...process.env, CASCADE_LAB_DATA_DIR: dataDir } as Record<string, string>,
      });
      const page = await app.firstWindow();
      watchConsole(page, consoleErrors);
      // The bundle comes from the app's own protocol, never file:// (src-main/electron/app-protocol.ts).
      await page.waitForURL(APP_ENTRY_URL);
      let saveCounter = 0;
      workbench = {
        page,
        mode: 'electron',
        consoleErrors,
        async captureSave(trigger) {
          const target = join(dataDir, `saved-${++saveCounter}`);
          // The native save dialog cannot be clicked; answer it with a path in the temp folder.
          await app.evaluate(({ dialog }, filePath) => {
            dialog.showSaveDialog = (async () => ({
              canceled: false,
              filePath,
            })) as typeof dialog.showSaveDialog;
          }, target);
          await trigger();
          await page.getByTestId('notice').filter({ hasText: 'Exported' }).first().waitFor();
          return { filename: target, content: await readFile(target, 'utf8') };
        },
      };
      cleanUp = () => app.close();
    } else {
      if (!existsSync(CHROMIUM)) {
        throw new Error(
          `Electron's binary is not installed and Debian's Chromium is missing (${CHROMIUM}). ` +
            'Install it with `apt-get install -y chromium` (or set CASCADE_LAB_CHROMIUM to a Chromium binary).',
        );
      }
      const { url, child, log } = await startHostProcess(dataDir);
      let browser: Browser;
      try {
        browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      } catch (error) {
        await stopHostProcess(child);
        throw error;
      }
      const context = await browser.newContext({
        acceptDownloads: true,
        viewport: { width: 1440, height: 900 },
      });
      const page = await context.newPage();
      watchConsole(page, consoleErrors);
      await page.goto(url);
      // The host trades the token for a cookie and redirects: the address bar must not keep it.
      if (page.url() !== new URL('/', url).href) {
        throw new Error(`Opening ${url} ended at ${page.url()}, not at / without the token.`);
      }
      workbench = {
        page,
        mode: 'browser',
        consoleErrors,
        async captureSave(trigger) {
          const [download] = await Promise.all([page.waitForEvent('download'), trigger()]);
          const path = testInfo.outputPath(download.suggestedFilename());
          await download.saveAs(path);
          return { filename: download.suggestedFilename(), content: await readFile(path, 'utf8') };
        },
      };
      cleanUp = async () => {
        await browser.close();
        // A failed test shows what the host printed (a crash, a worker's error), which the page
        // cannot: its status bar keeps the last state it was sent.
        if (testInfo.status !== testInfo.expectedStatus) {
          await testInfo.attach('cascade-lab serve output', { body: log(), contentType: 'text/plain' });
          console.log(`cascade-lab serve output (last 4,000 characters):\n${log().slice(-4000)}`);
        }
        await stopHostProcess(child);
      };
    }

    try {
      await use(workbench);
    } finally {
      await cleanUp();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';
