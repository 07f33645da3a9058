/**
 * Creating and running one experiment with a progress bar on stderr and Ctrl-C handling (the
 * first cancels the runs, a second quits at once): shared by `run` and `bench-fidelity`.
 */
import type { ExperimentSpec, RunSummary } from '../contract/api';
import type { LocalLabApp } from '../app/types';
import { EXIT_INTERRUPTED, type CliIo } from './io';
import { ProgressReporter } from './progress';

export interface ExperimentOutcome {
  experimentId: number;
  /** The runs this call started, as stored when they ended. */
  runs: RunSummary[];
  interrupted: boolean;
}

/**
 * @param createExperiment creates the experiment (lets `run` turn validation errors into errors
 *   that name the spec file); default: the app's `experiments:create`
 */
export async function runExperimentWithProgress(
  app: LocalLabApp,
  spec: ExperimentSpec,
  io: CliIo,
  createExperiment: (spec: ExperimentSpec) => Promise<{ id: number; name: string }> = (s) =>
    app.handlers['experiments:create']({ spec: s }),
): Promise<ExperimentOutcome> {
  const progress = new ProgressReporter({ stream: io.stderr });
  const unsubscribe = [
    app.events.on('job:progress', (event) => progress.onProgress(event)),
    app.events.on('run:status', (event) => progress.onStatus(event)),
    app.events.on('job:log', (line) => progress.onLog(line)),
  ];
  let interrupted = false;
  let experimentId: number | null = null;
  const removeInterrupt = io.onInterrupt((signal) => {
    if (interrupted) {
      io.stderr.write(`\n${signal} again: quitting without waiting.\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    progress.message(`${signal}: cancelling the runs (press Ctrl-C again to quit at once)`);
    if (experimentId !== null) void app.handlers['runs:cancel']({ experimentId }).catch(() => undefined);
  });
  try {
    const experiment = await createExperiment(spec);
    experimentId = experiment.id;
    const { runIds } = await app.handlers['experiments:run']({ experimentId });
    const queued = await app.handlers['runs:list']({ experimentId });
    for (const run of queued)
      if (runIds.includes(run.id)) progress.addRun(run.id, run.label, run.seed, run.status);
    io.stderr.write(
      `Experiment ${experiment.id} "${experiment.name}": ${runIds.length} run(s) → ${app.databasePath}\n`,
    );
    if (interrupted) await app.handlers['runs:cancel']({ experimentId });
    await app.waitForExperiment(experimentId);
    progress.finish();
    const runs = (await app.handlers['runs:list']({ experimentId })).filter((run) => runIds.includes(run.id));
    return { experimentId, runs, interrupted };
  } finally {
    removeInterrupt();
    for (const off of unsubscribe) off();
  }
}
