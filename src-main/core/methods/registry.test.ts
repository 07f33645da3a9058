import { describe, expect, it } from 'vitest';
import { getMethod, listMethods } from './registry';

describe('method registry', () => {
  it('lists BC with a complete descriptor and finds it by id', () => {
    const methods = listMethods();
    expect(methods.map((m) => m.id)).toContain('bc');
    const bc = getMethod('bc');
    expect(bc?.descriptor).toMatchObject({ id: 'bc', name: 'BC', stage: 'retrieval' });
    expect(bc?.descriptor.paper).toMatch(/DAMCAR/);
    expect(bc?.descriptor.params).toEqual([]);
    expect(getMethod('nope')).toBeUndefined();
    // Ids are unique.
    expect(new Set(methods.map((m) => m.id)).size).toBe(methods.length);
  });
});
