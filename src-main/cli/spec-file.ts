/**
 * Reads an experiment spec file; every error names the file, and the line and column of a JSON
 * syntax error or the path of the bad field.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ExperimentSpec } from '../contract/api';
import { ValidationError } from '../contract/errors';
import { MAX_SPEC_BYTES, describeBytes } from '../contract/limits';
import { validateSpec } from '../core/experiments/spec';
import { locateJsonSyntaxError } from './json-locate';

/** A problem with the spec file as a whole (its JSON, size or readability), said of the file. */
function fileError(file: string, reason: string): ValidationError {
  return new ValidationError('', reason, file);
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
      throw fileError(`${file}:${line}:${column}`, `invalid JSON: ${problem.reason}`);
    }
    throw fileError(file, `invalid JSON: ${(error as Error).message}`);
  }
}

/** Validates a parsed spec (defaults applied); the error says `file: field.path: reason`. */
export function validateSpecFrom(file: string, input: unknown): ExperimentSpec {
  try {
    return validateSpec(input);
  } catch (error) {
    throw error instanceof ValidationError ? error.inFile(file) : error;
  }
}

function tooLarge(file: string, size: string): ValidationError {
  return fileError(
    file,
    `${size}; a spec file may be at most ${describeBytes(MAX_SPEC_BYTES)} (${MAX_SPEC_BYTES} bytes)`,
  );
}

/**
 * The file's text, refusing one over `limit` bytes before reading it all: by its size where it
 * has one, and by stopping at limit + 1 bytes where it has none (a pipe) or grows meanwhile.
 */
export function readBoundedText(file: string, limit: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fileError(file, code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`);
  }
  try {
    const { size } = fstatSync(fd);
    if (size > limit) throw tooLarge(file, `is ${describeBytes(size)}`);
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > limit) throw tooLarge(file, `is more than ${describeBytes(limit)}`);
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw fileError(file, `cannot read: ${(error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

export function loadSpecFile(file: string): ExperimentSpec {
  return validateSpecFrom(file, parseSpecJson(file, readBoundedText(file, MAX_SPEC_BYTES)));
}
