// Development entry of the import worker: lets the worker thread load TypeScript through tsx.
// Bundled builds start out/main/import-worker.js (electron-vite) or out/cli/import-worker.js
// (the CLI, vite.cli.config.ts) instead; see imports.ts.
import { register } from 'tsx/esm/api';

register();
await import('./import-worker.ts');
