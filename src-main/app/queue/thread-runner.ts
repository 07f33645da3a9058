/**
 * Runs jobs in training worker threads (jobs.ts JobPool) for callers that are not the store: a
 * queue worker executing jobs it took from Redis, and a coordinator building a world only for its
 * digest. Each call gets a promise of the result and the job's events as they come.
 */
import type { JobEvent, JobRequest, JobResult } from '../../core/experiments/job';
import { JobPool } from '../jobs';

/** How a job ended when it did not finish. */
export class JobEndedError extends Error {
  constructor(
    message: string,
    readonly outcome: 'failed' | 'cancelled',
  ) {
    super(message);
    this.name = 'JobEndedError';
  }
}

interface Pending {
  request: Omit<JobRequest, 'runId'>;
  onEvent: (event: JobEvent) => void;
  resolve: (result: JobResult) => void;
  reject: (error: JobEndedError) => void;
}

export interface ThreadJob {
  /** The pool's id of the job, for cancel(). */
  id: number;
  result: Promise<JobResult>;
}

export class ThreadJobRunner {
  private readonly pool: JobPool;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(options: { maxParallel: number; workerEntry?: URL; cancelGraceMs?: number }) {
    const settle = (id: number): Pending | undefined => {
      const job = this.pending.get(id);
      this.pending.delete(id);
      return job;
    };
    this.pool = new JobPool({
      maxParallel: options.maxParallel,
      workerEntry: options.workerEntry,
      cancelGraceMs: options.cancelGraceMs,
      hooks: {
        start: (id) => {
          const job = this.pending.get(id);
          return job ? { ...job.request, runId: id } : null;
        },
        event: (id, event) => this.pending.get(id)?.onEvent(event),
        finished: (id, result) => settle(id)?.resolve(result),
        failed: (id, message) => settle(id)?.reject(new JobEndedError(message, 'failed')),
        cancelled: (id, reason) =>
          settle(id)?.reject(new JobEndedError(reason ?? 'The run was cancelled.', 'cancelled')),
      },
    });
  }

  run(request: Omit<JobRequest, 'runId'>, onEvent: (event: JobEvent) => void = () => undefined): ThreadJob {
    const id = this.nextId++;
    const result = new Promise<JobResult>((resolve, reject) => {
      this.pending.set(id, { request, onEvent, resolve, reject });
    });
    this.pool.enqueue([id]);
    return { id, result };
  }

  cancel(id: number): void {
    this.pool.cancel(id);
  }

  get activeCount(): number {
    return this.pool.runningRunIds.length;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
