/**
 * Benchmark (not a test): generates a TikTok-format train file of N rows and imports it,
 * printing rows per second and peak RSS as one JSON line.
 * Target from the issue: >= 300,000 rows/s on 2 cores with peak RSS under 1 GB at 10 million rows.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTikTok } from './tiktok';
import { writeProcessed } from './processed';

export interface ImportBenchResult {
  bench: 'import-tiktok';
  rows: number;
  fileBytes: number;
  generateSeconds: number;
  importSeconds: number;
  writeSeconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
}

/** Writes `rows` lines shaped like final_track2_train.txt (ids drawn with a popularity skew). */
export async function generateTikTokFile(path: string, rows: number, seed = 1): Promise<void> {
  const out = createWriteStream(path);
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const users = 70_000;
  const items = 4_000_000;
  let time = 53_000_000;
  const chunk: string[] = [];
  for (let r = 0; r < rows; r++) {
    const uid = Math.floor(next() * users);
    const item = Math.floor(items * next() ** 3);
    time += next() < 0.3 ? 1 : 0;
    chunk.push(
      `${uid}\t${uid % 400}\t${item}\t${item % 90000}\t${item % 300}\t${r % 4}\t${next() < 0.35 ? 1 : 0}\t${next() < 0.02 ? 1 : 0}\t${next() < 0.1 ? -1 : item % 80000}\t${uid % 1000}\t${time}\t${5 + (item % 40)}\n`,
    );
    if (chunk.length === 10_000) {
      if (!out.write(chunk.join('')))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk.length = 0;
    }
  }
  out.write(chunk.join(''));
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

export async function runImportBench(rows: number): Promise<ImportBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-import-bench-'));
  try {
    const file = join(dir, 'final_track2_train.txt');
    const t0 = performance.now();
    // Generate in a child process so its garbage does not count in this process's peak RSS.
    // Built (out/cli/import-bench.js) this file runs as it is; from source it needs tsx, resolved
    // from here, not from the working folder (the command may run anywhere).
    const loader = import.meta.filename.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
    execFileSync(process.execPath, [...loader, import.meta.filename, file, String(rows)], {
      stdio: 'inherit',
    });
    const t1 = performance.now();
    const dataset = await importTikTok({ train: file });
    const t2 = performance.now();
    await writeProcessed(join(dir, 'processed'), dataset);
    const t3 = performance.now();
    return {
      bench: 'import-tiktok',
      rows: dataset.report.rowsRead,
      fileBytes: (await stat(file)).size,
      generateSeconds: (t1 - t0) / 1000,
      importSeconds: (t2 - t1) / 1000,
      writeSeconds: (t3 - t2) / 1000,
      rowsPerSecond: Math.round(dataset.report.rowsRead / ((t2 - t1) / 1000)),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Child-process entry: `node [--import tsx] import-bench.{ts,js} <file> <rows>` writes the file.
if (process.argv[1] === import.meta.filename && process.argv.length === 4) {
  await generateTikTokFile(process.argv[2], Number(process.argv[3]));
}
