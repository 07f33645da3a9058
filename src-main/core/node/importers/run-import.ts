/**
 * One import from start to stored files, as the app's import worker runs it:
 *
 * 1. `resolveImportSources` tells the picked files apart by their well-known names;
 * 2. `fingerprintImport` hashes the files' bytes and the options that change the result, so the
 *    app can return the dataset it already has for unchanged input (re-import is a no-op);
 * 3. `runImport` streams the files through the format's importer, profiles the result and writes
 *    the processed columns plus profile.json atomically (temp folder, then rename).
 *
 * Nothing here touches the database: the app inserts the row after `runImport` has succeeded, so
 * a failed or cancelled import leaves the database as it was.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type {
  DatasetImportRequest,
  DatasetProfile,
  FilePreview,
  ImportFailure,
  ImportFormat,
  ImportReport,
  ImportStepProgress,
} from '../../../contract/api';
import { ImportCancelledError, ImportError } from './errors';
import { importGenericLog, previewLog } from './generic';
import { assertRegularFile, readLines } from './line-reader';
import { writeProcessed, type ProcessedDataset } from './processed';
import { profileDataset } from './profile';
import { TIKTOK_COLUMNS, identifyTikTokFiles, importTikTok } from './tiktok';
import { identifyWeChatFiles, importWeChat } from './wechat';

/**
 * Version of what an import produces (the processed layout and the importers' rules). Stored with
 * each dataset row; bump it when a change would turn the same files into different columns.
 */
// 2: ids beyond 2^53 kept as text (1 rounded them), TikTok files with a byte order mark read, a
//    blank csv label missing (1 read it as 0): datasets of version 1 are imported again, not reused.
export const IMPORT_FORMAT_VERSION = 2;

/** WeChat's default PCA dimension for the feed embeddings (the DAMCAR authors' code uses 64). */
export const DEFAULT_WECHAT_EMBEDDING_DIM = 64;

export interface ImportSource {
  /** What the file is to its importer, e.g. `train`, `userAction`, `log`. */
  role: string;
  path: string;
}

export interface ImportRunOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ImportStepProgress) => void;
}

/** The files of an import, in a fixed role order (so the picking order does not matter). */
export function resolveImportSources(request: DatasetImportRequest): ImportSource[] {
  const { format, paths } = request;
  if (paths.length === 0) throw new ImportError('(no files)', `the ${format} import needs at least one file`);
  if (format === 'tiktok') {
    const files = identifyTikTokFiles(paths);
    return (['train', 'video', 'audio', 'title'] as const)
      .filter((role) => files[role] !== undefined)
      .map((role) => ({ role, path: files[role] as string }));
  }
  if (format === 'wechat') {
    const files = identifyWeChatFiles(paths);
    return (['userAction', 'feedInfo', 'feedEmbeddings'] as const)
      .filter((role) => files[role] !== undefined)
      .map((role) => ({ role, path: files[role] as string }));
  }
  if (paths.length !== 1) {
    throw new ImportError(paths.join(', '), `a csv import reads one log file, got ${paths.length}`);
  }
  if (!request.mapping) {
    throw new ImportError(paths[0], 'a csv import needs a column mapping (user, item and label columns)');
  }
  return [{ role: 'log', path: paths[0] }];
}

