/**
 * Reads an experiment spec file; every error names the file, and the line and column of a JSON
 * syntax error or the path of the bad field.
 */
import { readFileSync } from 'node:fs';
import type { ExperimentSpec } from '../contract/api';
import { SpecError, validateSpec } from '../core/experiments/spec';
import { locateJsonSyntaxError } from './json-locate';

export class SpecFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly field?: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'SpecFileError';
  }
}

/** Line and column (1-based) of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** Parses the file's JSON; a syntax error names `file:line:column` and what was expected. */
export function parseSpecJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const problem = locateJsonSyntaxError(text);
    if (problem) {
      const { line, column } = lineAndColumn(text, problem.offset);
      throw new SpecFileError(`${file}:${line}:${column}`, `invalid JSON: ${problem.reason}`);
    }
    throw new SpecFileError(file, `invalid JSON: ${(error as Error).message}`);
  }
}

/** Validates a parsed spec (defaults applied); the error says `file: field.path: reason`. */
export function validateSpecFrom(file: string, input: unknown): ExperimentSpec {
  try {
    return validateSpec(input);
  } catch (error) {
    if (error instanceof SpecError) {
      const reason =
        error.field && error.message.startsWith(`${error.field}: `)
          ? error.message.slice(error.field.length + 2)
          : error.message;
      throw new SpecFileError(file, error.field ? `${error.field}: ${reason}` : reason, error.field);
    }
    throw error;
  }
}

export function loadSpecFile(file: string): ExperimentSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SpecFileError(
      file,
      code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`,
    );
  }
  return validateSpecFrom(file, parseSpecJson(file, text));
}
