import { describe, expect, it } from 'vitest';
import { locateJsonSyntaxError } from './json-locate';

describe('locateJsonSyntaxError', () => {
  it('accepts valid JSON', () => {
    for (const text of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"]} ', '"s"', '0']) {
      expect(locateJsonSyntaxError(text)).toBeNull();
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });

  it('finds the first offending character of invalid JSON', () => {
    const cases: [string, number, RegExp][] = [
      ['{\n  "a": }', 9, /expected a value/],
      ['{"a": 1,}', 8, /double-quoted property name/],
      ['{"a": 1 "b": 2}', 8, /expected ',' or '}'/],
      ['[1, 2', 5, /expected ',' or ']'.*end of file/],
      ["{'a': 1}", 1, /double-quoted/],
      ['{"a": tru}', 6, /expected a value/],
      ['{"a": 1} x', 9, /after the JSON value/],
      ['{"a": "line\nbreak"}', 11, /control character/],
      ['{"a" 1}', 5, /':'/],
      ['', 0, /expected a value, found end of file/],
    ];
    for (const [text, offset, reason] of cases) {
      expect(() => JSON.parse(text)).toThrow();
      const problem = locateJsonSyntaxError(text);
      expect(problem?.offset, text).toBe(offset);
      expect(problem?.reason, text).toMatch(reason);
    }
  });
});
