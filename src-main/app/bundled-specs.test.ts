import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPERIMENTS_DIR, readBundledSpecs } from './bundled-specs';

describe('bundled experiment specs', () => {
  it('reads the repository specs, quickstart first', () => {
    const warnings: string[] = [];
    const specs = readBundledSpecs(DEFAULT_EXPERIMENTS_DIR, (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    expect(specs[0].file).toBe('quickstart.json');
    expect(specs.map((s) => s.file)).toContain('table2-deepfm.json');
    // Grids stay as written for the editor; rows and runs count the expansion.
    const grid = specs.find((s) => s.file === 'table4-grid.json');
    expect(grid?.spec.methods).toHaveLength(1);
    expect(grid?.spec.methods[0].grid?.lambda1).toEqual([0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(grid?.rows).toBe(125);
    expect(grid?.runs).toBe(125 * (grid?.spec.seeds.length ?? 0));
    const table2 = specs.find((s) => s.file === 'table2-deepfm.json');
    expect(table2).toMatchObject({ rows: 6, runs: 18 });
  });

  it('skips and names an invalid file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascade-specs-'));
    try {
      writeFileSync(
        join(dir, 'bad.json'),
        JSON.stringify({ name: 'x', dataset: { kind: 'simulated' }, methods: [] }),
      );
      const warnings: string[] = [];
      expect(readBundledSpecs(dir, (m) => warnings.push(m))).toEqual([]);
      expect(warnings[0]).toMatch(/bad\.json: methods: must name at least one method/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
