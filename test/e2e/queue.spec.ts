/**
 * Remote execution from the workbench: a real redis-server (with a password) on a random loopback
 * port and one `cascade-lab worker` process with its own data folder; the workbench connects in
 * Settings, lists the worker, runs an experiment there and shows which worker ran it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type RedisServerHandle } from '../../src-main/app/queue/local-redis';
import { expect, test } from './fixtures';
import { RunTargetSettingsPage } from './pages/run-target-page';
import { WorkersViewPage } from './pages/workers-view-page';
import { WorkbenchPage } from './pages/workbench-page';

const root = join(import.meta.dirname, '..', '..');
const WORKER_NAME = 'e2e-gpu';
const PASSWORD = 'e2e-secret-pw';

interface WorkerProcess {
  child: ChildProcess;
  output(): string;
}

function startWorker(url: string, folder: string): WorkerProcess {
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin', 'cascade-lab.mjs'),
      'worker',
      '--redis',
      url,
      '--name',
      WORKER_NAME,
      '--data',
      join(folder, 'worker-data'),
    ],
    // Its own folders only, as a worker on another machine: nothing of the workbench's data folder.
    { cwd: folder, env: { ...process.env, CASCADE_LAB_DATA_DIR: join(folder, 'worker-home') } },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** Ctrl-C, as a user stops a worker; SIGKILL when it has not stopped within 10 s. */
async function stopWorker(worker: WorkerProcess): Promise<void> {
  const { child } = worker;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000));
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

let redis: RedisServerHandle | null = null;
let worker: WorkerProcess | null = null;
let folder: string | null = null;

test.afterEach(async () => {
  if (worker) await stopWorker(worker);
  worker = null;
  await redis?.stop();
  redis = null;
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = null;
});

test('runs on a queue: connect in Settings, see the worker, run there and see who ran it', async ({
  workbench,
}) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  const settings = new RunTargetSettingsPage(page);
  const workers = new WorkersViewPage(page);
  redis = await startRedisServer({ password: PASSWORD });
  folder = await mkdtemp(join(tmpdir(), 'cascade-lab-e2e-worker-'));
  worker = startWorker(redis.url, folder);
  await shell.ready();

  // Before connecting, runs execute here, and both the status bar and the workers view say so.
  const runTarget = page.getByTestId('status-run-target');
  await expect(runTarget).toHaveText('This machine');
  await workers.open();
  await expect(workers.local).toContainText('Runs execute on this machine');

  // A queue nobody serves: the main side's message shows, and runs still execute here.
  await settings.open();
  await settings.connect('redis://127.0.0.1:1');
  await expect(settings.error).toContainText('127.0.0.1:1');
  await expect(runTarget).toHaveText('This machine');

  // The real queue: connected, named without its password, the field emptied of it.
  await settings.connect(redis.url);
  await expect(settings.error).toBeHidden();
  await expect(settings.connected).toHaveText(`redis://:***@127.0.0.1:${redis.port}`);
  await expect(settings.url).toHaveValue('');
  await expect(settings.root).not.toContainText(PASSWORD);
  await expect(runTarget).toContainText(`127.0.0.1:${redis.port}`);
  await page.screenshot({ path: test.info().outputPath('settings-run-on.png') });

  // The workers view lists the worker once it has announced itself.
  await workers.open();
  await expect(workers.queue).toHaveText(`127.0.0.1:${redis.port}`);
  const card = workers.worker(WORKER_NAME);
  await expect(card, `the worker did not show up; its output:\n${worker.output()}`).toBeVisible({
    timeout: 60_000,
  });
  await expect(card.getByTestId('workers-item-status')).toHaveText('ready');
  await expect(card.getByTestId('workers-item-load')).toContainText('0/1');
  await expect(card.getByTestId('workers-item-device')).not.toBeEmpty();
  await expect(runTarget).toHaveText(`127.0.0.1:${redis.port} · 1 worker`);
  await page.screenshot({ path: test.info().outputPath('workers-view.png') });

  // A tiny experiment from the editor executes on that worker.
  const editor = await shell.newExperiment();
  await editor.setSimulator('users', 300);
  await editor.setSimulator('items', 600);
  await editor.setEpochs(1);
  await editor.setEmbeddingDim(32);
  await editor.name.fill('E2E on the queue');
  await editor.run();
  await expect(editor.error).toBeHidden();

  // While it trains, the panel's live progress names the worker (a fresh worker trains the ranking
  // model too, so the run lasts long enough to be seen).
  const job = page.getByTestId('job-progress').first();
  await expect(job.getByTestId('job-worker')).toContainText(WORKER_NAME, { timeout: 60_000 });

  const results = shell.results();
  await expect(results.root).toBeVisible();
  await results.waitForNumbers('bc', 180_000);
  const runWorker = page.getByTestId('results-run-worker').first();
  await expect(runWorker).toContainText(WORKER_NAME);

  // The run's details and the runs list name the worker too; the run finished.
  await runWorker.click();
  await expect(page.getByTestId('run-details')).toBeVisible();
  await expect(page.getByTestId('run-worker')).toContainText(WORKER_NAME);
  await page.screenshot({ path: test.info().outputPath('run-details-worker.png') });
  await expect(page.getByTestId('run-details').locator('.badge').first()).toHaveText('finished');
  await page.getByTestId('activity-runs').click();
  await expect(page.getByTestId('runs-item-worker').first()).toContainText(WORKER_NAME);
  await expect(shell.statusRuns).toHaveAttribute('title', /1 finished/);

  // Back to this machine.
  await settings.open();
  await settings.useThisMachine();
  await expect(runTarget).toHaveText('This machine');

  // The refused connection is the one request Chromium may log; anything else would be a bug.
  const unexpected = workbench.consoleErrors.filter(
    (text) => !/the server responded with a status of (400|500|502|503)/.test(text),
  );
  expect(unexpected).toEqual([]);
});
