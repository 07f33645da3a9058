// Development entry of the import worker: lets the worker thread load TypeScript through tsx.
// Bundled builds (electron-vite) start out/main/import-worker.js instead; see imports.ts.
import { register } from 'tsx/esm/api';

register();
await import('./import-worker.ts');
