/** A compact way to declare a number hyper-parameter (MethodDescriptor / ProtocolDescriptor params). */
import type { BooleanParamSpec, ChoiceParamSpec, ParamSpec } from '../../contract/api';

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
): ParamSpec {
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
