/**
 * The `cascade-lab` command line: run an experiment spec, list stored runs, or serve the workbench
 * to a browser. Exit codes: 0 ok, 1 a run failed or was cancelled (or the database cannot be used),
 * 2 usage or validation error, 130 interrupted by Ctrl-C.
 */
import { backendOption, integerOption, parseCommandArgs as parse, stringOption } from './args';
import { writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BACKEND_CHOICES, type RunSummary } from '../contract/api';
import { UnusableDatabaseError, ValidationError } from '../app/errors';
import { createLabApp } from '../app/lab-app';
import { defaultDatabasePath } from '../app/paths';
import type { LocalLabApp } from '../app/types';
import { renderTerminalTable } from './table';
import {
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_RUN_FAILED,
  EXIT_USAGE,
  UsageError,
  processIo,
  type CliIo,
} from './io';
import { benchCommand, benchPipelineCommand } from './bench-command';
import { benchFidelityCommand } from './fidelity-command';
import { benchStoreCommand } from './bench-store-command';
import { setupCommand } from './setup-command';
import { benchImportCommand, importCommand } from './import-command';
import { methodsCommand } from './methods-command';
import { runExperimentWithProgress } from './run-experiment';
import { SpecFileError, loadSpecFile } from './spec-file';

const MAIN_HELP = `Usage: cascade-lab <command> [options]

A workbench for studying bias in cascade recommender systems.

Commands:
  run <spec.json>   Run an experiment spec, print the comparison table, store the runs
  list              List the stored runs
  methods [protocol]  List the papers' testbeds and methods with their hyper-parameters
  serve             Serve the workbench to a browser on this machine
  import <format> <path...>   Import a WeChat, TikTok or CSV dataset (stored once, reused by runs)
  bench-import      Benchmark the importer's throughput (one JSON line)
  bench             Time the DSSM training step against the PyTorch peer (JSON lines)
  bench-pipeline    Time each stage of a WeChat-sized run, with peak memory (JSON lines)
  bench-fidelity <folder> --reference FILE   BC and DAMCAR beside the authors' code's numbers
  bench-store       Write runs and curves from several processes at once; throughput and losses
  setup tensorflow|torch   Build the native TensorFlow backend / install the benchmark's PyTorch peer

Options:
  -h, --help        Show help (also after a command: cascade-lab run --help)

The default database is ${defaultDatabasePath()}
(set CASCADE_LAB_DATA_DIR to use another folder, or pass --db FILE).
`;

const RUN_HELP = `Usage: cascade-lab run <spec.json> [--db FILE] [--json FILE] [--backend B] [--jobs N]

Validates the experiment spec, runs one job per (method, seed) in worker threads with a progress
bar on stderr, prints the comparison table on stdout and stores everything in the database.

Options:
  --db FILE        SQLite database (default: ${defaultDatabasePath()})
  --json FILE      Also write the runs as JSON: {"runs":[{"method","dataset","seed","backend","metrics"}]}
  --backend B      Override the spec's backend: ${BACKEND_CHOICES.join(', ')}
  --jobs N         Runs at once (default: one per core)
  -h, --help       Show this help

Exit codes: 0 every run finished, 1 a run failed or was cancelled, 2 bad arguments or spec,
130 interrupted (Ctrl-C cancels the runs; a second Ctrl-C quits at once).
`;

const LIST_HELP = `Usage: cascade-lab list [--db FILE] [--experiment ID]

Lists the stored runs: id, experiment, method, seed, status, backend and key metrics.

Options:
  --db FILE          SQLite database (default: ${defaultDatabasePath()})
  --experiment ID    Only the runs of this experiment
  -h, --help         Show this help
`;

