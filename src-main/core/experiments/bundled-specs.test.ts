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
        'figure5-predictions.json',
      ]),
    );
  });

  it.each(files)('%s validates', (file) => {
    const spec = validateSpec(JSON.parse(readFileSync(join(folder, file), 'utf8')));
    expect(spec.methods.length).toBeGreaterThan(0);
    if (file === 'table4-grid.json') expect(spec.methods).toHaveLength(125);
    if (file.startsWith('figure4')) {
      // One DAMCAR row per value of the swept parameter, labelled with it.
      expect(spec.methods.every((m) => m.id === 'damcar' && /^DAMCAR \(.+=/.test(m.label ?? ''))).toBe(true);
      expect(spec.methods.length).toBeGreaterThanOrEqual(5);
    }
    if (file === 'figure3-ablation.json') {
      expect(spec.methods.map((m) => m.label ?? 'DAMCAR')).toEqual([
        'DAMCAR',
        'w/o TDG',
        'w/o EMA',
        'w/o MPL',
      ]);
    }
    if (file === 'figure5-predictions.json') expect(spec.methods.map((m) => m.id)).toEqual(['bc', 'damcar']);
    if (file.startsWith('table2') || file.startsWith('table3')) {
      expect(spec.methods.map((m) => m.id)).toEqual(['bc', 'kd', 'tl', 'ar', 'muda', 'damcar']);
      expect(spec.seeds.length).toBeGreaterThanOrEqual(3);
    }
  });
});
