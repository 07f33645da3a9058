/**
 * Sizes of the side bar and the bottom panel: dragged or keyed on their sashes, kept within
 * bounds that leave the editor usable at any window size, and remembered in this browser
 * profile's localStorage across reloads.
 */

import { clampPanelHeight, clampSidebarWidth, PANEL_HEIGHT, SIDEBAR_WIDTH } from './layout';

const STORAGE_KEY = 'cascade-lab.layout';

interface StoredLayout {
  sidebarWidth: number;
  panelHeight: number;
}

function stored(): Partial<StoredLayout> {
  try {
    const parsed: unknown = JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? '{}');
    if (typeof parsed !== 'object' || parsed === null) return {};
    const record = parsed as Record<string, unknown>;
    return {
      sidebarWidth: typeof record.sidebarWidth === 'number' ? record.sidebarWidth : undefined,
      panelHeight: typeof record.panelHeight === 'number' ? record.panelHeight : undefined,
    };
  } catch {
    return {};
  }
}

class Layout {
  sidebarWidth = $state<number>(clampSidebarWidth(stored().sidebarWidth ?? SIDEBAR_WIDTH.initial));
  panelHeight = $state<number>(stored().panelHeight ?? PANEL_HEIGHT.initial);

  setSidebarWidth(width: number): void {
    this.sidebarWidth = clampSidebarWidth(width);
    this.save();
  }

  setPanelHeight(height: number, windowHeight: number): void {
    this.panelHeight = clampPanelHeight(height, windowHeight);
    this.save();
  }

  private save(): void {
    try {
      globalThis.localStorage?.setItem(
        STORAGE_KEY,
        JSON.stringify({ sidebarWidth: this.sidebarWidth, panelHeight: this.panelHeight }),
      );
    } catch {
      // Not remembered; the sizes still hold for this window.
    }
  }
}

export const layout = new Layout();
