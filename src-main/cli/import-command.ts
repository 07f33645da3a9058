/**
 * `cascade-lab import` (a dataset into the database, through the same service as the workbench's
 * import wizard) and `cascade-lab bench-import` (the importer's throughput benchmark).
 */
import {
  integerOption as integer,
  parseCommandArgs as parse,
  stringOption as text,
  type OptionValues,
} from './args';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type {
  ColumnMapping,
  DatasetImportRequest,
  ImportDone,
  ImportFilters,
  ImportFormat,
  ImportProgress,
} from '../contract/api';
import { createLabApp } from '../app/lab-app';
import type { LabAppOptions, LocalLabApp } from '../app/types';
import { defaultDatabasePath } from '../app/paths';
import { BENCH_IMPORT_HELP, IMPORT_HELP } from './help';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, UsageError, type CliIo } from './io';

const FORMATS: readonly ImportFormat[] = ['wechat', 'tiktok', 'csv'];

function finite(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) {
    throw new UsageError(`${flag} must be a number, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** A time bound: a number in the source's unit, or an ISO date (seconds since the epoch). */
function timeBound(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() !== '' && Number.isFinite(number)) return number;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new UsageError(`${flag} must be a number or an ISO date, got ${JSON.stringify(value)}`);
  return ms / 1000;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

const CSV_FLAGS = [
  'user',
  'item',
  'label',
  'time',
  'weight',
  'user-features',
  'item-features',
  'label-threshold',
];

/** The import request the arguments describe; paths are resolved against the working folder. */
export function importRequestFromArgs(
  format: string,
  paths: string[],
  values: OptionValues,
): DatasetImportRequest {
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`the format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  if (paths.length === 0) throw new UsageError(`import ${format} needs the file paths\n\n${IMPORT_HELP}`);
  const request: DatasetImportRequest = {
    format: format as ImportFormat,
    paths: paths.map((path) => resolve(path)),
  };
  const name = text(values, 'name');
  if (name !== undefined) request.name = name;

  const filters: ImportFilters = {};
  const minUser = text(values, 'min-user');
  if (minUser !== undefined) filters.minUserInteractions = integer(minUser, '--min-user');
  const minItem = text(values, 'min-item');
  if (minItem !== undefined) filters.minItemInteractions = integer(minItem, '--min-item');
  const from = text(values, 'from');
  if (from !== undefined) filters.timeFrom = timeBound(from, '--from');
  const to = text(values, 'to');
  if (to !== undefined) filters.timeTo = timeBound(to, '--to');
  const sample = text(values, 'sample');
  if (sample !== undefined) {
    const fraction = finite(sample, '--sample');
    if (!(fraction > 0 && fraction <= 1)) throw new UsageError(`--sample must be in (0, 1], got ${sample}`);
    filters.userSampleFraction = fraction;
  }
  const seed = text(values, 'seed');
  if (seed !== undefined) filters.sampleSeed = integer(seed, '--seed', 0, 2 ** 32 - 1);
  if (Object.keys(filters).length) request.filters = filters;

  const embeddingDim = text(values, 'embedding-dim');
  if (embeddingDim !== undefined) {
    if (format !== 'wechat') throw new UsageError('--embedding-dim applies to wechat imports only');
    request.embeddingDim = integer(embeddingDim, '--embedding-dim', 0, 512);
  }

  const csvFlags = CSV_FLAGS.filter((flag) => values[flag] !== undefined);
  if (format !== 'csv') {
    if (csvFlags.length) throw new UsageError(`--${csvFlags[0]} applies to csv imports only`);
    return request;
  }
  const user = text(values, 'user');
  const item = text(values, 'item');
  const label = text(values, 'label');
  const missing = [
    ['--user', user],
    ['--item', item],
    ['--label', label],
  ].filter(([, value]) => value === undefined);
  if (missing.length) {
    throw new UsageError(
      `a csv import needs ${missing.map(([flag]) => flag).join(', ')} to say which columns hold the ` +
        'user, item and label\n\n' +
        IMPORT_HELP,
    );
  }
  const mapping: ColumnMapping = { user: user as string, item: item as string, label: label as string };
  const time = text(values, 'time');
  if (time !== undefined) mapping.timestamp = time;
  const weight = text(values, 'weight');
  if (weight !== undefined) mapping.weight = weight;
  const userFeatures = text(values, 'user-features');
  if (userFeatures !== undefined) mapping.userFeatures = list(userFeatures);
  const itemFeatures = text(values, 'item-features');
  if (itemFeatures !== undefined) mapping.itemFeatures = list(itemFeatures);
  const threshold = text(values, 'label-threshold');
  if (threshold !== undefined) mapping.labelThreshold = finite(threshold, '--label-threshold');
  request.mapping = mapping;
  return request;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(2)} GB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KB`;
  return `${bytes} B`;
}

/** One progress line on stderr: redrawn in place on a terminal, one line per file otherwise. */
function progressPrinter(io: CliIo): { update(progress: ImportProgress): void; end(): void } {
  let lastKey = '';
  let lastDraw = 0;
  let drawn = false;
  return {
    update(progress) {
      const key = `${progress.phase} ${progress.file}`;
      const share =
        progress.totalBytes > 0 ? ` ${Math.floor((100 * progress.bytesRead) / progress.totalBytes)}%` : '';
      const rows = progress.rows > 0 ? `, ${progress.rows.toLocaleString('en-US')} rows` : '';
      const line = `${progress.phase} ${progress.file}${share} (${formatBytes(progress.bytesRead)}${rows})`;
      if (io.stderr.isTTY) {
        const now = Date.now();
        if (key === lastKey && now - lastDraw < 100) return;
        lastDraw = now;
        io.stderr.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else if (key !== lastKey) {
        io.stderr.write(`${progress.phase} ${progress.file}\n`);
      }
      lastKey = key;
    },
    end() {
      if (drawn) io.stderr.write('\r\x1b[2K');
    },
  };
}

/**
 * The arguments of `cascade-lab import` read as the command reads them: the import request and
 * the flags; null for --help.
 */
function parseImportCommandLine(
  args: string[],
): { request: DatasetImportRequest; values: OptionValues } | null {
  const stringFlags = [
    'db',
    'name',
    'json',
    'min-user',
    'min-item',
    'from',
    'to',
    'sample',
    'seed',
    'embedding-dim',
    ...CSV_FLAGS,
  ];
  const { values, positionals } = parse(
    args,
    Object.fromEntries(stringFlags.map((flag) => [flag, { type: 'string' as const }])),
    IMPORT_HELP,
  );
  if (values.help) return null;
  if (positionals.length === 0) throw new UsageError(`import needs a format and files\n\n${IMPORT_HELP}`);
  const [format, ...paths] = positionals;
  return { request: importRequestFromArgs(format, paths, values), values };
}

/**
 * `appOptions` overrides the app's options: a test passes a pre-built import worker, which starts in a
 * tenth of the time the TypeScript bootstrap takes.
 */
export async function importCommand(
  args: string[],
  io: CliIo,
  appOptions: Pick<LabAppOptions, 'importWorkerEntry'> = {},
): Promise<number> {
  const commandLine = parseImportCommandLine(args);
  if (!commandLine) {
    io.stdout.write(IMPORT_HELP);
    return EXIT_OK;
  }
  const { request, values } = commandLine;
  const jsonFile = text(values, 'json');

  const app = await createLabApp({
    ...appOptions,
    transport: 'cli',
    dbPath: resolve(text(values, 'db') ?? defaultDatabasePath()),
  });
  try {
    const { done } = await importWithProgress(app, request, io);
    if (done.cancelled) {
      io.stderr.write('The import was cancelled; nothing was stored.\n');
      return EXIT_INTERRUPTED;
    }
    if (done.error || !done.dataset) {
      io.stderr.write(`cascade-lab import: ${done.error?.message ?? 'the import produced no dataset'}\n`);
      io.stderr.write('Nothing was stored; the database is as it was.\n');
      return EXIT_RUN_FAILED;
    }
    const details = await app.handlers['datasets:profile']({ datasetId: done.dataset.id });
    const { dataset, profile, report } = details;
    const lines = [
      done.reused
        ? `Unchanged files and options: dataset ${dataset.id} "${dataset.name}" is already stored; nothing imported.`
        : `Imported dataset ${dataset.id} "${dataset.name}" (${dataset.kind}) into ${details.path}`,
      `  users ${profile.users}  items ${profile.items}  interactions ${profile.interactions}  ` +
        `positives ${profile.positives} (${(profile.labelRate * 100).toFixed(1)}%)  ` +
        `modalities ${profile.modalities.join(', ') || '-'}`,
    ];
    const dropped = Object.entries(report.rowsDropped);
    if (dropped.length)
      lines.push(`  dropped rows: ${dropped.map(([reason, rows]) => `${rows} (${reason})`).join(', ')}`);
    const missing = Object.entries(report.missingValues);
    if (missing.length)
      lines.push(`  missing values: ${missing.map(([column, rows]) => `${column} ${rows}`).join(', ')}`);
    for (const warning of report.warnings) lines.push(`  warning: ${warning}`);
    io.stdout.write(`${lines.join('\n')}\n`);
    if (jsonFile) {
      const summary = {
        id: dataset.id,
        name: dataset.name,
        kind: dataset.kind,
        reused: done.reused === true,
        users: profile.users,
        items: profile.items,
        interactions: profile.interactions,
        positives: profile.positives,
        labelRate: profile.labelRate,
        modalities: profile.modalities,
        path: details.path,
        report,
      };
      writeFileSync(resolve(jsonFile), `${JSON.stringify(summary, null, 2)}\n`);
    }
    return EXIT_OK;
  } finally {
    await app.close();
  }
}

/**
 * Runs one import through the app with a progress line on stderr; Ctrl-C cancels it (a second
 * Ctrl-C quits at once). Shared by `import` and `bench-fidelity`.
 */
export async function importWithProgress(
  app: LocalLabApp,
  request: DatasetImportRequest,
  io: CliIo,
): Promise<{ done: ImportDone; interrupted: boolean }> {
  const printer = progressPrinter(io);
  let importId: string | null = null;
  // Events can arrive before the id is known; keep them until it is.
  const early: ImportDone[] = [];
  const outcome: { settle: (done: ImportDone) => void } = { settle: () => undefined };
  const finished = new Promise<ImportDone>((resolveDone) => (outcome.settle = resolveDone));
  const unsubscribe = [
    app.events.on('dataset:import-progress', (progress) => {
      if (progress.importId === importId) printer.update(progress);
    }),
    app.events.on('dataset:import-done', (done) => {
      if (importId === null) early.push(done);
      else if (done.importId === importId) outcome.settle(done);
    }),
  ];
  let interrupted = false;
  const removeInterrupt = io.onInterrupt((signal) => {
    if (interrupted) {
      io.stderr.write(`\n${signal} again: quitting without waiting.\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    io.stderr.write(`\n${signal}: cancelling the import (press Ctrl-C again to quit at once)\n`);
    if (importId !== null) void app.handlers['datasets:cancel-import']({ importId }).catch(() => undefined);
  });
  try {
    importId = (await app.handlers['datasets:import'](request)).importId;
    const already = early.find((done) => done.importId === importId);
    if (already) outcome.settle(already);
    if (interrupted) await app.handlers['datasets:cancel-import']({ importId });
    const done = await finished;
    printer.end();
    return { done, interrupted };
  } finally {
    removeInterrupt();
    for (const off of unsubscribe) off();
  }
}

export async function benchImportCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    { rows: { type: 'string' }, json: { type: 'string' } },
    BENCH_IMPORT_HELP,
  );
  if (values.help) {
    io.stdout.write(BENCH_IMPORT_HELP);
    return EXIT_OK;
  }
  if (positionals.length)
    throw new UsageError(
      `bench-import takes no arguments, got ${positionals.join(' ')}\n\n${BENCH_IMPORT_HELP}`,
    );
  const rowsText = text(values, 'rows');
  const rows = rowsText === undefined ? 10_000_000 : integer(rowsText, '--rows', 1);
  const { runImportBench } = await import('../core/node/importers/import-bench');
  const result = await runImportBench(rows);
  const line = JSON.stringify(result);
  io.stdout.write(`${line}\n`);
  const jsonFile = text(values, 'json');
  if (jsonFile) writeFileSync(resolve(jsonFile), `${line}\n`);
  return EXIT_OK;
}
