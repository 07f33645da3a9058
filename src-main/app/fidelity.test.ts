import { describe, expect, it } from 'vitest';
import {
  compareWithReference,
  fidelityTargets,
  parseFidelityReference,
  renderFidelityReport,
  type FidelityReference,
} from './fidelity';

const REFERENCE = {
  dataset: { generator: 'gen_wechat_like.py', args: ['--seed', '7'] },
  code: { repository: 'ljy2222/DAMCAR', commit: '1407beebbb73a2ebea4440a444c62c3f8147fa50' },
  evaluation: 'test-split feeds',
  runs: [
    { method: 'BC', seed: 1, collapsed: false, metrics: { 'R@100': 0.12, 'N@10': 0.02 } },
    { method: 'BC', seed: 2, collapsed: false, metrics: { 'R@100': 0.14, 'N@10': 0.03 } },
    { method: 'BC', seed: 3, collapsed: true, metrics: { 'R@100': 0.01, 'N@10': 0.001 } },
    { method: 'DAMCAR', seed: 1, collapsed: false, metrics: { 'R@100': 0.08, 'N@10': 0.02 } },
    { method: 'DAMCAR', seed: 2, collapsed: false, metrics: { 'R@100': 0.12, 'N@10': 0.03 } },
  ],
  dropped: [{ method: 'BC', seed: 7, why: 'collapsed: max |user.item| = 0' }],
};

function reference(): FidelityReference {
  return parseFidelityReference(JSON.stringify(REFERENCE), 'ref.json');
}

const run = (
  method: string,
  r100: number,
  n10: number,
  status: 'finished' | 'failed' = 'finished',
): { method: string; status: 'finished' | 'failed'; metrics: Record<string, number> } => ({
  method,
  status,
  metrics: status === 'finished' ? { 'R@100': r100, 'N@10': n10 } : {},
});

describe('fidelity against the authors’ code', () => {
  it('parses a reference and names file and field when it is malformed', () => {
    const ref = reference();
    expect(ref.runs).toHaveLength(5);
    expect(ref.description).toBe(
      'ljy2222/DAMCAR@1407bee; data: gen_wechat_like.py --seed 7; test-split feeds',
    );
    expect(ref.dropped[0].why).toMatch(/collapsed/);
    expect(() => parseFidelityReference('{', 'r.json')).toThrow(/^r\.json: not JSON/);
    expect(() => parseFidelityReference('{"runs": []}', 'r.json')).toThrow(
      'r.json: runs: expected a non-empty list',
    );
    const bad = { runs: [{ method: 'BC', seed: 1, metrics: { 'R@100': 'x' } }] };
    expect(() => parseFidelityReference(JSON.stringify(bad), 'r.json')).toThrow(
      'r.json: runs[0].metrics.R@100: expected a finite number, got "x"',
    );
    expect(() =>
      parseFidelityReference('{"runs":[{"method":"BC","seed":1.5,"metrics":{}}]}', 'r.json'),
    ).toThrow('runs[0].seed: expected an integer');
  });

  it('compares means over finished runs against non-collapsed reference runs, with the ratio', () => {
    const rows = compareWithReference(
      [run('bc', 0.125, 0.025), run('bc', 0.135, 0.025), run('bc', 0, 0, 'failed'), run('damcar', 0.1, 0.02)],
      reference(),
      ['R@100', 'N@10'],
    );
    const bc = rows.find((r) => r.method === 'BC' && r.metric === 'R@100');
    expect(bc?.ours).toMatchObject({ mean: 0.13, n: 2 });
    // The collapsed run (0.01) is left out: the authors' mean is (0.12 + 0.14) / 2.
    expect(bc?.theirs).toMatchObject({ mean: 0.13, n: 2, min: 0.12, max: 0.14 });
    expect(bc?.ratio).toBeCloseTo(1, 12);
    const damcar = rows.find((r) => r.method === 'DAMCAR' && r.metric === 'N@10');
    expect(damcar?.ratio).toBeCloseTo(0.02 / 0.025, 12);
  });

  it('targets: BC within 5% of their mean; DAMCAR at or above their lowest run', () => {
    const targets = fidelityTargets(
      compareWithReference([run('bc', 0.13, 0.0236), run('damcar', 0.079, 0.021)], reference(), [
        'R@100',
        'N@10',
      ]),
    );
    expect(targets.map((t) => [t.description, t.met])).toEqual([
      ["BC R@100 within 5% of the authors' mean", true],
      ["DAMCAR R@100 mean inside the authors' spread or better", false],
      ["BC N@10 within 5% of the authors' mean", false],
      ["DAMCAR N@10 mean inside the authors' spread or better", true],
    ]);
    expect(targets[2].detail).toBe('0.0236 vs 0.0250: -5.6%');
    expect(targets[1].detail).toBe('0.0790 vs their runs 0.0800-0.1200');
  });

  it('renders a report that says what each side left out', () => {
    const ref = reference();
    const rows = compareWithReference([run('bc', 0.13, 0.025)], ref, ['R@100']);
    const text = renderFidelityReport({
      title: 'tiny',
      reference: ref,
      rows,
      targets: fidelityTargets(rows),
      failed: [{ method: 'bc', seed: 4, error: 'The retrieval model collapsed: …' }],
      ourSettings: 'retrieval: the authors’ code’s DSSM',
    });
    expect(text).toContain('| BC | R@100 | 0.1300 (n=1) | 0.1300 ± 0.0141 (n=2) | 1.000 |');
    expect(text).toContain("- met: BC R@100 within 5% of the authors' mean (0.1300 vs 0.1300: +0.0%)");
    expect(text).toContain('Left out of ours: BC seed 4: The retrieval model collapsed');
    expect(text).toContain('Left out of theirs: BC seed 7: collapsed: max |user.item| = 0');
    expect(text).toContain('Left out of theirs: BC seed 3: collapsed');
  });
});
