/**
 * Errors of the importers. Each names the file, and where it knows them the line (1-based) and the
 * column, so an analyst can open the file at the right place.
 */
export class ImportError extends Error {
  readonly file: string;
  readonly line: number | null;
  readonly column: string | null;

  constructor(file: string, message: string, line: number | null = null, column: string | null = null) {
    const where = [file, line !== null ? `line ${line}` : null, column !== null ? `column "${column}"` : null]
      .filter((part) => part !== null)
      .join(', ');
    super(`${where}: ${message}`);
    this.name = 'ImportError';
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** Thrown when the caller's AbortSignal fires; nothing has been stored at that point. */
export class ImportCancelledError extends Error {
  constructor() {
    super('The import was cancelled.');
    this.name = 'ImportCancelledError';
  }
}