/** The serve command's flags: parsed from this table and listed from it in SERVE_HELP. */
const SERVE_OPTIONS: Record<string, { type: 'string' | 'boolean'; value?: string; help: string }> = {
  port: { type: 'string', value: 'N', help: 'Port (default: 0, a free one)' },
  host: {
    type: 'string',
    value: 'H',
    help: 'Interface to bind (default: 127.0.0.1; others need --allow-remote)',
  },
  'allow-remote': {
    type: 'boolean',
    help: 'Allow a --host that other machines can reach (the token still applies)',
  },
  db: { type: 'string', value: 'FILE', help: `SQLite database (default: ${defaultDatabasePath()})` },
  static: { type: 'string', value: 'DIR', help: 'Folder with the built workbench (default: out/renderer)' },
};

const serveFlags = Object.entries(SERVE_OPTIONS).map(([name, { value, help }]) => ({
  flag: value === undefined ? `--${name}` : `--${name} ${value}`,
  help,
}));
const serveOptionLines = [...serveFlags, { flag: '-h, --help', help: 'Show this help' }]
  .map(({ flag, help }) => `  ${flag.padEnd(17)}${help}`)
  .join('\n');

const SERVE_HELP = `Usage: cascade-lab serve ${serveFlags.map(({ flag }) => `[${flag}]`).join(' ')}

Serves the workbench and its API over HTTP for a browser on this machine, and prints the URL to
open. The URL carries this start's access token (?token=…), which every request needs: the
browser keeps it in a cookie; scripts send "Authorization: Bearer <token>". Stop it with Ctrl-C.

Options:
${serveOptionLines}
`;

/** Key metrics for one-line listings: retrieval recalls first, then the rest, at most four. */
export function keyMetrics(metrics: Record<string, number>, limit = 4): string {
  const keys = Object.keys(metrics).sort((a, b) => {
    const rank = (key: string): number => (key.startsWith('R@') ? 0 : 1);
    return rank(a) - rank(b) || a.localeCompare(b, undefined, { numeric: true });
  });
  return keys
    .slice(0, limit)
    .map((key) => `${key}=${metrics[key].toFixed(4)}`)
    .join(' ');
}

