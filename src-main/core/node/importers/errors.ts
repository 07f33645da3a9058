/**
 * Errors of the importers. Each names the file, and where it knows them the line (1-based) and the
 * column, so an analyst can open the file at the right place.
 *
 * Messages reach a terminal and the workbench: file content in them goes through `quoteContent`
 * (short, control characters escaped), and the constructor escapes control characters in the
 * whole message as well, so no file can make a 10 MB message or drive the terminal.
 */
export class ImportError extends Error {
  readonly file: string;
  readonly line: number | null;
  readonly column: string | null;

  constructor(file: string, message: string, line: number | null = null, column: string | null = null) {
    const where = [
      file,
      line !== null ? `line ${line}` : null,
      column !== null ? `column ${quoteContent(column)}` : null,
    ]
      .filter((part) => part !== null)
      .join(', ');
    super(escapeControlCharacters(`${where}: ${message}`));
    this.name = 'ImportError';
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/**
 * A value that cannot stand where it is, thrown by the value parsers; the importer that called
 * them turns it into an ImportError naming the file, line and column, and quoting the value.
 */
export class InvalidValue extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'InvalidValue';
  }
}

/** Thrown when the caller's AbortSignal fires; nothing has been stored at that point. */
export class ImportCancelledError extends Error {
  constructor() {
    super('The import was cancelled.');
    this.name = 'ImportCancelledError';
  }
}

/** The most characters of file content one error message quotes. */
export const QUOTE_LIMIT = 200;

/**
 * File content as an error message shows it: in double quotes, cut to `limit` characters (the
 * length in all is said), control characters escaped.
 */
export function quoteContent(text: string, limit = QUOTE_LIMIT): string {
  if (text.length <= limit) return `"${escapeControlCharacters(text)}"`;
  let head = text.slice(0, limit);
  // Do not leave half of a surrogate pair at the cut.
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return `"${escapeControlCharacters(head)}"… (${text.length} characters in all)`;
}

/**
 * C0 and C1 controls, DEL, the line and paragraph separators and the bidirectional marks and
 * overrides: what could move the cursor, start an escape sequence or reorder a message's text.
 */
function isControlCharacter(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

const NAMED_ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r' };

/** Replaces control characters by visible escapes (`\n`, `\t`, `\x1b`, `\u202e`). */
export function escapeControlCharacters(text: string): string {
  let escaped = '';
  let copiedUpTo = 0;
  for (let k = 0; k < text.length; k++) {
    const code = text.charCodeAt(k);
    if (!isControlCharacter(code)) continue;
    const hex = code.toString(16);
    escaped +=
      text.slice(copiedUpTo, k) +
      (NAMED_ESCAPES[code] ?? (code < 0x100 ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`));
    copiedUpTo = k + 1;
  }
  return copiedUpTo === 0 ? text : escaped + text.slice(copiedUpTo);
}
