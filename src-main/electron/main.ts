/**
 * Electron main process: one window on the workbench, the API over IPC.
 *
 * Every renderer runs sandboxed with context isolation and no Node; the preload exposes only the
 * contract (`window.api`). The bundle is served from its own origin, app://cascade-lab
 * (app-protocol.ts), not file://. Only frames on that origin (or the dev server's, during
 * `electron-vite dev`) may call the API; other requests are cancelled, navigation elsewhere,
 * new windows, webviews and permission requests are refused, and links open in the user's
 * browser only for the hosts url-policy.ts lists.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  protocol,
  session,
  shell,
  type IpcMainInvokeEvent,
  type OpenDialogOptions,
  type SaveDialogOptions,
} from 'electron';
import { EVENTS, type Channel } from '../contract/api';
import { CHANNELS } from '../contract/requests';
import { UnusableDatabaseError } from '../app/errors';
import { createLabApp } from '../app/lab-app';
import type { LabApp } from '../app/types';
import { DEV_SERVER_CONTENT_SECURITY_POLICY } from '../contract/security';
import { toTransportError } from '../app/transport-error';
import { APP_ENTRY_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, serveBundleRequest } from './app-protocol';
import {
  OPEN_FILES_CHANNEL,
  SAVE_FILE_CHANNEL,
  type IpcEnvelope,
  type OpenFilesResponse,
  type SaveFileRequest,
  type SaveFileResponse,
} from './ipc';
import { isAllowedExternalUrl, isAllowedRequestUrl, isWorkbenchUrl } from './url-policy';

const here = import.meta.dirname;
/** Set by `electron-vite dev`: the renderer comes from the dev server (hot reload). */
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
/** The built renderer: the only folder app:// serves. */
const rendererDir = join(here, '../renderer');
const preloadScript = join(here, '../preload/index.cjs');

let labApp: LabApp | null = null;
let mainWindow: BrowserWindow | null = null;

/** better-sqlite3 built for Electron's ABI (scripts/rebuild-sqlite-electron.mjs), if there is one. */
function electronSqliteBinding(): string | undefined {
  const candidate = join(app.getAppPath(), 'native', 'electron', 'better_sqlite3.node');
  return existsSync(candidate) ? candidate : undefined;
}

/** Whether an IPC call comes from a frame showing the workbench (a destroyed frame does not). */
function fromAppFrame(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url;
  return url !== undefined && isWorkbenchUrl(url, devServerUrl);
}

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequestUrl(details.url, devServerUrl) });
  });
  // app:// responses carry the security headers (serveBundleRequest); the dev server's pages get
  // the dev policy as a header here.
  if (devServerUrl) {
    ses.webRequest.onHeadersReceived((details, callback) => {
      callback({
        responseHeaders: {
          ...details.responseHeaders,
          'Content-Security-Policy': [DEV_SERVER_CONTENT_SECURITY_POLICY],
        },
      });
    });
  }
}

