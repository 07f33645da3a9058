import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDatabasePath, defaultDataDir } from './paths';

describe('defaultDataDir', () => {
  it('prefers CASCADE_LAB_DATA_DIR on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(defaultDataDir({ env: { CASCADE_LAB_DATA_DIR: '/data/lab' }, platform, home: '/home/u' })).toBe(
        '/data/lab',
      );
    }
  });

  it('follows XDG on Linux and falls back to ~/.local/share', () => {
    expect(defaultDataDir({ env: { XDG_DATA_HOME: '/xdg' }, platform: 'linux', home: '/home/u' })).toBe(
      '/xdg/cascade-lab',
    );
    expect(defaultDataDir({ env: {}, platform: 'linux', home: '/home/u' })).toBe(
      '/home/u/.local/share/cascade-lab',
    );
    // A relative XDG_DATA_HOME is invalid by the spec and ignored.
    expect(defaultDataDir({ env: { XDG_DATA_HOME: 'rel' }, platform: 'linux', home: '/home/u' })).toBe(
      '/home/u/.local/share/cascade-lab',
    );
  });

  it('uses Application Support on macOS and APPDATA on Windows', () => {
    expect(defaultDataDir({ env: {}, platform: 'darwin', home: '/Users/u' })).toBe(
      '/Users/u/Library/Application Support/cascade-lab',
    );
    expect(
      defaultDataDir({
        env: { APPDATA: 'C:/Users/u/AppData/Roaming' },
        platform: 'win32',
        home: 'C:/Users/u',
      }),
    ).toBe(join('C:/Users/u/AppData/Roaming', 'cascade-lab'));
  });

  it('puts the database inside the data folder', () => {
    expect(defaultDatabasePath({ env: {}, platform: 'linux', home: '/home/u' })).toBe(
      '/home/u/.local/share/cascade-lab/cascade-lab.db',
    );
  });
});
