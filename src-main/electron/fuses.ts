/**
 * The Electron fuses Cascade Lab sets (Electron's security checklist, item "Check which fuses you
 * can change"). Fuses are bits in the Electron binary itself, flipped before it ships; the app
 * cannot change them at run time. scripts/flip-fuses.mjs applies this set with @electron/fuses.
 *
 * Build-time only: nothing in the main process imports this module, so @electron/fuses (a
 * devDependency) never reaches the bundle.
 *
 * Two targets:
 * - 'packaged': the binary of a packaged build, app in app.asar. Every fuse below.
 * - 'installed': the development binary in node_modules/electron, which runs the app from this
 *   folder (no ASAR) for `npm start`, `electron-vite preview` and the Electron e2e tests. It
 *   gets the fuses that hold there too; the ASAR fuses would stop it loading the unpackaged
 *   app, and Playwright drives the main process through `--inspect=0`, so the inspect fuse is
 *   left on there.
 */
import { FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';

export type FuseTarget = 'installed' | 'packaged';

export interface FuseSetting {
  option: FuseV1Options;
  enabled: boolean;
  /** The targets it is flipped on; elsewhere the binary keeps Electron's default. */
  targets: readonly FuseTarget[];
}

const EVERY_TARGET: readonly FuseTarget[] = ['installed', 'packaged'];
const PACKAGED_ONLY: readonly FuseTarget[] = ['packaged'];

export const FUSES: readonly FuseSetting[] = [
  // ELECTRON_RUN_AS_NODE would turn the app's binary into a plain Node interpreter.
  { option: FuseV1Options.RunAsNode, enabled: false, targets: EVERY_TARGET },
  // Cookies on disk encrypted with the OS keychain.
  { option: FuseV1Options.EnableCookieEncryption, enabled: true, targets: EVERY_TARGET },
  // NODE_OPTIONS could --require code into the main process.
  { option: FuseV1Options.EnableNodeOptionsEnvironmentVariable, enabled: false, targets: EVERY_TARGET },
  // The window loads app://, never file://; file:// pages lose their extra privileges.
  { option: FuseV1Options.GrantFileProtocolExtraPrivileges, enabled: false, targets: EVERY_TARGET },
  // --inspect / --inspect-brk would open a debugger on the main process (see 'installed' above).
  { option: FuseV1Options.EnableNodeCliInspectArguments, enabled: false, targets: PACKAGED_ONLY },
  // Needs the ASAR integrity hash a packager embeds; the unpackaged app has no ASAR at all.
  { option: FuseV1Options.EnableEmbeddedAsarIntegrityValidation, enabled: true, targets: PACKAGED_ONLY },
  // Refuses to load an app from anywhere but app.asar, which only packaging produces.
  { option: FuseV1Options.OnlyLoadAppFromAsar, enabled: true, targets: PACKAGED_ONLY },
];

/**
 * The @electron/fuses config for a target. Not `strictlyRequireAllFuses`: @electron/fuses 1.8.0
 * (the last on Node 20) names fewer fuses than newer Electron binaries carry, and strict mode
 * refuses those; fuses not listed keep Electron's defaults.
 */
export function fuseConfigFor(target: FuseTarget): FuseV1Config {
  const config: FuseV1Config = { version: FuseVersion.V1 };
  for (const { option, enabled, targets } of FUSES) {
    if (targets.includes(target)) config[option] = enabled;
  }
  return config;
}
