/**
 * The project source line that called a synchronous read, from the read's stack (the frame right
 * after the wrapper's), or null when the caller is a test file or a library.
 */
export function syncReadCaller(stack: string): string | null {
  const frames = stack.split('\n').filter((line) => line.trim().startsWith('at '));
  // frames[0] is the wrapper in no-sync-reads.ts; frames[1] called the read.
  const caller = frames[1]?.trim() ?? '';
  const match = /(src-main\/[^\s:)]+\.ts)/.exec(caller);
  if (!match || match[1].endsWith('.test.ts') || match[1].includes('/test-support')) return null;
  return caller.replace(/^at /, '');
}
