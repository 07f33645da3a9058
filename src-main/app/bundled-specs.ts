/**
 * The experiment specs shipped in experiments/ (the quickstart and the DAMCAR paper's tables and
 * figures), offered by the workbench so they run there as they do from the CLI.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BundledSpec, MethodRunSpec } from '../contract/api';
import { validateSpec } from '../core/experiments/spec';

/**
 * experiments/ two levels above this module: src-main/app/ when run from source, out/main/ when
 * bundled by electron-vite.
 */
export const DEFAULT_EXPERIMENTS_DIR = fileURLToPath(new URL('../../experiments/', import.meta.url));

/** Valid specs in file-name order (quickstart first); an invalid file is reported and skipped. */
export function readBundledSpecs(dir: string, warn: (message: string) => void): BundledSpec[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.json'));
  } catch {
    warn(`No bundled experiment specs: cannot read ${dir}.`);
    return [];
  }
  files.sort((a, b) => (a === 'quickstart.json' ? -1 : b === 'quickstart.json' ? 1 : a.localeCompare(b)));
  const specs: BundledSpec[] = [];
  for (const file of files) {
    try {
      const raw = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { methods: MethodRunSpec[] };
      const validated = validateSpec(raw);
      specs.push({
        file,
        // Validation passed, so the written rows are well-formed; they keep their grids.
        spec: { ...validated, methods: raw.methods.map(writtenRow) },
        rows: validated.methods.length,
        runs: validated.methods.length * validated.seeds.length,
      });
    } catch (error) {
      warn(`${join(dir, file)}: ${(error as Error).message}`);
    }
  }
  return specs;
}

function writtenRow(row: MethodRunSpec): MethodRunSpec {
  return {
    id: row.id,
    ...(row.params ? { params: row.params } : {}),
    ...(row.label ? { label: row.label } : {}),
    ...(row.protocolParams ? { protocolParams: row.protocolParams } : {}),
    ...(row.simulator ? { simulator: row.simulator } : {}),
    ...(row.grid ? { grid: row.grid } : {}),
  };
}
