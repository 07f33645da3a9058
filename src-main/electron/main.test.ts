/**
 * The Electron main process against a stand-in `electron` module (the binary cannot run on CI
 * machines): which channels it registers, how it forwards calls, errors and events, the save
 * channel, the window's security settings, the app:// protocol and the navigation guards.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENTS, type ApiEvents, type EventName } from '../contract/api';
import { CHANNELS } from '../contract/requests';
import { ValidationError } from '../contract/errors';
import type { ApiHandlers, LabApp } from '../app/types';
import {
  OPEN_FILES_CHANNEL,
  SAVE_FILE_CHANNEL,
  type IpcEnvelope,
  type OpenFilesResponse,
  type SaveFileResponse,
} from './ipc';
import { APP_ENTRY_URL, APP_ORIGIN, APP_SCHEME, APP_SCHEME_PRIVILEGES } from './app-protocol';

type Handler = (event: unknown, request: unknown) => Promise<unknown>;

const electron = vi.hoisted(() => {
  const handlers = new Map<string, (event: unknown, request: unknown) => Promise<unknown>>();
  const sent: { channel: string; payload: unknown }[] = [];
  const windows: { options: Record<string, unknown>; loaded: string | null }[] = [];
  const saveDialog = { result: { canceled: false, filePath: '' as string | undefined } };
  const openDialog = {
    result: { canceled: false, filePaths: [] as string[] },
    options: null as unknown,
  };
  class FakeBrowserWindow {
    static all: FakeBrowserWindow[] = [];
    readonly webContents = {
      send: (channel: string, payload: unknown) => sent.push({ channel, payload }),
    };
    private readonly record: { options: Record<string, unknown>; loaded: string | null };
    constructor(options: Record<string, unknown>) {
      this.record = { options, loaded: null };
      windows.push(this.record);
      FakeBrowserWindow.all.push(this);
    }
    static getAllWindows(): FakeBrowserWindow[] {
      return FakeBrowserWindow.all;
    }
    static fromWebContents(): FakeBrowserWindow | null {
      return FakeBrowserWindow.all[0] ?? null;
    }
    isDestroyed(): boolean {
      return false;
    }
    once(): void {}
    on(): void {}
    async loadFile(file: string): Promise<void> {
      this.record.loaded = file;
    }
    async loadURL(url: string): Promise<void> {
      this.record.loaded = url;
    }
  }
  const noop = (): void => undefined;
  /** What happened, in order: scheme registration must come before the app is ready. */
  const steps: string[] = [];
  const appListeners = new Map<string, (...args: unknown[]) => void>();
  const protocols = {
    privileged: [] as unknown[],
    handlers: new Map<string, (request: Request) => Promise<Response>>(),
  };
  const permissions = { request: null as null | ((...args: unknown[]) => void) };
  const opened: string[] = [];
  return {
    steps,
    appListeners,
    protocols,
    permissions,
    opened,
    handlers,
    sent,
    windows,
    saveDialog,
    openDialog,
    module: {
      app: {
        isPackaged: false,
        getAppPath: () => '/nonexistent-app-path',
        getPath: () => '/tmp',
        getVersion: () => '9.9.9',
        requestSingleInstanceLock: () => true,
        enableSandbox: noop,
        whenReady: () => {
          steps.push('whenReady');
          return Promise.resolve();
        },
        on: (name: string, listener: (...args: unknown[]) => void) => appListeners.set(name, listener),
        quit: noop,
        exit: noop,
      },
      BrowserWindow: FakeBrowserWindow,
      dialog: {
        showSaveDialog: async () => saveDialog.result,
        showOpenDialog: async (_window: unknown, options: unknown) => {
          openDialog.options = options;
          return openDialog.result;
        },
        showErrorBox: noop,
      },
      ipcMain: {
        handle: (channel: string, handler: (event: unknown, request: unknown) => Promise<unknown>) =>
          handlers.set(channel, handler),
      },
      protocol: {
        registerSchemesAsPrivileged: (schemes: unknown[]) => {
          steps.push('registerSchemesAsPrivileged');
          protocols.privileged.push(...schemes);
        },
        handle: (scheme: string, handler: (request: Request) => Promise<Response>) => {
          steps.push(`handle ${scheme}`);
          protocols.handlers.set(scheme, handler);
        },
      },
      session: {
        defaultSession: {
          setPermissionRequestHandler: (handler: (...args: unknown[]) => void) => {
            permissions.request = handler;
          },
          setPermissionCheckHandler: noop,
          setDevicePermissionHandler: noop,
          webRequest: { onBeforeRequest: noop, onHeadersReceived: noop },
        },
      },
      shell: {
        openExternal: async (url: string) => {
          opened.push(url);
        },
      },
    },
  };
});

const lab = vi.hoisted(() => ({
  options: null as unknown,
  listeners: new Map<string, (payload: unknown) => void>(),
}));

