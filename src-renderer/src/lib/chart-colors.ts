/**
 * The charts' colours for each theme (app.css holds the rest of the workbench's): one declaration
 * for every chart component, so a series keeps its colour from one view to the next. The
 * functions read `theme.resolved`, so a chart built inside an $effect is rebuilt in the new
 * theme's colours when the theme changes.
 */
import { theme, type ResolvedTheme } from './theme.svelte';

interface ChartPalette {
  /** Series colours in order: the k-th series (method, row, curve) takes series[k % length]. */
  series: readonly string[];
  /** Axis titles and tick labels. */
  axisText: string;
  /** Grid lines. */
  grid: string;
  /** Legend labels. */
  legendText: string;
  /** ± std whiskers over bars and points. */
  errorBar: string;
  /** Area under a single line (the loss chart). */
  fill: string;
}

const PALETTES: Record<ResolvedTheme, ChartPalette> = {
  dark: {
    series: ['#4daafc', '#c586c0', '#4ec9b0', '#dcdcaa', '#ce9178', '#9cdcfe', '#b5cea8', '#f48771'],
    axisText: '#9d9d9d',
    grid: '#2b2b2b',
    legendText: '#cccccc',
    errorBar: '#e8e8e8',
    fill: 'rgba(77, 170, 252, 0.15)',
  },
  // Darker hues of the same families, readable on white.
  light: {
    series: ['#005fb8', '#8e3c8a', '#16825d', '#8a6d00', '#b34a1b', '#0f7ea8', '#4d7c0f', '#c4314b'],
    axisText: '#616161',
    grid: '#e5e5e5',
    legendText: '#3b3b3b',
    errorBar: '#3b3b3b',
    fill: 'rgba(0, 95, 184, 0.12)',
  },
};

/** The current theme's chart colours. */
export function chartPalette(): ChartPalette {
  return PALETTES[theme.resolved];
}

/** The k-th series' colour in the current theme, wrapping around the palette. */
export function seriesColor(k: number): string {
  const { series } = chartPalette();
  return series[k % series.length];
}

/** Ticks and grid of a chart.js axis in the current theme's colours. */
export function themedAxis(): { ticks: { color: string }; grid: { color: string } } {
  const palette = chartPalette();
  return { ticks: { color: palette.axisText }, grid: { color: palette.grid } };
}

/** An axis title in the current theme's colours. */
export function axisTitle(text: string): { display: true; text: string; color: string } {
  return { display: true, text, color: chartPalette().axisText };
}

/** A chart.js legend in the current theme's colours. */
export function themedLegend(): { labels: { color: string; boxWidth: number } } {
  return { labels: { color: chartPalette().legendText, boxWidth: 12 } };
}
