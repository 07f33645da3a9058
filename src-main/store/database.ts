/**
 * Opens the SQLite database (better-sqlite3) and brings its schema up to date.
 */
import Database from 'better-sqlite3';
import { assertCascadeLabDatabase, migrate } from './migrations';
import { unusableDatabaseError } from './unusable-database';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** Path of a better-sqlite3 native addon built for another ABI (Electron's). */
  nativeBinding?: string;
  /** Milliseconds a writer waits for another connection's lock before failing (default 5000). */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the database at `path` (`:memory:` for a throwaway one), switches it
 * to WAL with foreign keys enforced, and applies pending migrations. A file that is not a Cascade
 * Lab database this build can use (not SQLite, another application's, newer, damaged) throws an
 * UnusableDatabaseError before anything is written to it.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(path, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  } catch (error) {
    throw unusableDatabaseError(error, path) ?? error;
  }
  try {
    // First, only reads: the busy timeout (so a concurrent migration is waited for) and what the
    // file is. Nothing below may run on a file that is not ours.
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    assertCascadeLabDatabase(db);
    // WAL lets the CLI read while the desktop app writes; NORMAL sync is safe with WAL.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw unusableDatabaseError(error, path) ?? error;
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** Parses a JSON column; a corrupt value names the table, column and row. */
export function parseJsonColumn<T>(text: string | null, where: string, fallback: T): T {
  if (text === null || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`corrupt JSON in ${where}: ${(error as Error).message}`, { cause: error });
  }
}
