import { describe, expect, it } from 'vitest';
import { matchTier, rankByMatch, type PaletteLabel } from './palette-ranking';

/** The names of the specs shipped in experiments/, in file order (as the palette lists them). */
const bundledNames = Object.entries(
  import.meta.glob<{ name: string }>('../../../experiments/*.json', { eager: true, import: 'default' }),
)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([, spec]) => spec.name);

const openSpec = (name: string, suffix = ''): PaletteLabel => ({
  label: `Open spec: ${name}${suffix}`,
  category: 'Experiment',
});
const labels = (items: readonly PaletteLabel[]): string[] => items.map((item) => item.label);

describe('rankByMatch with the bundled specs', () => {
  it('reads the real spec names, Figure 3 and Figure 4 before Figure 5', () => {
    const damcarFigures = bundledNames.filter((name) => name.startsWith('DAMCAR Figure'));
    expect(damcarFigures).toHaveLength(5);
    expect(damcarFigures.at(-1)).toBe('DAMCAR Figure 5: retrieval predictions on target-domain samples');
  });

  it('puts "Open spec: DAMCAR Figure 5" first for the query "DAMCAR Figure 5"', () => {
    const ranked = rankByMatch(
      'DAMCAR Figure 5',
      bundledNames.map((name) => openSpec(name)),
      (item) => item,
    );
    expect(ranked[0].label).toBe(
      'Open spec: DAMCAR Figure 5: retrieval predictions on target-domain samples',
    );
  });

  it('keeps Figure 5 first when every label carries a run count with a 5 in it, as the tester saw', () => {
    const items = bundledNames.map((name) => openSpec(name, ' (15 runs)'));
    const ranked = labels(rankByMatch('DAMCAR Figure 5', items, (item) => item));
    expect(ranked[0]).toBe(
      'Open spec: DAMCAR Figure 5: retrieval predictions on target-domain samples (15 runs)',
    );
    // The Figure 4 specs still match (their "15"), but only below it.
    expect(ranked.slice(1).every((label) => !label.includes('Figure 5'))).toBe(true);
    expect(ranked.filter((label) => label.includes('DAMCAR Figure 4'))).toHaveLength(3);
  });

  it('lists the three Figure 4 specs in file order for "figure 4"', () => {
    const ranked = labels(
      rankByMatch(
        'figure 4',
        bundledNames.map((name) => openSpec(name)),
        (item) => item,
      ),
    );
    expect(ranked).toEqual([
      'Open spec: DAMCAR Figure 4: sensitivity to the EMA rate alpha',
      'Open spec: DAMCAR Figure 4: sensitivity to the number of walks H',
      'Open spec: DAMCAR Figure 4: sensitivity to the radius R',
    ]);
  });
});

describe('matchTier', () => {
  const command = (label: string): PaletteLabel => ({ label, category: 'View' });

  it('matches the whole label, the label after its verb, or category and label exactly', () => {
    expect(matchTier('show runs', command('Show Runs'))).toBe('exact');
    expect(matchTier('DAMCAR Figure 5', openSpec('DAMCAR Figure 5'))).toBe('exact');
    expect(matchTier('view: show runs', command('Show Runs'))).toBe('exact');
    expect(matchTier('  Show   RUNS ', command('Show Runs'))).toBe('exact');
  });

  it('matches a prefix of the label or of the label after its verb', () => {
    expect(matchTier('show r', command('Show Runs'))).toBe('prefix');
    expect(matchTier('DAMCAR Fig', openSpec('DAMCAR Figure 5: retrieval'))).toBe('prefix');
    expect(matchTier('Open spec: DAMCAR', openSpec('DAMCAR Figure 5: retrieval'))).toBe('prefix');
  });

  it('matches query words that start words of the label, in any order', () => {
    expect(matchTier('fig 5 damcar', openSpec('DAMCAR Figure 5: retrieval'))).toBe('word-prefix');
    expect(matchTier('retr', openSpec('DAMCAR Figure 5: retrieval'))).toBe('word-prefix');
  });

  it('falls back to query words anywhere in the label, and rejects missing words', () => {
    expect(matchTier('5', openSpec('DAMCAR Figure 4 (15 runs)'))).toBe('contains');
    expect(matchTier('igure', openSpec('DAMCAR Figure 4'))).toBe('contains');
    expect(matchTier('figure 6', openSpec('DAMCAR Figure 4'))).toBeNull();
  });
});

describe('rankByMatch', () => {
  const items: PaletteLabel[] = [
    { label: 'Toggle side bar', category: 'View' }, // no match
    { label: 'Cancel runs', category: 'Runs' }, // word-prefix ("runs")
    { label: 'Refresh experiments and runs', category: 'View' }, // word-prefix
    { label: 'Run experiment', category: 'Experiment' }, // prefix
    { label: 'Show Runs', category: 'View' }, // word-prefix
    { label: 'Rerun', category: 'Runs' }, // contains
    { label: 'Run', category: 'Experiment' }, // exact
  ];

  it('orders exact, prefix, word-prefix, contains, keeping the given order within a tier', () => {
    expect(labels(rankByMatch('run', items, (item) => item))).toEqual([
      'Run',
      'Run experiment',
      'Cancel runs',
      'Refresh experiments and runs',
      'Show Runs',
      'Rerun',
    ]);
  });

  it('keeps every item, in order, for an empty query', () => {
    expect(rankByMatch('  ', items, (item) => item)).toEqual(items);
  });
});
