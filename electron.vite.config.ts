import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY, DEV_SERVER_CONTENT_SECURITY_POLICY } from './src-main/contract/security';

const root = import.meta.dirname;

/** Native or heavy packages stay in node_modules and are loaded at run time, never bundled. */
const external = ['better-sqlite3', /^@tensorflow\//];

/**
 * The CSP meta tag in index.html is the strict production policy. The dev server injects inline
 * styles (hot reload) and talks over a websocket, so only `electron-vite dev` relaxes it.
 */
function relaxCspForDevServer(): Plugin {
  return {
    name: 'cascade-lab:dev-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      if (!html.includes(CONTENT_SECURITY_POLICY)) {
        throw new Error('src-renderer/index.html no longer carries CONTENT_SECURITY_POLICY.');
      }
      return html.replace(CONTENT_SECURITY_POLICY, DEV_SERVER_CONTENT_SECURITY_POLICY);
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: resolve(root, 'src-main/electron/main.ts'),
          // Run in its own worker thread; bundled beside index.js as out/main/training-worker.js.
          'training-worker': resolve(root, 'src-main/app/training-worker.ts'),
          // Dataset imports, also in worker threads of their own: out/main/import-worker.js.
          'import-worker': resolve(root, 'src-main/app/import-worker.ts'),
        },
        external,
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // A sandboxed preload can require only electron: the contract's channel list comes with its
      // request schemas, so valibot is bundled in.
      externalizeDeps: { exclude: ['valibot'] },
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/electron/preload.ts') },
        // Sandboxed preloads are evaluated as classic scripts: CommonJS, no ESM.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [svelte({ configFile: false }), relaxCspForDevServer()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: {
        input: { index: resolve(root, 'src-renderer/index.html') },
      },
    },
  },
});
