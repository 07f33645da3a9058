import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BenchLine,
  parseIntegerList,
  parsePeerLines,
  parseSeconds,
  peerArguments,
  peerScript,
  peerWorkloadMismatch,
  ratioLines,
  threadsUsed,
} from './bench-command';
import { captureIo } from './capture-io';
import { STEP_MODELS } from './help';
import { main } from './main';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-bench-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('bench argument parsing', () => {
  it('reads batch lists and seconds, rejecting anything else with the flag named', () => {
    expect(parseIntegerList('512,4096', '--batch', 1, 1 << 20)).toEqual([512, 4096]);
    expect(() => parseIntegerList('512,,4096', '--batch', 1, 100)).toThrow(
      /--batch must be a comma-separated/,
    );
    expect(() => parseIntegerList('0', '--batch', 1, 100)).toThrow(/--batch must be an integer from 1/);
    expect(parseSeconds('2.5')).toBe(2.5);
    for (const bad of ['0', '-1', 'x', ''])
      expect(() => parseSeconds(bad)).toThrow(/--seconds must be a number/);
  });

  it('reports the threads a backend really used', () => {
    const wasm = { backend: 'wasm' as const, device: 'WebAssembly SIMD, 2 threads', notes: [] };
    expect(threadsUsed(wasm, 4)).toBe(2);
    expect(threadsUsed({ ...wasm, device: 'WebAssembly SIMD, 1 thread' }, 2)).toBe(1);
    expect(threadsUsed({ backend: 'cpu', device: 'JavaScript (CPU)', notes: [] }, 2)).toBe(1);
    expect(threadsUsed({ backend: 'webgpu', device: 'WebGPU: nvidia', notes: [] }, 3)).toBe(3);
  });
});

describe('peer lines and ratios', () => {
  it("keeps the peer's JSON lines, skips other output, and divides per batch size", () => {
    const peer = parsePeerLines(
      [
        'UserWarning: something',
        '{"peer": "torch-cpu", "batch": 512, "threads": 1, "samples_per_s": 4000}',
        '{"not": "a line"}',
        '{"peer": "torch-cpu", "batch": 4096, "threads": 1, "samples_per_s": 5000}',
        '',
      ].join('\n'),
    );
    expect(peer.map((p) => p.batch)).toEqual([512, 4096]);
    const ours: BenchLine[] = [
      { peer: 'cascade-lab-wasm', batch: 512, threads: 1, samples_per_s: 12000 },
      { peer: 'cascade-lab-wasm', batch: 4096, threads: 1, samples_per_s: 10000 },
    ];
    expect(ratioLines(ours, peer)).toEqual([
      { ratio: 'cascade-lab-wasm / torch-cpu', batch: 512, threads: 1, peer_threads: 1, value: 3 },
      { ratio: 'cascade-lab-wasm / torch-cpu', batch: 4096, threads: 1, peer_threads: 1, value: 2 },
    ]);
    expect(ratioLines(ours.slice(0, 1), peer)).toHaveLength(1);
  });

  it("runs the repository's peer script of the step timed", () => {
    expect(peerScript('dssm').endsWith('/scripts/peers/dssm_step_torch.py')).toBe(true);
    expect(peerScript('label-generator').endsWith('/scripts/peers/label_generator_step_torch.py')).toBe(true);
    for (const model of STEP_MODELS) {
      expect(existsSync(peerScript(model)), model).toBe(true);
      expect(peerArguments(model, 2, [512, 4096], 5), model).toEqual([
        peerScript(model),
        'cpu',
        '2',
        '512,4096',
        '5',
      ]);
    }
  });

  it('refuses peer lines that name another step, or none', () => {
    const line = (model?: string): BenchLine => ({
      peer: 'torch-cpu',
      batch: 512,
      threads: 1,
      samples_per_s: 1000,
      ...(model ? { model } : {}),
    });
    expect(peerWorkloadMismatch([line('hybrid'), line('hybrid')], 'hybrid')).toBeNull();
    expect(peerWorkloadMismatch([line('hybrid'), line('dssm')], 'hybrid')).toBe(
      "the peer's lines name the dssm step, not hybrid: no ratio is computed from them",
    );
    expect(peerWorkloadMismatch([line()], 'deepfm')).toContain('name no step, not deepfm');
  });
});

/**
 * A stand-in for a Python interpreter with torch: it answers the torch probe and times nothing,
 * printing one peer line that names the script it was given and the step `reports` (the step
 * the script's file name says, unless told otherwise).
 */
function fakePeerPython(name: string, reports: 'its script' | string): string {
  const path = join(dir, name);
  const model = reports === 'its script' ? '$(basename "$1" _step_torch.py | tr _ -)' : reports;
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      'if [ "$1" = "-c" ]; then',
      `  echo '{"version": "0.0-fake", "blas_info": "none", "libraries": [], "file": "fake"}'`,
      '  exit 0',
      'fi',
      `echo "{\\"peer\\": \\"torch-cpu\\", \\"batch\\": $4, \\"threads\\": $3, \\"samples_per_s\\": 1, \\"script\\": \\"$1\\", \\"model\\": \\"${model}\\"}"`,
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

/** `bench --model <model> --peer` on the JavaScript backend with `python` as the peer. */
async function benchWithPeer(
  model: string,
  python: string,
): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = captureIo();
  const args = ['--backend', 'cpu', '--batch', '4', '--seconds', '0.05', '--peer', '--peer-python', python];
  const code = await main(['bench', '--model', model, ...args], io);
  return { code, out: out(), err: err() };
}

