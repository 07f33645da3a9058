/**
 * Which process is which, across a reboot-free span of time: a pid alone is not an identity,
 * because the kernel hands a dead process's pid to a new one. A pid plus the process's start
 * time is. Run ownership (runs.ts) and the sweep of unfinished import folders (app/partial-sweep.ts)
 * both use it to tell a live owner from a stranger that inherited its pid.
 */
import { readFileSync } from 'node:fs';

/** Whether a process with this id exists (EPERM means it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Field 22 of a `/proc/<pid>/stat` line: the start time in clock ticks since boot. The second
 * field (the command name) is in parentheses and may itself hold spaces and parentheses, so the
 * fields are counted from the last `)`.
 */
export function parseProcStatStartTicks(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // After ")": field 3 (state) onwards, so field 22 is at index 22 - 3.
  const value = Number(
    stat
      .slice(close + 1)
      .trim()
      .split(/\s+/)[22 - 3],
  );
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/**
 * The start time of a live process in clock ticks since boot, or null where it cannot be read:
 * the process has gone, or the system has no /proc (macOS, Windows). Callers fall back to the
 * pid alone where it is null, which is what they did before start times were recorded.
 */
export function processStartTicks(pid: number): number | null {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    return parseProcStatStartTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The boot time in milliseconds since the epoch (`btime` in /proc/stat), or null without /proc. */
export function bootTimeMs(): number | null {
  try {
    const match = /^btime\s+(\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return match ? Number(match[1]) * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * /proc reports times in USER_HZ ticks, which the kernel fixes at 100 per second on the
 * architectures Node supports (x86, ARM, POWER, s390), whatever its internal tick rate; Node has
 * no sysconf(_SC_CLK_TCK) to ask.
 */
export const PROC_TICKS_PER_SECOND = 100;

/**
 * When a live process started, in milliseconds since the epoch, to within a tick; null where it
 * cannot be known (no /proc, or the process has gone).
 */
export function processStartedAtMs(pid: number): number | null {
  if (pid === process.pid) return thisProcessStartedAtMs();
  const ticks = processStartTicks(pid);
  const boot = bootTimeMs();
  return ticks === null || boot === null ? null : boot + (ticks / PROC_TICKS_PER_SECOND) * 1000;
}

/** When this process started, in milliseconds since the epoch (portable: no /proc needed). */
export function thisProcessStartedAtMs(): number {
  return Date.now() - process.uptime() * 1000;
}