vi.mock('electron', () => ({ ...electron.module, default: electron.module }));

vi.mock('../app/lab-app', () => ({
  createLabApp: async (options: unknown): Promise<LabApp> => {
    lab.options = options;
    const handlers = Object.fromEntries(
      CHANNELS.map((channel) => [channel, async (request: unknown) => ({ channel, request })]),
    ) as unknown as ApiHandlers;
    handlers['experiments:create'] = async () => {
      throw new ValidationError('spec.name', 'must not be empty');
    };
    return {
      handlers,
      events: {
        on: <E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void) => {
          lab.listeners.set(event, listener as (payload: unknown) => void);
          return () => lab.listeners.delete(event);
        },
        emit: () => undefined,
      },
      waitForExperiment: async () => undefined,
      close: async () => undefined,
    };
  },
}));

const appFrame = { senderFrame: { url: `${APP_ORIGIN}/index.html` }, sender: {} };
let dir: string;

function handler(channel: string): Handler {
  const found = electron.handlers.get(channel);
  if (!found) throw new Error(`no handler for ${channel}`);
  return found;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-electron-'));
  await import('./main');
  // start() runs after whenReady(); let its awaits settle.
  await vi.waitFor(() => expect(electron.windows.length).toBe(1));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Electron main', () => {
  it('creates the LabApp for the electron transport, with the app version', () => {
    expect(lab.options).toMatchObject({ transport: 'electron', version: '9.9.9' });
    // No Electron build of better-sqlite3 at the (fake) app path: the Node build is used.
    expect((lab.options as { sqliteNativeBinding?: string }).sqliteNativeBinding).toBeUndefined();
  });

  it('registers every contract channel and the save and open channels, nothing else', () => {
    expect([...electron.handlers.keys()].sort()).toEqual(
      [...CHANNELS, SAVE_FILE_CHANNEL, OPEN_FILES_CHANNEL].sort(),
    );
  });

  it('picks files to import through the open dialog, and reports a cancelled one as no files', async () => {
    electron.openDialog.result = { canceled: false, filePaths: ['/d/user_action.csv', '/d/feed_info.csv'] };
    const picked = (await handler(OPEN_FILES_CHANNEL)(appFrame, {
      title: 'WeChat files',
      multiple: true,
      filters: [{ name: 'CSV', extensions: ['csv'] }],
    })) as IpcEnvelope<OpenFilesResponse>;
    expect(picked).toEqual({ ok: true, value: { paths: ['/d/user_action.csv', '/d/feed_info.csv'] } });
    expect(electron.openDialog.options).toMatchObject({
      title: 'WeChat files',
      properties: ['openFile', 'multiSelections'],
      filters: [
        { name: 'CSV', extensions: ['csv'] },
        { name: 'All files', extensions: ['*'] },
      ],
    });
    electron.openDialog.result = { canceled: true, filePaths: [] };
    expect(await handler(OPEN_FILES_CHANNEL)(appFrame, { title: 'x', multiple: false })).toEqual({
      ok: true,
      value: { paths: [] },
    });
    const bad = (await handler(OPEN_FILES_CHANNEL)(appFrame, { title: 3 })) as IpcEnvelope<unknown>;
    expect(bad.ok).toBe(false);
    const foreign = { senderFrame: { url: 'https://evil.example/' }, sender: {} };
    expect(
      ((await handler(OPEN_FILES_CHANNEL)(foreign, { title: 'x', multiple: false })) as IpcEnvelope<unknown>)
        .ok,
    ).toBe(false);
  });

  it('forwards a call to the handler and wraps the answer', async () => {
    const answer = await handler('experiments:get')(appFrame, { experimentId: 3 });
    expect(answer).toEqual({
      ok: true,
      value: { channel: 'experiments:get', request: { experimentId: 3 } },
    });
    expect(await handler('app:info')(appFrame, undefined)).toEqual({
      ok: true,
      value: { channel: 'app:info', request: {} },
    });
  });

  it('returns handler errors as ApiErrorPayload, keeping the field', async () => {
    expect(await handler('experiments:create')(appFrame, { spec: {} })).toEqual({
      ok: false,
      error: { message: 'spec.name: must not be empty', field: 'spec.name' },
    });
  });

  it('refuses calls from frames that are not the workbench, file:// and DevTools included', async () => {
    for (const senderFrame of [
      { url: 'https://evil.example/' },
      { url: 'file:///app/out/renderer/index.html' },
      { url: 'devtools://devtools/bundled/devtools_app.html' },
      { url: 'app://elsewhere/index.html' },
      null,
    ]) {
      for (const channel of ['app:info', SAVE_FILE_CHANNEL, OPEN_FILES_CHANNEL]) {
        const answer = (await handler(channel)({ senderFrame, sender: {} }, {})) as IpcEnvelope<unknown>;
        expect(answer, `${channel} from ${senderFrame?.url}`).toEqual({
          ok: false,
          error: { message: 'Refused: not the workbench.' },
        });
      }
    }
  });

  it('forwards every event to the window on the channel of the same name', () => {
    expect([...lab.listeners.keys()].sort()).toEqual([...EVENTS].sort());
    const log: ApiEvents['job:log'] = { time: 't', level: 'info', runId: 1, message: 'hello' };
    lab.listeners.get('job:log')?.(log);
    expect(electron.sent).toContainEqual({ channel: 'job:log', payload: log });
  });

  it('saves text or bytes where the dialog says, and reports a cancelled dialog', async () => {
    const target = join(dir, 'results.md');
    electron.saveDialog.result = { canceled: false, filePath: target };
    const saved = (await handler(SAVE_FILE_CHANNEL)(appFrame, {
      filename: 'results.md',
      mimeType: 'text/markdown',
      content: '| BC |',
    })) as IpcEnvelope<SaveFileResponse>;
    expect(saved).toEqual({ ok: true, value: { saved: true, path: target } });
    expect(await readFile(target, 'utf8')).toBe('| BC |');

    electron.saveDialog.result = { canceled: true, filePath: undefined };
    expect(
      await handler(SAVE_FILE_CHANNEL)(appFrame, { filename: 'a.csv', mimeType: 'text/csv', content: '' }),
    ).toEqual({ ok: true, value: { saved: false, path: null } });
    // Bytes (an exported PNG) are written as they are.
    electron.saveDialog.result = { canceled: false, filePath: join(dir, 'chart.png') };
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    await handler(SAVE_FILE_CHANNEL)(appFrame, {
      filename: 'chart.png',
      mimeType: 'image/png',
      content: png,
    });
    expect(new Uint8Array(await readFile(join(dir, 'chart.png')))).toEqual(png);
    const bad = (await handler(SAVE_FILE_CHANNEL)(appFrame, { filename: 3 })) as IpcEnvelope<unknown>;
    expect(bad.ok).toBe(false);
  });

  it('opens one sandboxed, context-isolated window without Node on the built renderer', () => {
    const [window] = electron.windows;
    const prefs = window.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    });
    expect(String(prefs.preload)).toMatch(/out\/preload\/index\.cjs$|preload\/index\.cjs$/);
    expect(window.loaded).toBe(APP_ENTRY_URL);
  });

  it('registers app:// as privileged before the app is ready, and serves it once ready', async () => {
    expect(electron.protocols.privileged).toEqual([
      { scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES },
    ]);
    expect(electron.steps.slice(0, 3)).toEqual([
      'registerSchemesAsPrivileged',
      'whenReady',
      `handle ${APP_SCHEME}`,
    ]);
    const serve = electron.protocols.handlers.get(APP_SCHEME);
    const escape = await serve?.(new Request(`${APP_ORIGIN}/..%2f..%2fpackage.json`));
    expect(escape?.status).toBe(403);
  });

  it('keeps every web contents on the workbench: no navigation away, no webviews, no windows', () => {
    const listeners = new Map<string, (event: { preventDefault(): void }, url: string) => void>();
    const opener: { handler?: (details: { url: string }) => { action: string } } = {};
    const contents = {
      on: (name: string, listener: (event: { preventDefault(): void }, url: string) => void) =>
        listeners.set(name, listener),
      setWindowOpenHandler: (handler: (details: { url: string }) => { action: string }) => {
        opener.handler = handler;
      },
    };
    electron.appListeners.get('web-contents-created')?.({}, contents);
    const prevented = (name: string, url: string): boolean => {
      let refused = false;
      listeners.get(name)?.({ preventDefault: () => (refused = true) }, url);
      return refused;
    };
    for (const name of ['will-navigate', 'will-redirect']) {
      expect(prevented(name, 'https://evil.example/')).toBe(true);
      expect(prevented(name, 'file:///etc/passwd')).toBe(true);
      expect(prevented(name, `${APP_ORIGIN}/index.html`)).toBe(false);
    }
    expect(prevented('will-attach-webview', `${APP_ORIGIN}/index.html`)).toBe(true);
    // No host is on the external-link list: even https links are neither opened nor windowed.
    expect(opener.handler?.({ url: 'https://doi.org/10.1145/3580305' })).toEqual({ action: 'deny' });
    expect(opener.handler?.({ url: `${APP_ORIGIN}/index.html` })).toEqual({ action: 'deny' });
    expect(electron.opened).toEqual([]);
  });

  it('denies every permission request', () => {
    const answers: boolean[] = [];
    electron.permissions.request?.({}, 'media', (granted: boolean) => answers.push(granted));
    electron.permissions.request?.({}, 'notifications', (granted: boolean) => answers.push(granted));
    expect(answers).toEqual([false, false]);
  });
});
