/**
 * The experiments table: a name and the validated spec it runs.
 */
import type { ExperimentSpec } from '../contract/api';
import { nowIso, parseJsonColumn, type Db } from './database';

export interface ExperimentRecord {
  id: number;
  name: string;
  spec: ExperimentSpec;
  createdAt: string;
}

interface ExperimentRow {
  id: number;
  name: string;
  spec: string;
  created_at: string;
}

function toRecord(row: ExperimentRow): ExperimentRecord {
  return {
    id: row.id,
    name: row.name,
    spec: parseJsonColumn(row.spec, `experiments row ${row.id}, spec`, {} as ExperimentSpec),
    createdAt: row.created_at,
  };
}

export type ExperimentRepository = ReturnType<typeof createExperimentRepository>;

export function createExperimentRepository(db: Db) {
  const insert = db.prepare('INSERT INTO experiments (name, spec, created_at) VALUES (?, ?, ?)');
  const selectById = db.prepare<[number], ExperimentRow>('SELECT * FROM experiments WHERE id = ?');
  const selectAll = db.prepare<[], ExperimentRow>('SELECT * FROM experiments ORDER BY id');

  function get(id: number): ExperimentRecord | undefined {
    const row = selectById.get(id);
    return row ? toRecord(row) : undefined;
  }

  return {
    /** Stores a spec that the caller has already validated. */
    create(spec: ExperimentSpec): ExperimentRecord {
      const info = insert.run(spec.name, JSON.stringify(spec), nowIso());
      return get(Number(info.lastInsertRowid)) as ExperimentRecord;
    },
    get,
    list: (): ExperimentRecord[] => selectAll.all().map(toRecord),
  };
}
