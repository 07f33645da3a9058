import { describe, expect, it } from 'vitest';
import { worldDigest } from './world-digest';

describe('worldDigest', () => {
  it('is the same for equal worlds, whatever the key order', () => {
    const a = { users: new Int32Array([1, 2, 3]), meta: { name: 'w', rate: 0.5 } };
    const b = { meta: { rate: 0.5, name: 'w' }, users: new Int32Array([1, 2, 3]) };
    expect(worldDigest(a)).toBe(worldDigest(b));
    expect(worldDigest(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any value, array type, array length or nesting', () => {
    const base = worldDigest({ x: new Float32Array([1, 2]), y: [1, [2, 3]] });
    expect(worldDigest({ x: new Float32Array([1, 2.0001]), y: [1, [2, 3]] })).not.toBe(base);
    expect(worldDigest({ x: new Float64Array([1, 2]), y: [1, [2, 3]] })).not.toBe(base);
    expect(worldDigest({ x: new Float32Array([1, 2, 0]), y: [1, [2, 3]] })).not.toBe(base);
    expect(worldDigest({ x: new Float32Array([1, 2]), y: [[1, 2], 3] })).not.toBe(base);
    expect(worldDigest({ x: new Float32Array([1, 2]), y: [1, [2, 3]], z: null })).not.toBe(base);
  });

  it('reads a typed array view, not its whole buffer', () => {
    const buffer = new Float32Array([9, 1, 2, 9]);
    expect(worldDigest(buffer.subarray(1, 3))).toBe(worldDigest(new Float32Array([1, 2])));
  });

  it('tells strings that concatenate alike apart, and maps by their entries', () => {
    expect(worldDigest(['ab', 'c'])).not.toBe(worldDigest(['a', 'bc']));
    expect(worldDigest(new Map([['a', 1]]))).toBe(worldDigest(new Map([['a', 1]])));
    expect(worldDigest(new Map([['a', 1]]))).not.toBe(worldDigest(new Map([['a', 2]])));
    expect(worldDigest(new Set([1]))).not.toBe(worldDigest(new Map([[1, 1]])));
  });

  it('ignores functions and survives cycles', () => {
    const loop = (n: number): object => {
      const node: { n: number; self?: object } = { n };
      node.self = node;
      return node;
    };
    expect(worldDigest(loop(1))).toBe(worldDigest(loop(1)));
    expect(worldDigest(loop(1))).not.toBe(worldDigest(loop(2)));
    expect(worldDigest({ n: 1, f: () => 1 })).toBe(worldDigest({ n: 1, f: () => 2 }));
  });
});
