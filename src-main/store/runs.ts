/**
 * The runs table and what hangs off a run: metrics, training curves and phase timings.
 *
 * Status moves queued -> running -> finished | failed | cancelled (queued may also go straight to
 * failed or cancelled). Every transition is guarded by the status it leaves, so a late message
 * (a result arriving after a cancel) cannot overwrite a terminal state; the methods report whether
 * the transition happened.
 */
import type { ParamValues, RunStatus } from '../contract/api';
import type { JobRequest } from '../core/experiments/job';
import { nowIso, parseJsonColumn, type Db } from './database';
import type { Annotation } from './experiments';
import { isProcessAlive, processStartTicks } from './process-identity';

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'finished', 'failed', 'cancelled'];
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];

export const INTERRUPTED_RUNNING_ERROR = 'interrupted: the process stopped while the run was running';
export const INTERRUPTED_QUEUED_ERROR = 'interrupted: the process stopped while the run was queued';

/** What a worker needs to execute the run, minus the run id (known only after the insert). */
export type RunConfig = Omit<JobRequest, 'runId'>;

/** The process that queued or runs a run; see `recoverInterruptedRuns`. */
export interface RunOwner {
  pid: number;
  token: string;
  /** Its start time in clock ticks since boot (process-identity.ts); null where unknown. */
  startTicks: number | null;
}

export interface RunRecord {
  id: number;
  experimentId: number;
  experimentName: string;
  methodIndex: number;
  method: string;
  label: string;
  params: ParamValues;
  datasetId: number | null;
  datasetName: string | null;
  seed: number;
  status: RunStatus;
  backend: string | null;
  device: string | null;
  config: RunConfig;
  timings: Record<string, number>;
  error: string | null;
  ownerPid: number | null;
  ownerToken: string | null;
  ownerStartTicks: number | null;
  /** The queue (redacted Redis URL) and BullMQ job id of a run executed remotely; null locally. */
  queue: string | null;
  queueJobId: string | null;
  /** The remote worker that ran it (name and device); null for local runs. */
  worker: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  metrics: Record<string, number>;
  tags: string[];
  note: string;
  archivedAt: string | null;
}

export interface NewRun {
  experimentId: number;
  methodIndex: number;
  method: string;
  label: string;
  params: ParamValues;
  seed: number;
  datasetId?: number | null;
  config: RunConfig;
}

export interface CurvePoint {
  name: string;
  step: number;
  /** null where the value was not finite (NaN or infinite). */
  value: number | null;
}

export interface RunFilter {
  experimentId?: number;
  statuses?: readonly RunStatus[];
}

interface RunRow {
  id: number;
  experiment_id: number;
  experiment_name: string;
  method_index: number;
  method: string;
  label: string;
  params: string;
  dataset_id: number | null;
  dataset_name: string | null;
  seed: number;
  status: RunStatus;
  backend: string | null;
  device: string | null;
  config: string;
  timings: string;
  error: string | null;
  owner_pid: number | null;
  owner_token: string | null;
  owner_start_ticks: number | null;
  queue: string | null;
  queue_job_id: string | null;
  worker: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  metrics: string | null;
  tags: string;
  note: string;
  archived_at: string | null;
}

const SELECT_RUNS = `
  SELECT runs.*, experiments.name AS experiment_name, datasets.name AS dataset_name,
    (SELECT json_group_object(metrics.key, metrics.value) FROM metrics WHERE metrics.run_id = runs.id) AS metrics
  FROM runs
  JOIN experiments ON experiments.id = runs.experiment_id
  LEFT JOIN datasets ON datasets.id = runs.dataset_id`;

function toRecord(row: RunRow): RunRecord {
  const where = `runs row ${row.id}`;
  return {
    id: row.id,
    experimentId: row.experiment_id,
    experimentName: row.experiment_name,
    methodIndex: row.method_index,
    method: row.method,
    label: row.label,
    params: parseJsonColumn(row.params, `${where}, params`, {}),
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    seed: row.seed,
    status: row.status,
    backend: row.backend,
    device: row.device,
    config: parseJsonColumn(row.config, `${where}, config`, {} as RunConfig),
    timings: parseJsonColumn(row.timings, `${where}, timings`, {}),
    error: row.error,
    ownerPid: row.owner_pid,
    ownerToken: row.owner_token,
    ownerStartTicks: row.owner_start_ticks,
    queue: row.queue,
    queueJobId: row.queue_job_id,
    worker: row.worker,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    metrics: parseJsonColumn(row.metrics, `${where}, metrics`, {}),
    tags: parseJsonColumn(row.tags, `${where}, tags`, []),
    note: row.note,
    archivedAt: row.archived_at,
  };
}

