/**
 * Errors the handlers throw. Transports map them by name (src-main/host/api-error.ts):
 * `ValidationError` (it names the field) is the caller's fault, `NotFoundError` a missing record.
 */
import type { ApiErrorPayload } from '../contract/api';

// A database file the app cannot use (store/unusable-database.ts): createLabApp throws it and the
// transports print its one-line message instead of a stack trace.
export { UnusableDatabaseError } from '../store/unusable-database';

export class ValidationError extends Error {
  /** Path of the offending field, e.g. `spec.methods[0].params.lr`. */
  readonly field: string;

  constructor(field: string, reason: string) {
    super(field ? `${field}: ${reason}` : reason);
    this.name = 'ValidationError';
    this.field = field;
  }
}

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The contract's error shape for any thrown value. */
export function toApiErrorPayload(error: unknown): ApiErrorPayload {
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof ValidationError && error.field ? { message, field: error.field } : { message };
}
