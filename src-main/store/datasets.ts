/**
 * The datasets table: one row per materialised dataset (simulated or imported).
 */
import type { DatasetSummary } from '../contract/api';
import { nowIso, parseJsonColumn, type Db } from './database';

export type DatasetKind = DatasetSummary['kind'];

export interface DatasetStats {
  users: number;
  items: number;
  interactions: number;
  positives: number;
}

export interface DatasetRecord {
  id: number;
  name: string;
  kind: DatasetKind;
  params: Record<string, unknown>;
  stats: DatasetStats;
  hasGroundTruth: boolean;
  contentHash: string | null;
  formatVersion: number;
  path: string | null;
  createdAt: string;
}

export interface DatasetInput {
  name: string;
  kind: DatasetKind;
  params: Record<string, unknown>;
  stats: DatasetStats;
  hasGroundTruth: boolean;
  /** When set, a row with the same kind, hash and format version is updated instead of duplicated. */
  contentHash?: string | null;
  formatVersion?: number;
  path?: string | null;
}

interface DatasetRow {
  id: number;
  name: string;
  kind: DatasetKind;
  params: string;
  stats: string;
  has_ground_truth: number;
  content_hash: string | null;
  format_version: number;
  path: string | null;
  created_at: string;
}

const EMPTY_STATS: DatasetStats = { users: 0, items: 0, interactions: 0, positives: 0 };

function toRecord(row: DatasetRow): DatasetRecord {
  const where = `datasets row ${row.id}`;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    params: parseJsonColumn(row.params, `${where}, params`, {}),
    stats: { ...EMPTY_STATS, ...parseJsonColumn(row.stats, `${where}, stats`, EMPTY_STATS) },
    hasGroundTruth: row.has_ground_truth === 1,
    contentHash: row.content_hash,
    formatVersion: row.format_version,
    path: row.path,
    createdAt: row.created_at,
  };
}

export function toDatasetSummary(record: DatasetRecord): DatasetSummary {
  return {
    id: record.id,
    name: record.name,
    kind: record.kind,
    users: record.stats.users,
    items: record.stats.items,
    interactions: record.stats.interactions,
    positives: record.stats.positives,
    hasGroundTruth: record.hasGroundTruth,
    createdAt: record.createdAt,
    params: record.params,
  };
}

export type DatasetRepository = ReturnType<typeof createDatasetRepository>;

export function createDatasetRepository(db: Db) {
  const selectById = db.prepare<[number], DatasetRow>('SELECT * FROM datasets WHERE id = ?');
  const selectAll = db.prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY id');
  const selectByContent = db.prepare<[string, string, number], DatasetRow>(
    'SELECT * FROM datasets WHERE kind = ? AND content_hash = ? AND format_version = ?',
  );
  const insert = db.prepare(
    `INSERT INTO datasets (name, kind, params, stats, has_ground_truth, content_hash, format_version, path, created_at)
     VALUES (@name, @kind, @params, @stats, @hasGroundTruth, @contentHash, @formatVersion, @path, @createdAt)`,
  );
  const update = db.prepare(
    `UPDATE datasets SET name = @name, params = @params, stats = @stats, has_ground_truth = @hasGroundTruth,
       path = COALESCE(@path, path) WHERE id = @id`,
  );

  function get(id: number): DatasetRecord | undefined {
    const row = selectById.get(id);
    return row ? toRecord(row) : undefined;
  }

  /** Inserts the dataset, or refreshes the row that has the same content hash; returns the row. */
  const upsert = db.transaction((input: DatasetInput): DatasetRecord => {
    const formatVersion = input.formatVersion ?? 1;
    const values = {
      name: input.name,
      kind: input.kind,
      params: JSON.stringify(input.params),
      stats: JSON.stringify(input.stats),
      hasGroundTruth: input.hasGroundTruth ? 1 : 0,
      contentHash: input.contentHash ?? null,
      formatVersion,
      path: input.path ?? null,
    };
    if (input.contentHash) {
      const existing = selectByContent.get(input.kind, input.contentHash, formatVersion);
      if (existing) {
        update.run({ ...values, id: existing.id });
        return get(existing.id) as DatasetRecord;
      }
    }
    const info = insert.run({ ...values, createdAt: nowIso() });
    return get(Number(info.lastInsertRowid)) as DatasetRecord;
  });

  const deleteById = db.prepare<[number]>('DELETE FROM datasets WHERE id = ?');

  return {
    get,
    upsert: (input: DatasetInput): DatasetRecord => upsert.immediate(input),
    list: (): DatasetRecord[] => selectAll.all().map(toRecord),
    /** The row with this content identity, if any (an import of the same files and options). */
    findByContent(kind: DatasetKind, contentHash: string, formatVersion: number): DatasetRecord | undefined {
      const row = selectByContent.get(kind, contentHash, formatVersion);
      return row ? toRecord(row) : undefined;
    },
    /** Deletes the row; runs on it keep their metrics (their dataset_id becomes NULL). */
    remove: (id: number): boolean => deleteById.run(id).changes > 0,
  };
}
