/**
 * A database file the app cannot use (store/unusable-database.ts): createLabApp throws it and the
 * transports print its one-line message instead of a stack trace. The errors a request fails with
 * by the caller's fault are the contract's (contract/errors.ts).
 */
export { UnusableDatabaseError } from '../store/unusable-database';
