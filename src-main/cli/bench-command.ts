/**
 * `cascade-lab bench` (the DSSM training step against the PyTorch peer) and
 * `cascade-lab bench-pipeline` (wall time per stage of a WeChat-sized run). Both run in this
 * process, not in job workers: they measure the engine, not the pool.
 */
import {
  backendOption,
  integerOption,
  onOffOption,
  parseCommandArgs as parse,
  stringOption,
  type OptionValues,
} from './args';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_LOSS_READ_INTERVAL,
  type EmbeddingPlacement,
  type StepMeasurement,
  type StepWorkload,
} from '../core/bench/dssm-step';
import type { StageResult } from '../core/bench/pipeline';
import type { StepProfile } from '../core/bench/profile';
import type { BackendInit } from '../core/tf/backend';
import type { TorchPeer } from '../app/torch-peer';
import { coresPerRun, tensorflowEnvironment } from '../core/tf/tensorflow-env';
import { MAX_WASM_THREADS } from '../core/tf/threads';
import {
  BENCH_HELP,
  BENCH_PIPELINE_HELP,
  PROFILE_STEPS,
  STEP_MODELS,
  WECHAT_SIZE,
  type StepModel,
} from './help';
import { EXIT_OK, EXIT_RUN_FAILED, UsageError, type CliIo } from './io';

/** The peer script of a model: the same workload in PyTorch. */
export function peerScript(model: StepModel): string {
  const name = model.replaceAll('-', '_');
  return fileURLToPath(new URL(`../../scripts/peers/${name}_step_torch.py`, import.meta.url));
}

/** The interpreter's arguments that time `model`'s peer (scripts/peers/peer_timing.py). */
export function peerArguments(
  model: StepModel,
  threads: number,
  batches: number[],
  seconds: number,
): string[] {
  return [peerScript(model), 'cpu', String(threads), batches.join(','), String(seconds)];
}

/**
 * Null when every peer line names `model` as its workload (each peer script prints the one its
 * file name says), else why its samples/s cannot be set beside the step just timed.
 */
export function peerWorkloadMismatch(lines: BenchLine[], model: StepModel): string | null {
  const other = lines.find((line) => line.model !== model);
  if (!other) return null;
  const named = typeof other.model === 'string' ? `the ${other.model} step` : 'no step';
  return `the peer's lines name ${named}, not ${model}: no ratio is computed from them`;
}

const STEP_MODEL_NAMES: Record<StepModel, string> = {
  dssm: 'DSSM',
  deepfm: 'DeepFM',
  hybrid: 'DAMCAR hybrid',
  'label-generator': 'DAMCAR label generator',
};

export function parseIntegerOption(value: string, flag: string, min: number, max: number): number {
  return integerOption(value, flag, min, max);
}

export function parseIntegerList(value: string, flag: string, min: number, max: number): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === ''))
    throw new UsageError(`${flag} must be a comma-separated list of integers, got ${JSON.stringify(value)}`);
  return parts.map((p) => parseIntegerOption(p, flag, min, max));
}

export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)
    throw new UsageError(`--seconds must be a number of seconds in (0, 3600], got ${JSON.stringify(value)}`);
  return seconds;
}

/** Threads the step really ran with: wasm says in its device line; the JavaScript backend has one. */
const EMBEDDINGS: readonly EmbeddingPlacement[] = ['host', 'device'];

export function embeddingsOption(values: OptionValues): EmbeddingPlacement {
  const embeddings = stringOption(values, 'embeddings') ?? 'host';
  if (!(EMBEDDINGS as readonly string[]).includes(embeddings))
    throw new UsageError(
      `--embeddings must be one of ${EMBEDDINGS.join(', ')}, got ${JSON.stringify(embeddings)}`,
    );
  return embeddings as EmbeddingPlacement;
}

export function modelOption(values: OptionValues): StepModel {
  const model = stringOption(values, 'model') ?? 'dssm';
  if (!(STEP_MODELS as readonly string[]).includes(model))
    throw new UsageError(`--model must be one of ${STEP_MODELS.join(', ')}, got ${JSON.stringify(model)}`);
  return model as StepModel;
}

