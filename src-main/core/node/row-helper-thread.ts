/**
 * Row helpers on worker threads (core/row-helper.ts says what they are for): one worker per job,
 * running the kernel's source text over the job's rows into a ring of slots on a
 * SharedArrayBuffer, at most `slots` rows ahead of the thread that takes them.
 *
 * Hand-written rather than a pool library (piscina and the like): the caller takes each row
 * synchronously inside a loop that cannot yield to its event loop (the simulator, the
 * evaluation's per-user pass), which message-passing pools need to deliver results; here the
 * caller waits on the ring with Atomics.wait and reads the row in place, without a copy.
 *
 * Ring protocol (control words): [0] rows produced, or -1 once the worker stopped early (failed,
 * or no slot freed for `idleMs`), [1] rows released (the taker frees row k - 1's slot when it asks
 * for row k), [2] closed by the taker. The taker waits on [0], so a stop wakes it whenever it
 * comes (Atomics.wait compares and sleeps in one step). The worker never waits in its event loop;
 * it ends after its last row, when the taker closes the stream, or after `idleMs` without a free
 * slot (a taker that stopped taking), and is unref'd, so it never keeps a process alive. The taker
 * gives up on the helper (and computes the rows itself) when it stopped early or made no progress
 * for `waitLimitMs`.
 */
import { Worker } from 'node:worker_threads';
import {
  type RowHelpers,
  type RowJob,
  type RowKernelInput,
  type RowSlot,
  type RowStream,
  useRowHelpers,
} from '../row-helper';

/** [0] once the worker stopped early. */
const STOPPED = -1;
/** [2] once the taker closed the stream. */
const CLOSED = 1;

/** The worker's program: the job's helpers and kernel, then the ring loop. */
function workerSource<I extends RowKernelInput>(job: RowJob<I>): string {
  const helpers = (job.helpers ?? []).map((f) => `const ${f.name} = ${f.toString()};`).join('\n');
  return `
const { workerData } = require('node:worker_threads');
${helpers}
const rowKernel = ${job.kernel.toString()};
function runRows() {
  const { input, rows, control, values, slots, slotWords, idleMs } = workerData;
  const ring = values.length;
  const views = [];
  for (let s = 0; s < ring; s++)
    views.push({
      f64: new Float64Array(slots, s * slotWords * 8, slotWords),
      i32: new Int32Array(slots, s * slotWords * 8, slotWords * 2),
    });
  try {
    for (let k = 0; k < rows.length; k++) {
      for (;;) {
        if (Atomics.load(control, 2) === ${CLOSED}) return;
        const released = Atomics.load(control, 1);
        if (k - released < ring) break;
        if (Atomics.wait(control, 1, released, idleMs) === 'timed-out' && Atomics.load(control, 1) === released) {
          Atomics.store(control, 0, ${STOPPED});
          Atomics.notify(control, 0);
          return;
        }
      }
      const s = k % ring;
      values[s] = rowKernel(input, rows[k], views[s]);
      Atomics.store(control, 0, k + 1);
      Atomics.notify(control, 0);
    }
  } catch (error) {
    Atomics.store(control, 0, ${STOPPED});
    Atomics.notify(control, 0);
    throw error;
  }
}
runRows();
`;
}

export interface ThreadRowHelperOptions {
  /** Jobs of less work than this are left to the caller (a thread costs tens of milliseconds to start). */
  minWork?: number;
  /** Rows the helper may run ahead of the taker, where a job does not say (default 4). */
  slots?: number;
  /** How long the taker waits without progress before computing the rows itself. */
  waitLimitMs?: number;
  /** How long the helper waits for a free slot before it ends. */
  idleMs?: number;
}

export interface ThreadRowHelpers extends RowHelpers {
  /** How many helper threads these helpers have started. */
  readonly started: number;
  /** Resolves once none of their threads runs. */
  idle(): Promise<void>;
}

/** Below about 2^24 element operations (a few tenths of a second) a thread does not pay. */
export const DEFAULT_ROW_HELPER_MIN_WORK = 1 << 24;

export function createThreadRowHelpers(options: ThreadRowHelperOptions = {}): ThreadRowHelpers {
  const minWork = options.minWork ?? DEFAULT_ROW_HELPER_MIN_WORK;
  const defaultRing = options.slots ?? 4;
  const waitLimitMs = options.waitLimitMs ?? 30_000;
  const idleMs = options.idleMs ?? 30_000;
  const running = new Set<Promise<void>>();
  let started = 0;

  return {
    start<I extends RowKernelInput>(job: RowJob<I>): RowStream | null {
      const ring = job.slots ?? defaultRing;
      if (!Number.isInteger(ring) || ring < 1) throw new Error(`row helper: slots must be >= 1, got ${ring}`);
      if (job.work < minWork || job.rows.length === 0) return null;
      const control = new Int32Array(new SharedArrayBuffer(3 * 4));
      const values = new Float64Array(new SharedArrayBuffer(ring * 8));
      const slots = new SharedArrayBuffer(ring * job.slotWords * 8);
      const views: RowSlot[] = Array.from({ length: ring }, (_, s) => ({
        f64: new Float64Array(slots, s * job.slotWords * 8, job.slotWords),
        i32: new Int32Array(slots, s * job.slotWords * 8, job.slotWords * 2),
      }));
      let worker: Worker;
      try {
        worker = new Worker(workerSource(job), {
          eval: true,
          name: 'cascade-lab row helper',
          workerData: {
            input: job.input,
            rows: job.rows,
            control,
            values,
            slots,
            slotWords: job.slotWords,
            idleMs,
          },
        });
      } catch (error) {
        // No thread to be had (a resource limit, say): the caller computes every row.
        process.emitWarning(
          `no row helper thread could start (${error instanceof Error ? error.message : String(error)}); the rows are computed without it`,
        );
        return null;
      }
      worker.unref();
      // The rows stay right without it: the taker computes whatever the helper did not.
      worker.once('error', (error: Error) =>
        process.emitWarning(
          `a row helper thread stopped (${error.message}); its rows are computed without it`,
        ),
      );
      started++;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      running.add(exited);
      void exited.then(() => running.delete(exited));

      const rowCount = job.rows.length;
      let taken = 0;
      let stopped = false;
      const close = (): void => {
        if (stopped) return;
        stopped = true;
        Atomics.store(control, 2, CLOSED);
        Atomics.notify(control, 1);
      };
      return {
        next() {
          if (stopped) return null;
          const k = taken;
          if (k >= rowCount) {
            close();
            return null;
          }
          Atomics.store(control, 1, k);
          Atomics.notify(control, 1);
          for (;;) {
            const produced = Atomics.load(control, 0);
            if (produced > k) break;
            if (produced === STOPPED) {
              close();
              return null;
            }
            if (
              Atomics.wait(control, 0, produced, waitLimitMs) === 'timed-out' &&
              Atomics.load(control, 0) === produced
            ) {
              close();
              return null;
            }
          }
          taken++;
          const s = k % ring;
          return { value: values[s], slot: views[s] };
        },
        close,
      };
    },
    get started() {
      return started;
    },
    idle: () => Promise.all([...running]).then(() => undefined),
  };
}

/** Whether rows of large jobs started from now on in this thread are computed ahead on helper threads. */
export function useRowHelperThreads(enabled: boolean, options: ThreadRowHelperOptions = {}): void {
  useRowHelpers(enabled ? createThreadRowHelpers(options) : null);
}
