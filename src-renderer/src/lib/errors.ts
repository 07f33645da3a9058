import type { ApiErrorPayload } from '../../../src-main/contract/api';

/** Whether a value has the contract's error shape (a message, maybe a field). */
export function isErrorPayload(value: unknown): value is ApiErrorPayload {
  return (
    typeof value === 'object' && value !== null && typeof (value as ApiErrorPayload).message === 'string'
  );
}

/** A failed API call, whichever transport carried it; `field` names the offending request field. */
export class ApiError extends Error {
  readonly field: string | undefined;
  readonly status: number | undefined;

  constructor(payload: ApiErrorPayload, status?: number) {
    super(payload.message);
    this.name = 'ApiError';
    this.field = payload.field;
    this.status = status;
  }
}

/** Drops a leading `field: ` from the message, since the workbench shows the field on its own. */
function withoutFieldPrefix(message: string, field: string | undefined): string {
  return field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}

/** The message and field of anything thrown, for display. */
export function describeError(error: unknown): ApiErrorPayload {
  if (error instanceof ApiError) {
    return error.field
      ? { message: withoutFieldPrefix(error.message, error.field), field: error.field }
      : { message: error.message };
  }
  if (error instanceof Error) {
    const field = (error as Error & { field?: unknown }).field;
    // Electron prefixes errors that crossed IPC; the prefix tells the user nothing.
    const message = error.message.replace(/^Error invoking remote method '[^']+': (\w*Error: )?/, '');
    return typeof field === 'string' ? { message: withoutFieldPrefix(message, field), field } : { message };
  }
  return { message: String(error) };
}
