/**
 * The command line, the browser host (`cascade-lab serve`) and their worker threads as plain
 * JavaScript in out/cli, so that `cascade-lab` starts without compiling TypeScript (tsx) on every
 * run: `npm run build:cli`, which `npm install` runs through the `prepare` script. bin/cascade-lab.mjs runs this build only while it is newer
 * than every source file (out/cli/build-stamp.json), else the sources through tsx.
 *
 * Every file lands directly in out/cli, chunks included: the sources find their neighbours by
 * paths relative to their own module (`../../experiments/`, `./training-worker.js`, ...), which
 * hold for any file two folders below the project root, as they do for out/main's bundle.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;
const outDir = resolve(root, 'out/cli');

/**
 * Packages stay in node_modules and load at run time: tfjs-node's native binding, the wasm
 * backend's .wasm files and better-sqlite3 resolve from their own package folders, as they do
 * from source. Only the project's own files are bundled.
 */
function isPackageImport(id: string): boolean {
  return !id.startsWith('.') && !isAbsolute(id) && !id.startsWith('\0');
}

/**
 * Writes out/cli/build-stamp.json with the time the build started reading the sources: a source
 * saved after that instant (even during the build) makes the build stale for bin/cascade-lab.mjs.
 */
function buildStamp(): Plugin {
  let startedAtMs = 0;
  return {
    name: 'cascade-lab:cli-build-stamp',
    buildStart() {
      startedAtMs = Date.now();
    },
    closeBundle() {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(resolve(outDir, 'build-stamp.json'), `${JSON.stringify({ startedAtMs })}\n`);
    },
  };
}

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  plugins: [buildStamp()],
  build: {
    ssr: true,
    outDir,
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    reportCompressedSize: false,
    rolldownOptions: {
      input: {
        main: resolve(root, 'src-main/cli/main.ts'),
        // `cascade-lab serve`: the browser host's own entry, which bin/cascade-lab.mjs starts.
        host: resolve(root, 'src-main/host/main.ts'),
        // Started by the job pool in worker threads (jobs.ts, imports.ts find them beside the chunks).
        'training-worker': resolve(root, 'src-main/app/training-worker.ts'),
        'import-worker': resolve(root, 'src-main/app/import-worker.ts'),
        // bench-import starts this file in a child process to generate its input (import-bench.ts).
        'import-bench': resolve(root, 'src-main/core/node/importers/import-bench.ts'),
      },
      external: isPackageImport,
      output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
});
