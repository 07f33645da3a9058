#!/usr/bin/env node
// The cascade-lab command. It runs one of two things:
//  - the built JavaScript in out/cli (`npm run build:cli`; `npm install` runs it through the
//    `prepare` script), when that build started after the last change to any source file it is made
//    from: starts in a fraction of a second, workers included;
//  - otherwise the TypeScript sources through tsx (a development checkout with edits, or no build):
//    about a second slower to start, but never stale. A stale build is never run: after an edit,
//    the sources are, until the next `npm run build:cli`.
// Set CASCADE_LAB_FROM_SOURCE=1 to run the sources even when the build is fresh.
// Two entry points share that build: `serve` is the browser host's (src-main/host/main.ts, built as
// out/cli/host.js), every other command the command line's (src-main/cli/main.ts, out/cli/main.js).
// The transports do not import each other (eslint/layers.js), so this file picks one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const buildDir = join(root, 'out', 'cli');

const argv = process.argv.slice(2);
const entryPoint =
  argv[0] === 'serve'
    ? { built: 'host.js', source: 'src-main/host/main.ts', args: argv.slice(1) }
    : { built: 'main.js', source: 'src-main/cli/main.ts', args: argv };

/** When the build in out/cli started reading the sources, or null when there is no complete build. */
function buildStartedAtMs() {
  try {
    const stamp = JSON.parse(readFileSync(join(buildDir, 'build-stamp.json'), 'utf8'));
    return typeof stamp.startedAtMs === 'number' && existsSync(join(buildDir, entryPoint.built))
      ? stamp.startedAtMs
      : null;
  } catch {
    return null;
  }
}

/** The first file under `dir` changed at or after `sinceMs` (tests are never bundled), or null. */
function changedSince(dir, sinceMs) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const changed = changedSince(path, sinceMs);
      if (changed) return changed;
    } else if (!entry.name.endsWith('.test.ts') && statSync(path).mtimeMs >= sinceMs) {
      return path;
    }
  }
  return null;
}

/**
 * Why the sources must run instead of the build, or null when the build is complete and fresh.
 * `stale` marks the case worth a word to whoever watches: a build exists but is older than an edit.
 */
function sourceRunReason() {
  if (process.env.CASCADE_LAB_FROM_SOURCE === '1') return { why: 'CASCADE_LAB_FROM_SOURCE=1', stale: false };
  const startedAtMs = buildStartedAtMs();
  if (startedAtMs === null) return { why: 'there is no build in out/cli', stale: false };
  const changed =
    changedSince(join(root, 'src-main'), startedAtMs) ??
    (statSync(join(root, 'vite.cli.config.ts')).mtimeMs >= startedAtMs ? 'vite.cli.config.ts' : null);
  return changed ? { why: `${changed} changed after the build in out/cli`, stale: true } : null;
}

const reason = sourceRunReason();
let main;
if (reason === null) {
  ({ main } = await import(pathToFileURL(join(buildDir, entryPoint.built)).href));
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      `cascade-lab: cannot start: ${reason.why}, and tsx (a development dependency) is not installed ` +
        'to run the sources. Run `npm run build:cli` in the cascade-lab folder.\n',
    );
    process.exit(1);
  }
  // Only where someone watches: scripts and tests get the sources' output unchanged.
  if (process.stderr.isTTY && reason.stale) {
    process.stderr.write(
      `cascade-lab: ${reason.why}; running the sources (npm run build:cli starts faster)\n`,
    );
  }
  register();
  ({ main } = await import(pathToFileURL(join(root, entryPoint.source)).href));
}
const code = await main(entryPoint.args);
process.exitCode = code;
// Everything is closed by now; should a stray handle keep the loop alive, do not hang the shell.
setTimeout(() => process.exit(code), 2000).unref();
