/** Argument parsing shared by the CLI's commands: strict flags, usage errors that show the help. */
import { parseArgs } from 'node:util';
import { BACKEND_CHOICES, isBackendChoice, type BackendChoice } from '../contract/api';
import { UsageError } from './io';

export type OptionValues = Record<string, string | boolean | undefined>;

/** Parses `args` with `-h/--help` added; an unknown or malformed flag is a UsageError with the help. */
export function parseCommandArgs(
  args: string[],
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>,
  help: string,
): { values: OptionValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { help: { type: 'boolean', short: 'h' }, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as OptionValues, positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${help}`);
  }
}

/** A string flag's value, or undefined when absent. */
export function stringOption(values: OptionValues, key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' ? value : undefined;
}

/** A whole number in [min, max] written in decimal digits; anything else is a UsageError naming the flag. */
export function integerOption(value: string, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** The `--backend` flag: `auto` or a backend of the contract's list; undefined when absent. */
export function backendOption(values: OptionValues): BackendChoice | undefined {
  const backend = stringOption(values, 'backend');
  if (backend === undefined || isBackendChoice(backend)) return backend;
  throw new UsageError(
    `--backend must be one of ${BACKEND_CHOICES.join(', ')}, got ${JSON.stringify(backend)}`,
  );
}

/** An `on|off` flag: true, false, or undefined when absent; anything else is a UsageError. */
export function onOffOption(values: OptionValues, key: string): boolean | undefined {
  const value = stringOption(values, key);
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'off') return value === 'on';
  throw new UsageError(`--${key} must be on or off, got ${JSON.stringify(value)}`);
}
