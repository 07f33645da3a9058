import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSpec } from './spec';

const folder = join(import.meta.dirname, '..', '..', '..', 'experiments');
const files = readdirSync(folder).filter((f) => f.endsWith('.json'));

describe('bundled experiment specs', () => {
  it('include the quickstart and the DAMCAR tables and figures', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'quickstart.json',
        'table2-deepfm.json',
        'table3-dcn.json',
        'figure3-ablation.json',
        'figure4-sensitivity-R.json',
        'figure4-sensitivity-H.json',
        'figure4-sensitivity-alpha.json',
        'table4-grid.json',
      ]),
    );
  });

  it.each(files)('%s validates', (file) => {
    const spec = validateSpec(JSON.parse(readFileSync(join(folder, file), 'utf8')));
    expect(spec.methods.length).toBeGreaterThan(0);
    if (file === 'table4-grid.json') expect(spec.methods).toHaveLength(125);
    if (file.startsWith('table2') || file.startsWith('table3')) {
      expect(spec.methods.map((m) => m.id)).toEqual(['bc', 'kd', 'tl', 'ar', 'muda', 'damcar']);
      expect(spec.seeds.length).toBeGreaterThanOrEqual(3);
    }
  });
});
