/**
 * The layer table (eslint/layers.js) as the project's ESLint config applies it: a forbidden import
 * added anywhere must fail `npm run lint`, and the allowed ones must not.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

/**
 * The layer rule's messages for `code` linted in place of the file at `filePath`. The paths are of
 * real files: the type-aware rules on src-main parse only files their tsconfig project holds.
 */
async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  expect(result.messages.filter((m) => m.fatal)).toEqual([]);
  return result.messages.filter((m) => m.ruleId === 'layers/imports').map((m) => m.message);
}

describe('the layer table', () => {
  it('keeps the contract a leaf', async () => {
    const errors = await layerErrors(
      'src-main/contract/limits.ts',
      "import { simulate } from '../core/data/simulator';\nexport const probe = simulate;\n",
    );
    expect(errors).toEqual([
      expect.stringContaining('src-main/contract may import nothing else, not src-main/core'),
    ]);
  });

  it('lets a layer import the layers below it', async () => {
    const code =
      "import type { LabApp } from '../app/types';\nimport type { Database } from '../store/database';\n" +
      'export type Probe = [LabApp, Database];\n';
    expect(await layerErrors('src-main/host/access.ts', code)).toEqual([]);
  });

  it('keeps the transports apart, dynamic imports included', async () => {
    const errors = await layerErrors(
      'src-main/host/access.ts',
      "export const probe = () => import('../electron/ipc');\n",
    );
    expect(errors).toEqual([expect.stringContaining('not src-main/electron')]);
    // The command line does not start the host either: bin/cascade-lab.mjs does, for `serve`.
    const serve = await layerErrors(
      'src-main/cli/main.ts',
      "export const probe = () => import('../host/server');\n",
    );
    expect(serve).toEqual([
      expect.stringContaining(
        'src-main/cli may import src-main/contract, src-main/core, src-main/store, src-main/app, not src-main/host',
      ),
    ]);
  });

  it('keeps the core below the store', async () => {
    const errors = await layerErrors(
      'src-main/core/metrics/auc.ts',
      "export * from '../../store/database';\n",
    );
    expect(errors).toEqual([expect.stringContaining('not src-main/store')]);
  });

  it('lets the renderer reach the main side only through the contract', async () => {
    const errors = await layerErrors(
      'src-renderer/src/lib/format.ts',
      "import type { Channel } from '../../../src-main/contract/api';\n" +
        "import type { LabApp } from '../../../src-main/app/types';\nexport type Probe = [Channel, LabApp];\n",
    );
    expect(errors).toEqual([
      expect.stringContaining('src-renderer may import src-main/contract, not src-main/app'),
    ]);
  });

  it('keeps Node I/O out of the core except in its Node-only folder, core/node', async () => {
    const code = "import { readFileSync } from 'node:fs';\nexport const probe = readFileSync;\n";
    // The backend chooser and the data pipeline were Node-only exceptions before core/node existed.
    for (const file of [
      'src-main/core/metrics/auc.ts',
      'src-main/core/tf/backend.ts',
      'src-main/core/data/dataset.ts',
    ])
      expect(await layerErrors(file, code)).toEqual([
        expect.stringContaining('belong only under src-main/core/node (eslint/layers.js)'),
      ]);
    expect(await layerErrors('src-main/core/node/importers/common.ts', code)).toEqual([]);
    expect(
      await layerErrors(
        'src-main/core/node/wasm-threads.ts',
        "import os from 'os';\nexport const probe = os;\n",
      ),
    ).toEqual([]);
  });

  it('keeps Electron and SQLite out of the core', async () => {
    const errors = await layerErrors(
      'src-main/core/metrics/auc.ts',
      "import Database from 'better-sqlite3';\nimport { app } from 'electron';\nexport const probe = [Database, app];\n",
    );
    expect(errors).toHaveLength(2);
  });
});
