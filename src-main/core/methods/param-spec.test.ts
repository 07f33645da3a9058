import { describe, expect, it } from 'vitest';
import type { MethodDescriptor } from '../../contract/api';
import { ParamReader, booleanParam, choiceParam, numberParam } from './param-spec';

const DESCRIPTOR: MethodDescriptor = {
  id: 'x',
  name: 'X',
  paper: 'p',
  summary: 's',
  equations: [],
  stage: 'retrieval',
  protocol: 'damcar',
  params: [
    numberParam('n', 'n', '', 2, 1, 5, true),
    choiceParam('c', 'c', '', 'a', [
      ['a', 'A'],
      ['b', 'B'],
    ]),
    booleanParam('b', 'b', '', true),
  ],
};

describe('ParamReader', () => {
  it('fills defaults and rejects undeclared, mistyped or out-of-range values', () => {
    const defaults = new ParamReader(DESCRIPTOR, {});
    expect([defaults.number('n'), defaults.choice('c'), defaults.boolean('b')]).toEqual([2, 'a', true]);
    const given = new ParamReader(DESCRIPTOR, { n: 4, c: 'b', b: false });
    expect([given.number('n'), given.choice('c'), given.boolean('b')]).toEqual([4, 'b', false]);
    expect(() => defaults.number('missing')).toThrow(/not declared/);
    expect(() => new ParamReader(DESCRIPTOR, { n: 9 }).number('n')).toThrow(/\[1, 5\]/);
    expect(() => new ParamReader(DESCRIPTOR, { n: 2.5 }).number('n')).toThrow(/integer/);
    expect(() => new ParamReader(DESCRIPTOR, { c: 'z' }).choice('c')).toThrow(/must be one of a, b, got "z"/);
    expect(() => new ParamReader(DESCRIPTOR, { b: 1 }).boolean('b')).toThrow(/true or false/);
  });

  it('refuses to read a parameter as another kind than its declaration', () => {
    expect(() => new ParamReader(DESCRIPTOR, {}).boolean('n')).toThrow(/declared as a number, not a boolean/);
  });
});
