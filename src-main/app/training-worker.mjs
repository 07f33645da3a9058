// Development entry of the training worker: lets the worker thread load TypeScript through tsx.
// Bundled builds (electron-vite) start out/main/training-worker.js instead; see jobs.ts.
import { register } from 'tsx/esm/api';

register();
await import('./training-worker.ts');
