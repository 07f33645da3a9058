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
