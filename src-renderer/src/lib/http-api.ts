/**
 * CascadeApi over HTTP and server-sent events, for the workbench served by the browser host
 * (src-main/host/server.ts): `POST /api/<channel>` per call, one EventSource for all events.
 */
import type {
  ApiEvents,
  CascadeApi,
  Channel,
  EventName,
  RequestOf,
  ResponseOf,
} from '../../../src-main/contract/api';
import { ApiError, isErrorPayload } from './errors';

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** The part of EventSource this transport uses (tests pass a fake). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  removeEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

export interface HttpApiOptions {
  /** Origin (and path prefix) of the host, e.g. `http://127.0.0.1:5174`. */
  baseUrl: string;
  fetch?: FetchLike;
  openEventSource?: (url: string) => EventSourceLike;
  /** Saves a file; the default downloads it through an `<a download>` element. */
  download?: (filename: string, mimeType: string, content: string | Uint8Array) => void;
}

/** Downloads text or bytes as a file: the browser's equivalent of a save dialog. */
export function downloadFile(filename: string, mimeType: string, content: string | Uint8Array): void {
  // A copy typed on a plain ArrayBuffer, as Blob's parts are (a view may sit on a shared buffer).
  const part = typeof content === 'string' ? content : new Uint8Array(content);
  const url = URL.createObjectURL(new Blob([part], { type: mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoking at once can cancel the download in some browsers; a minute is plenty.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function createHttpApi(options: HttpApiOptions): CascadeApi {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const openEventSource = options.openEventSource ?? ((url: string) => new EventSource(url));
  const download = options.download ?? downloadFile;

  let source: EventSourceLike | null = null;
  let subscriptions = 0;

  return {
    async invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
      let response: Response;
      try {
        response = await doFetch(`${base}/api/${channel}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(request ?? {}),
        });
      } catch (error) {
        throw new ApiError({ message: `The workbench host is not reachable (${(error as Error).message}).` });
      }
      const text = await response.text();
      let body: unknown = null;
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        body = null;
      }
      if (!response.ok) {
        throw new ApiError(
          isErrorPayload(body) ? body : { message: `${channel} failed with HTTP ${response.status}.` },
          response.status,
        );
      }
      return body as ResponseOf<C>;
    },

    on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
      source ??= openEventSource(`${base}/api/events`);
      const activeSource = source;
      subscriptions += 1;
      const onMessage = (message: MessageEvent<string>): void => {
        listener(JSON.parse(message.data) as ApiEvents[E]);
      };
      activeSource.addEventListener(event, onMessage);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        activeSource.removeEventListener(event, onMessage);
        subscriptions -= 1;
        if (subscriptions === 0 && source === activeSource) {
          activeSource.close();
          source = null;
        }
      };
    },

    async saveFile(filename: string, mimeType: string, content: string | Uint8Array): Promise<void> {
      download(filename, mimeType, content);
    },

    // A page cannot learn the host-side path of a file the browser picks: the import wizard asks
    // for typed paths on the host's machine instead.
    async pickFiles(): Promise<null> {
      return null;
    },
  };
}