/** Plain text columns, left aligned. */
export function alignColumns(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

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

async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      db: { type: 'string' },
      json: { type: 'string' },
      backend: { type: 'string' },
      jobs: { type: 'string' },
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

  const app = await createLabApp({
    transport: 'cli',
    dbPath: resolve(stringOption(values, 'db') ?? defaultDatabasePath()),
    maxParallelJobs,
  });
  try {
    const { experimentId, runs, interrupted } = await runExperimentWithProgress(app, spec, io, (s) =>
      app.handlers['experiments:create']({ spec: s }).catch((error: unknown) => {
        // Checks that need the database (a stored dataset that must exist) still name the file.
        if (error instanceof ValidationError && error.field.startsWith('spec.')) {
          throw new SpecFileError(
            specFile,
            error.message.slice('spec.'.length),
            error.field.slice('spec.'.length),
          );
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

async function listCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    { db: { type: 'string' }, experiment: { type: 'string' } },
    LIST_HELP,
  );
  if (values.help) {
    io.stdout.write(LIST_HELP);
    return EXIT_OK;
  }
  if (positionals.length)
    throw new UsageError(`list takes no arguments, got ${positionals.join(' ')}\n\n${LIST_HELP}`);
  const experiment = stringOption(values, 'experiment');
  const experimentId = experiment === undefined ? undefined : integerOption(experiment, '--experiment', 1);
  const dbPath = resolve(stringOption(values, 'db') ?? defaultDatabasePath());
  if (!existsSync(dbPath)) {
    io.stdout.write(`No runs yet: there is no database at ${dbPath}.\n`);
    return EXIT_OK;
  }
  const app = await createLabApp({ transport: 'cli', dbPath });
  try {
    const runs = await app.handlers['runs:list'](experimentId === undefined ? {} : { experimentId });
    if (runs.length === 0) {
      io.stdout.write(`No runs in ${dbPath}.\n`);
      return EXIT_OK;
    }
    const rows = [
      ['ID', 'EXPERIMENT', 'METHOD', 'SEED', 'STATUS', 'BACKEND', 'METRICS'],
      ...runs.map((run) => [
        String(run.id),
        `${run.experimentId} ${run.experimentName}`,
        run.label === run.methodName ? run.method : `${run.method} (${run.label})`,
        String(run.seed),
        run.status,
        run.backend ?? '-',
        run.status === 'failed' && run.error ? `error: ${run.error}` : keyMetrics(run.metrics),
      ]),
    ];
    io.stdout.write(`${alignColumns(rows)}\n`);
    return EXIT_OK;
  } finally {
    await app.close();
  }
}

async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, SERVE_OPTIONS, SERVE_HELP);
  if (values.help) {
    io.stdout.write(SERVE_HELP);
    return EXIT_OK;
  }
  if (positionals.length)
    throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}\n\n${SERVE_HELP}`);
  const portText = stringOption(values, 'port');
  const port = portText === undefined ? 0 : integerOption(portText, '--port', 0, 65535);
  const staticDir = stringOption(values, 'static');
  const bindHost = stringOption(values, 'host');
  const allowRemote = values['allow-remote'] === true;
  const { isLoopbackHost } = await import('../host/access');
  const remote = bindHost !== undefined && !isLoopbackHost(bindHost);
  // Checked before the database is opened (startHost refuses too), so a refusal creates nothing.
  if (remote && !allowRemote) {
    throw new UsageError(
      `--host ${bindHost} is not a loopback address, so other machines could reach the workbench, ` +
        'whose API reads any file this account can. Keep the default 127.0.0.1 (from another ' +
        'machine, use an SSH tunnel: ssh -L PORT:127.0.0.1:PORT this-machine), or add ' +
        `--allow-remote to serve on ${bindHost} anyway.`,
    );
  }
  const { startHost } = await import('../host/server');
  const app: LocalLabApp = await createLabApp({
    transport: 'browser-host',
    dbPath: resolve(stringOption(values, 'db') ?? defaultDatabasePath()),
  });
  let host: Awaited<ReturnType<typeof startHost>>;
  try {
    host = await startHost({
      app,
      port,
      host: bindHost,
      allowRemote,
      staticDir: staticDir === undefined ? undefined : resolve(staticDir),
    });
  } catch (error) {
    await app.close();
    throw error;
  }
  if (remote) {
    io.stderr.write(
      `Warning (--allow-remote): serving on ${bindHost}, reachable from other machines over plain ` +
        'HTTP; whoever sees the traffic gets the token, and with it every file this account can read.\n',
    );
  }
  io.stdout.write(
    `Cascade Lab is serving at ${host.url}\n` +
      'Open that URL in a browser; its token changes each start (scripts: "Authorization: Bearer <token>").\n' +
      `Database: ${app.databasePath}\nStop with Ctrl-C.\n`,
  );
  await new Promise<void>((done) => {
    const remove = io.onInterrupt(() => {
      remove();
      done();
    });
  });
  io.stderr.write('Stopping…\n');
  await host.close();
  await app.close();
  return EXIT_OK;
}

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  run: runCommand,
  list: listCommand,
  methods: methodsCommand,
  serve: serveCommand,
  import: importCommand,
  'bench-import': benchImportCommand,
  bench: benchCommand,
  'bench-pipeline': benchPipelineCommand,
  'bench-fidelity': benchFidelityCommand,
  'bench-store': benchStoreCommand,
  setup: setupCommand,
};

/** Runs the command line; returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout).write(MAIN_HELP);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    io.stderr.write(`cascade-lab: unknown command ${JSON.stringify(command)}\n\n${MAIN_HELP}`);
    return EXIT_USAGE;
  }
  try {
    return await handler(rest, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof SpecFileError) {
      io.stderr.write(`cascade-lab ${command}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof Error && error.name === 'ValidationError') {
      io.stderr.write(`cascade-lab ${command}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof UnusableDatabaseError) {
      // One line that names the file and what to do; a stack trace would only bury it.
      io.stderr.write(`cascade-lab ${command}: ${error.message}\n`);
      return EXIT_RUN_FAILED;
    }
    io.stderr.write(
      `cascade-lab ${command}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_RUN_FAILED;
  }
}
