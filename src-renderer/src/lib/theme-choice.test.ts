import { describe, expect, it } from 'vitest';
import { isThemePreference, resolveTheme, THEME_PREFERENCES } from './theme-choice';

describe('theme choice', () => {
  it('follows the system only while the choice is "system"', () => {
    expect(resolveTheme('system', true)).toBe('light');
    expect(resolveTheme('system', false)).toBe('dark');
    expect(resolveTheme('dark', true)).toBe('dark');
    expect(resolveTheme('light', false)).toBe('light');
  });

  it('accepts only the listed choices from storage', () => {
    for (const preference of THEME_PREFERENCES) expect(isThemePreference(preference)).toBe(true);
    expect(isThemePreference('solarized')).toBe(false);
    expect(isThemePreference(null)).toBe(false);
  });
});
