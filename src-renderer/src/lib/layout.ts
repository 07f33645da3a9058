/** Bounds of the side bar and bottom panel sizes (lib/layout.svelte.ts holds the sizes). */

/** Bounds in CSS pixels. The editor keeps at least EDITOR_MIN_HEIGHT above the panel. */
export const SIDEBAR_WIDTH = { min: 180, max: 600, initial: 290 } as const;
export const PANEL_HEIGHT = { min: 90, initial: 230 } as const;
export const EDITOR_MIN_HEIGHT = 160;
/** One arrow-key press on a focused sash; Shift moves five steps. */
export const SASH_STEP = 20;

/** The panel's largest height in a window `windowHeight` tall (never below its minimum). */
export function panelMaxHeight(windowHeight: number): number {
  // The status bar (22 px) and the tab strip (35 px) also take their share.
  return Math.max(PANEL_HEIGHT.min, windowHeight - EDITOR_MIN_HEIGHT - 57);
}

export function clampPanelHeight(height: number, windowHeight: number): number {
  return Math.round(Math.min(panelMaxHeight(windowHeight), Math.max(PANEL_HEIGHT.min, height)));
}

export function clampSidebarWidth(width: number): number {
  return Math.round(Math.min(SIDEBAR_WIDTH.max, Math.max(SIDEBAR_WIDTH.min, width)));
}
