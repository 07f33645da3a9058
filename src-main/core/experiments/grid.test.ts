import { describe, expect, it } from 'vitest';
import { expandGrid, gridSize } from './grid';
import { SpecError, validateSpec } from './spec';

const base = { name: 'grid', dataset: { kind: 'simulated' } };

describe('grid search', () => {
  it('expands the cartesian product, first key slowest', () => {
    const rows = expandGrid({ lambda1: [0.5, 0.6], lambda2: [0.1, 0.2, 0.3] });
    expect(rows).toHaveLength(6);
    expect(gridSize({ lambda1: [0.5, 0.6], lambda2: [0.1, 0.2, 0.3] })).toBe(6);
    expect(rows[0]).toEqual({ params: { lambda1: 0.5, lambda2: 0.1 }, suffix: 'λ1=0.5, λ2=0.1' });
    expect(rows[5]).toEqual({ params: { lambda1: 0.6, lambda2: 0.3 }, suffix: 'λ1=0.6, λ2=0.3' });
  });

  it('turns a spec grid into labelled rows with the other params kept', () => {
    const spec = validateSpec({
      ...base,
      methods: [{ id: 'bc' }, { id: 'damcar', params: { radius: 10 }, grid: { lambda3: [0.1, 0.2] } }],
    });
    expect(spec.methods.map((m) => m.label ?? m.id)).toEqual(['bc', 'DAMCAR (λ3=0.1)', 'DAMCAR (λ3=0.2)']);
    expect(spec.methods[2].params).toEqual({ radius: 10, lambda3: 0.2 });
    expect(spec.methods[2]).not.toHaveProperty('grid');
  });

  it('names the bad grid value and refuses grids that are too large', () => {
    const bad = () => validateSpec({ ...base, methods: [{ id: 'damcar', grid: { lambda1: [0.5, -3] } }] });
    expect(bad).toThrow(SpecError);
    try {
      bad();
    } catch (error) {
      expect((error as SpecError).field).toBe('methods[0].grid.lambda1[1]');
    }
    const values = Array.from({ length: 15 }, (_, k) => (k + 1) / 20);
    expect(() =>
      validateSpec({ ...base, methods: [{ id: 'damcar', grid: { lambda1: values, lambda2: values } }] }),
    ).toThrow(/expands into 225 rows, more than 200/);
    expect(() => validateSpec({ ...base, methods: [{ id: 'damcar', grid: { lambda1: [] } }] })).toThrow(
      /methods\[0\]\.grid\.lambda1: must be a non-empty array/,
    );
  });
});
