/**
 * A database file the app cannot use (store/unusable-database.ts): createLabApp throws it and the
 * transports print its one-line message instead of a stack trace. The errors a request fails with
 * by the caller's fault are the contract's (contract/errors.ts). messageOf is how every service
 * words a caught value in a message.
 */
export { UnusableDatabaseError } from '../store/unusable-database';

/** A caught value as message text: an Error's message, anything else as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