/** The options that change what an import produces, with defaults filled and keys in a fixed order. */
export function canonicalImportOptions(request: DatasetImportRequest): Record<string, unknown> {
  const filters = request.filters ?? {};
  const sortedFilters = Object.fromEntries(
    Object.entries(filters)
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const options: Record<string, unknown> = { format: request.format, filters: sortedFilters };
  if (request.format === 'wechat') {
    options.embeddingDim = request.embeddingDim ?? DEFAULT_WECHAT_EMBEDDING_DIM;
  }
  if (request.format === 'csv' && request.mapping) {
    const m = request.mapping;
    options.mapping = {
      user: m.user,
      item: m.item,
      label: m.label,
      timestamp: m.timestamp ?? null,
      weight: m.weight ?? null,
      userFeatures: m.userFeatures ?? [],
      itemFeatures: m.itemFeatures ?? [],
      labelThreshold: m.labelThreshold ?? null,
    };
  }
  return options;
}

export interface ImportFingerprint {
  /** sha256 over the format version, the canonical options and every file's role, size and bytes. */
  hash: string;
  files: { role: string; path: string; bytes: number; sha256: string }[];
}

/** Hashes the input files (streamed) and the options; the identity of an import's result. */
export async function fingerprintImport(
  request: DatasetImportRequest,
  options: ImportRunOptions = {},
): Promise<ImportFingerprint> {
  const sources = resolveImportSources(request);
  const files: ImportFingerprint['files'] = [];
  for (const source of sources) {
    const bytes = await fileSize(source.path);
    const sha256 = await hashFile(source.path, bytes, options);
    files.push({ ...source, bytes, sha256 });
  }
  const combined = createHash('sha256');
  combined.update(`cascade-lab import v${IMPORT_FORMAT_VERSION}\n`);
  combined.update(`${JSON.stringify(canonicalImportOptions(request))}\n`);
  for (const file of files) combined.update(`${file.role}\t${file.bytes}\t${file.sha256}\n`);
  return { hash: combined.digest('hex'), files };
}

async function fileSize(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new ImportError(path, `cannot open the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  assertRegularFile(path, info);
  return info.size;
}

async function hashFile(path: string, totalBytes: number, options: ImportRunOptions): Promise<string> {
  const hash = createHash('sha256');
  let bytesRead = 0;
  const stream = createReadStream(path, { highWaterMark: 4 << 20 });
  try {
    for await (const chunk of stream) {
      if (options.signal?.aborted) throw new ImportCancelledError();
      const buffer = chunk as Buffer;
      hash.update(buffer);
      bytesRead += buffer.length;
      options.onProgress?.({ phase: 'hash', file: path, bytesRead, totalBytes, rows: 0 });
    }
  } catch (error) {
    if (error instanceof ImportCancelledError) throw error;
    throw new ImportError(path, `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    stream.destroy();
  }
  return hash.digest('hex');
}

/** What profile.json beside the processed columns holds. */
export interface StoredProfile {
  profile: DatasetProfile;
  report: ImportReport;
  files: { path: string; bytes: number }[];
  importSeconds: number;
}

export const PROFILE_FILE = 'profile.json';

export interface ImportOutcome {
  name: string;
  profile: DatasetProfile;
  report: ImportReport;
}

/** Reads the files with the format's importer. */
export async function importDataset(
  request: DatasetImportRequest,
  options: ImportRunOptions = {},
): Promise<ProcessedDataset> {
  const sources = resolveImportSources(request);
  const path = (role: string) => sources.find((source) => source.role === role)?.path;
  const common = {
    name: request.name,
    filters: request.filters,
    signal: options.signal,
    onProgress: options.onProgress
      ? (p: { file: string; bytesRead: number; totalBytes: number; rows: number }) =>
          options.onProgress?.({ phase: 'read', ...p })
      : undefined,
  };
  if (request.format === 'tiktok') {
    return importTikTok(
      { train: path('train') as string, video: path('video'), audio: path('audio'), title: path('title') },
      common,
    );
  }
  if (request.format === 'wechat') {
    return importWeChat(
      {
        userAction: path('userAction') as string,
        feedInfo: path('feedInfo') as string,
        feedEmbeddings: path('feedEmbeddings'),
      },
      { ...common, embeddingDim: request.embeddingDim ?? DEFAULT_WECHAT_EMBEDDING_DIM },
    );
  }
  return importGenericLog(path('log') as string, {
    ...common,
    mapping: request.mapping as NonNullable<DatasetImportRequest['mapping']>,
  });
}

/**
 * Imports the files, profiles the result and stores it in `targetDir` (replacing what is there).
 * A failure leaves `targetDir` untouched: the columns are written to a temp folder first.
 */
export async function runImport(
  request: DatasetImportRequest,
  targetDir: string,
  options: ImportRunOptions = {},
): Promise<ImportOutcome> {
  const started = performance.now();
  const dataset = await importDataset(request, options);
  if (options.signal?.aborted) throw new ImportCancelledError();
  if (dataset.user.length === 0) {
    const files = resolveImportSources(request).map((source) => source.path);
    throw new ImportError(
      files[0],
      `no interactions are left after the filters (${Object.entries(dataset.report.rowsDropped)
        .map(([reason, rows]) => `${rows} rows: ${reason}`)
        .join('; ')})`,
    );
  }
  const profile = profileDataset(dataset);
  const files = await Promise.all(
    resolveImportSources(request).map(async (source) => ({
      path: source.path,
      bytes: await fileSize(source.path),
    })),
  );
  options.onProgress?.({
    phase: 'write',
    file: targetDir,
    bytesRead: 0,
    totalBytes: 0,
    rows: dataset.user.length,
  });
  const stored: StoredProfile = {
    profile,
    report: dataset.report,
    files,
    importSeconds: (performance.now() - started) / 1000,
  };
  await writeProcessed(targetDir, dataset, { [PROFILE_FILE]: JSON.stringify(stored) });
  return { name: dataset.name, profile, report: dataset.report };
}

/** profile.json of a processed dataset folder. */
export async function readStoredProfile(dir: string): Promise<StoredProfile> {
  const file = join(dir, PROFILE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(
      `${file}: cannot read the dataset profile (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    return JSON.parse(text) as StoredProfile;
  } catch (error) {
    throw new Error(`${file}: corrupt dataset profile (${(error as Error).message})`);
  }
}

/** The error as the workbench and the CLI report it: message, and file/line/column where known. */
export function describeImportFailure(error: unknown): ImportFailure {
  if (error instanceof ImportError) {
    return {
      message: error.message,
      file: error.file,
      ...(error.line !== null ? { line: error.line } : {}),
      ...(error.column !== null ? { column: error.column } : {}),
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

/* ----------------------------------------------------------------------------------------------
 * Preview
 * -------------------------------------------------------------------------------------------- */

/** Longer cells (a 128-float vector) are cut for display. */
const MAX_CELL = 80;

function cut(cell: string): string {
  return cell.length > MAX_CELL ? `${cell.slice(0, MAX_CELL - 1)}…` : cell;
}

/**
 * The first rows of one file as the wizard shows them. TikTok's train file has no header: its 12
 * well-known column names are used. Every other file (CSV with a header, JSON lines) is read by
 * the generic preview.
 */
export async function previewImportFile(
  path: string,
  format: ImportFormat,
  maxRows = 10,
): Promise<FilePreview> {
  const bytes = await fileSize(path);
  if (format === 'tiktok' && !(await startsWithJson(path))) {
    const rows: string[][] = [];
    const controller = new AbortController();
    try {
      await readLines(
        path,
        (buffer, start, end) => {
          // The abort is noticed per chunk; the rest of this chunk's lines are skipped here.
          if (start === end || rows.length >= maxRows) return;
          rows.push(buffer.toString('utf8', start, end).split('\t'));
          if (rows.length >= maxRows) controller.abort();
        },
        { signal: controller.signal, chunkBytes: 1 << 16 },
      );
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
    if (rows.length === 0) throw new ImportError(path, 'the file is empty');
    const width = Math.max(...rows.map((row) => row.length));
    const columns =
      width === TIKTOK_COLUMNS.length
        ? [...TIKTOK_COLUMNS]
        : Array.from({ length: width }, (_, k) => `column ${k + 1}`);
    return { path, layout: 'tsv', separator: '\t', columns, rows: rows.map((row) => row.map(cut)), bytes };
  }
  const preview = await previewLog(path, maxRows);
  return {
    path,
    layout: preview.format,
    separator: preview.separator,
    columns: preview.columns,
    rows: preview.rows.map((row) => row.map(cut)),
    bytes,
  };
}

async function startsWithJson(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new ImportError(path, `cannot open the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.toString('utf8', 0, bytesRead).trimStart().startsWith('{');
  } finally {
    await handle.close();
  }
}

/** The usual display name of an import without a name. */
export function defaultImportName(request: DatasetImportRequest): string {
  if (request.name?.trim()) return request.name.trim();
  if (request.format === 'tiktok') return 'TikTok (ICME 2019 track 2)';
  if (request.format === 'wechat') return 'WeChat (Big Data Challenge 2021)';
  return basename(request.paths[0] ?? 'log');
}
