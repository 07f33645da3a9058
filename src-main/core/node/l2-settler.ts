/**
 * The background settler of the embedding L2 (core/tf/embedding-l2.ts says what and why): one
 * worker thread per thread that installs it, sweeping every table added to it and taking their
 * owed L2 steps with the training thread's own `settleL2Row`, whose source text it runs.
 *
 * The worker never sits in its event loop: it sweeps, then sleeps in Atomics.wait on a doorbell
 * that `wake` rings after each step, and reads its messages (a table added or removed) with
 * receiveMessageOnPort between sweeps. It stops between rows, never inside one (a row's lock is
 * never left held), once no table is left; it is unref'd, so it never keeps a process alive.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import {
  type BackgroundL2Settler,
  type L2State,
  settleL2Row,
  useBackgroundL2Settler,
} from '../tf/embedding-l2';

type SettlerMessage = { type: 'add'; id: number; state: L2State } | { type: 'remove'; id: number };

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const settleL2Row = (${settleL2Row.toString()});
const { port, doorbell } = workerData;
const tables = new Map();
function run() {
  let removed = false;
  for (;;) {
    const seen = Atomics.load(doorbell, 0);
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      if (m.message.type === 'add') tables.set(m.message.id, { state: m.message.state, swept: 0 });
      else removed = tables.delete(m.message.id);
    }
    if (tables.size === 0 && removed) return;
    for (const table of tables.values()) {
      const target = Atomics.load(table.state.steps, 0);
      if (target === table.swept) continue;
      for (let id = 0; id < table.state.rows; id++) settleL2Row(table.state, id, target);
      table.swept = target;
    }
    Atomics.wait(doorbell, 0, seen);
  }
}
run();
port.close();
`;

export interface WorkerL2Settler extends BackgroundL2Settler {
  /** Resolves once no worker thread runs (after the last table was stopped). */
  idle(): Promise<void>;
}

/** A settler on its own worker thread, started with the first table and ended after the last. */
export function createWorkerL2Settler(): WorkerL2Settler {
  const doorbell = new Int32Array(new SharedArrayBuffer(4));
  let worker: { port: MessagePort; tables: number } | null = null;
  let exited: Promise<void> = Promise.resolve();
  let nextId = 0;

  const wake = (): void => {
    Atomics.add(doorbell, 0, 1);
    Atomics.notify(doorbell, 0);
  };
  const send = (port: MessagePort, message: SettlerMessage): void => {
    port.postMessage(message);
    wake();
  };

  return {
    add(state: L2State): () => void {
      if (!worker) {
        const channel = new MessageChannel();
        const thread = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { port: channel.port2, doorbell },
          transferList: [channel.port2],
        });
        thread.unref();
        channel.port1.unref();
        // Its rows stay exact without it: the training thread takes whatever is still owed.
        thread.once('error', (error: Error) =>
          process.emitWarning(
            `the embedding L2 thread stopped (${error.message}); the training thread takes its steps`,
          ),
        );
        exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
        worker = { port: channel.port1, tables: 0 };
      }
      const current = worker;
      const id = nextId++;
      current.tables++;
      send(current.port, { type: 'add', id, state });
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        send(current.port, { type: 'remove', id });
        current.tables--;
        // The worker ends by itself once it has read that its last table is gone.
        if (current.tables === 0 && worker === current) worker = null;
      };
    },
    wake,
    idle: () => exited,
  };
}

let threadSettler: WorkerL2Settler | null = null;

/**
 * Whether tables created from now on in this thread share their L2 with a background settler
 * (one worker thread, started with the first such table).
 */
export function useL2Thread(enabled: boolean): void {
  if (enabled) threadSettler ??= createWorkerL2Settler();
  useBackgroundL2Settler(enabled ? threadSettler : null);
}