export function threadsUsed(
  init: BackendInit,
  requested: number,
  env: Record<string, string | undefined> = process.env,
): number {
  if (init.backend === 'cpu') return 1;
  // Set by the user before the library started, it wins over --threads (tensorflow-env.ts).
  if (init.backend === 'tensorflow' && env.TF_NUM_INTRAOP_THREADS) return Number(env.TF_NUM_INTRAOP_THREADS);
  if (init.backend === 'wasm') {
    const match = /, (\d+) threads?/.exec(init.device);
    if (match) return Number(match[1]);
  }
  return requested;
}

export interface BenchLine {
  peer: string;
  batch: number;
  threads: number;
  samples_per_s: number;
  [extra: string]: string | number;
}

export interface RatioLine {
  ratio: string;
  batch: number;
  threads: number;
  peer_threads: number;
  value: number;
}

export function benchLine(
  m: StepMeasurement,
  init: BackendInit,
  threads: number,
  embeddings: EmbeddingPlacement = 'host',
): BenchLine {
  return {
    peer: `cascade-lab-${init.backend}`,
    batch: m.batch,
    threads,
    samples_per_s: m.samplesPerSecond,
    backend: init.backend,
    device: init.device,
    embeddings,
    steps: m.steps,
    seconds: Number(m.seconds.toFixed(3)),
  };
}

/** Reads the peer's JSON lines; other output (warnings) is ignored. */
export function parsePeerLines(stdout: string): BenchLine[] {
  const lines: BenchLine[] = [];
  for (const text of stdout.split('\n')) {
    const trimmed = text.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      const value = JSON.parse(trimmed) as Partial<BenchLine>;
      if (
        typeof value.peer === 'string' &&
        typeof value.batch === 'number' &&
        typeof value.threads === 'number' &&
        typeof value.samples_per_s === 'number'
      )
        lines.push(value as BenchLine);
    } catch {
      // Not one of the peer's lines.
    }
  }
  return lines;
}

/** cascade-lab / peer per batch size, for every peer line with a matching batch. */
export function ratioLines(ours: BenchLine[], peer: BenchLine[]): RatioLine[] {
  const out: RatioLine[] = [];
  for (const p of peer) {
    const mine = ours.find((o) => o.batch === p.batch);
    if (!mine || p.samples_per_s <= 0) continue;
    out.push({
      ratio: `${mine.peer} / ${p.peer}`,
      batch: p.batch,
      threads: mine.threads,
      peer_threads: p.threads,
      value: Number((mine.samples_per_s / p.samples_per_s).toFixed(3)),
    });
  }
  return out;
}

function runPeer(
  model: StepModel,
  peer: TorchPeer,
  threads: number,
  batches: number[],
  seconds: number,
  io: CliIo,
): Promise<{ lines: BenchLine[]; error: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(peer.python, peerArguments(model, threads, batches, seconds), {
      stdio: ['ignore', 'pipe', 'pipe'],
      // OpenBLAS (Debian's torch) starts its own threads besides torch's unless told.
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) =>
      resolve({ lines: [], error: `could not start ${peer.python}: ${error.message}` }),
    );
    child.on('close', (code) => {
      const printed = parsePeerLines(stdout);
      const mismatch = peerWorkloadMismatch(printed, model);
      if (mismatch) {
        resolve({ lines: [], error: mismatch });
        return;
      }
      const lines = printed.map((line) => ({
        ...line,
        torch: peer.version,
        blas: peer.blas,
        source: peer.source,
        python: peer.python,
      }));
      for (const line of lines) io.stdout.write(`${JSON.stringify(line)}\n`);
      const lastError = stderr.trim().split('\n').pop() ?? '';
      resolve({ lines, error: code === 0 ? null : `the peer exited with code ${code}: ${lastError}` });
    });
  });
}

