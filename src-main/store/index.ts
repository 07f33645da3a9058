/**
 * The store: one SQLite database and its repositories.
 */
import { randomUUID } from 'node:crypto';
import { createArtifactRepository, type ArtifactRepository } from './artifacts';
import { openDatabase, type Db, type OpenDatabaseOptions } from './database';
import { createDatasetRepository, type DatasetRepository } from './datasets';
import { createExperimentRepository, type ExperimentRepository } from './experiments';
import { createRunRepository, recoverInterruptedRuns, type RunOwner, type RunRepository } from './runs';

export { openDatabase, type Db, type OpenDatabaseOptions } from './database';
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from './migrations';
export * from './datasets';
export * from './experiments';
export * from './runs';
export * from './artifacts';

export interface LabStore {
  db: Db;
  /** This store's identity on the runs it queues (see recoverInterruptedRuns). */
  owner: RunOwner;
  datasets: DatasetRepository;
  experiments: ExperimentRepository;
  runs: RunRepository;
  artifacts: ArtifactRepository;
  /** Fails runs a dead process left queued or running; returns their ids. */
  recoverInterruptedRuns(options?: { isProcessAlive?: (pid: number) => boolean }): number[];
  close(): void;
}

/** Tokens of the stores open in this process: their runs are live, whatever the pid says. */
const liveOwnerTokens = new Set<string>();

export function openStore(path: string, options: OpenDatabaseOptions = {}): LabStore {
  const db = openDatabase(path, options);
  const owner: RunOwner = { pid: process.pid, token: randomUUID() };
  liveOwnerTokens.add(owner.token);
  return {
    db,
    owner,
    datasets: createDatasetRepository(db),
    experiments: createExperimentRepository(db),
    runs: createRunRepository(db, owner),
    artifacts: createArtifactRepository(db),
    recoverInterruptedRuns: (recovery = {}) =>
      recoverInterruptedRuns(db, { liveTokens: liveOwnerTokens, isProcessAlive: recovery.isProcessAlive }),
    close() {
      liveOwnerTokens.delete(owner.token);
      if (db.open) db.close();
    },
  };
}
