/**
 * What a NumberField accepts as the user types. Its bounds follow the contract's ranges
 * (src-main/contract/ranges.ts), the same declarations the main side validates with, so the hint
 * and the check say what the server will accept.
 */
import { type NumberBounds, withinBounds } from '../../../src-main/contract/ranges';

export interface NumberInputRules extends NumberBounds {
  integer?: boolean;
  /** Empty means "use the default" (the value becomes undefined). */
  optional?: boolean;
}

export type ParsedNumber = { ok: true; value: number | undefined } | { ok: false; error: string };

export function parseNumberInput(input: string, rules: NumberInputRules): ParsedNumber {
  const trimmed = input.trim();
  if (trimmed === '')
    return rules.optional ? { ok: true, value: undefined } : { ok: false, error: 'Required.' };
  const number = Number(trimmed);
  if (!Number.isFinite(number)) return { ok: false, error: 'Not a number.' };
  if (rules.integer && !Number.isInteger(number)) return { ok: false, error: 'Must be a whole number.' };
  if (!withinBounds(number, rules)) {
    const { min, max } = rules;
    if (max !== undefined && number > max) return { ok: false, error: `At most ${max}.` };
    return { ok: false, error: rules.minExclusive ? `More than ${min}.` : `At least ${min}.` };
  }
  return { ok: true, value: number };
}