export async function benchCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      backend: { type: 'string' },
      batch: { type: 'string' },
      seconds: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'string' },
      peer: { type: 'boolean' },
      'peer-threads': { type: 'string' },
      'peer-python': { type: 'string' },
      profile: { type: 'boolean' },
      model: { type: 'string' },
      embeddings: { type: 'string' },
      'loss-every': { type: 'string' },
      'l2-thread': { type: 'string' },
    },
    BENCH_HELP,
  );
  if (values.help) {
    io.stdout.write(BENCH_HELP);
    return EXIT_OK;
  }
  if (positionals.length)
    throw new UsageError(`bench takes no arguments, got ${positionals.join(' ')}\n\n${BENCH_HELP}`);
  const backend = backendOption(values) ?? 'auto';
  const model = modelOption(values);
  const batchText = stringOption(values, 'batch');
  const batches = batchText === undefined ? [512, 4096] : parseIntegerList(batchText, '--batch', 1, 1 << 20);
  const secondsText = stringOption(values, 'seconds');
  const seconds = secondsText === undefined ? 10 : parseSeconds(secondsText);
  const threadsText = stringOption(values, 'threads');
  const threads =
    threadsText === undefined ? 1 : parseIntegerOption(threadsText, '--threads', 1, MAX_WASM_THREADS);
  const peerThreadsText = stringOption(values, 'peer-threads');
  const peerThreads =
    peerThreadsText === undefined ? [threads] : parseIntegerList(peerThreadsText, '--peer-threads', 1, 256);
  const jsonFile = stringOption(values, 'json');
  const embeddings = embeddingsOption(values);
  const lossEveryText = stringOption(values, 'loss-every');
  if (lossEveryText !== undefined && embeddings !== 'device')
    throw new UsageError('--loss-every applies to --embeddings device only');
  if (model !== 'dssm' && embeddings !== 'host')
    throw new UsageError('--embeddings applies to --model dssm only');
  if (values.profile && values.peer) throw new UsageError('--profile and --peer are separate runs');
  const lossReadInterval =
    lossEveryText === undefined
      ? DEFAULT_LOSS_READ_INTERVAL
      : parseIntegerOption(lossEveryText, '--loss-every', 1, 1_000_000);

  // The engine loads only here, so other commands start without tfjs.
  const { initBackend } = await import('../core/tf/backend');
  const { useL2Thread } = await import('../core/node/l2-settler');
  // The embedding L2 on a thread of its own (core/tf/embedding-l2.ts) where runs have it.
  const l2Thread = onOffOption(values, 'l2-thread') ?? coresPerRun(cpus().length, 1).l2Thread;
  useL2Thread(l2Thread);
  const { DssmStepWorkload, benchSteps } = await import('../core/bench/dssm-step');
  const { DeepFmStepWorkload } = await import('../core/bench/deepfm-step');
  const { HybridStepWorkload } = await import('../core/bench/hybrid-step');
  const { LabelGeneratorStepWorkload } = await import('../core/bench/label-generator-step');
  const createWorkload = (batch: number): StepWorkload => {
    if (model === 'deepfm') return new DeepFmStepWorkload(batch);
    if (model === 'hybrid') return new HybridStepWorkload(batch);
    if (model === 'label-generator') return new LabelGeneratorStepWorkload(batch);
    return new DssmStepWorkload(batch, 0, undefined, { embeddings, lossReadInterval });
  };
  const init = await initBackend(backend, { threads });
  for (const note of init.notes) io.stderr.write(`${note}\n`);
  const used = threadsUsed(init, threads);
  io.stderr.write(
    `${STEP_MODEL_NAMES[model]} step on backend ${init.backend} (${init.device}), ${cpus().length} CPU core(s)${model === 'dssm' ? `, ${embeddings} embeddings` : ''}; ${seconds} s per batch size.\n`,
  );
  if (values.profile) {
    const { profileSteps } = await import('../core/bench/profile');
    for (const batch of batches) {
      const workload = createWorkload(batch);
      try {
        const profile = await profileSteps(() => workload.step(), PROFILE_STEPS);
        const line = {
          ...profileLine(profile, init, batch, used, embeddings),
          l2_thread: l2Thread ? 'on' : 'off',
        };
        io.stdout.write(`${JSON.stringify(line)}\n`);
        io.stderr.write(profileTable(profile, batch));
      } finally {
        workload.dispose();
      }
    }
    return EXIT_OK;
  }
  const ours: BenchLine[] = [];
  await benchSteps(batches, createWorkload, { seconds }, (m) => {
    const line = { ...benchLine(m, init, used, embeddings), model, l2_thread: l2Thread ? 'on' : 'off' };
    ours.push(line);
    io.stdout.write(`${JSON.stringify(line)}\n`);
  });

  const peer: BenchLine[] = [];
  const ratios: RatioLine[] = [];
  const peerErrors: string[] = [];
  if (values.peer) {
    const { findTorchPeer } = await import('../app/torch-peer');
    const { pythonEnvDir } = await import('../app/python-env');
    const peerPython = stringOption(values, 'peer-python');
    const torch = await findTorchPeer({
      envDir: pythonEnvDir(),
      ...(peerPython ? { given: peerPython } : {}),
      log: (line) => io.stderr.write(`${line}\n`),
    });
    io.stderr.write(
      `Peer: torch ${torch.version} (${torch.source}, BLAS ${torch.blas}) from ${torch.python}.\n`,
    );
    for (const t of peerThreads) {
      const result = await runPeer(model, torch, t, batches, seconds, io);
      peer.push(...result.lines);
      if (result.error) peerErrors.push(result.error);
    }
    for (const line of ratioLines(ours, peer)) {
      ratios.push(line);
      io.stdout.write(`${JSON.stringify(line)}\n`);
    }
    for (const error of peerErrors) io.stderr.write(`peer: ${error}\n`);
  }
  if (jsonFile) {
    const report = {
      backend: init.backend,
      device: init.device,
      notes: init.notes,
      cpus: cpus().length,
      seconds,
      embeddings,
      ...(embeddings === 'device' ? { lossReadInterval } : {}),
      results: ours,
      peer,
      ratios,
      peerErrors,
    };
    writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  }
  // A peer that failed, or timed another step, leaves the comparison asked for undone.
  return peerErrors.length ? EXIT_RUN_FAILED : EXIT_OK;
}

