#!/usr/bin/env node
/**
 * Flips the Electron fuses of src-main/electron/fuses.ts in an Electron binary, then reads them
 * back and fails unless each is as declared.
 *
 *   node scripts/flip-fuses.mjs                      the installed node_modules/electron binary
 *   node scripts/flip-fuses.mjs --packaged <path>    a packaged build's executable (or its .app)
 *
 * The installed binary gets the 'installed' set, a packaged one every fuse (the ASAR ones need
 * the app in app.asar with its integrity hash embedded, which a packager does; there is no
 * packager config in this repository yet, so run this on its output once there is one).
 * Fuses are written into the binary: node_modules is shared, so flipping the installed one
 * changes it for everyone using that install; reinstalling electron undoes it.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flipFuses, getCurrentFuseWire, FuseV1Options } from '@electron/fuses';
import { register } from 'tsx/esm/api';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** FuseState of @electron/fuses (not exported from its entry point): '0' and '1' in the wire. */
const FUSE_DISABLED = 48;
const FUSE_ENABLED = 49;

function usage(message) {
  console.error(
    `${message}\nUsage: node scripts/flip-fuses.mjs [--packaged <path to the packaged Electron executable>]`,
  );
  process.exit(2);
}

function installedElectron() {
  try {
    const path = createRequire(join(root, 'package.json'))('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const args = process.argv.slice(2);
let target = 'installed';
let binary;
if (args[0] === '--packaged') {
  if (args.length !== 2) usage('--packaged needs the path of the packaged executable.');
  target = 'packaged';
  binary = resolve(args[1]);
  if (!existsSync(binary)) usage(`No such file: ${binary}`);
} else if (args.length === 0) {
  binary = installedElectron();
  if (binary === null) usage("Electron's binary is not installed here (node_modules/electron has none).");
} else {
  usage(`Unknown arguments: ${args.join(' ')}`);
}

register();
const { FUSES, fuseConfigFor } = await import('../src-main/electron/fuses.ts');
const config = {
  ...fuseConfigFor(target),
  // Flipping bits breaks the ad-hoc signature of an arm64 macOS app; sign it again.
  resetAdHocDarwinSignature: process.platform === 'darwin' && target === 'packaged',
};
await flipFuses(binary, config);

const wire = await getCurrentFuseWire(binary);
let wrong = 0;
for (const { option, enabled, targets } of FUSES) {
  const name = FuseV1Options[option];
  if (!targets.includes(target)) {
    console.log(`  ${name}: left as Electron ships it (set for ${targets.join(', ')} builds only)`);
    continue;
  }
  const state = wire[option];
  const ok = state === (enabled ? FUSE_ENABLED : FUSE_DISABLED);
  if (!ok) wrong += 1;
  console.log(`  ${name}: ${enabled ? 'on' : 'off'}${ok ? '' : ` — NOT SET (wire state ${state})`}`);
}
if (wrong > 0) {
  console.error(`${wrong} fuse(s) in ${binary} are not as declared.`);
  process.exit(1);
}
console.log(`Fuses of ${binary} set for the ${target} target.`);
