import type { ApiErrorPayload } from '../contract/api';

/* Shared by both transports (Electron IPC and the browser host), so it lives in the app layer. */

/** How a failed handler call travels over a transport: an HTTP status and the contract's payload. */
export interface TransportError {
  status: number;
  payload: ApiErrorPayload;
}

function fieldOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('field' in error)) return undefined;
  const field = (error as { field: unknown }).field;
  return typeof field === 'string' && field.length > 0 ? field : undefined;
}

/**
 * Maps an error thrown by a handler to the transport's error shape. Validation errors (they name
 * the offending field, or are called `ValidationError`) are the caller's fault: 400. Missing
 * records (`NotFoundError`) are 404. Anything else is the app's fault: 500, with its message so
 * the workbench can show it.
 */
export function toTransportError(error: unknown): TransportError {
  const field = fieldOf(error);
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  const payload: ApiErrorPayload = field === undefined ? { message } : { message, field };
  if (field !== undefined || name === 'ValidationError') return { status: 400, payload };
  if (name === 'NotFoundError') return { status: 404, payload };
  return { status: 500, payload };
}
