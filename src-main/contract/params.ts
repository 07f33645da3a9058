/**
 * The schema of a declared hyper-parameter (ParamSpec, api.ts): its kind, range, integrality or
 * choices, and default, as a method or testbed declares them (core/methods/param-spec.ts). Spec
 * validation, the typed reader of resolved values and the JSON Schema's per-method parameters
 * all check a value through these, so a declaration is the one place its rules live.
 */
import * as v from 'valibot';
import type { ParamSpec, ParamValue, ParamValues } from './api';
import { bool, choice, fields, numberIn } from './schema';

const VALUE_SCHEMAS = new WeakMap<ParamSpec, v.GenericSchema<unknown, ParamValue>>();

/** The schema of one parameter's value (its default not applied); cached per declaration. */
export function paramSchema(param: ParamSpec): v.GenericSchema<unknown, ParamValue> {
  const cached = VALUE_SCHEMAS.get(param);
  if (cached) return cached;
  const schema = (() => {
    switch (param.kind) {
      case 'number':
        return numberIn({ min: param.min, max: param.max, integer: param.integer });
      case 'choice':
        return choice(param.options.map((o) => o.value));
      case 'boolean':
        return bool();
    }
  })();
  const described = v.pipe(schema, v.title(param.label), v.description(param.help));
  VALUE_SCHEMAS.set(param, described);
  return described;
}

const CACHE = new WeakMap<readonly ParamSpec[], Map<string, v.GenericSchema<unknown, ParamValues>>>();

/**
 * The schema of a params object for `declared`: every declared key present in the output (the
 * declared default where the input leaves it out), unknown keys an error that names `owner`.
 * Cached per declaration list and owner, as validation asks for it once per method row.
 */
export function paramsSchema(
  declared: readonly ParamSpec[],
  owner: string,
): v.GenericSchema<unknown, ParamValues> {
  let byOwner = CACHE.get(declared);
  if (!byOwner) CACHE.set(declared, (byOwner = new Map()));
  let schema = byOwner.get(owner);
  if (!schema) {
    const entries = Object.fromEntries(declared.map((p) => [p.key, v.optional(paramSchema(p), p.default)]));
    schema = fields(
      entries,
      (_key, allowed) =>
        `unknown parameter of ${owner}; ${allowed.length > 0 ? `expected one of ${allowed.join(', ')}` : 'it has none'}`,
    );
    byOwner.set(owner, schema);
  }
  return schema;
}
