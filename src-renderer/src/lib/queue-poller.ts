/**
 * Reading where runs execute and the queue's workers (`queue:status`) and switching it
 * (`queue:connect`), as lib/queue.svelte.ts shows them. Plain TypeScript over a state object the
 * caller owns (a $state proxy in the workbench, a plain object in tests), so the timing rules are
 * testable without Svelte:
 *
 * - the status is polled often while a view that lists the workers is visible (`watch()`), rarely
 *   otherwise, so the status bar's worker count does not go stale for long;
 * - a run's status change on a queue triggers a read soon (its count, a worker's load);
 * - a status read that was under way when a connect began is dropped, so it cannot put back where
 *   runs executed before the switch.
 */
import type { QueueStatus } from '../../../src-main/contract/api';
import { describeError } from './errors';

/** While a view lists the workers. */
export const WATCHED_POLL_MS = 3000;
/** Otherwise: the status bar's count only. */
export const BACKGROUND_POLL_MS = 15_000;
/** After a run's status changed. */
export const SOON_MS = 400;

export interface QueueState {
  status: QueueStatus | null;
  /** Why the last `queue:status` call failed (the main side is gone), or null. */
  pollError: string | null;
  /** Why the last connect failed, as the main side said; cleared by the next attempt. */
  connectError: string | null;
  connecting: boolean;
  /** When the status last arrived (ms since the epoch), for the workers' heartbeat ages. */
  polledAt: number;
}

export interface QueueClient {
  status(): Promise<QueueStatus>;
  connect(url: string | null): Promise<QueueStatus>;
  /** Subscribes to run status changes. */
  onRunStatus(listener: () => void): void;
}

export function initialQueueState(now: number): QueueState {
  return { status: null, pollError: null, connectError: null, connecting: false, polledAt: now };
}

export class QueuePoller {
  private watchers = 0;
  /** Bumped by each connect, so a status read before it cannot overwrite what it answered. */
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private started = false;

  constructor(
    readonly state: QueueState,
    private readonly client: QueueClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the status once and keeps polling. Call once at start-up. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.client.onRunStatus(() => {
      if (this.state.status?.runOn.kind === 'queue') this.pollSoon();
    });
    void this.poll();
  }

  /** Stops polling (tests; the workbench polls for its lifetime). */
  stop(): void {
    this.started = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Polls often until the returned function is called (a view's $effect cleanup). */
  watch(): () => void {
    this.watchers += 1;
    void this.poll();
    let watching = true;
    return () => {
      if (watching) this.watchers -= 1;
      watching = false;
    };
  }

  /** The delay before the next read. */
  get interval(): number {
    return this.watchers > 0 ? WATCHED_POLL_MS : BACKGROUND_POLL_MS;
  }

  /** Reads the status now and schedules the next read. */
  async poll(): Promise<void> {
    this.clearTimer();
    const generation = this.generation;
    try {
      const status = await this.client.status();
      if (generation === this.generation) this.state.status = status;
      this.state.pollError = null;
    } catch (error) {
      this.state.pollError = describeError(error).message;
    }
    this.state.polledAt = this.now();
    // A read under way keeps a schedule that another read (or pollSoon) set meanwhile.
    if (this.timer === null && this.started) this.timer = setTimeout(() => void this.poll(), this.interval);
  }

  /** Reads the status in a moment, once for a burst of events. */
  pollSoon(): void {
    this.clearTimer();
    this.timer = setTimeout(() => void this.poll(), SOON_MS);
  }

  /**
   * New runs execute on the queue at `url`, or on this machine when `url` is null. Resolves with
   * whether it worked; a failure leaves where runs execute unchanged and sets `connectError`.
   */
  async connect(url: string | null): Promise<boolean> {
    this.state.connecting = true;
    this.state.connectError = null;
    this.generation += 1;
    try {
      this.state.status = await this.client.connect(url);
      this.generation += 1;
      this.state.polledAt = this.now();
      return true;
    } catch (error) {
      this.state.connectError = describeError(error).message;
      return false;
    } finally {
      this.state.connecting = false;
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
