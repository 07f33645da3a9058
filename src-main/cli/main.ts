/**
 * The `cascade-lab` command line: run an experiment spec, list stored runs, import and benchmark.
 * `cascade-lab serve` is not here: it is the browser host's own entry (src-main/host/main.ts),
 * which bin/cascade-lab.mjs starts, since transports do not import each other.
 * Exit codes: 0 ok, 1 a run failed or was cancelled (or the database cannot be used), 2 usage or
 * validation error, 130 interrupted by Ctrl-C.
 *
 * Each command's implementation is imported only when that command runs: most pull in the
 * protocols, tfjs or the store, which take about a second to load, and `--help` needs none of them
 * (the texts live in help.ts). Keep this module's static imports light.
 */
import { UnusableDatabaseError } from '../app/errors';
import { ValidationError } from '../contract/errors';
import {
  BENCH_FIDELITY_HELP,
  BENCH_HELP,
  BENCH_IMPORT_HELP,
  BENCH_PIPELINE_HELP,
  BENCH_QUEUE_HELP,
  BENCH_STORE_HELP,
  IMPORT_HELP,
  LIST_HELP,
  MAIN_HELP,
  METHODS_HELP,
  RUN_HELP,
  SETUP_HELP,
  WORKER_HELP,
} from './help';
import { EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE, UsageError, processIo, type CliIo } from './io';

type CommandHandler = (args: string[], io: CliIo) => Promise<number>;

interface CommandEntry {
  /** What `cascade-lab <command> --help` prints, without loading the command. */
  help: string;
  /** Imports the command's module: only when the command runs. */
  load: () => Promise<CommandHandler>;
}

const COMMANDS: Record<string, CommandEntry> = {
  run: { help: RUN_HELP, load: async () => (await import('./run-command')).runCommand },
  list: { help: LIST_HELP, load: async () => (await import('./list-command')).listCommand },
  methods: { help: METHODS_HELP, load: async () => (await import('./methods-command')).methodsCommand },
  import: { help: IMPORT_HELP, load: async () => (await import('./import-command')).importCommand },
  'bench-import': {
    help: BENCH_IMPORT_HELP,
    load: async () => (await import('./import-command')).benchImportCommand,
  },
  bench: { help: BENCH_HELP, load: async () => (await import('./bench-command')).benchCommand },
  'bench-pipeline': {
    help: BENCH_PIPELINE_HELP,
    load: async () => (await import('./bench-command')).benchPipelineCommand,
  },
  'bench-fidelity': {
    help: BENCH_FIDELITY_HELP,
    load: async () => (await import('./fidelity-command')).benchFidelityCommand,
  },
  'bench-store': {
    help: BENCH_STORE_HELP,
    load: async () => (await import('./bench-store-command')).benchStoreCommand,
  },
  'bench-queue': {
    help: BENCH_QUEUE_HELP,
    load: async () => (await import('./bench-queue-command')).benchQueueCommand,
  },
  setup: { help: SETUP_HELP, load: async () => (await import('./setup-command')).setupCommand },
  worker: { help: WORKER_HELP, load: async () => (await import('./worker-command')).workerCommand },
};

/**
 * Whether the arguments ask for help: `-h` or `--help` anywhere before a `--`. Every command's
 * parser treats them so too (args.ts), and answers with the same text; this answers first.
 */
function asksForHelp(args: string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '-h' || arg === '--help') return true;
  }
  return false;
}

/** Runs the command line; returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout).write(MAIN_HELP);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!entry) {
    io.stderr.write(`cascade-lab: unknown command ${JSON.stringify(command)}\n\n${MAIN_HELP}`);
    return EXIT_USAGE;
  }
  if (asksForHelp(rest)) {
    io.stdout.write(entry.help);
    return EXIT_OK;
  }
  try {
    const handler = await entry.load();
    return await handler(rest, io);
  } catch (error) {
    // A ValidationError (contract/errors.ts) means "fix the spec or the request", as a UsageError
    // means "fix the command line".
    if (error instanceof UsageError || error instanceof ValidationError) {
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
