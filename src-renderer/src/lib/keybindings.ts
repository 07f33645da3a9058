/**
 * Key bindings as data: each command declares its key presses once (lib/commands.ts); the
 * palette, the settings' list and the window's key handler derive from that declaration.
 */

/** A key press: `key` as KeyboardEvent.key (case-insensitive); `mod` is Ctrl, or Cmd on macOS. */
export interface Keybinding {
  key: string;
  mod?: boolean;
  shift?: boolean;
  alt?: boolean;
}

/** The modifier fields of a KeyboardEvent that a binding compares. */
export type KeyPress = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>;

export const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** How a binding is written on this platform, e.g. `Ctrl+Shift+P` or `⌘+J`. */
export function keybindingLabel(binding: Keybinding, mac = IS_MAC): string {
  const key = binding.key.length === 1 ? binding.key.toUpperCase() : binding.key;
  return [binding.mod && (mac ? '⌘' : 'Ctrl'), binding.shift && 'Shift', binding.alt && 'Alt', key]
    .filter((part): part is string => typeof part === 'string')
    .join('+');
}

/** Whether a key press is this binding; modifiers must match exactly (Ctrl+J is not Ctrl+Shift+J). */
export function matchesKeybinding(binding: Keybinding, press: KeyPress, mac = IS_MAC): boolean {
  return (
    press.key.toLowerCase() === binding.key.toLowerCase() &&
    (mac ? press.metaKey : press.ctrlKey) === (binding.mod ?? false) &&
    press.shiftKey === (binding.shift ?? false) &&
    press.altKey === (binding.alt ?? false)
  );
}
