/**
 * `cascade-lab bench-fidelity`: imports a WeChat-format folder, runs BC and DAMCAR over several
 * seeds with the authors' settings and evaluation (DeepFM ranking, test-split feeds as the corpus,
 * K1 = 100, 200), and prints mean ± std next to the numbers the authors' code produced on the same
 * files (a reference JSON, scripts/fidelity/). A benchmark, not a test: missed targets are
 * reported, not turned into a failing exit code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type BackendChoice, type ExperimentSpec, type ParamValues } from '../contract/api';
import {
  ReferenceFileError,
  compareWithReference,
  fidelityTargets,
  parseFidelityReference,
  renderFidelityReport,
} from '../app/fidelity';
import { createLabApp } from '../app/lab-app';
import { defaultDatabasePath } from '../app/paths';
import { DAMCAR_PROTOCOL } from '../core/protocols/damcar/index';
import { backendOption, integerOption, parseCommandArgs as parse, stringOption as text } from './args';
import { importWithProgress } from './import-command';
import { BENCH_FIDELITY_HELP } from './help';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, UsageError, type CliIo } from './io';
import { runExperimentWithProgress } from './run-experiment';
import { renderTerminalTable } from './table';

export const FIDELITY_METRICS = ['R@100', 'R@200', 'P@100', 'F@100', 'N@10', 'M@10', 'H@10', 'N@20'];

function list(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function protocolParamsOption(value: string | undefined): ParamValues | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--protocol-params must be a JSON object: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError('--protocol-params must be a JSON object such as {"retrievalScore":"dot"}');
  return parsed as ParamValues;
}

/** The experiment the command runs on a stored dataset. */
export function fidelitySpec(options: {
  datasetId: number;
  folder: string;
  seeds: number[];
  methods: string[];
  protocolParams?: ParamValues;
  backend: BackendChoice;
}): ExperimentSpec {
  return {
    name: `Fidelity: ${basename(options.folder)} against the DAMCAR authors' code`,
    description:
      "BC and DAMCAR with the testbed's defaults and the authors' evaluation (test-split feeds as the corpus), " +
      'to compare with the numbers of the authors’ code on the same files (cascade-lab bench-fidelity).',
    protocol: 'damcar',
    ...(options.protocolParams ? { protocolParams: options.protocolParams } : {}),
    dataset: { kind: 'stored', datasetId: options.datasetId },
    retrieval: { model: 'dssm' },
    ranking: { model: 'deepfm' },
    methods: options.methods.map((id) => ({ id })),
    training: { ...DAMCAR_PROTOCOL.training },
    evaluation: { retrievalK: [100, 200], corpus: 'test', split: 'user-time' },
    seeds: options.seeds,
    backend: options.backend,
  };
}

export async function benchFidelityCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    Object.fromEntries(
      ['reference', 'seeds', 'methods', 'protocol-params', 'db', 'backend', 'jobs', 'json'].map((flag) => [
        flag,
        { type: 'string' as const },
      ]),
    ),
    BENCH_FIDELITY_HELP,
  );
  if (values.help) {
    io.stdout.write(BENCH_FIDELITY_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1)
    throw new UsageError(`bench-fidelity takes one WeChat-format folder\n\n${BENCH_FIDELITY_HELP}`);
  const folder = resolve(positionals[0]);
  const referenceFile = text(values, 'reference');
  if (referenceFile === undefined)
    throw new UsageError(`--reference FILE is required\n\n${BENCH_FIDELITY_HELP}`);
  let reference;
  try {
    reference = parseFidelityReference(readFileSync(resolve(referenceFile), 'utf8'), referenceFile);
  } catch (error) {
    if (error instanceof ReferenceFileError) throw new UsageError(error.message);
    throw new UsageError(`${referenceFile}: ${(error as Error).message}`);
  }
  const seeds = list(text(values, 'seeds') ?? '1,2,3').map((s) =>
    integerOption(s, '--seeds', 0, 2 ** 31 - 1),
  );
  const methods = list(text(values, 'methods') ?? 'bc,damcar');
  for (const method of methods)
    if (method !== 'bc' && method !== 'damcar')
      throw new UsageError(`--methods takes bc and/or damcar, got ${JSON.stringify(method)}`);
  const backend = backendOption(values) ?? 'auto';
  const jobs = text(values, 'jobs');
  const protocolParams = protocolParamsOption(text(values, 'protocol-params'));

  const app = await createLabApp({
    transport: 'cli',
    dbPath: resolve(text(values, 'db') ?? defaultDatabasePath()),
    maxParallelJobs: jobs === undefined ? undefined : integerOption(jobs, '--jobs', 1),
  });
  try {
    const files = ['user_action.csv', 'feed_info.csv', 'feed_embeddings.csv'].map((name) =>
      join(folder, name),
    );
    const { done, interrupted: importInterrupted } = await importWithProgress(
      app,
      { format: 'wechat', paths: files, name: basename(folder) },
      io,
    );
    if (done.cancelled || importInterrupted) return EXIT_INTERRUPTED;
    if (done.error || !done.dataset) {
      io.stderr.write(
        `cascade-lab bench-fidelity: ${done.error?.message ?? 'the import produced no dataset'}\n`,
      );
      return EXIT_RUN_FAILED;
    }
    const spec = fidelitySpec({
      datasetId: done.dataset.id,
      folder,
      seeds,
      methods,
      ...(protocolParams ? { protocolParams } : {}),
      backend,
    });
    const { experimentId, runs, interrupted } = await runExperimentWithProgress(app, spec, io);
    const table = await app.handlers['results:table']({ experimentId });
    io.stdout.write(renderTerminalTable(table, Boolean(io.stdout.isTTY)));
    const rows = compareWithReference(runs, reference, FIDELITY_METRICS);
    const targets = fidelityTargets(rows);
    io.stdout.write(
      `\n${renderFidelityReport({
        title: `${basename(folder)}: Cascade Lab against the authors' code`,
        reference,
        rows,
        targets,
        failed: runs.filter((run) => run.status !== 'finished'),
        ourSettings: table.caption,
      })}`,
    );
    const jsonFile = text(values, 'json');
    if (jsonFile)
      writeFileSync(
        resolve(jsonFile),
        `${JSON.stringify({ folder, seeds, caption: table.caption, rows, targets, runs: runs.map(({ method, seed, status, error, metrics }) => ({ method, seed, status, error, metrics })) }, null, 2)}\n`,
      );
    if (interrupted) return EXIT_INTERRUPTED;
    return runs.every((run) => run.status === 'finished') ? EXIT_OK : EXIT_RUN_FAILED;
  } finally {
    await app.close();
  }
}
