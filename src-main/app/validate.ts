/**
 * The main side's check of every request: its channel's schema (contract/requests.ts), then what
 * needs this machine or the engine's registry. Paths must be absolute here (the main side's
 * working folder means nothing to the user), and an experiment's spec must follow the registered
 * testbeds' rules (core/experiments/spec.ts), which also complete it.
 */
import { isAbsolute } from 'node:path';
import type { ExperimentSpec } from '../contract/api';
import { ValidationError } from '../contract/errors';
import { CHANNEL_REQUESTS, type Channel, type RequestOf } from '../contract/requests';
import { parseWith } from '../contract/schema';
import { completeSpec, validateSpec } from '../core/experiments/spec';

function checkAbsolute(path: string, field: string): void {
  if (!isAbsolute(path)) {
    throw new ValidationError(
      field,
      `must be an absolute path on the machine that runs Cascade Lab, got ${JSON.stringify(path)}`,
    );
  }
}

/** Runs `check`, naming its errors under the request's `spec` field. */
function underSpec<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw error instanceof ValidationError ? error.under('spec') : error;
  }
}

/**
 * Validates and completes an experiment spec with the engine's rules (defaults applied), e.g. a
 * stored one before it runs. Errors name the field under `spec`, e.g. `spec.methods[0].id`.
 */
export function validateExperimentSpec(input: unknown): ExperimentSpec {
  return underSpec(() => validateSpec(input));
}

/** What a channel checks after its schema; the others need nothing more. */
const AFTER_SCHEMA: { [C in Channel]?: (request: RequestOf<C>) => RequestOf<C> } = {
  'datasets:preview': (request) => {
    checkAbsolute(request.path, 'path');
    return request;
  },
  'datasets:import': (request) => {
    request.paths.forEach((path, index) => checkAbsolute(path, `paths[${index}]`));
    return request;
  },
  'experiments:create': ({ spec }) => ({ spec: underSpec(() => completeSpec(spec)) }),
};

/** Checks a request for `channel`; returns it typed (the spec of `experiments:create` completed). */
export function validateRequest<C extends Channel>(channel: C, payload: unknown): RequestOf<C> {
  if (!Object.hasOwn(CHANNEL_REQUESTS, channel))
    throw new ValidationError('channel', `unknown channel ${JSON.stringify(channel)}`);
  const request = parseWith(CHANNEL_REQUESTS[channel], payload) as RequestOf<C>;
  const after = AFTER_SCHEMA[channel] as ((request: RequestOf<C>) => RequestOf<C>) | undefined;
  return after ? after(request) : request;
}
