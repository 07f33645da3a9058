/**
 * `cascade-lab worker`: executes runs queued on Redis (app/queue/worker.ts) until Ctrl-C.
 */
import { join } from 'node:path';
import { defaultDataDir } from '../app/paths';
import { startQueueWorker } from '../app/queue/worker';
import { backendOption, integerOption, parseCommandArgs as parse, stringOption } from './args';
import { WORKER_HELP } from './help';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, UsageError, type CliIo } from './io';
import { resolveQueueUrl } from './queue-args';

export async function workerCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      redis: { type: 'string' },
      concurrency: { type: 'string' },
      backend: { type: 'string' },
      name: { type: 'string' },
      data: { type: 'string' },
      'redis-ca': { type: 'string' },
      'stalled-ms': { type: 'string' },
    },
    WORKER_HELP,
  );
  if (values.help) {
    io.stdout.write(WORKER_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`worker takes no arguments\n\n${WORKER_HELP}`);
  const url = resolveQueueUrl(stringOption(values, 'redis'), '--redis', process.env, 'CASCADE_LAB_REDIS_URL');
  if (!url) throw new UsageError(`worker needs --redis URL (or CASCADE_LAB_REDIS_URL)\n\n${WORKER_HELP}`);
  const concurrency = stringOption(values, 'concurrency');
  const stalled = stringOption(values, 'stalled-ms');
  const name = stringOption(values, 'name');
  if (name !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new UsageError(`--name must be 1-64 letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
  }
  const log = (message: string): void => {
    io.stderr.write(`${new Date().toISOString()} ${message}\n`);
  };
  const worker = await startQueueWorker({
    url,
    caFile: stringOption(values, 'redis-ca'),
    name,
    concurrency: concurrency === undefined ? undefined : integerOption(concurrency, '--concurrency', 1, 256),
    backend: backendOption(values),
    dataDir: stringOption(values, 'data') ?? join(defaultDataDir(), `worker-${name ?? `${process.pid}`}`),
    stalledMs: stalled === undefined ? undefined : integerOption(stalled, '--stalled-ms', 500, 3_600_000),
    log,
  });
  let interrupts = 0;
  const removeInterrupt = io.onInterrupt((signal) => {
    interrupts += 1;
    if (interrupts === 1) {
      log(`${signal}: finishing the running runs, taking no more (Ctrl-C again stops them now).`);
      void worker.close(false);
    } else {
      log(`${signal} again: stopping the running runs; the queue gives them to other workers.`);
      void worker.close(true).then(() => process.exit(EXIT_INTERRUPTED));
    }
  });
  try {
    const { reason } = await worker.stopped;
    if (reason) {
      io.stderr.write(`cascade-lab worker: ${reason}\n`);
      return EXIT_RUN_FAILED;
    }
    return EXIT_OK;
  } finally {
    removeInterrupt();
  }
}
