#!/usr/bin/env node
/**
 * `postinstall`: downloads Electron's desktop binary, and never fails the install over it.
 *
 * The `electron` package's own postinstall (which downloads the binary and exits 1 where its
 * download host cannot be reached, making npm roll the whole install back) is denied in
 * package.json's `allowScripts` (npm 11.16+). This script runs the same installer
 * (node_modules/electron/install.js, which honours ELECTRON_MIRROR, electron_config_cache,
 * ELECTRON_SKIP_BINARY_DOWNLOAD and the rest of Electron's documented variables), so where the
 * binary can be downloaded it is installed as before; where it cannot, the install goes on and
 * this prints one line. `npm start` then serves the workbench in the browser (scripts/start.mjs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const TIMEOUT_MS = 10 * 60 * 1000;
const fallback = '`npm start` serves the workbench in the browser instead';

/** The binary's path when it is installed (the same test as scripts/start.mjs). */
function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/** The installer's most telling line: the error's first line, else its last line of output. */
function reason(output) {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return (lines.find((line) => /^\w*Error\b/.test(line)) ?? lines.at(-1) ?? 'no output').slice(0, 200);
}

let installer;
try {
  installer = require.resolve('electron/install.js');
} catch {
  // An optional dependency that npm dropped (npm before 11.16 runs electron's own postinstall,
  // and drops the package when its download fails).
  console.warn(
    `Electron's desktop binary is not installed (npm did not install the electron package); ${fallback}.`,
  );
  process.exit(0);
}

if (!electronBinary()) {
  const run = spawnSync(process.execPath, [installer], {
    cwd: dirname(installer),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: TIMEOUT_MS,
  });
  if (!electronBinary()) {
    const why = run.error
      ? run.error.code === 'ETIMEDOUT'
        ? `no download after ${TIMEOUT_MS / 60000} minutes`
        : run.error.message
      : process.env.ELECTRON_SKIP_BINARY_DOWNLOAD
        ? 'ELECTRON_SKIP_BINARY_DOWNLOAD is set'
        : reason(`${run.stderr}\n${run.stdout}`);
    console.warn(
      `Electron's desktop binary is not installed (${why}); ${fallback}. Retry: node node_modules/electron/install.js`,
    );
  }
}
