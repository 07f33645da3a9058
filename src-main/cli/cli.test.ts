/**
 * The real command: `node bin/cascade-lab.mjs ...` in a child process.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BinResult, runBin } from '../app/fixtures/run-bin';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<BinResult> {
  return runBin(dir, args);
}

const TINY_SPEC = {
  name: 'CLI tiny',
  dataset: {
    kind: 'simulated',
    params: {
      users: 150,
      items: 200,
      categories: 4,
      latentDim: 4,
      multimodalDim: 4,
      exposuresPerUser: 10,
      seed: 3,
    },
  },
  retrieval: { model: 'dssm' },
  methods: [{ id: 'bc' }],
  training: { epochs: 1, batchSize: 256, learningRate: 0.05, embeddingDim: 8 },
  evaluation: { retrievalK: [10, 20], corpus: 'all' },
  seeds: [1],
};

describe('cascade-lab run', () => {
  it('runs a spec, prints the table, stores the runs and writes the JSON', async () => {
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify(TINY_SPEC));
    const result = await cli([
      'run',
      'tiny.json',
      '--db',
      'lab.db',
      '--json',
      'out.json',
      '--backend',
      'wasm',
    ]);
    expect(result.stderr).not.toMatch(/failed/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('CLI tiny');
    expect(result.stdout).toMatch(/\| BC +\| +\d\.\d{4} +\| +\d\.\d{4} +\|/);
    // One seed: the warning is printed under the table, not only logged.
    expect(result.stdout).toContain(
      '\nWarnings:\n⚠ One seed (1): each cell is a single run with no standard deviation, so differences ' +
        'between rows may be seed noise; run 2 or more seeds.\n',
    );
    const json = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as {
      runs: {
        method: string;
        dataset: string;
        seed: number;
        backend: string;
        metrics: Record<string, number>;
      }[];
    };
    expect(json.runs).toHaveLength(1);
    const [run] = json.runs;
    expect(run.method).toBe('bc');
    expect(run.seed).toBe(1);
    expect(run.backend).toBe('wasm');
    expect(run.dataset).toMatch(/150 users/);
    expect(Object.keys(run.metrics)).toEqual(expect.arrayContaining(['R@10', 'R@20']));
    expect(result.stdout).toContain(run.metrics['R@10'].toFixed(4));

    const listed = await cli(['list', '--db', 'lab.db']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID +EXPERIMENT +METHOD +SEED +STATUS +BACKEND +METRICS$/m);
    expect(listed.stdout).toMatch(/^1 +1 CLI tiny +bc +1 +finished +wasm +R@10=\d\.\d{4} R@20=/m);
  });

  it('exits 2 and names the file and the field of a bad spec', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...TINY_SPEC, methods: [{ id: 'foo' }] }));
    const result = await cli(['run', 'bad.json', '--db', 'lab.db']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.json: methods\[0\]\.id: .*foo/);
  });

  it('exits 2 and names the file when a stored dataset does not exist', async () => {
    writeFileSync(
      join(dir, 'stored.json'),
      JSON.stringify({ ...TINY_SPEC, dataset: { kind: 'stored', datasetId: 42 } }),
    );
    const result = await cli(['run', 'stored.json', '--db', 'lab.db']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('stored.json: dataset.datasetId: dataset 42 does not exist');
  });

  it('exits 2 with the line and column of invalid JSON', async () => {
    writeFileSync(join(dir, 'broken.json'), '{\n  "name": "x",\n  "methods": [}\n');
    const result = await cli(['run', 'broken.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('broken.json:3:15: invalid JSON: expected a value');
  });

  it('exits 2 on usage errors and 0 on --help', async () => {
    expect((await cli(['run'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    const badBackend = await cli(['run', 'tiny.json', '--backend', 'gpu']);
    expect(badBackend.code).toBe(2);
    expect(badBackend.stderr).toContain('--backend must be one of');
    const help = await cli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: cascade-lab run <spec.json>');
  });
});

describe('cascade-lab methods', () => {
  it("lists a protocol's methods with defaults and ranges, as text and as JSON", async () => {
    const text = await cli(['methods', 'damcar']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('damcar: DAMCAR two-stage cascade');
    expect(text.stdout).toContain('params.alpha = 0.99 in [0, 1]');
    expect(text.stdout).not.toContain('\nrra:');
    const json = await cli(['methods', '--json']);
    const parsed = JSON.parse(json.stdout) as {
      protocols: { id: string }[];
      methods: { protocol: string }[];
    };
    expect(parsed.protocols[0].id).toBe('damcar');
    expect(parsed.methods.filter((m) => m.protocol === 'damcar')).toHaveLength(6);
    for (const protocol of parsed.protocols)
      expect(parsed.methods.some((m) => m.protocol === protocol.id)).toBe(true);
    const unknown = await cli(['methods', 'xyz']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown protocol "xyz"');
  });
});

describe('cascade-lab bench-fidelity', () => {
  const WECHAT = join(ROOT, 'src-main', 'core', 'node', 'importers', 'fixtures', 'wechat');
  const reference = {
    code: { repository: 'ljy2222/DAMCAR', commit: '1407beebbb73a2ebea4440a444c62c3f8147fa50' },
    runs: [
      { method: 'BC', seed: 1, collapsed: false, metrics: { 'R@100': 0.5, 'N@10': 0.2 } },
      { method: 'BC', seed: 2, collapsed: false, metrics: { 'R@100': 0.7, 'N@10': 0.3 } },
    ],
  };

  it('imports the folder, runs BC and prints it beside the reference with the ratio and the targets', async () => {
    const file = join(dir, 'reference.json');
    writeFileSync(file, JSON.stringify(reference));
    const out = join(dir, 'fidelity.json');
    const result = await cli([
      'bench-fidelity',
      WECHAT,
      '--reference',
      file,
      '--methods',
      'bc',
      '--seeds',
      '1',
      '--db',
      join(dir, 'fidelity.db'),
      '--backend',
      'wasm',
      '--json',
      out,
    ]);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("wechat: Cascade Lab against the authors' code");
    expect(result.stdout).toMatch(
      /\| BC \| R@100 \| \d\.\d{4} \(n=1\) \| 0\.6000 ± 0\.1414 \(n=2\) \| \d\.\d{3} \|/,
    );
    expect(result.stdout).toMatch(/- (met|MISSED): BC R@100 within 5% of the authors' mean/);
    expect(result.stdout).toContain("Authors' code: ljy2222/DAMCAR@1407bee");
    expect(result.stdout).toContain(
      "retrieval searched only the items of the test split; retrieval: the authors' code's DSSM",
    );
    const json = JSON.parse(readFileSync(out, 'utf8')) as { rows: { method: string; metric: string }[] };
    expect(json.rows.map((row) => `${row.method} ${row.metric}`)).toContain('BC N@10');
  });

  it('exits 2 naming the reference file and field when the reference is malformed', async () => {
    const file = join(dir, 'bad-reference.json');
    writeFileSync(file, JSON.stringify({ runs: [{ method: 'BC', seed: 1, metrics: { 'R@100': null } }] }));
    const result = await cli(['bench-fidelity', WECHAT, '--reference', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'bad-reference.json: runs[0].metrics.R@100: expected a finite number, got null',
    );
    const missing = await cli(['bench-fidelity', WECHAT]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--reference FILE is required');
  });
});
