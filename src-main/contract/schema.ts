/**
 * The building blocks every schema of the contract is made of (the experiment spec, each
 * channel's request, each declared parameter), and the one way a failed check becomes an error.
 *
 * Schema library: valibot. Measured on a 130-row Table 4 spec (125 expanded grid rows and 5
 * baselines, the registry's 25 methods as a union keyed by id), node 20, validations per CPU
 * second, median of 9 repeats, median of 5 processes: zod 4.6 9,700, valibot 1.5 5,100, TypeBox
 * 0.34 72,900 compiled and 7,400 uncompiled. Each is a fraction of the checks only the registry
 * can make (about 0.65 ms for that spec; the whole validation went from 0.79 to 0.90 ms). What
 * decided: a wrong value inside one method row is reported by zod and valibot at its path
 * (`methods.3.params.alpha`) but by TypeBox as "Expected union value" at `/methods/3`; valibot
 * names an unknown key at the key itself where zod names the parent; whatever bundles the
 * schemas (the preload does, the renderer may) pays 3.6 KB gzipped for valibot against 93 KB for
 * zod's classic API (6.6 KB for zod/mini); and valibot never calls `new Function`, which the
 * renderer's CSP (`script-src 'self'`) forbids and which TypeBox's compiler and zod's fast path
 * use. JSON Schema comes from @valibot/to-json-schema, a development dependency of
 * `npm run schema` only.
 *
 * Messages keep one wording everywhere: `must be in (0, 10], got 0`, `must be one of csv, tiktok,
 * got "xls"`, `unknown field; expected one of ...`. Each building block carries its own message,
 * so a schema says what a value must be once, and the JSON Schema of the same declaration shows
 * the same bounds to an editor.
 */
import * as v from 'valibot';
import { ValidationError } from './errors';
import { type NumberRange, boundsInterval } from './ranges';

type AnySchema = v.GenericSchema;
type Issue = v.BaseIssue<unknown>;

/** A value as a message shows it: `"text"`, `3`, `an array`, `nothing (the field is missing)`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return String(value);
}

const got = (issue: Issue): string => `got ${describeValue(issue.input)}`;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The message of an issue no building block worded (a schema used bare). */
function fallbackMessage(issue: Issue): string {
  return `must be ${issue.expected ?? 'valid'}, ${got(issue)}`;
}

/** `methods[0].params.alpha` from an issue's path. */
export function fieldPath(path: readonly { key: unknown }[] | undefined): string {
  let out = '';
  for (const { key } of path ?? []) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** The first issue of a failed parse as the one error type (errors.ts). */
export function issueError(issue: Issue): ValidationError {
  return new ValidationError(fieldPath(issue.path), issue.message);
}

/**
 * Parses `input`, returning the schema's output (defaults filled) or throwing a ValidationError
 * for the first problem, named by its path.
 */
export function parseWith<S extends AnySchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortEarly: true, message: fallbackMessage });
  if (!result.success) throw issueError(result.issues[0]);
  return result.output;
}

/** What `schema` says of a missing value (a required field left out). */
function missingMessage(schema: AnySchema | undefined): string {
  if (!schema) return 'is required';
  const result = v.safeParse(schema, undefined, { abortEarly: true, message: fallbackMessage });
  return result.success ? 'is required' : result.issues[0].message;
}

/** How an object names a key it does not have. */
export type UnknownKeyMessage = (key: string, allowed: readonly string[]) => string;

const unknownField: UnknownKeyMessage = (_key, allowed) =>
  `unknown field; ${allowed.length ? `expected one of ${allowed.join(', ')}` : 'it takes none'}`;

/**
 * An object with exactly these entries, as variant() needs it: unknown keys are errors (so a
 * typo does not silently fall back to a default), a missing required entry says what it must be.
 */
export function strictFields<const E extends v.ObjectEntries>(entries: E, unknownKey = unknownField) {
  const keys = Object.keys(entries);
  return v.strictObject(entries, (issue) => {
    if (issue.expected === 'never') return unknownKey(String(issue.input), keys);
    const key = issue.path?.at(-1)?.key;
    if (typeof key === 'string' && issue.input === undefined) return missingMessage(entries[key]);
    return `must be an object, ${got(issue)}`;
  });
}

/** A plain object (not an array) with exactly these entries; see strictFields. */
export function fields<const E extends v.ObjectEntries>(entries: E, unknownKey = unknownField) {
  return v.pipe(
    v.custom<Record<string, unknown>>(isRecord, (issue) => `must be an object, ${got(issue)}`),
    strictFields(entries, unknownKey),
  );
}

/** A plain object whose values all match `value` (keys free). */
export function recordOf<S extends AnySchema>(value: S) {
  return v.pipe(
    v.custom<Record<string, unknown>>(isRecord, (issue) => `must be an object, ${got(issue)}`),
    v.record(v.string(), value),
  );
}

const finite = (issue: Issue) => `must be a finite number, ${got(issue)}`;

/** Any finite number. */
export function finiteNumber() {
  return v.pipe(v.number(finite), v.finite(finite));
}