describe('cascade-lab bench --peer', () => {
  it("runs the timed step's peer script and sets its line beside ours", async () => {
    const { code, out, err } = await benchWithPeer('deepfm', fakePeerPython('python-peer', 'its script'));
    expect(err).toContain('Peer: torch 0.0-fake (given, BLAS none)');
    expect(code).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatchObject({
      peer: 'torch-cpu',
      batch: 4,
      model: 'deepfm',
      script: peerScript('deepfm'),
    });
    expect(lines[2]).toMatchObject({ ratio: 'cascade-lab-cpu / torch-cpu', batch: 4, peer_threads: 1 });
  });

  it('fails, with no ratio, when the peer timed another step', async () => {
    const { code, out, err } = await benchWithPeer('hybrid', fakePeerPython('python-wrong-step', 'dssm'));
    expect(code).toBe(1);
    expect(err).toContain(
      "peer: the peer's lines name the dssm step, not hybrid: no ratio is computed from them",
    );
    expect(out).not.toContain('torch-cpu');
  });
});

describe('cascade-lab bench', () => {
  it('prints one line per batch size in the peer shape and writes the JSON file', async () => {
    const { io, out, err } = captureIo();
    const json = join(dir, 'bench.json');
    const code = await main(
      ['bench', '--backend', 'cpu', '--batch', '4,8', '--seconds', '0.05', '--json', json],
      io,
    );
    expect(err()).toContain('DSSM step on backend cpu (JavaScript (CPU))');
    expect(code).toBe(0);
    const lines = out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as BenchLine);
    expect(lines.map((l) => [l.peer, l.batch, l.threads])).toEqual([
      ['cascade-lab-cpu', 4, 1],
      ['cascade-lab-cpu', 8, 1],
    ]);
    for (const line of lines) {
      expect(line.samples_per_s).toBeGreaterThan(0);
      expect(line.device).toBe('JavaScript (CPU)');
      expect(line.embeddings).toBe('host');
    }
    const file = JSON.parse(readFileSync(json, 'utf8')) as { results: BenchLine[]; backend: string };
    expect(file.backend).toBe('cpu');
    expect(file.results).toEqual(lines);
  });

  /** `bench --model <model>` at one batch size on the JavaScript backend: its exit code, stderr and line. */
  async function benchOneBatch(
    model: string,
    batch: number,
  ): Promise<{ code: number; err: string; line: BenchLine }> {
    const { io, out, err } = captureIo();
    const args = ['--backend', 'cpu', '--batch', String(batch), '--seconds', '0.05'];
    const code = await main(['bench', '--model', model, ...args], io);
    return { code, err: err(), line: JSON.parse(out().trim()) as BenchLine };
  }

  it('times the DeepFM ranking step with --model deepfm', async () => {
    const { code, err, line } = await benchOneBatch('deepfm', 4);
    expect(code).toBe(0);
    expect(err).toContain('DeepFM step on backend cpu');
    expect([line.peer, line.batch, line.model]).toEqual(['cascade-lab-cpu', 4, 'deepfm']);
    expect(line.samples_per_s).toBeGreaterThan(0);
    await expect(main(['bench', '--model', 'lightgcn'], captureIo().io)).resolves.toBe(2);
    await expect(
      main(['bench', '--model', 'deepfm', '--embeddings', 'device'], captureIo().io),
    ).resolves.toBe(2);
  });

  it("times DAMCAR's label generator step with --model label-generator", async () => {
    const { code, err, line } = await benchOneBatch('label-generator', 16);
    expect(code).toBe(0);
    expect(err).toContain('DAMCAR label generator step on backend cpu');
    expect([line.peer, line.batch, line.model]).toEqual(['cascade-lab-cpu', 16, 'label-generator']);
    expect(line.samples_per_s).toBeGreaterThan(0);
  });

  it('profiles a step: kernels, their time and host reads per step, in JSON and as a table', async () => {
    const { io, out, err } = captureIo();
    const code = await main(['bench', '--profile', '--backend', 'cpu', '--batch', '4'], io);
    expect(code).toBe(0);
    const line = JSON.parse(out().trim()) as {
      profile: string;
      batch: number;
      kernels_per_step: number;
      host_reads_per_step: number;
      wall_ms_per_step: number;
      kernel_ms_per_step: number;
      kernels: { kernel: string; calls: number; ms: number }[];
    };
    expect([line.profile, line.batch]).toEqual(['cascade-lab-cpu', 4]);
    // The host-embedding step reads the rows' gradients (with the loss) once per step.
    expect(line.host_reads_per_step).toBe(1);
    expect(line.kernels_per_step).toBeGreaterThan(20);
    expect(line.kernels.some((k) => k.kernel === 'BatchMatMul')).toBe(true);
    expect(line.kernels.reduce((sum, k) => sum + k.calls, 0)).toBeCloseTo(line.kernels_per_step, 6);
    expect(line.wall_ms_per_step).toBeGreaterThan(0);
    expect(err()).toMatch(/batch 4: [\d.]+ ms per step, [\d.]+ ms in \d+ kernels/);
    await expect(main(['bench', '--profile', '--peer'], captureIo().io)).resolves.toBe(2);
  });

  it('runs the step with device embeddings when asked, and says so in every line', async () => {
    const { io, out, err } = captureIo();
    const json = join(dir, 'bench-device.json');
    const code = await main(
      [
        'bench',
        '--backend',
        'cpu',
        '--batch',
        '4',
        '--seconds',
        '0.05',
        '--embeddings',
        'device',
        '--loss-every',
        '3',
        '--json',
        json,
      ],
      io,
    );
    expect(code).toBe(0);
    expect(err()).toContain('device embeddings');
    const line = JSON.parse(out().trim()) as BenchLine;
    expect(line).toMatchObject({ peer: 'cascade-lab-cpu', batch: 4, embeddings: 'device' });
    expect(line.samples_per_s).toBeGreaterThan(0);
    const file = JSON.parse(readFileSync(json, 'utf8')) as { embeddings: string; lossReadInterval: number };
    expect(file).toMatchObject({ embeddings: 'device', lossReadInterval: 3 });
  });

  it('rejects bad flags with exit code 2', async () => {
    for (const args of [
      ['bench', '--threads', '9'],
      ['bench', '--backend', 'gpu'],
      ['bench', '--batch', 'big'],
      ['bench', '--embeddings', 'gpu'],
      ['bench', '--embeddings', 'device', '--loss-every', '0'],
      ['bench', '--loss-every', '5'],
      ['bench', 'extra'],
      ['bench-pipeline', '--users', '1'],
      ['bench', '--l2-thread', 'maybe'],
      ['bench-pipeline', '--l2-thread', 'yes'],
      ['bench-pipeline', '--row-helpers', 'maybe'],
      ['bench-pipeline', '--epochs', '3'],
      ['bench-pipeline', '--damcar', '--epochs', '0'],
    ]) {
      const { io, err } = captureIo();
      expect(await main(args, io), args.join(' ')).toBe(2);
      expect(err()).toMatch(/must be|takes no arguments|applies to --(embeddings device|damcar) only/);
    }
  });
});

