/**
 * The one CascadeApi the workbench uses: the preload's `window.api` inside Electron, HTTP and
 * server-sent events against the browser host otherwise.
 */
import type { CascadeApi } from '../../../src-main/contract/api';
import { ApiError, isErrorPayload } from './errors';
import { createHttpApi } from './http-api';

declare global {
  interface Window {
    /** Exposed by the Electron preload (src-main/electron/preload.ts). */
    api?: CascadeApi;
  }
}

export const transportName: 'electron' | 'browser-host' = window.api ? 'electron' : 'browser-host';

/**
 * The preload rejects failed calls with the plain ApiErrorPayload (contextBridge would strip an
 * Error's field); this makes them ApiErrors again, as the HTTP transport throws.
 */
export function wrapPreloadApi(bridge: CascadeApi): CascadeApi {
  return {
    invoke: (channel, request) =>
      bridge.invoke(channel, request).catch((error: unknown) => {
        throw isErrorPayload(error) && !(error instanceof Error) ? new ApiError(error) : error;
      }),
    on: (event, listener) => bridge.on(event, listener),
    saveFile: (filename, mimeType, content) => bridge.saveFile(filename, mimeType, content),
    pickFiles: (options) => bridge.pickFiles(options),
  };
}

export const api: CascadeApi = window.api
  ? wrapPreloadApi(window.api)
  : createHttpApi({ baseUrl: window.location.origin });
