/**
 * A database file Cascade Lab must not use: not SQLite, another application's, a newer Cascade
 * Lab's, or damaged. The message is one line that names the file and what to do; the file is left
 * exactly as it was (nothing is "repaired"), so the transports print the message and stop.
 */
export type UnusableReason = 'not-a-database' | 'foreign' | 'newer' | 'damaged' | 'cannot-open';

export class UnusableDatabaseError extends Error {
  constructor(
    readonly path: string,
    readonly reason: UnusableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnusableDatabaseError';
  }
}

/** The way out for a file that is not (or no longer) a usable Cascade Lab database. */
export const MOVE_ASIDE =
  'Move it aside to start a fresh database there, or point Cascade Lab at another database file.';

/**
 * The UnusableDatabaseError for an error SQLite raised on the file at `path`, or null when the
 * error says nothing about the file itself (a constraint, a busy lock, a bug).
 */
export function unusableDatabaseError(error: unknown, path: string): UnusableDatabaseError | null {
  if (error instanceof UnusableDatabaseError) return error;
  if (!(error instanceof Error)) return null;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  const detail = error.message;
  if (code === 'SQLITE_NOTADB') {
    return new UnusableDatabaseError(
      path,
      'not-a-database',
      `${path} is not a Cascade Lab database: SQLite cannot read it (${detail}). Nothing was changed. ${MOVE_ASIDE}`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new UnusableDatabaseError(
      path,
      'damaged',
      `${path} is damaged (${detail}). Nothing was changed. Restore it from a backup, or move it aside ` +
        'to start a fresh database there.',
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new UnusableDatabaseError(
      path,
      'cannot-open',
      `${path} cannot be opened (${detail}). Check that its folder exists and that you may read and write it.`,
      { cause: error },
    );
  }
  return null;
}
