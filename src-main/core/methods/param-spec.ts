/**
 * Hyper-parameters of methods and testbeds: declared here (numberParam, choiceParam,
 * booleanParam; MethodDescriptor / ProtocolDescriptor params), checked by the schema each
 * declaration derives (contract/params.ts), and read back by one typed reader (ParamReader).
 */
import type {
  BooleanParamSpec,
  ChoiceParamSpec,
  NumberParamSpec,
  ParamSpec,
  ParamValue,
  ParamValues,
} from '../../contract/api';
import { ValidationError } from '../../contract/errors';
import { paramSchema, paramsSchema } from '../../contract/params';
import { parseWith } from '../../contract/schema';

/**
 * A number parameter: default `value` in [min, max]; the form's step defaults to 1 for integers
 * and 0.01 otherwise; `paperGrid` lists the values the paper searched (grid-search suggestions).
 */
export function numberParam(
  key: string,
  label: string,
  help: string,
  value: number,
  min: number,
  max: number,
  integer: boolean,
  extra: { step?: number; paperGrid?: number[]; logScale?: boolean } = {},
): NumberParamSpec {
  return {
    kind: 'number',
    key,
    label,
    help,
    default: value,
    min,
    max,
    step: extra.step ?? (integer ? 1 : 0.01),
    integer,
    ...(extra.paperGrid ? { paperGrid: extra.paperGrid } : {}),
    ...(extra.logScale ? { logScale: true } : {}),
  };
}

/** A choice parameter: `options` as [value, label] pairs, default `value`. */
export function choiceParam(
  key: string,
  label: string,
  help: string,
  value: string,
  options: readonly (readonly [string, string])[],
): ChoiceParamSpec {
  return {
    kind: 'choice',
    key,
    label,
    help,
    default: value,
    options: options.map(([v, l]) => ({ value: v, label: l })),
  };
}

/** A boolean parameter (a switch), default `value`. */
export function booleanParam(key: string, label: string, help: string, value: boolean): BooleanParamSpec {
  return { kind: 'boolean', key, label, help, default: value };
}

/**
 * Parameter values checked against their declarations (type, range, integer, choices), with
 * every declared key present: missing ones take their defaults; unknown ones are errors naming
 * `owner`. `path` is where the params object sits, e.g. `methods[0].params`.
 */
export function resolveParamValues(
  declared: readonly ParamSpec[],
  given: unknown,
  path: string,
  owner: string,
): ParamValues {
  try {
    return parseWith(paramsSchema(declared, owner), given ?? {});
  } catch (error) {
    throw error instanceof ValidationError ? error.under(path) : error;
  }
}

/** Whoever declares parameters: a method or a testbed (its descriptor), named in errors. */
export interface ParamOwner {
  name: string;
  params: readonly ParamSpec[];
}

/**
 * Typed reads of parameter values (a method row's params, a testbed's protocolParams): a key the
 * values leave out reads as its declared default, a given one must match its declaration. The
 * one way methods and testbeds read their parameters, so a default is declared once and a read
 * of an undeclared key, or as the wrong kind, fails loudly instead of falling back.
 */
export class ParamReader {
  /**
   * @param path where the values sit, for the messages: `params` (a method row's, the default)
   *   or `protocolParams`
   */
  constructor(
    private readonly owner: ParamOwner,
    private readonly values: ParamValues | undefined,
    private readonly path = 'params',
  ) {}

  private read(key: string, kind: ParamSpec['kind']): ParamValue {
    const spec = this.owner.params.find((p) => p.key === key);
    if (!spec) throw new Error(`${this.owner.name}: parameter "${key}" is not declared`);
    if (spec.kind !== kind)
      throw new Error(`${this.owner.name}: parameter "${key}" is declared as a ${spec.kind}, not a ${kind}`);
    try {
      return parseWith(paramSchema(spec), this.values?.[key] ?? spec.default);
    } catch (error) {
      throw error instanceof ValidationError ? error.under(`${this.path}.${key}`) : error;
    }
  }

  number(key: string): number {
    return this.read(key, 'number') as number;
  }

  /** A choice's value, as the union of its options the caller names. */
  choice<T extends string>(key: string): T {
    return this.read(key, 'choice') as T;
  }

  boolean(key: string): boolean {
    return this.read(key, 'boolean') as boolean;
  }
}
