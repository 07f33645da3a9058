/**
 * The preload: exposes exactly one object, `window.api` (CascadeApi), to the sandboxed renderer.
 *
 * The renderer never sees ipcRenderer: only the contract's channels and events, whose names are
 * checked here, reach the main process. Bundled as CommonJS (sandboxed preloads cannot be ESM).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  EVENTS,
  type ApiErrorPayload,
  type ApiEvents,
  type CascadeApi,
  type Channel,
  type EventName,
  type PickFilesOptions,
  type RequestOf,
  type ResponseOf,
} from '../contract/api';
import { CHANNELS } from '../contract/requests';
import {
  OPEN_FILES_CHANNEL,
  SAVE_FILE_CHANNEL,
  type IpcEnvelope,
  type OpenFilesResponse,
  type SaveFileRequest,
} from './ipc';

/**
 * Failures reject with the plain ApiErrorPayload: contextBridge copies an Error's message only
 * and drops its other properties (the field), while plain objects cross intact. The renderer
 * (src-renderer/src/lib/api.ts) turns the payload back into an Error.
 */
async function call<T>(channel: string, request: unknown): Promise<T> {
  const envelope = (await ipcRenderer.invoke(channel, request)) as IpcEnvelope<T>;
  if (envelope.ok) return envelope.value;
  return Promise.reject(envelope.error);
}

const api: CascadeApi = {
  invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
    if (!CHANNELS.includes(channel)) {
      const error: ApiErrorPayload = { message: `Unknown channel "${channel}".` };
      return Promise.reject(error);
    }
    return call<ResponseOf<C>>(channel, request);
  },
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    if (!EVENTS.includes(event)) throw new Error(`Unknown event "${event}".`);
    const forward = (_event: IpcRendererEvent, payload: ApiEvents[E]): void => listener(payload);
    ipcRenderer.on(event, forward);
    return () => {
      ipcRenderer.removeListener(event, forward);
    };
  },
  async saveFile(filename: string, mimeType: string, content: string | Uint8Array): Promise<void> {
    const request: SaveFileRequest = { filename, mimeType, content };
    await call(SAVE_FILE_CHANNEL, request);
  },
  async pickFiles(options: PickFilesOptions): Promise<string[]> {
    const { paths } = await call<OpenFilesResponse>(OPEN_FILES_CHANNEL, options);
    return paths;
  },
};

contextBridge.exposeInMainWorld('api', api);
