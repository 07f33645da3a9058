/**
 * Finds where JSON text stops being valid. JSON.parse in Node 20 often reports a syntax error
 * without a position ("Unexpected token '}', ... is not valid JSON"); this scanner walks the text
 * by the JSON grammar and returns the first offending offset with a reason.
 */
export interface JsonSyntaxProblem {
  offset: number;
  reason: string;
}

class Problem extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function show(char: string | undefined): string {
  return char === undefined ? 'end of file' : JSON.stringify(char);
}

/** null when the text is valid JSON. */
export function locateJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const expect = (char: string, what: string): void => {
    skipSpace();
    if (text[i] !== char) throw new Problem(i, `expected ${what}, found ${show(text[i])}`);
    i++;
  };
  const string = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const char = text[i];
      if (char === '"') {
        i++;
        return;
      }
      if (char === '\\') {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
            throw new Problem(i, 'bad \\u escape in a string');
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2;
        else throw new Problem(i, `bad escape \\${next ?? ''} in a string`);
        continue;
      }
      if (char < ' ') throw new Problem(i, 'control character (e.g. a line break) inside a string');
      i++;
    }
    throw new Problem(i, 'unterminated string');
  };
  const literal = (): void => {
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    if (number && number[0].length > 0) {
      i += number[0].length;
      return;
    }
    throw new Problem(i, `expected a value, found ${show(text[i])}`);
  };
  const value = (): void => {
    skipSpace();
    const char = text[i];
    if (char === '{') {
      i++;
      skipSpace();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"')
          throw new Problem(i, `expected a double-quoted property name, found ${show(text[i])}`);
        string();
        expect(':', "':' after the property name");
        value();
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        throw new Problem(i, `expected ',' or '}' after a property value, found ${show(text[i])}`);
      }
    }
    if (char === '[') {
      i++;
      skipSpace();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        throw new Problem(i, `expected ',' or ']' after an array element, found ${show(text[i])}`);
      }
    }
    if (char === '"') {
      string();
      return;
    }
    literal();
  };
  try {
    value();
    skipSpace();
    if (i < text.length) throw new Problem(i, `unexpected ${show(text[i])} after the JSON value`);
    return null;
  } catch (error) {
    if (error instanceof Problem) return { offset: error.offset, reason: error.reason };
    throw error;
  }
}