/** Throws when a metric is not a finite number: SQLite would silently store NaN as NULL. */
function assertFiniteMetrics(metrics: Record<string, number>): void {
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Error(`metric ${key} is not a finite number (${String(value)})`);
    }
  }
}

export type RunRepository = ReturnType<typeof createRunRepository>;

export function createRunRepository(db: Db, owner: RunOwner) {
  const insert = db.prepare(
    `INSERT INTO runs (experiment_id, method_index, method, label, params, dataset_id, seed, status, config,
       owner_pid, owner_token, owner_start_ticks, created_at)
     VALUES (@experimentId, @methodIndex, @method, @label, @params, @datasetId, @seed, 'queued', @config,
       @ownerPid, @ownerToken, @ownerStartTicks, @createdAt)`,
  );
  const selectById = db.prepare<[number], RunRow>(`${SELECT_RUNS} WHERE runs.id = ?`);
  const markRunning = db.prepare(
    `UPDATE runs SET status = 'running', started_at = ?, owner_pid = ?, owner_token = ?, owner_start_ticks = ?
     WHERE id = ? AND status = 'queued'`,
  );
  const setBackend = db.prepare('UPDATE runs SET backend = ?, device = ? WHERE id = ?');
  const setQueueJob = db.prepare(
    "UPDATE runs SET queue = ?, queue_job_id = ? WHERE id = ? AND status IN ('queued', 'running')",
  );
  const markRemoteRunning = db.prepare(
    `UPDATE runs SET status = 'running', started_at = COALESCE(started_at, ?), worker = @worker
     WHERE id = @id AND (status = 'queued' OR (status = 'running' AND worker IS NOT @worker))`,
  );
  const selectOnQueue = db.prepare<[string], RunRow>(
    `${SELECT_RUNS} WHERE runs.queue = ? AND runs.queue_job_id IS NOT NULL
       AND runs.status IN ('queued', 'running') ORDER BY runs.id`,
  );
  const setDataset = db.prepare('UPDATE runs SET dataset_id = ? WHERE id = ?');
  const selectTimings = db.prepare<[number], { timings: string }>('SELECT timings FROM runs WHERE id = ?');
  const setTimings = db.prepare('UPDATE runs SET timings = ? WHERE id = ?');
  const upsertCurve = db.prepare(
    'INSERT INTO curves (run_id, name, step, value) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (run_id, name, step) DO UPDATE SET value = excluded.value',
  );
  const selectCurves = db.prepare<[number], CurvePoint>(
    'SELECT name, step, value FROM curves WHERE run_id = ? ORDER BY name, step',
  );
  const upsertMetric = db.prepare(
    'INSERT INTO metrics (run_id, key, value) VALUES (?, ?, ?) ' +
      'ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value',
  );
  const markFinished = db.prepare(
    `UPDATE runs SET status = 'finished', finished_at = ?, error = NULL,
       backend = COALESCE(?, backend), device = COALESCE(?, device)
     WHERE id = ? AND status = 'running'`,
  );
  const markEnded = db.prepare(
    `UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')`,
  );
  const setTags = db.prepare('UPDATE runs SET tags = ? WHERE id = ?');
  const setNote = db.prepare('UPDATE runs SET note = ? WHERE id = ?');
  const setArchived = db.prepare('UPDATE runs SET archived_at = ? WHERE id = ?');
  // Metrics, curves and artifact rows go with it (ON DELETE CASCADE).
  const deleteById = db.prepare("DELETE FROM runs WHERE id = ? AND status NOT IN ('queued', 'running')");
  const countByStatus = db.prepare<[number], { status: RunStatus; n: number }>(
    'SELECT status, COUNT(*) AS n FROM runs WHERE experiment_id = ? GROUP BY status',
  );

  function get(id: number): RunRecord | undefined {
    const row = selectById.get(id);
    return row ? toRecord(row) : undefined;
  }

  const mergeTimings = db.transaction((id: number, timings: Record<string, number>) => {
    const row = selectTimings.get(id);
    if (!row) return;
    const merged = { ...parseJsonColumn(row.timings, `runs row ${id}, timings`, {}), ...timings };
    setTimings.run(JSON.stringify(merged), id);
  });

  const finish = db.transaction(
    (
      id: number,
      result: {
        metrics: Record<string, number>;
        timings?: Record<string, number>;
        backend?: string;
        device?: string;
      },
    ): boolean => {
      assertFiniteMetrics(result.metrics);
      const changed =
        markFinished.run(nowIso(), result.backend ?? null, result.device ?? null, id).changes > 0;
      if (!changed) return false;
      for (const [key, value] of Object.entries(result.metrics)) upsertMetric.run(id, key, value);
      if (result.timings) mergeTimings(id, result.timings);
      return true;
    },
  );

  const createMany = db.transaction((runs: NewRun[]): RunRecord[] =>
    runs.map((run) => {
      const info = insert.run({
        experimentId: run.experimentId,
        methodIndex: run.methodIndex,
        method: run.method,
        label: run.label,
        params: JSON.stringify(run.params),
        datasetId: run.datasetId ?? null,
        seed: run.seed,
        config: JSON.stringify(run.config),
        ownerPid: owner.pid,
        ownerToken: owner.token,
        ownerStartTicks: owner.startTicks,
        createdAt: nowIso(),
      });
      return get(Number(info.lastInsertRowid)) as RunRecord;
    }),
  );

  return {
    annotate: db.transaction((id: number, annotation: Annotation): RunRecord | undefined => {
      if (annotation.tags !== undefined) setTags.run(JSON.stringify(annotation.tags), id);
      if (annotation.note !== undefined) setNote.run(annotation.note, id);
      return get(id);
    }),
    /** Archives (or brings back) runs, all or none; returns how many exist. */
    setArchived: db.transaction((ids: readonly number[], archived: boolean): number => {
      const at = archived ? nowIso() : null;
      return ids.reduce((n, id) => n + setArchived.run(at, id).changes, 0);
    }),
    /** Deletes ended runs, all or none; queued or running ones are kept. Returns how many went. */
    remove: db.transaction((ids: readonly number[]): number =>
      ids.reduce((n, id) => n + deleteById.run(id).changes, 0),
    ),
    /** Inserts queued runs owned by this process, all or none. */
    createMany: (runs: NewRun[]): RunRecord[] => createMany.immediate(runs),
    create: (run: NewRun): RunRecord => createMany.immediate([run])[0],
    get,
    list(filter: RunFilter = {}): RunRecord[] {
      const where: string[] = [];
      const params: (number | string)[] = [];
      if (filter.experimentId !== undefined) {
        where.push('runs.experiment_id = ?');
        params.push(filter.experimentId);
      }
      if (filter.statuses) {
        where.push(`runs.status IN (${filter.statuses.map(() => '?').join(', ') || 'NULL'})`);
        params.push(...filter.statuses);
      }
      const sql = `${SELECT_RUNS}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY runs.id`;
      return db
        .prepare<(number | string)[], RunRow>(sql)
        .all(...params)
        .map(toRecord);
    },
    /** queued -> running; false if the run is not queued any more (e.g. cancelled meanwhile). */
    markRunning: (id: number): boolean =>
      markRunning.run(nowIso(), owner.pid, owner.token, owner.startTicks, id).changes > 0,
    /** Records the queue and job that will execute a queued or running run. */
    setQueueJob: (id: number, queue: string, jobId: string): boolean =>
      setQueueJob.run(queue, jobId, id).changes > 0,
    /**
     * queued -> running on a remote worker (or, running, the worker that took it over after the
     * first one died); false when nothing changed: the run has ended, or that worker has it already.
     */
    markRemoteRunning: (id: number, worker: string): boolean =>
      markRemoteRunning.run(nowIso(), { worker, id }).changes > 0,
    /** Runs still queued or running on the queue `queue` (redacted URL), oldest first. */
    listOnQueue: (queue: string): RunRecord[] => selectOnQueue.all(queue).map(toRecord),
    setBackend(id: number, backend: string, device: string): void {
      setBackend.run(backend, device, id);
    },
    setDataset(id: number, datasetId: number): void {
      setDataset.run(datasetId, id);
    },
    /** Merges phase timings (milliseconds) into the run's timings. */
    addTimings(id: number, timings: Record<string, number>): void {
      mergeTimings.immediate(id, timings);
    },
    addCurvePoint(id: number, name: string, step: number, value: number): void {
      upsertCurve.run(id, name, step, Number.isFinite(value) ? value : null);
    },
    curves: (id: number): CurvePoint[] => selectCurves.all(id),
    /**
     * running -> finished with its metrics; throws (and changes nothing) when a metric is not finite.
     * @returns false if the run was not running.
     */
    finish: (
      id: number,
      result: {
        metrics: Record<string, number>;
        timings?: Record<string, number>;
        backend?: string;
        device?: string;
      },
    ): boolean => finish.immediate(id, result),
    /** queued | running -> failed with the message. */
    fail: (id: number, error: string): boolean => markEnded.run('failed', error, nowIso(), id).changes > 0,
    /** queued | running -> cancelled, with an optional reason. */
    cancel: (id: number, reason: string | null = null): boolean =>
      markEnded.run('cancelled', reason, nowIso(), id).changes > 0,
    countsByStatus(experimentId: number): Record<RunStatus, number> {
      const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
      for (const row of countByStatus.all(experimentId)) counts[row.status] = row.n;
      return counts;
    },
  };
}

