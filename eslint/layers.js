// @ts-check
/**
 * The layering of the sources, as data: which of our folders each folder may import, which
 * packages, and where Node's built-in modules are allowed. eslint.config.js turns this table into
 * the `layers/imports` rule (below); test/unit-setup/layers.test.ts checks that it bites.
 *
 *   contract <- core <- store <- app <- electron | host | cli      renderer -> contract only
 *
 * The contract is a leaf: plain types and constants every side agrees on, including the renderer,
 * which reaches the main side only through it. The transports are siblings: each exposes the app
 * in its own way and none imports another (`cascade-lab serve` is the browser host's own entry,
 * which bin/cascade-lab.mjs starts beside the command line's).
 */
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');

const CONTRACT = 'src-main/contract';
const CORE = 'src-main/core';
const CORE_NODE = 'src-main/core/node';
const STORE = 'src-main/store';
const APP = 'src-main/app';

/**
 * @typedef {object} Layer
 * @property {string[]} mayImport Our folders (keys of LAYERS) this one may import, besides itself.
 * @property {string[]} packages npm packages it may import; `@scope/*` allows a whole scope.
 * @property {boolean | string[]} node Whether Node's built-in modules (node:fs, node:path, ...)
 *   may be imported: everywhere in the folder, nowhere, or only under the listed paths.
 */

/** @type {Record<string, Layer>} */
export const LAYERS = {
  // valibot: the contract declares what callers send as schemas (spec-schema.ts, requests.ts);
  // types, validation and the spec's JSON Schema derive from them (contract/schema.ts says why
  // this library). It has no dependencies and never evaluates code, so the renderer can bundle it.
  [CONTRACT]: { mayImport: [], packages: ['valibot'], node: false },
  // The engine runs wherever tfjs does. What only Node can do (reading and writing dataset files,
  // the trained-model cache on disk, finding TensorFlow's native and wasm binaries in
  // node_modules) lives in one folder, core/node; nowhere else in the engine imports Node.
  [CORE]: { mayImport: [CONTRACT], packages: ['@tensorflow/*'], node: [CORE_NODE] },
  [STORE]: { mayImport: [CONTRACT, CORE], packages: ['better-sqlite3'], node: true },
  // tsx: the worker entry points (.mjs) compile the TypeScript workers on the fly. bullmq and
  // ioredis: remote execution's queue on Redis (app/queue), which the transports reach through the app.
  [APP]: {
    mayImport: [CONTRACT, CORE, STORE],
    packages: ['@tensorflow/*', 'tsx', 'bullmq', 'ioredis'],
    node: true,
  },
  'src-main/electron': {
    mayImport: [CONTRACT, CORE, STORE, APP],
    packages: ['electron', '@electron/fuses'],
    node: true,
  },
  'src-main/host': { mayImport: [CONTRACT, CORE, STORE, APP], packages: [], node: true },
  'src-main/cli': { mayImport: [CONTRACT, CORE, STORE, APP], packages: [], node: true },
  // valibot: the contract's schemas, which the renderer may check a draft against;
  // chartjs-chart-pcp: parallel coordinates; svgcanvas: charts exported as SVG (lib/chart-export.ts).
  'src-renderer': {
    mayImport: [CONTRACT],
    packages: ['svelte', 'chart.js', 'valibot', 'chartjs-chart-pcp', 'svgcanvas'],
    node: false,
  },
};

/**
 * Tests run under vitest in Node, so they may use any package and built-in (temporary folders,
 * child processes); which of our folders they import still follows their folder's row.
 */
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]s$/;

const NODE_BUILTINS = new Set(builtinModules);

/** @param {string} path a path relative to the repository root, with forward slashes */
function layerOf(path) {
  return Object.keys(LAYERS).find((folder) => path === folder || path.startsWith(`${folder}/`));
}

/** @param {string} path @param {string} prefix */
function isUnder(path, prefix) {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** @param {string} specifier */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** @param {string[]} allowed @param {string} name */
function packageAllowed(allowed, name) {
  return allowed.some((entry) =>
    entry.endsWith('/*') ? name.startsWith(entry.slice(0, -1)) : name === entry,
  );
}

/**
 * Why `specifier`, imported from `file` (relative to the root), breaks the table; undefined when
 * it does not.
 * @param {string} file
 * @param {string} specifier
 * @returns {string | undefined}
 */
export function layerViolation(file, specifier) {
  const from = layerOf(file);
  if (from === undefined) return undefined;
  const layer = LAYERS[from];
  const isTest = TEST_FILE.test(file);
  const bare = specifier.split('?')[0];
  if (bare.startsWith('.') || bare.startsWith('/')) {
    const target = relative(root, resolve(root, dirname(file), bare))
      .split(sep)
      .join('/');
    const to = layerOf(target);
    if (to === from) return undefined;
    if (to === undefined)
      return `${from} may import only its own code and ${listOf(layer.mayImport)}, not ${target}.`;
    if (layer.mayImport.includes(to)) return undefined;
    return `${from} may import ${listOf(layer.mayImport)}, not ${to} (eslint/layers.js).`;
  }
  if (isTest) return undefined;
  const isBuiltin = bare.startsWith('node:') || NODE_BUILTINS.has(bare);
  if (isBuiltin) {
    const allowed =
      layer.node === true || (Array.isArray(layer.node) && layer.node.some((p) => isUnder(file, p)));
    if (allowed) return undefined;
    return Array.isArray(layer.node)
      ? `Node built-ins (${bare}) in ${from} belong only under ${layer.node.join(', ')} (eslint/layers.js).`
      : `${from} runs without Node: no ${bare} (eslint/layers.js).`;
  }
  const name = packageName(bare);
  if (packageAllowed(layer.packages, name)) return undefined;
  return `${from} may import the packages ${listOf(layer.packages)}, not ${name} (eslint/layers.js).`;
}

/** @param {string[]} items */
function listOf(items) {
  return items.length ? items.join(', ') : 'nothing else';
}

/** @type {import('eslint').Rule.RuleModule} */
const importsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the layer table in eslint/layers.js.' },
    schema: [],
  },
  create(context) {
    const file = relative(root, context.filename).split(sep).join('/');
    /** @param {import('estree').Node | null | undefined} source */
    const check = (source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const message = layerViolation(file, source.value);
      if (message !== undefined) context.report({ node: source, message });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

export const layersPlugin = { rules: { imports: importsRule } };

/** The files the table speaks for, as ESLint `files` globs. */
export const LAYERED_FILES = Object.keys(LAYERS).map((folder) => `${folder}/**/*.{ts,mjs,js,svelte}`);
