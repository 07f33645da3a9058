import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Builds main, preload and renderer before the end-to-end tests, so they never drive a stale
 * bundle (electron-vite build takes a few seconds).
 */
export default function globalSetup(): void {
  const root = join(import.meta.dirname, '..', '..');
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0)
    throw new Error(`electron-vite build failed (exit ${result.status ?? result.signal}).`);
}
