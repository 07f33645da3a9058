/**
 * Schema migrations, numbered by position: MIGRATIONS[0] takes `PRAGMA user_version` from 0 to 1,
 * MIGRATIONS[1] from 1 to 2, and so on. Append new steps; never edit a released one, because
 * databases in users' data folders already ran it.
 */
import type Database from 'better-sqlite3';
import { MOVE_ASIDE, UnusableDatabaseError } from './unusable-database';

/**
 * `PRAGMA application_id` of a Cascade Lab database ("CSLB"), set by migration 2: it tells our
 * files from other applications' SQLite files, which must never be migrated into ours.
 */
export const APPLICATION_ID = 0x43534c42;

/** Tables every Cascade Lab database has had since migration 1 (how files older than APPLICATION_ID are recognised). */
export const CORE_TABLES: readonly string[] = [
  'datasets',
  'experiments',
  'runs',
  'metrics',
  'curves',
  'artifacts',
];

export const MIGRATIONS: readonly string[] = [
  // 1: the walking skeleton's schema.
  `
  CREATE TABLE datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('simulated', 'wechat', 'tiktok', 'csv')),
    -- JSON: the simulator's resolved parameters, or an importer's options.
    params TEXT NOT NULL DEFAULT '{}',
    -- JSON: { users, items, interactions, positives }.
    stats TEXT NOT NULL DEFAULT '{}',
    has_ground_truth INTEGER NOT NULL DEFAULT 0 CHECK (has_ground_truth IN (0, 1)),
    -- Identity of the content (a hash of the simulator's parameters, or of an importer's source
    -- files) so the same data is stored once; format_version says which processing produced it.
    content_hash TEXT,
    format_version INTEGER NOT NULL DEFAULT 1,
    -- Folder with the processed columns (importers); NULL for simulated data, which is regenerated.
    path TEXT,
    created_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX datasets_content ON datasets (kind, content_hash, format_version)
    WHERE content_hash IS NOT NULL;

  CREATE TABLE experiments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    -- JSON: the validated ExperimentSpec (defaults applied).
    spec TEXT NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    -- Position of the method in the spec's methods list: the row of the results table.
    method_index INTEGER NOT NULL,
    method TEXT NOT NULL,
    label TEXT NOT NULL,
    -- JSON: every declared hyper-parameter of the method, defaults filled in.
    params TEXT NOT NULL DEFAULT '{}',
    dataset_id INTEGER REFERENCES datasets (id) ON DELETE SET NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued'
      CHECK (status IN ('queued', 'running', 'finished', 'failed', 'cancelled')),
    backend TEXT,
    device TEXT,
    -- JSON: the complete job request, so a run can be repeated from its row alone.
    config TEXT NOT NULL DEFAULT '{}',
    -- JSON: { phase: milliseconds }.
    timings TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    -- Which process queued or runs it: recovery after a crash must not touch another live
    -- process's runs (the CLI and the desktop app share one database).
    owner_pid INTEGER,
    owner_token TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
  );
  CREATE INDEX runs_experiment ON runs (experiment_id);
  CREATE INDEX runs_status ON runs (status);

  CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, key)
  );

  -- Training curves: one named scalar series per run (e.g. loss per epoch). A NULL value records a
  -- non-finite point (a diverged loss) instead of hiding it.
  CREATE TABLE curves (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    step INTEGER NOT NULL,
    value REAL,
    PRIMARY KEY (run_id, name, step)
  );

  CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    path TEXT,
    blob BLOB,
    -- JSON: whatever describes the artifact (shape, format, ...).
    meta TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    CHECK (path IS NOT NULL OR blob IS NOT NULL)
  );
  CREATE INDEX artifacts_run ON artifacts (run_id);
  `,
  // 2: a run's owner is its pid plus the process's start time, because the kernel reuses pids
  // (recoverInterruptedRuns); and the file says it is Cascade Lab's (APPLICATION_ID).
  `
  -- Clock ticks since boot (/proc/<pid>/stat field 22); NULL where the system has no /proc, and
  -- on rows written before this column existed.
  ALTER TABLE runs ADD COLUMN owner_start_ticks INTEGER;
  PRAGMA application_id = ${APPLICATION_ID};
  `,
  // 3: what analysts write on runs and experiments (tags, a note) and archiving, which hides an
  // experiment or run from the default lists without deleting anything.
  `
  -- JSON: a list of distinct tags, each trimmed, at most MAX_TAGS of MAX_TAG_CHARS (contract/limits.ts).
  ALTER TABLE experiments ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE experiments ADD COLUMN note TEXT NOT NULL DEFAULT '';
  ALTER TABLE experiments ADD COLUMN archived_at TEXT;
  ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT '';
  ALTER TABLE runs ADD COLUMN archived_at TEXT;
  `,
  // 4: runs executed by remote workers through a queue (app/queue/): which queue and job, and the
  // worker that ran it. Queue runs belong to the queue, not to this process: recovery leaves them to
  // the queue service, which asks Redis how they ended.
  `
  -- The queue's Redis URL with its password redacted, and the BullMQ job id; NULL for local runs.
  ALTER TABLE runs ADD COLUMN queue TEXT;
  ALTER TABLE runs ADD COLUMN queue_job_id TEXT;
  -- The worker that ran it, e.g. "gpu-1 (NVIDIA H100, tensorflow)"; NULL for local runs.
  ALTER TABLE runs ADD COLUMN worker TEXT;
  CREATE INDEX runs_queue_job ON runs (queue_job_id) WHERE queue_job_id IS NOT NULL;
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database to SCHEMA_VERSION, one transaction per step. Each step re-reads the version
 * inside an IMMEDIATE transaction, so two processes opening a fresh file at once do not both run it.
 * @returns the versions before and after.
 */
export function migrate(db: Database.Database): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) throw newerSchemaError(db.name, from);
  for (let step = from; step < SCHEMA_VERSION; step++) {
    const apply = db.transaction(() => {
      if (schemaVersion(db) !== step) return; // another process applied it meanwhile
      db.exec(MIGRATIONS[step]);
      db.pragma(`user_version = ${step + 1}`);
    });
    try {
      apply.immediate();
    } catch (error) {
      throw new Error(`${db.name}: migration ${step + 1} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return { from, to: schemaVersion(db) };
}

