import { describe, expect, it } from 'vitest';
import { keybindingLabel, matchesKeybinding, type KeyPress } from './keybindings';

function press(key: string, modifiers: Partial<Omit<KeyPress, 'key'>> = {}): KeyPress {
  return { key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...modifiers };
}

describe('key bindings', () => {
  it('are written with the platform modifier, upper-case letters and named keys as they are', () => {
    expect(keybindingLabel({ key: 'p', mod: true, shift: true }, false)).toBe('Ctrl+Shift+P');
    expect(keybindingLabel({ key: 'p', mod: true, shift: true }, true)).toBe('⌘+Shift+P');
    expect(keybindingLabel({ key: 'n', mod: true, alt: true }, false)).toBe('Ctrl+Alt+N');
    expect(keybindingLabel({ key: 'F5', shift: true }, false)).toBe('Shift+F5');
  });

  it('match a press with exactly their modifiers, the letter in either case', () => {
    const toggle = { key: 'j', mod: true };
    expect(matchesKeybinding(toggle, press('j', { ctrlKey: true }), false)).toBe(true);
    expect(matchesKeybinding(toggle, press('J', { ctrlKey: true }), false)).toBe(true);
    expect(matchesKeybinding(toggle, press('j', { ctrlKey: true, shiftKey: true }), false)).toBe(false);
    expect(matchesKeybinding(toggle, press('j'), false)).toBe(false);
    // Cmd, not Ctrl, is the modifier on macOS.
    expect(matchesKeybinding(toggle, press('j', { ctrlKey: true }), true)).toBe(false);
    expect(matchesKeybinding(toggle, press('j', { metaKey: true }), true)).toBe(true);
    expect(matchesKeybinding({ key: 'F5' }, press('F5', { shiftKey: true }), false)).toBe(false);
    expect(matchesKeybinding({ key: 'F5', shift: true }, press('F5', { shiftKey: true }), false)).toBe(true);
  });
});
