/**
 * Where Cascade Lab keeps its data. The desktop app, the browser host and the CLI all use this
 * folder, so a run started from the terminal shows up in the workbench and the other way round.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_FOLDER_NAME = 'cascade-lab';
export const DATABASE_FILENAME = 'cascade-lab.db';

export interface PathEnvironment {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  home: string;
}

function currentEnvironment(): PathEnvironment {
  return { env: process.env, platform: process.platform, home: homedir() };
}

/**
 * The user's data folder for Cascade Lab:
 * - `$CASCADE_LAB_DATA_DIR` when set (tests, portable installs);
 * - Linux and other Unix: `$XDG_DATA_HOME/cascade-lab`, else `~/.local/share/cascade-lab`;
 * - macOS: `~/Library/Application Support/cascade-lab`;
 * - Windows: `%APPDATA%\cascade-lab`, else `~\AppData\Roaming\cascade-lab`.
 */
export function defaultDataDir(environment: PathEnvironment = currentEnvironment()): string {
  const { env, platform, home } = environment;
  const override = env.CASCADE_LAB_DATA_DIR?.trim();
  if (override) return override;
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_FOLDER_NAME);
  if (platform === 'win32') {
    return join(env.APPDATA?.trim() || join(home, 'AppData', 'Roaming'), APP_FOLDER_NAME);
  }
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME?.trim();
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), APP_FOLDER_NAME);
}

export function databasePathIn(dataDir: string): string {
  return join(dataDir, DATABASE_FILENAME);
}

/** The database the CLI and the apps use when none is named. */
export function defaultDatabasePath(environment?: PathEnvironment): string {
  return databasePathIn(defaultDataDir(environment));
}