/**
 * What the file at `db.name` is, read in one snapshot before anything is written to it: throws an
 * UnusableDatabaseError for another application's SQLite file and for a newer Cascade Lab's.
 * A file with no tables and no application id is new (or one whose first migration never
 * committed) and is Cascade Lab's to set up.
 */
export function assertCascadeLabDatabase(db: Database.Database): void {
  const { version, applicationId, tables } = db.transaction(() => ({
    version: schemaVersion(db),
    applicationId: db.pragma('application_id', { simple: true }) as number,
    tables: db
      .prepare<[], string>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name",
      )
      .pluck()
      .all(),
  }))();
  const ours = applicationId === APPLICATION_ID;
  const foreign = (what: string): UnusableDatabaseError =>
    new UnusableDatabaseError(
      db.name,
      'foreign',
      `${db.name} is not a Cascade Lab database: it is a SQLite database of another application (${what}). ` +
        `Nothing was changed. ${MOVE_ASIDE}`,
    );
  if (applicationId !== 0 && !ours) {
    throw foreign(`application id 0x${(applicationId >>> 0).toString(16).padStart(8, '0')}`);
  }
  const missing = CORE_TABLES.filter((table) => !tables.includes(table));
  if ((version === 0 && tables.length > 0) || (version > 0 && !ours && missing.length > 0)) {
    throw foreign(tables.length ? `tables ${summarise(tables)}` : `no tables, user_version ${version}`);
  }
  if (version > SCHEMA_VERSION) throw newerSchemaError(db.name, version);
}

function summarise(names: readonly string[]): string {
  return names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
}

function newerSchemaError(path: string, version: number): UnusableDatabaseError {
  return new UnusableDatabaseError(
    path,
    'newer',
    `${path} was written by a newer Cascade Lab (schema version ${version}; this one understands up to ` +
      `${SCHEMA_VERSION}). Nothing was changed. Update Cascade Lab, or point it at another database file.`,
  );
}
