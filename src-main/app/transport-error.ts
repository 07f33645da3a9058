import type { ApiErrorPayload } from '../contract/api';
import { NotFoundError, ValidationError } from '../contract/errors';

/* Shared by both transports (Electron IPC and the browser host), so it lives in the app layer. */

/** How a failed handler call travels over a transport: an HTTP status and the contract's payload. */
export interface TransportError {
  status: number;
  payload: ApiErrorPayload;
}

/**
 * Maps an error thrown by a handler to the transport's error shape. A ValidationError (it names
 * the offending field) is the caller's fault: 400. A NotFoundError is a missing record: 404.
 * Anything else is the app's fault: 500, with its message so the workbench can show it.
 */
export function toTransportError(error: unknown): TransportError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ValidationError)
    return { status: 400, payload: error.field ? { message, field: error.field } : { message } };
  if (error instanceof NotFoundError) return { status: 404, payload: { message } };
  return { status: 500, payload: { message } };
}