/**
 * A number within a range of ranges.ts: finite, an integer where the range says so, within
 * bounds (`must be in (0, 10], got 0`). Checked in that order, as the messages assume.
 */
export function numberIn(range: NumberRange) {
  const outside = (issue: Issue) => `must be in ${boundsInterval(range)}, got ${String(issue.input)}`;
  const number = v.number(finite);
  const isFinite = v.finite<number, typeof finite>(finite);
  const integer = v.integer<number, typeof outside>(
    (issue) => `must be an integer, got ${String(issue.input)}`,
  );
  const max = v.maxValue<number, number, typeof outside>(range.max, outside);
  if (range.minExclusive) {
    const min = v.gtValue<number, number, typeof outside>(range.min, outside);
    return range.integer ? v.pipe(number, isFinite, integer, min, max) : v.pipe(number, isFinite, min, max);
  }
  const min = v.minValue<number, number, typeof outside>(range.min, outside);
  return range.integer ? v.pipe(number, isFinite, integer, min, max) : v.pipe(number, isFinite, min, max);
}

/** A database id: a positive safe integer. */
export function id() {
  return numberIn({ min: 1, max: Number.MAX_SAFE_INTEGER, integer: true });
}

/** One of `options`: `must be one of a, b, got "c"`. */
export function choice<const T extends readonly string[]>(options: T) {
  return v.picklist(options, (issue) => `must be one of ${options.join(', ')}, ${got(issue)}`);
}

export function bool() {
  return v.boolean((issue) => `must be true or false, ${got(issue)}`);
}

/** A string; `nonEmpty` rejects blank ones, `maxLength` long ones (`has N characters`). */
export function text(options: { nonEmpty?: boolean; maxLength?: number } = {}) {
  const { nonEmpty = false, maxLength } = options;
  const string = v.string(
    (issue) => `must be ${nonEmpty ? 'a non-empty string' : 'a string'}, ${got(issue)}`,
  );
  const filled = v.minLength<string, 1, string>(1, 'must not be empty');
  const notBlank = v.check((value: string) => value.trim() !== '', 'must not be empty');
  const short = v.maxLength<string, number, (issue: v.MaxLengthIssue<string, number>) => string>(
    maxLength ?? 0,
    (issue) => `must be at most ${maxLength} characters, has ${issue.input.length}`,
  );
  if (nonEmpty && maxLength !== undefined) return v.pipe(string, filled, notBlank, short);
  if (nonEmpty) return v.pipe(string, filled, notBlank);
  if (maxLength !== undefined) return v.pipe(string, short);
  return v.pipe(string);
}

/**
 * An array of `item`. `what` completes `must be an array of ...`; `nonEmpty` refuses an empty
 * one (a string words it, default `must not be empty`); `unique` names the first repeated entry
 * (`[2]: repeats 5`).
 */
export function listOf<S extends AnySchema>(
  item: S,
  options: { what: string; nonEmpty?: string | boolean; unique?: boolean },
) {
  const array = v.array(item, (issue) => `must be an array of ${options.what}, ${got(issue)}`);
  const unique = v.rawCheck<v.InferOutput<S>[]>(({ dataset, addIssue }) => {
    if (!options.unique || !dataset.typed) return;
    const values = dataset.value;
    const j = values.findIndex((value, index) => values.indexOf(value) !== index);
    if (j < 0) return;
    addIssue({
      message: `repeats ${String(values[j])}`,
      path: [{ type: 'array', origin: 'value', input: values, key: j, value: values[j] }],
    });
  });
  if (!options.nonEmpty) return v.pipe(array, unique);
  const empty = typeof options.nonEmpty === 'string' ? options.nonEmpty : 'must not be empty';
  return v.pipe(array, v.minLength(1, empty), unique);
}

/**
 * Each key of `ranges` as an optional number within its range: a partial record of settings, or
 * with `defaults` a complete one.
 */
export function optionalNumbers<const K extends string>(
  ranges: Readonly<Record<K, NumberRange>>,
): {
  [key in K]: v.OptionalSchema<ReturnType<typeof numberIn>, undefined>;
};
export function optionalNumbers<const K extends string>(
  ranges: Readonly<Record<K, NumberRange>>,
  defaults: Readonly<Record<K, number>>,
): { [key in K]: v.OptionalSchema<ReturnType<typeof numberIn>, number> };
export function optionalNumbers<const K extends string>(
  ranges: Readonly<Record<K, NumberRange>>,
  defaults?: Readonly<Record<K, number>>,
) {
  const entries = {} as Record<K, v.OptionalSchema<ReturnType<typeof numberIn>, number | undefined>>;
  for (const key of Object.keys(ranges) as K[])
    entries[key] = v.optional(numberIn(ranges[key]), defaults?.[key]);
  return entries;
}

/** Each key of `ranges` as a required number within its range. */
export function requiredNumbers<const K extends string>(ranges: Readonly<Record<K, NumberRange>>) {
  const entries = {} as Record<K, ReturnType<typeof numberIn>>;
  for (const key of Object.keys(ranges) as K[]) entries[key] = numberIn(ranges[key]);
  return entries;
}
