import { describe, expect, it } from 'vitest';
import {
  clampPanelHeight,
  clampSidebarWidth,
  EDITOR_MIN_HEIGHT,
  PANEL_HEIGHT,
  panelMaxHeight,
  SIDEBAR_WIDTH,
} from './layout';

describe('layout bounds', () => {
  it('let the panel shrink to its minimum and grow only while the editor keeps its minimum', () => {
    expect(clampPanelHeight(10, 640)).toBe(PANEL_HEIGHT.min);
    // At 1024 x 640 the editor keeps EDITOR_MIN_HEIGHT above a panel dragged as high as it goes.
    expect(clampPanelHeight(10_000, 640)).toBe(640 - EDITOR_MIN_HEIGHT - 57);
    expect(clampPanelHeight(300.4, 900)).toBe(300);
  });

  it('never ask the panel to be smaller than its minimum, even in a tiny window', () => {
    expect(panelMaxHeight(200)).toBe(PANEL_HEIGHT.min);
    expect(clampPanelHeight(500, 200)).toBe(PANEL_HEIGHT.min);
  });

  it('keep the side bar between its bounds', () => {
    expect(clampSidebarWidth(0)).toBe(SIDEBAR_WIDTH.min);
    expect(clampSidebarWidth(5000)).toBe(SIDEBAR_WIDTH.max);
    expect(clampSidebarWidth(333.6)).toBe(334);
  });
});
