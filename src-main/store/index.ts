/**
 * The store: one SQLite database and its repositories.
 */
import { randomUUID } from 'node:crypto';
import { createArtifactRepository, type ArtifactRepository } from './artifacts';
import { openDatabase, type Db, type OpenDatabaseOptions } from './database';
import { createDatasetRepository, type DatasetRepository } from './datasets';
import { createExperimentRepository, type ExperimentRepository } from './experiments';
import { processStartTicks } from './process-identity';
import {
  createRunRepository,
  recoverInterruptedRuns,
  type ProcessProbe,
  type RunOwner,
  type RunRepository,
} from './runs';

export { openDatabase, type Db, type OpenDatabaseOptions } from './database';
export {
  APPLICATION_ID,
  MIGRATIONS,
  SCHEMA_VERSION,
  assertCascadeLabDatabase,
  migrate,
  schemaVersion,
} from './migrations';
export * from './unusable-database';
export * from './datasets';
export * from './experiments';
export * from './runs';
export * from './artifacts';
export * from './process-identity';

export interface LabStore {
  db: Db;
  /** This store's identity on the runs it queues (see recoverInterruptedRuns). */
  owner: RunOwner;
  datasets: DatasetRepository;
  experiments: ExperimentRepository;
  runs: RunRepository;
  artifacts: ArtifactRepository;
  /** Fails runs a dead process left queued or running; returns their ids. */
  recoverInterruptedRuns(options?: ProcessProbe): number[];
  close(): void;
}

/** Tokens of the stores open in this process: their runs are live, whatever the pid says. */
const liveOwnerTokens = new Set<string>();

export function openStore(path: string, options: OpenDatabaseOptions = {}): LabStore {
  const db = openDatabase(path, options);
  const owner: RunOwner = {
    pid: process.pid,
    token: randomUUID(),
    startTicks: processStartTicks(process.pid),
  };
  liveOwnerTokens.add(owner.token);
  return {
    db,
    owner,
    datasets: createDatasetRepository(db),
    experiments: createExperimentRepository(db),
    runs: createRunRepository(db, owner),
    artifacts: createArtifactRepository(db),
    recoverInterruptedRuns: (recovery = {}) =>
      recoverInterruptedRuns(db, { ...recovery, liveTokens: liveOwnerTokens }),
    close() {
      liveOwnerTokens.delete(owner.token);
      if (db.open) db.close();
    },
  };
}
