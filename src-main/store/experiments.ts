/**
 * The experiments table: a name, the validated spec it runs, and what the analyst wrote on it
 * (tags, a note) and whether it is archived.
 */
import type { ExperimentSpec } from '../contract/api';
import { nowIso, parseJsonColumn, type Db } from './database';

/** What an analyst writes on a run or an experiment; either field may be left as it is. */
export interface Annotation {
  tags?: string[];
  note?: string;
}

export interface ExperimentRecord {
  id: number;
  name: string;
  spec: ExperimentSpec;
  createdAt: string;
  tags: string[];
  note: string;
  /** When it was archived; null while it is in the default lists. */
  archivedAt: string | null;
}

interface ExperimentRow {
  id: number;
  name: string;
  spec: string;
  created_at: string;
  tags: string;
  note: string;
  archived_at: string | null;
}

function toRecord(row: ExperimentRow): ExperimentRecord {
  return {
    id: row.id,
    name: row.name,
    spec: parseJsonColumn(row.spec, `experiments row ${row.id}, spec`, {} as ExperimentSpec),
    createdAt: row.created_at,
    tags: parseJsonColumn(row.tags, `experiments row ${row.id}, tags`, []),
    note: row.note,
    archivedAt: row.archived_at,
  };
}

export type ExperimentRepository = ReturnType<typeof createExperimentRepository>;

export function createExperimentRepository(db: Db) {
  const insert = db.prepare('INSERT INTO experiments (name, spec, created_at) VALUES (?, ?, ?)');
  const selectById = db.prepare<[number], ExperimentRow>('SELECT * FROM experiments WHERE id = ?');
  const selectAll = db.prepare<[], ExperimentRow>('SELECT * FROM experiments ORDER BY id');
  const setTags = db.prepare('UPDATE experiments SET tags = ? WHERE id = ?');
  const setNote = db.prepare('UPDATE experiments SET note = ? WHERE id = ?');
  const setArchived = db.prepare('UPDATE experiments SET archived_at = ? WHERE id = ?');
  // Runs, their metrics, curves and artifact rows go with it (ON DELETE CASCADE).
  const deleteById = db.prepare('DELETE FROM experiments WHERE id = ?');

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
    annotate: db.transaction((id: number, annotation: Annotation): ExperimentRecord | undefined => {
      if (annotation.tags !== undefined) setTags.run(JSON.stringify(annotation.tags), id);
      if (annotation.note !== undefined) setNote.run(annotation.note, id);
      return get(id);
    }),
    setArchived(id: number, archived: boolean): ExperimentRecord | undefined {
      setArchived.run(archived ? nowIso() : null, id);
      return get(id);
    },
    /** Deletes the experiment with all its runs; the caller checks that none is active. */
    remove: (id: number): boolean => deleteById.run(id).changes > 0,
  };
}
