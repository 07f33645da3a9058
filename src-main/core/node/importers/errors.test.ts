import { describe, expect, it } from 'vitest';
import { escapeControlCharacters, ImportError, QUOTE_LIMIT, quoteContent } from './errors';

describe('quoteContent', () => {
  it('quotes short text as it is', () => {
    expect(quoteContent('café, 7')).toBe('"café, 7"');
  });

  it('cuts long text to the limit and says how long it was', () => {
    const quoted = quoteContent('a'.repeat(10_000));
    expect(quoted).toBe(`"${'a'.repeat(QUOTE_LIMIT)}"… (10000 characters in all)`);
  });

  it('does not cut a surrogate pair in half', () => {
    const text = `${'a'.repeat(QUOTE_LIMIT - 1)}😀tail`;
    expect(quoteContent(text)).toBe(`"${'a'.repeat(QUOTE_LIMIT - 1)}"… (${text.length} characters in all)`);
  });

  it('escapes what a terminal would act on', () => {
    expect(quoteContent('\u001b[2Jred\r\nnext\tcol\u009b1m\u202eevil\u0000')).toBe(
      '"\\x1b[2Jred\\r\\nnext\\tcol\\x9b1m\\u202eevil\\x00"',
    );
  });
});

describe('escapeControlCharacters', () => {
  it('leaves ordinary text, quotes and backslashes alone', () => {
    const text = 'user "7" \\ café 😀';
    expect(escapeControlCharacters(text)).toBe(text);
  });

  it('is idempotent', () => {
    const once = escapeControlCharacters('a\u001bb\nc');
    expect(escapeControlCharacters(once)).toBe(once);
  });
});

describe('ImportError', () => {
  it('names file, line and column, with control characters escaped everywhere', () => {
    const error = new ImportError('/data/log\u001b.csv', 'bad\nvalue', 3, 'we\u0007ight');
    expect(error.message).toBe('/data/log\\x1b.csv, line 3, column "we\\x07ight": bad\\nvalue');
    expect(error.file).toBe('/data/log\u001b.csv');
    expect(error.line).toBe(3);
    expect(error.column).toBe('we\u0007ight');
  });
});
