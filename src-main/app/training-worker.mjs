// Development entry of the training worker: lets the worker thread load TypeScript through tsx.
// Bundled builds start out/main/training-worker.js (electron-vite) or out/cli/training-worker.js
// (the CLI, vite.cli.config.ts) instead; see jobs.ts.
import { register } from 'tsx/esm/api';

register();
await import('./training-worker.ts');
