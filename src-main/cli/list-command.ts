/** `cascade-lab list`: the stored runs, one line each. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLabApp } from '../app/lab-app';
import { defaultDatabasePath } from '../app/paths';
import { integerOption, parseCommandArgs as parse, stringOption } from './args';
import { LIST_HELP } from './help';
import { EXIT_OK, UsageError, type CliIo } from './io';

/** Key metrics for one-line listings: retrieval recalls first, then the rest, at most four. */
export function keyMetrics(metrics: Record<string, number>, limit = 4): string {
  const keys = Object.keys(metrics).sort((a, b) => {
    const rank = (key: string): number => (key.startsWith('R@') ? 0 : 1);
    return rank(a) - rank(b) || a.localeCompare(b, undefined, { numeric: true });
  });
  return keys
    .slice(0, limit)
    .map((key) => `${key}=${metrics[key].toFixed(4)}`)
    .join(' ');
}

/** Plain text columns, left aligned. */
export function alignColumns(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function listCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    { db: { type: 'string' }, experiment: { type: 'string' } },
    LIST_HELP,
  );
  if (values.help) {
    io.stdout.write(LIST_HELP);
    return EXIT_OK;
  }
  if (positionals.length)
    throw new UsageError(`list takes no arguments, got ${positionals.join(' ')}\n\n${LIST_HELP}`);
  const experiment = stringOption(values, 'experiment');
  const experimentId = experiment === undefined ? undefined : integerOption(experiment, '--experiment', 1);
  const dbPath = resolve(stringOption(values, 'db') ?? defaultDatabasePath());
  if (!existsSync(dbPath)) {
    io.stdout.write(`No runs yet: there is no database at ${dbPath}.\n`);
    return EXIT_OK;
  }
  const app = await createLabApp({ transport: 'cli', dbPath });
  try {
    const runs = await app.handlers['runs:list'](experimentId === undefined ? {} : { experimentId });
    if (runs.length === 0) {
      io.stdout.write(`No runs in ${dbPath}.\n`);
      return EXIT_OK;
    }
    const rows = [
      ['ID', 'EXPERIMENT', 'METHOD', 'SEED', 'STATUS', 'BACKEND', 'METRICS'],
      ...runs.map((run) => [
        String(run.id),
        `${run.experimentId} ${run.experimentName}`,
        run.label === run.methodName ? run.method : `${run.method} (${run.label})`,
        String(run.seed),
        run.status,
        run.backend ?? '-',
        run.status === 'failed' && run.error ? `error: ${run.error}` : keyMetrics(run.metrics),
      ]),
    ];
    io.stdout.write(`${alignColumns(rows)}\n`);
    return EXIT_OK;
  } finally {
    await app.close();
  }
}
