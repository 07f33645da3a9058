/**
 * Which code this process runs: package.json's version, plus the git commit (and "-dirty" for
 * uncommitted edits) when it runs from a checkout. Remote workers (app/queue/worker.ts) compare it
 * with the version a run was queued by, so a run never trains on other code than the analyst's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The version in the nearest package.json above this module named cascade-lab. */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'cascade-lab' && pkg.version) return pkg.version;
      } catch {
        // not ours or unreadable: keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return '0.0.0';
}

/** `<commit>` or `<commit>-dirty` of the checkout around this module; null outside one or without git. */
function gitRevision(): string | null {
  const cwd = dirname(fileURLToPath(import.meta.url));
  const git = (args: string[]): string =>
    execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
  try {
    const commit = git(['rev-parse', '--short=12', 'HEAD']);
    // Tracked files only: build outputs and data folders are ignored or untracked.
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return null;
  }
}

let cached: string | null = null;

/**
 * E.g. `0.1.0+3e7d4be1a2b3` from a clean checkout, `0.1.0` from an installed package.
 * CASCADE_LAB_CODE_VERSION replaces it (an operator pinning a fleet, or a test of the refusal).
 */
export function codeVersion(): string {
  const pinned = process.env.CASCADE_LAB_CODE_VERSION;
  if (pinned) return pinned;
  if (cached === null) {
    const revision = gitRevision();
    cached = revision ? `${packageVersion()}+${revision}` : packageVersion();
  }
  return cached;
}
