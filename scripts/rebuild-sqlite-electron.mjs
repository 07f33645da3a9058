#!/usr/bin/env node
/**
 * Builds better-sqlite3 for Electron's ABI into native/electron/better_sqlite3.node.
 *
 * Node (CLI, browser host, tests) and Electron need different builds of the same native module.
 * Rebuilding node_modules/better-sqlite3 in place would break whichever side it was not built for,
 * so this builds in a temporary copy and keeps the result beside the Node build; the Electron main
 * process passes it to better-sqlite3 as `nativeBinding`.
 *
 * Does nothing where Electron's binary is not installed (there is no Electron to build for).
 * Needs a C++ toolchain and network access to https://electronjs.org/headers.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/** node-gyp as shipped with npm (npm sets npm_config_node_gyp when it runs scripts). */
function nodeGypScript() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((candidate) => candidate && existsSync(candidate)) ?? null;
}

if (!electronBinary()) {
  console.log("Electron's binary is not installed here: no Electron build of better-sqlite3 is needed.");
  process.exit(0);
}

const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'));
const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version;
const targetDir = join(root, 'native', 'electron');
const target = join(targetDir, 'better_sqlite3.node');
const stampFile = join(targetDir, 'build-info.json');
const stamp = {
  electron: electronVersion,
  betterSqlite3: sqliteVersion,
  arch: process.arch,
  platform: process.platform,
};

if (existsSync(target) && existsSync(stampFile) && !process.argv.includes('--force')) {
  const previous = readFileSync(stampFile, 'utf8');
  if (previous === JSON.stringify(stamp, null, 2)) {
    console.log(`${target} is up to date (Electron ${electronVersion}); pass --force to rebuild.`);
    process.exit(0);
  }
}

const gyp = nodeGypScript();
if (!gyp) {
  console.error('node-gyp was not found (it ships with npm); install it with `npm install -g node-gyp`.');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'cascade-sqlite-electron-'));
try {
  const copy = join(work, 'better-sqlite3');
  // The copy leaves out the Node build, so the rebuild cannot reuse (or clobber) its objects.
  const nodeBuild = join(sqliteDir, 'build');
  cpSync(sqliteDir, copy, {
    recursive: true,
    filter: (source) => source !== nodeBuild && !source.startsWith(nodeBuild + sep),
  });
  console.log(
    `Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (${process.arch})...`,
  );
  const result = spawnSync(
    process.execPath,
    [
      gyp,
      'rebuild',
      '--release',
      `--target=${electronVersion}`,
      `--arch=${process.arch}`,
      '--dist-url=https://electronjs.org/headers',
    ],
    { cwd: copy, stdio: 'inherit' },
  );
  if (result.status !== 0) {
    console.error(`node-gyp failed (exit ${result.status ?? result.signal}); the Node build is untouched.`);
    process.exit(1);
  }
  mkdirSync(targetDir, { recursive: true });
  cpSync(join(copy, 'build', 'Release', 'better_sqlite3.node'), target);
  writeFileSync(stampFile, JSON.stringify(stamp, null, 2));
  console.log(`Wrote ${target}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