export async function benchPipelineCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      users: { type: 'string' },
      items: { type: 'string' },
      interactions: { type: 'string' },
      'train-steps': { type: 'string' },
      damcar: { type: 'boolean' },
      epochs: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'string' },
      'l2-thread': { type: 'string' },
      'row-helpers': { type: 'string' },
    },
    BENCH_PIPELINE_HELP,
  );
  if (values.help) {
    io.stdout.write(BENCH_PIPELINE_HELP);
    return EXIT_OK;
  }
  if (positionals.length)
    throw new UsageError(
      `bench-pipeline takes no arguments, got ${positionals.join(' ')}\n\n${BENCH_PIPELINE_HELP}`,
    );
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const text = stringOption(values, key);
    return text === undefined ? fallback : parseIntegerOption(text, `--${key}`, min, max);
  };
  const users = integer('users', WECHAT_SIZE.users, 2, 1_000_000);
  const items = integer('items', WECHAT_SIZE.items, 10, 1_000_000);
  const interactions = integer('interactions', WECHAT_SIZE.interactions, users * 5, 50_000_000);
  const stepsText = stringOption(values, 'train-steps');
  const trainSteps = stepsText === undefined ? null : parseIntegerOption(stepsText, '--train-steps', 1, 1e9);
  const epochs = integer('epochs', 1, 1, 100);
  if (epochs > 1 && values.damcar !== true) throw new UsageError('--epochs applies to --damcar only');
  const backend = backendOption(values) ?? 'auto';
  const jsonFile = stringOption(values, 'json');

  const { initBackend } = await import('../core/tf/backend');
  const { benchPipeline } = await import('../core/bench/pipeline');
  const { useL2Thread } = await import('../core/node/l2-settler');
  // The cores as one run of `cascade-lab run` uses them (app/jobs.ts), or all for TensorFlow
  // with --l2-thread off.
  const share = coresPerRun(cpus().length, 1);
  const l2Thread = onOffOption(values, 'l2-thread') ?? share.l2Thread;
  useL2Thread(l2Thread);
  const { useRowHelperThreads } = await import('../core/node/row-helper-thread');
  const rowHelpers = onOffOption(values, 'row-helpers') ?? share.rowHelpers;
  useRowHelperThreads(rowHelpers);
  const tensorflowThreads = l2Thread ? share.tensorflowThreads : cpus().length;
  Object.assign(process.env, tensorflowEnvironment(process.env, tensorflowThreads));
  const init = await initBackend(backend);
  for (const note of init.notes) io.stderr.write(`${note}\n`);
  io.stderr.write(
    `Backend ${init.backend} (${init.device}); embedding L2 on ${l2Thread ? 'a thread of its own' : 'the training thread'}.\n`,
  );
  const result = await benchPipeline({
    users,
    items,
    interactions,
    trainSteps,
    damcar: values.damcar === true,
    epochs,
    onStage: ({ stage, state, result: stageResult }) => {
      if (state === 'start') io.stderr.write(`${stage}…\n`);
      else if (stageResult) {
        io.stdout.write(`${JSON.stringify(stageLine(stageResult))}\n`);
      }
    },
  });
  const summary = {
    summary: 'pipeline',
    backend: init.backend,
    device: init.device,
    l2_thread: l2Thread ? 'on' : 'off',
    row_helpers: rowHelpers ? 'on' : 'off',
    ...result.dataset,
    total_ms: result.totalEpochMs,
    peak_rss_mb: result.peakRssMb,
  };
  io.stdout.write(`${JSON.stringify(summary)}\n`);
  if (jsonFile) {
    writeFileSync(
      jsonFile,
      `${JSON.stringify({ backend: init.backend, device: init.device, notes: init.notes, l2Thread, ...result }, null, 2)}\n`,
    );
  }
  return EXIT_OK;
}

