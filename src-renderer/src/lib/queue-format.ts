/**
 * How the workbench words remote execution: where runs execute (status bar, workers view), a
 * worker's load and how long ago it last announced itself.
 */
import type { QueueStatus, QueueWorkerInfo } from '../../../src-main/contract/api';
import { pluralize } from './format';

/**
 * The queue's server as `host:port`, from its (already redacted) Redis URL: no scheme, no user,
 * no password placeholder, no database number. Falls back to the URL itself when unreadable.
 */
export function queueHost(url: string): string {
  const match = /^rediss?:\/\/(?:[^@/]*@)?([^/?#]+)/i.exec(url);
  return match ? match[1] : url;
}

/** The status bar's text: where runs execute and, on a queue, how many workers serve it. */
export function runTargetSummary(status: QueueStatus): string {
  if (status.runOn.kind === 'local') return 'This machine';
  return `${queueHost(status.runOn.url)} · ${pluralize(status.workers.length, 'worker')}`;
}

/** The status bar item's tooltip: the queue's redacted URL, its counts, and what went wrong. */
export function runTargetTitle(status: QueueStatus): string {
  if (status.runOn.kind === 'local') return 'New runs execute on this machine';
  const lines = [
    `New runs execute on the queue ${status.runOn.url}: ${pluralize(status.workers.length, 'worker')}, ` +
      `${pluralize(status.queuedRuns, 'run')} waiting or running`,
  ];
  if (status.error) lines.push(status.error);
  return lines.join('\n');
}

/** A worker's load as `active/concurrency`, e.g. `1/2`. */
export function workerLoad(worker: QueueWorkerInfo): string {
  return `${worker.active}/${worker.concurrency}`;
}

/** Whether a worker takes runs now: it said it is ready and has a free slot. */
export function workerBusy(worker: QueueWorkerInfo): boolean {
  return worker.active >= worker.concurrency;
}

/**
 * How long ago `iso` was, coarsely: `just now` (under 2 s, or a clock a little ahead), `7 s ago`,
 * `3 min ago`, `2 h ago`. Unreadable timestamps come back as they are.
 */
export function formatAge(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.floor((now - at) / 1000);
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.floor(minutes / 60)} h ago`;
}
