/**
 * The charts' colours, matched to the workbench's dark theme (app.css): one declaration for every
 * chart component, so a series keeps its colour from one view to the next.
 */

/** Series colours in order: the k-th series (method, row, curve) takes SERIES_COLORS[k % length]. */
export const SERIES_COLORS = [
  '#4daafc',
  '#c586c0',
  '#4ec9b0',
  '#dcdcaa',
  '#ce9178',
  '#9cdcfe',
  '#b5cea8',
  '#f48771',
] as const;

/** The k-th series' colour, wrapping around the palette. */
export function seriesColor(k: number): string {
  return SERIES_COLORS[k % SERIES_COLORS.length];
}

/** Axis titles and tick labels. */
export const AXIS_TEXT_COLOR = '#9d9d9d';
/** Grid lines. */
export const GRID_COLOR = '#2b2b2b';
/** Legend labels. */
export const LEGEND_TEXT_COLOR = '#cccccc';

/** Ticks and grid of a chart.js axis in the theme's colours. */
export const THEMED_AXIS = { ticks: { color: AXIS_TEXT_COLOR }, grid: { color: GRID_COLOR } };
/** A chart.js legend in the theme's colours. */
export const THEMED_LEGEND = { labels: { color: LEGEND_TEXT_COLOR, boxWidth: 12 } };
