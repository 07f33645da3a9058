/**
 * The artifacts table: files or blobs a run produced (embeddings, checkpoints, plots).
 */
import { nowIso, parseJsonColumn, type Db } from './database';

export interface ArtifactRecord {
  id: number;
  runId: number;
  kind: string;
  path: string | null;
  blob: Buffer | null;
  meta: Record<string, unknown>;
  createdAt: string;
}

export type NewArtifact = {
  runId: number;
  kind: string;
  meta?: Record<string, unknown>;
} & ({ path: string; blob?: undefined } | { blob: Uint8Array; path?: undefined });

interface ArtifactRow {
  id: number;
  run_id: number;
  kind: string;
  path: string | null;
  blob: Buffer | null;
  meta: string;
  created_at: string;
}

function toRecord(row: ArtifactRow): ArtifactRecord {
  return {
    id: row.id,
    runId: row.run_id,
    kind: row.kind,
    path: row.path,
    blob: row.blob,
    meta: parseJsonColumn(row.meta, `artifacts row ${row.id}, meta`, {}),
    createdAt: row.created_at,
  };
}

export type ArtifactRepository = ReturnType<typeof createArtifactRepository>;

export function createArtifactRepository(db: Db) {
  const insert = db.prepare(
    'INSERT INTO artifacts (run_id, kind, path, blob, meta, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const selectById = db.prepare<[number], ArtifactRow>('SELECT * FROM artifacts WHERE id = ?');
  const selectForRun = db.prepare<[number], ArtifactRow>(
    'SELECT * FROM artifacts WHERE run_id = ? ORDER BY id',
  );

  return {
    add(artifact: NewArtifact): ArtifactRecord {
      const blob = artifact.blob ? Buffer.from(artifact.blob) : null;
      const info = insert.run(
        artifact.runId,
        artifact.kind,
        artifact.path ?? null,
        blob,
        JSON.stringify(artifact.meta ?? {}),
        nowIso(),
      );
      return toRecord(selectById.get(Number(info.lastInsertRowid)) as ArtifactRow);
    },
    listForRun: (runId: number): ArtifactRecord[] => selectForRun.all(runId).map(toRecord),
  };
}
