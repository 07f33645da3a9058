/**
 * The published JSON Schema of spec files (schemas/experiment-spec.schema.json): current with the
 * contract's schema and the registry (else `npm run schema`), accepting every bundled spec, and
 * refusing what the validator refuses where JSON Schema can say it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { SPEC_SCHEMA_FILE, specJsonSchema } from '../../scripts/spec-schema';

const committed = JSON.parse(readFileSync(SPEC_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
const experiments = new URL('../../experiments/', import.meta.url);
const validate = new Ajv({ allErrors: true }).compile(committed);

function problems(spec: unknown): string[] {
  return validate(spec) ? [] : (validate.errors ?? []).map((e) => `${e.dataPath} ${e.message ?? ''}`);
}

describe('schemas/experiment-spec.schema.json', () => {
  it('is what `npm run schema` writes now (run it after changing the spec schema or a declaration)', () => {
    expect(committed).toEqual(specJsonSchema());
  });

  it('accepts every spec in experiments/', () => {
    const files = readdirSync(experiments).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const spec = JSON.parse(readFileSync(new URL(file, experiments), 'utf8')) as unknown;
      expect(problems(spec), file).toEqual([]);
    }
  });

  it('refuses out-of-range values, unknown keys, methods and parameters, and another testbed’s settings', () => {
    const minimal = { name: 'x', dataset: { kind: 'simulated' }, methods: [{ id: 'bc' }] };
    expect(problems(minimal)).toEqual([]);
    const bad: unknown[] = [
      { ...minimal, training: { learningRate: 0 } },
      { ...minimal, training: { learningrate: 0.01 } },
      { ...minimal, dataset: { kind: 'simulated', params: { exposureBias: 2 } } },
      { ...minimal, methods: [{ id: 'dmacar' }] },
      { ...minimal, methods: [{ id: 'damcar', params: { alpha: '0.5' } }] },
      { ...minimal, methods: [{ id: 'damcar', params: { lamda1: 0.5 } }] },
      { ...minimal, methods: [{ id: 'damcar', grid: { lambda1: [0.5, 7] } }] },
      { ...minimal, methods: [{ id: 'damcar', grid: { 'simulator.nope': [1] } }] },
      { ...minimal, protocolParams: { confounding: 1 } },
      { ...minimal, protocol: 'cp2rec', protocolParams: { confounding: 9 } },
      { ...minimal, protocol: 'nope' },
      { ...minimal, seeds: [1.5] },
    ];
    for (const spec of bad) expect(problems(spec), JSON.stringify(spec)).not.toEqual([]);
  });
});