export function profileLine(
  profile: StepProfile,
  init: BackendInit,
  batch: number,
  threads: number,
  embeddings: EmbeddingPlacement,
): Record<string, unknown> {
  const round = (x: number): number => Number(x.toFixed(3));
  return {
    profile: `cascade-lab-${init.backend}`,
    batch,
    threads,
    embeddings,
    steps: profile.steps,
    wall_ms_per_step: round(profile.wallMsPerStep),
    kernel_ms_per_step: round(profile.kernelMsPerStep),
    outside_kernels_ms_per_step: round(profile.wallMsPerStep - profile.kernelMsPerStep),
    kernels_per_step: round(profile.kernelsPerStep),
    host_reads_per_step: round(profile.hostReadsPerStep),
    kernels: profile.kernels.map((k) => ({
      kernel: k.kernel,
      calls: round(k.callsPerStep),
      ms: round(k.msPerStep),
    })),
  };
}

/** The profile as a table for people: the kernels that take 95% of the kernel time, then the rest. */
export function profileTable(profile: StepProfile, batch: number): string {
  const lines = [
    `batch ${batch}: ${profile.wallMsPerStep.toFixed(2)} ms per step, ${profile.kernelMsPerStep.toFixed(2)} ms in ${profile.kernelsPerStep.toFixed(0)} kernels, ${(profile.wallMsPerStep - profile.kernelMsPerStep).toFixed(2)} ms outside kernels, ${profile.hostReadsPerStep.toFixed(1)} host reads`,
  ];
  let shown = 0;
  for (const row of profile.kernels) {
    if (shown >= 0.95 * profile.kernelMsPerStep && lines.length > 1) break;
    shown += row.msPerStep;
    lines.push(
      `  ${row.kernel.padEnd(24)} ${row.callsPerStep.toFixed(1).padStart(6)} calls ${row.msPerStep.toFixed(3).padStart(9)} ms`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function stageLine(s: StageResult): Record<string, unknown> {
  return { stage: s.stage, ms: s.ms, rss_mb: s.rssMb, ...s.details };
}