describe('cascade-lab bench-pipeline', () => {
  it('times the target domain as a stage of its own without --damcar', async () => {
    const { io, out } = captureIo();
    const args = ['--backend', 'cpu', '--users', '40', '--items', '120', '--interactions', '800'];
    expect(await main(['bench-pipeline', ...args, '--train-steps', '1'], io)).toBe(0);
    const lines = out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => l.stage).slice(0, 4)).toEqual(['simulate', 'split', 'target-domain', 'train-bc']);
    expect(lines[2]).toMatchObject({ radius: 25, walksPerUser: 50, targetPairs: expect.any(Number) });
  });

  it('prints one line per stage (DAMCAR stages included) and a summary with the peak memory', async () => {
    const { io, out } = captureIo();
    const json = join(dir, 'pipeline.json');
    const code = await main(
      [
        'bench-pipeline',
        '--backend',
        'cpu',
        '--users',
        '60',
        '--items',
        '200',
        '--interactions',
        '1200',
        '--train-steps',
        '2',
        '--damcar',
        '--epochs',
        '2',
        '--json',
        json,
      ],
      io,
    );
    expect(code).toBe(0);
    const lines = out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.slice(0, -1).map((l) => l.stage)).toEqual([
      'simulate',
      'split',
      'train-bc',
      'tower-vectors',
      'retrieval-eval',
      'ranking-deepfm',
      'damcar',
    ]);
    const train = lines[2];
    expect(train).toMatchObject({ steps: 2, stepsPerEpoch: 2, extrapolated: false });
    const summary = lines[lines.length - 1];
    expect(summary).toMatchObject({ summary: 'pipeline', backend: 'cpu', users: 60, interactions: 1200 });
    expect(summary.l2_thread).toBe(cpus().length >= 2 ? 'on' : 'off');
    expect(summary.row_helpers).toBe(cpus().length >= 2 ? 'on' : 'off');
    expect(summary.peak_rss_mb).toEqual(expect.any(Number));
    const file = JSON.parse(readFileSync(json, 'utf8')) as { stages: { stage: string; ms: number }[] };
    expect(file.stages).toHaveLength(7);
    expect(lines[5]).toMatchObject({ stage: 'ranking-deepfm', epochs: 2 });
    // The target domain is generated once, inside DAMCAR's stage.
    expect(Object.values(lines[6]).join(' ')).toMatch(/DAMCAR: target domain of \d+ unexposed samples/);
    expect(Object.values(lines[6]).join(' ')).toMatch(/DAMCAR label generator epoch 2\/2/);
    expect(Object.values(lines[6]).join(' ')).toMatch(/DAMCAR hybrid training epoch 2\/2/);
  });
});
