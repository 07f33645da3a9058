/**
 * Payload validation for every channel of the contract. Requests come from a renderer or over
 * HTTP, so nothing is trusted: each validator checks the shape, rejects unknown keys, and throws a
 * ValidationError naming the field.
 */
import type { Channel, ExperimentSpec, ExportFormat, RequestOf } from '../contract/api';
import { SpecError, validateSpec } from '../core/experiments/spec';
import { ValidationError } from './errors';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'markdown', 'latex'];

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** The payload as a plain object whose keys are all in `allowed`. `undefined` counts as `{}`. */
function expectObject(payload: unknown, allowed: readonly string[], field = ''): Record<string, unknown> {
  if (payload === undefined) return {};
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ValidationError(field, `expected an object, got ${describe(payload)}`);
  }
  const record = payload as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) {
      const expected = allowed.length
        ? `expected only ${allowed.join(', ')}`
        : 'this request takes no fields';
      throw new ValidationError(field ? `${field}.${key}` : key, `unknown field (${expected})`);
    }
  }
  return record;
}

/** A database id: a positive safe integer. */
function expectId(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError(field, `expected a positive integer id, got ${describe(value)}`);
  }
  return value;
}

function optionalId(value: unknown, field: string): number | undefined {
  return value === undefined ? undefined : expectId(value, field);
}

function empty(payload: unknown): Record<string, never> {
  if (payload === null) return {};
  expectObject(payload, []);
  return {};
}

/**
 * Validates and completes an experiment spec with the engine's rules (defaults applied). Errors
 * name the field under `prefix`, e.g. `spec.methods[0].id`.
 */
export function validateExperimentSpec(input: unknown, prefix = 'spec'): ExperimentSpec {
  try {
    return validateSpec(input);
  } catch (error) {
    if (error instanceof SpecError) {
      const field = error.field ? `${prefix}.${error.field}` : prefix;
      // SpecError messages may already start with the field path; do not say it twice.
      const reason =
        error.field && error.message.startsWith(`${error.field}: `)
          ? error.message.slice(error.field.length + 2)
          : error.message;
      throw new ValidationError(field, reason);
    }
    throw error;
  }
}

type Validators = { [C in Channel]: (payload: unknown) => RequestOf<C> };

const VALIDATORS: Validators = {
  'app:info': empty,
  'methods:list': empty,
  'datasets:list': empty,
  'experiments:list': empty,
  'experiments:template': empty,
  'experiments:get': (payload) => {
    const p = expectObject(payload, ['experimentId']);
    return { experimentId: expectId(p.experimentId, 'experimentId') };
  },
  'experiments:create': (payload) => {
    const p = expectObject(payload, ['spec']);
    if (p.spec === undefined) throw new ValidationError('spec', 'required');
    return { spec: validateExperimentSpec(p.spec) };
  },
  'experiments:run': (payload) => {
    const p = expectObject(payload, ['experimentId']);
    return { experimentId: expectId(p.experimentId, 'experimentId') };
  },
  'runs:list': (payload) => {
    const p = expectObject(payload, ['experimentId']);
    const experimentId = optionalId(p.experimentId, 'experimentId');
    return experimentId === undefined ? {} : { experimentId };
  },
  'runs:cancel': (payload) => {
    const p = expectObject(payload, ['runId', 'experimentId']);
    const runId = optionalId(p.runId, 'runId');
    const experimentId = optionalId(p.experimentId, 'experimentId');
    if (runId === undefined && experimentId === undefined) {
      throw new ValidationError('runId', 'give runId or experimentId to say what to cancel');
    }
    return {
      ...(runId !== undefined ? { runId } : {}),
      ...(experimentId !== undefined ? { experimentId } : {}),
    };
  },
  'results:table': (payload) => {
    const p = expectObject(payload, ['experimentId']);
    return { experimentId: expectId(p.experimentId, 'experimentId') };
  },
  'results:export': (payload) => {
    const p = expectObject(payload, ['experimentId', 'format']);
    const experimentId = expectId(p.experimentId, 'experimentId');
    if (typeof p.format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(p.format)) {
      throw new ValidationError(
        'format',
        `expected one of ${EXPORT_FORMATS.join(', ')}, got ${describe(p.format)}`,
      );
    }
    return { experimentId, format: p.format as ExportFormat };
  },
};

/** Checks a request for `channel`; returns it typed (the spec of `experiments:create` completed). */
export function validateRequest<C extends Channel>(channel: C, payload: unknown): RequestOf<C> {
  const validator = VALIDATORS[channel] as ((payload: unknown) => RequestOf<C>) | undefined;
  if (!validator) throw new ValidationError('channel', `unknown channel ${JSON.stringify(channel)}`);
  return validator(payload);
}
