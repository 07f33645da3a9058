import { describe, expect, it } from 'vitest';
import { expandGrid, gridSize } from './grid';
import { ValidationError } from '../../contract/errors';
import { validateSpec } from './spec';

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
    expect(bad).toThrow(ValidationError);
    try {
      bad();
    } catch (error) {
      expect((error as ValidationError).field).toBe('methods[0].grid.lambda1[1]');
    }
    const values = Array.from({ length: 15 }, (_, k) => (k + 1) / 20);
    expect(() =>
      validateSpec({ ...base, methods: [{ id: 'damcar', grid: { lambda1: values, lambda2: values } }] }),
    ).toThrow(/expands into 225 rows, more than 200/);
    expect(() => validateSpec({ ...base, methods: [{ id: 'damcar', grid: { lambda1: [] } }] })).toThrow(
      /methods\[0\]\.grid\.lambda1: must be a non-empty array/,
    );
  });

  it('names unknown grid parameters, repeated values and values of the wrong kind', () => {
    const fieldOf = (methods: unknown[]): string => {
      try {
        validateSpec({ ...base, methods });
      } catch (error) {
        if (error instanceof ValidationError) return error.field;
        throw error;
      }
      return '';
    };
    expect(fieldOf([{ id: 'bc' }, { id: 'damcar', grid: { lambda9: [0.1] } }])).toBe(
      'methods[1].grid.lambda9',
    );
    expect(fieldOf([{ id: 'damcar', grid: { radius: [10, 20, 10] } }])).toBe('methods[0].grid.radius[2]');
    expect(fieldOf([{ id: 'damcar', grid: { radius: [10, 2.5] } }])).toBe('methods[0].grid.radius[1]');
    expect(fieldOf([{ id: 'damcar', grid: { useEma: [true, 'no'] } }])).toBe('methods[0].grid.useEma[1]');
    expect(fieldOf([{ id: 'damcar', grid: { targetDomain: ['random', 'walk'] } }])).toBe(
      'methods[0].grid.targetDomain[1]',
    );
    expect(fieldOf([{ id: 'damcar', grid: ['radius'] }])).toBe('methods[0].grid');
  });

  it('expands boolean and choice grids, and keeps a given label as the row prefix', () => {
    const spec = validateSpec({
      ...base,
      methods: [{ id: 'damcar', label: 'Ours', grid: { useEma: [true, false], targetDomain: ['random'] } }],
    });
    expect(spec.methods.map((m) => m.label)).toEqual([
      'Ours (useEma=true, targetDomain=random)',
      'Ours (useEma=false, targetDomain=random)',
    ]);
    expect(spec.methods[1].params).toMatchObject({ useEma: false, targetDomain: 'random' });
  });

  it('counts every grid of the spec against the cap', () => {
    const ten = Array.from({ length: 10 }, (_, k) => k + 1);
    const eleven = [...ten, 11];
    expect(() =>
      validateSpec({
        ...base,
        methods: [
          { id: 'damcar', grid: { radius: ten, walks: ten } },
          { id: 'damcar', label: 'again', grid: { radius: ten, walks: eleven } },
        ],
      }),
    ).toThrow(/^methods: expands into 210 rows, more than 200; narrow the grids$/);
  });
});
