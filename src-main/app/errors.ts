/**
 * Errors the handlers throw. Transports map them by name (src-main/app/transport-error.ts):
 * `ValidationError` (it names the field) is the caller's fault, `NotFoundError` a missing record.
 */

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
