#!/usr/bin/env node
/**
 * `npm start`: the desktop app where Electron can run, the same workbench in the browser where not.
 *
 * With Electron's binary: `electron-vite preview` (builds, then launches the app).
 * Without it (servers, containers, CI): builds the renderer if needed and runs
 * `cascade-lab serve`, which prints the localhost URL to open (with this start's access token).
 * Extra arguments go to that command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const electronVite = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');

function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/** Runs a command to completion with inherited output; exits with its status when it fails. */
function runOrExit(args, what) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${what} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
}

/** Runs the long-lived command, passes Ctrl+C / SIGTERM on, and exits with its status. */
function runForeground(args) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (electronBinary()) {
  const binding = join(root, 'native', 'electron', 'better_sqlite3.node');
  if (!existsSync(binding)) {
    const rebuild = spawnSync(process.execPath, [join(root, 'scripts', 'rebuild-sqlite-electron.mjs')], {
      cwd: root,
      stdio: 'inherit',
    });
    if (rebuild.status !== 0)
      console.warn('Could not build better-sqlite3 for Electron; trying the Node build.');
  }
  runForeground([electronVite, 'preview', ...process.argv.slice(2)]);
} else {
  console.log("Electron's binary is not installed here, so the workbench is served in the browser instead.");
  if (!existsSync(join(root, 'out', 'renderer', 'index.html')))
    runOrExit([electronVite, 'build'], 'Building');
  runForeground([join(root, 'bin', 'cascade-lab.mjs'), 'serve', ...process.argv.slice(2)]);
}