/** How recovery tells a live owner from a dead one; the defaults ask the operating system. */
export interface ProcessProbe {
  isProcessAlive?: (pid: number) => boolean;
  /** A live process's start time in clock ticks since boot, null where it cannot be read. */
  processStartTicks?: (pid: number) => number | null;
}

export interface RecoveryOptions extends ProcessProbe {
  /** Tokens of stores open in this process right now; their runs are live. */
  liveTokens: ReadonlySet<string>;
}

/**
 * Marks runs left queued or running by a process that has died as failed, with an `interrupted: ...`
 * error; their metrics, curves and timings stay. A run is left alone while its owner lives: another
 * process (the CLI next to the desktop app) may be running it. A run owned by this process's pid but
 * by no store open here belongs to an earlier process that had the same pid. Likewise a live pid
 * whose start time differs from the one recorded with the run is a new process that inherited the
 * pid, so the run's owner is dead. Rows written before start times were recorded, and systems
 * without /proc (macOS, Windows), fall back to the pid alone. Runs on a queue (queue_job_id set) are
 * the queue service's: Redis knows how they ended (app/queue/coordinator.ts).
 * @returns the ids of the runs it marked.
 */
export function recoverInterruptedRuns(db: Db, options: RecoveryOptions): number[] {
  const alive = options.isProcessAlive ?? isProcessAlive;
  const startTicks = options.processStartTicks ?? processStartTicks;
  const candidates = db
    .prepare<
      [],
      {
        id: number;
        status: RunStatus;
        owner_pid: number | null;
        owner_token: string | null;
        owner_start_ticks: number | null;
      }
    >(
      `SELECT id, status, owner_pid, owner_token, owner_start_ticks FROM runs
       WHERE status IN ('queued', 'running') AND queue_job_id IS NULL`,
    )
    .all();
  const orphaned = candidates.filter((run) => {
    if (run.owner_pid === null) return true;
    if (run.owner_pid === process.pid)
      return run.owner_token === null || !options.liveTokens.has(run.owner_token);
    if (!alive(run.owner_pid)) return true;
    if (run.owner_start_ticks === null) return false;
    const live = startTicks(run.owner_pid);
    return live !== null && live !== run.owner_start_ticks;
  });
  const mark = db.prepare(
    `UPDATE runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')`,
  );
  const recover = db.transaction(() => {
    const now = nowIso();
    return orphaned
      .filter(
        (run) =>
          mark.run(
            run.status === 'running' ? INTERRUPTED_RUNNING_ERROR : INTERRUPTED_QUEUED_ERROR,
            now,
            run.id,
          ).changes > 0,
      )
      .map((run) => run.id);
  });
  return recover.immediate();
}
