/**
 * `cascade-lab run <spec.json>`: validates a spec, runs its jobs in worker threads with a progress
 * bar, prints the comparison table and stores everything.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RunSummary } from '../contract/api';
import { ValidationError } from '../contract/errors';
import { createLabApp } from '../app/lab-app';
import { defaultDatabasePath } from '../app/paths';
import { backendOption, integerOption, parseCommandArgs as parse, stringOption } from './args';
import { RUN_HELP } from './help';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, UsageError, type CliIo } from './io';
import { resolveQueueUrl } from './queue-args';
import { runExperimentWithProgress } from './run-experiment';
import { loadSpecFile } from './spec-file';
import { renderTerminalTable } from './table';

export interface RunsJson {
  runs: {
    id: number;
    method: string;
    label: string;
    dataset: string;
    seed: number;
    status: RunSummary['status'];
    backend: string | null;
    device: string | null;
    error: string | null;
    metrics: Record<string, number>;
    timings: Record<string, number>;
  }[];
}

export function runsToJson(runs: RunSummary[]): RunsJson {
  return {
    runs: runs.map((run) => ({
      id: run.id,
      method: run.method,
      label: run.label,
      dataset: run.datasetName,
      seed: run.seed,
      status: run.status,
      backend: run.backend,
      device: run.device,
      error: run.error,
      metrics: run.metrics,
      timings: run.timings,
    })),
  };
}

export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      db: { type: 'string' },
      json: { type: 'string' },
      backend: { type: 'string' },
      jobs: { type: 'string' },
      queue: { type: 'string' },
      'redis-ca': { type: 'string' },
    },
    RUN_HELP,
  );
  if (values.help) {
    io.stdout.write(RUN_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`run takes exactly one spec file, got ${positionals.length}\n\n${RUN_HELP}`);
  }
  const backend = backendOption(values);
  const jobs = stringOption(values, 'jobs');
  const maxParallelJobs = jobs === undefined ? undefined : integerOption(jobs, '--jobs', 1);
  const specFile = positionals[0];
  const spec = loadSpecFile(specFile);
  if (backend !== undefined) spec.backend = backend;
  const jsonFile = stringOption(values, 'json');
  const queueUrl = resolveQueueUrl(stringOption(values, 'queue'), '--queue');

  const app = await createLabApp({
    transport: 'cli',
    dbPath: resolve(stringOption(values, 'db') ?? defaultDatabasePath()),
    maxParallelJobs,
    ...(queueUrl ? { queue: { url: queueUrl }, queueCaFile: stringOption(values, 'redis-ca') } : {}),
  });
  try {
    const queue = await app.handlers['queue:status']({});
    if (queue.runOn.kind === 'queue') {
      const where = queue.runOn.url; // its password redacted
      io.stderr.write(
        queue.workers.length === 0
          ? `No worker is connected to ${where} yet: the runs wait until one is (cascade-lab worker --redis URL).\n`
          : `Queue ${where}: ${queue.workers.map((w) => `${w.name} (${w.device})`).join(', ')}.\n`,
      );
    }
    const { experimentId, runs, interrupted } = await runExperimentWithProgress(app, spec, io, (s) =>
      app.handlers['experiments:create']({ spec: s }).catch((error: unknown) => {
        // Checks that need the database (a stored dataset that must exist) still name the file.
        if (error instanceof ValidationError && error.field.startsWith('spec.')) {
          throw new ValidationError(error.field.slice('spec.'.length), error.reason, specFile);
        }
        throw error;
      }),
    );
    const table = await app.handlers['results:table']({ experimentId });
    io.stdout.write(renderTerminalTable(table, Boolean(io.stdout.isTTY)));
    if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(runsToJson(runs), null, 2)}\n`);
    // Each ended run was already reported on stderr as it ended (ProgressReporter.onStatus).
    const unfinished = runs.filter((run) => run.status !== 'finished');
    if (interrupted) return EXIT_INTERRUPTED;
    return unfinished.length ? EXIT_RUN_FAILED : EXIT_OK;
  } finally {
    await app.close();
  }
}
