/**
 * The workbench's colour theme: the user's choice (follow the system, dark or light), kept in this
 * browser profile's localStorage, and the theme it resolves to now. `applyTheme()` mirrors the
 * resolved theme on <html data-theme>, which app.css's tokens key on; the charts read
 * `theme.resolved` (lib/chart-colors.ts), so they redraw when it changes.
 */

import { isThemePreference, resolveTheme, type ThemePreference } from './theme-choice';

export { THEME_LABELS, THEME_PREFERENCES, type ResolvedTheme, type ThemePreference } from './theme-choice';

const STORAGE_KEY = 'cascade-lab.theme';

function storedPreference(): ThemePreference {
  try {
    const value = globalThis.localStorage?.getItem(STORAGE_KEY);
    return isThemePreference(value) ? value : 'system';
  } catch {
    // Storage can be unavailable (a sandboxed page): the system's choice then.
    return 'system';
  }
}

function systemQuery(): MediaQueryList | null {
  return typeof globalThis.matchMedia === 'function'
    ? globalThis.matchMedia('(prefers-color-scheme: light)')
    : null;
}

class Theme {
  preference = $state<ThemePreference>(storedPreference());
  private systemLight = $state(systemQuery()?.matches ?? false);

  resolved = $derived(resolveTheme(this.preference, this.systemLight));

  /** Follows the system's changes while the preference is "system". Call once at start-up. */
  watchSystem(): void {
    systemQuery()?.addEventListener('change', (event) => {
      this.systemLight = event.matches;
    });
  }

  set(preference: ThemePreference): void {
    this.preference = preference;
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, preference);
    } catch {
      // Not persisted; the choice still holds for this window.
    }
  }
}

export const theme = new Theme();

/** Keeps <html data-theme> and the color-scheme meta tag on the resolved theme. */
export function applyTheme(): void {
  theme.watchSystem();
  $effect.root(() => {
    $effect(() => {
      document.documentElement.dataset.theme = theme.resolved;
      document.querySelector('meta[name="color-scheme"]')?.setAttribute('content', theme.resolved);
    });
  });
}
