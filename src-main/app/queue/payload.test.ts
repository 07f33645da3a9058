/**
 * A worker trusts nothing it takes from the queue: the payload is parsed with the spec's own
 * schemas, and nothing in it can name a path.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../contract/errors';
import type { QueuePayload } from '../../contract/queue-payload';
import { resolveSimulatorParams } from '../../core/data/simulator';
import { defaultExperimentSpec } from '../../core/experiments/spec';
import { parseQueuePayload, queueJobId } from './payload';

const HASH = 'a'.repeat(64);

function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const spec = defaultExperimentSpec();
  const valid: QueuePayload = {
    format: 1,
    codeVersion: '0.1.0+abc',
    runId: 7,
    experimentId: 3,
    spec,
    method: { id: 'bc', label: 'BC', params: {} },
    seed: 1,
    backend: 'wasm',
    dataset: { kind: 'simulated', params: resolveSimulatorParams({}) },
  };
  return { ...valid, ...overrides };
}

function fieldOf(input: unknown): string {
  try {
    parseQueuePayload(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).field;
  }
  throw new Error('expected a ValidationError');
}

const stored = (files: unknown, hash: unknown = HASH): Record<string, unknown> => ({
  dataset: { kind: 'stored', datasetId: 4, name: 'TikTok', ref: { hash, files, bytes: 10 } },
});

describe('parseQueuePayload', () => {
  it('takes a run of the coordinator as it queued it', () => {
    const parsed = parseQueuePayload(payload());
    expect(parsed.method.id).toBe('bc');
    expect(parsed.spec.protocol).toBe('damcar');
    const file = { name: 'interactions.bin', bytes: 10, sha256: HASH };
    expect(parseQueuePayload(payload(stored([file]))).dataset).toMatchObject({
      kind: 'stored',
      ref: { hash: HASH },
    });
  });

  it('refuses any field that could name a path, and unknown fields', () => {
    expect(fieldOf(payload({ cacheDir: '/etc' }))).toBe('cacheDir');
    expect(
      fieldOf(payload({ dataset: { kind: 'stored', datasetId: 4, path: '/home/analyst/data' } })),
    ).toMatch(/^dataset\./);
    for (const name of ['../x', '/etc/passwd', '..', '.', 'a/b', '.verified', '']) {
      expect(fieldOf(payload(stored([{ name, bytes: 1, sha256: HASH }]))), name).toBe(
        'dataset.ref.files[0].name',
      );
    }
    expect(fieldOf(payload(stored([{ name: 'x', bytes: 1, sha256: HASH }], '../../etc')))).toBe(
      'dataset.ref.hash',
    );
  });

  it('validates the spec as a spec file is validated', () => {
    const spec = defaultExperimentSpec();
    expect(fieldOf(payload({ spec: { ...spec, training: { ...spec.training, epochs: -1 } } }))).toBe(
      'training.epochs',
    );
    expect(() => parseQueuePayload(payload({ spec: { ...spec, protocol: 'nope' } }))).toThrow(/nope/);
    expect(fieldOf(payload({ backend: 'cuda' }))).toBe('backend');
    expect(fieldOf(payload({ format: 2 }))).toBe('format');
  });

  it('names each run of a coordinator by one job id', () => {
    expect(queueJobId('0123456789abcdef', 12)).toBe('0123456789abcdef-run-12');
  });
});
