/**
 * What travels over Electron IPC, shared by the main process and the preload.
 *
 * `ipcMain.handle` loses everything of a thrown error but its message (and prefixes that with
 * "Error invoking remote method"), so handlers answer with an envelope instead and the preload
 * turns a failure back into an Error carrying the ApiErrorPayload's field.
 */
import type { ApiErrorPayload } from '../contract/api';

export type IpcEnvelope<T> = { ok: true; value: T } | { ok: false; error: ApiErrorPayload };

/**
 * Saves text or bytes where the user picks, through the native save dialog. Not part of the API contract
 * (the browser transport downloads instead); it lives beside it in the same `domain:verb` style.
 */
export const SAVE_FILE_CHANNEL = 'files:save';

export interface SaveFileRequest {
  filename: string;
  mimeType: string;
  /** Text is written as UTF-8; bytes (an exported PNG) as they are. */
  content: string | Uint8Array;
}

/** Whether the user saved the file (false when they cancelled the dialog). */
export interface SaveFileResponse {
  saved: boolean;
  path: string | null;
}

/**
 * Picks files to import through the native open dialog (PickFilesOptions of the contract). Like
 * files:save it lives outside the contract: the browser transport has no dialog and the user
 * types paths there instead.
 */
export const OPEN_FILES_CHANNEL = 'files:open';

/** The chosen paths; empty when the user cancelled. */
export interface OpenFilesResponse {
  paths: string[];
}
