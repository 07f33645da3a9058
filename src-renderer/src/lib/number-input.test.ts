import { describe, expect, it } from 'vitest';
import {
  type NumberRange,
  SIMULATOR_PARAM_RANGES,
  TRAINING_RANGES,
  boundsHint,
  rangeProbes,
} from '../../../src-main/contract/ranges';
import { parseNumberInput } from './number-input';
import { SIMULATOR_FIELDS, TRAINING_FIELDS } from './spec';

/** Every field, at and around both ends of its range, agrees with the contract's bounds. */
function expectChecksAgreeWithContract(fields: readonly { key: string; range: NumberRange }[]): void {
  for (const { key, range } of fields) {
    for (const { value, admitted } of rangeProbes(range)) {
      expect(parseNumberInput(String(value), range).ok, `${key} = ${value}`).toBe(admitted);
    }
  }
}

describe('parseNumberInput', () => {
  it('reads numbers and says what is wrong with the rest', () => {
    expect(parseNumberInput(' 3 ', { min: 1, max: 5, integer: true })).toEqual({ ok: true, value: 3 });
    expect(parseNumberInput('', { optional: true })).toEqual({ ok: true, value: undefined });
    expect(parseNumberInput('', {})).toEqual({ ok: false, error: 'Required.' });
    expect(parseNumberInput('x', {})).toEqual({ ok: false, error: 'Not a number.' });
    expect(parseNumberInput('2.5', { integer: true })).toEqual({
      ok: false,
      error: 'Must be a whole number.',
    });
    expect(parseNumberInput('0', { min: 1 })).toEqual({ ok: false, error: 'At least 1.' });
    expect(parseNumberInput('0', { min: 0, minExclusive: true })).toEqual({
      ok: false,
      error: 'More than 0.',
    });
    expect(parseNumberInput('6', { min: 1, max: 5 })).toEqual({ ok: false, error: 'At most 5.' });
  });
});

describe('the training fields', () => {
  it('take their ranges from the contract, the declarations the main side validates with', () => {
    expect(TRAINING_FIELDS.map((field) => field.key).sort()).toEqual(Object.keys(TRAINING_RANGES).sort());
    for (const field of TRAINING_FIELDS) expect(field.range).toBe(TRAINING_RANGES[field.key]);
  });

  it('hint at and accept what the server accepts: a learning rate in (0, 10]', () => {
    const lr = TRAINING_FIELDS.find((field) => field.key === 'learningRate');
    expect(lr && boundsHint(lr.range)).toBe('> 0, ≤ 10');
    const accepts = (text: string) => lr !== undefined && parseNumberInput(text, lr.range).ok;
    expect(['1e-6', '0.01', '10'].map(accepts)).toEqual([true, true, true]);
    expect(['0', '-0.01', '10.001'].map(accepts)).toEqual([false, false, false]);
    expectChecksAgreeWithContract(TRAINING_FIELDS);
  });
});

describe('the simulator fields', () => {
  it('take their ranges from the contract, the declarations resolveSimulatorParams checks with', () => {
    expect(SIMULATOR_FIELDS.map((field) => field.key).sort()).toEqual(
      Object.keys(SIMULATOR_PARAM_RANGES).sort(),
    );
    for (const field of SIMULATOR_FIELDS) expect(field.range).toBe(SIMULATOR_PARAM_RANGES[field.key]);
  });

  it('hint at and accept what the server accepts', () => {
    const hint = (key: string) => {
      const field = SIMULATOR_FIELDS.find((candidate) => candidate.key === key);
      return field && boundsHint(field.range);
    };
    expect(hint('users')).toBe('2 – 1000000');
    expect(hint('exposureBias')).toBe('0 – 1');
    expectChecksAgreeWithContract(SIMULATOR_FIELDS);
  });
});