app.on('web-contents-created', (_event, contents) => {
  // The workbench is one page: it never leaves its origin, in place or by redirect.
  contents.on('will-navigate', (event, url) => {
    if (!isWorkbenchUrl(url, devServerUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isWorkbenchUrl(url, devServerUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Never a window inside the app; allowed links open in the user's browser.
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

function registerIpc(lab: LabApp): void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, async (event, request: unknown): Promise<IpcEnvelope<unknown>> => {
      if (!fromAppFrame(event)) return { ok: false, error: { message: 'Refused: not the workbench.' } };
      // Each handler validates its request; the union-keyed lookup needs this one widening.
      const handler = lab.handlers[channel as Channel] as unknown as (request: unknown) => Promise<unknown>;
      try {
        return { ok: true, value: await handler(request ?? {}) };
      } catch (error) {
        return { ok: false, error: toTransportError(error).payload };
      }
    });
  }

  ipcMain.handle(
    SAVE_FILE_CHANNEL,
    async (event, request: unknown): Promise<IpcEnvelope<SaveFileResponse>> => {
      if (!fromAppFrame(event)) return { ok: false, error: { message: 'Refused: not the workbench.' } };
      const { filename, mimeType, content } = (request ?? {}) as Partial<SaveFileRequest>;
      const isContent = typeof content === 'string' || content instanceof Uint8Array;
      if (typeof filename !== 'string' || !isContent || typeof mimeType !== 'string') {
        return {
          ok: false,
          error: { message: 'files:save needs filename and mimeType strings and content as text or bytes.' },
        };
      }
      const extension = filename.includes('.') ? filename.slice(filename.lastIndexOf('.') + 1) : '';
      const options: SaveDialogOptions = {
        title: 'Save',
        defaultPath: join(app.getPath('downloads'), basename(filename)),
        filters: extension
          ? [
              { name: `${extension.toUpperCase()} (${mimeType})`, extensions: [extension] },
              { name: 'All files', extensions: ['*'] },
            ]
          : [],
      };
      const window = BrowserWindow.fromWebContents(event.sender);
      const choice = window
        ? await dialog.showSaveDialog(window, options)
        : await dialog.showSaveDialog(options);
      if (choice.canceled || !choice.filePath) return { ok: true, value: { saved: false, path: null } };
      try {
        await (typeof content === 'string'
          ? writeFile(choice.filePath, content, 'utf8')
          : writeFile(choice.filePath, content));
      } catch (error) {
        return {
          ok: false,
          error: { message: `Could not write ${choice.filePath}: ${(error as Error).message}` },
        };
      }
      return { ok: true, value: { saved: true, path: choice.filePath } };
    },
  );

  ipcMain.handle(
    OPEN_FILES_CHANNEL,
    async (event, request: unknown): Promise<IpcEnvelope<OpenFilesResponse>> => {
      if (!fromAppFrame(event)) return { ok: false, error: { message: 'Refused: not the workbench.' } };
      const options = openDialogOptions(request);
      if (typeof options === 'string') return { ok: false, error: { message: options } };
      const window = BrowserWindow.fromWebContents(event.sender);
      const choice = window
        ? await dialog.showOpenDialog(window, options)
        : await dialog.showOpenDialog(options);
      return { ok: true, value: { paths: choice.canceled ? [] : choice.filePaths } };
    },
  );

  for (const eventName of EVENTS) {
    lab.events.on(eventName, (payload) => {
      for (const window of BrowserWindow.getAllWindows()) {
        if (!window.isDestroyed()) window.webContents.send(eventName, payload);
      }
    });
  }
}

/** The open dialog for a files:open request (PickFilesOptions), or what is wrong with it. */
export function openDialogOptions(request: unknown): OpenDialogOptions | string {
  const { title, multiple, filters } = (request ?? {}) as Record<string, unknown>;
  if (typeof title !== 'string' || typeof multiple !== 'boolean') {
    return 'files:open needs a title string and a multiple boolean.';
  }
  const fileFilters: { name: string; extensions: string[] }[] = [];
  if (filters !== undefined) {
    if (!Array.isArray(filters)) return 'files:open filters must be an array.';
    for (const filter of filters as unknown[]) {
      const { name, extensions } = (filter ?? {}) as Record<string, unknown>;
      if (
        typeof name !== 'string' ||
        !Array.isArray(extensions) ||
        !extensions.every((extension) => typeof extension === 'string')
      ) {
        return 'each files:open filter needs a name and an array of extensions.';
      }
      fileFilters.push({ name, extensions: extensions as string[] });
    }
  }
  return {
    title,
    properties: multiple ? ['openFile', 'multiSelections'] : ['openFile'],
    filters: fileFilters.length ? [...fileFilters, { name: 'All files', extensions: ['*'] }] : [],
  };
}

function createWindow(): BrowserWindow {
  const icon = join(app.getAppPath(), 'resources', 'icon.png');
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'Cascade Lab',
    backgroundColor: '#1e1e1e',
    ...(existsSync(icon) ? { icon } : {}),
    webPreferences: {
      preload: preloadScript,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(devServerUrl ?? APP_ENTRY_URL);
  return window;
}

async function start(): Promise<void> {
  hardenSession();
  protocol.handle(APP_SCHEME, (request) => serveBundleRequest(rendererDir, request));
  try {
    labApp = await createLabApp({
      transport: 'electron',
      sqliteNativeBinding: electronSqliteBinding(),
      version: app.getVersion(),
    });
  } catch (error) {
    dialog.showErrorBox(
      'Cascade Lab could not start',
      // The database's message names the file and what to do; the ABI hint would only mislead.
      error instanceof UnusableDatabaseError
        ? error.message
        : `${(error as Error).message}\n\nIf this mentions NODE_MODULE_VERSION, better-sqlite3 needs a build for ` +
            "Electron's ABI: run `node scripts/rebuild-sqlite-electron.mjs`.",
    );
    app.exit(1);
    return;
  }
  registerIpc(labApp);
  mainWindow = createWindow();
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  // Only before the app is ready: the scheme's privileges are fixed when Chromium starts.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
  // Every renderer sandboxed, whatever a window's own preferences say.
  app.enableSandbox();
  app.whenReady().then(start, (error: unknown) => {
    console.error(error);
    app.exit(1);
  });
  app.on('activate', () => {
    if (labApp && BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let closing = false;
  app.on('before-quit', (event) => {
    if (!labApp || closing) return;
    // Stop running jobs and close the database before the process ends.
    event.preventDefault();
    closing = true;
    const lab = labApp;
    labApp = null;
    // Quit whether or not closing succeeded.
    void lab
      .close()
      .catch((error: unknown) => console.error(`Cascade Lab: closing failed: ${String(error)}`))
      .finally(() => app.quit());
  });
}
