/** The colour themes a user can choose, and which one a choice shows (lib/theme.svelte.ts keeps it). */

export const THEME_PREFERENCES = ['system', 'dark', 'light'] as const;
export type ThemePreference = (typeof THEME_PREFERENCES)[number];
export type ResolvedTheme = 'dark' | 'light';

/** Labels for the settings' choice and the palette's commands. */
export const THEME_LABELS: Record<ThemePreference, string> = {
  system: 'Follow the system',
  dark: 'Dark',
  light: 'Light',
};

export function isThemePreference(value: unknown): value is ThemePreference {
  return (THEME_PREFERENCES as readonly unknown[]).includes(value);
}

/** The theme shown: the system's while the choice is "system" (dark unless it asks for light). */
export function resolveTheme(preference: ThemePreference, systemPrefersLight: boolean): ResolvedTheme {
  if (preference !== 'system') return preference;
  return systemPrefersLight ? 'light' : 'dark';
}
