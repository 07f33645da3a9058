/**
 * Where runs execute (this machine or a queue on Redis) and the queue's workers, as the main side
 * reports them through `queue:status`. The workers view and the status bar read it; Settings
 * switches it through `queue:connect`.
 *
 * The workers announce themselves every few seconds, so the status is polled: often while a view
 * that lists them is visible (`watch()`), rarely otherwise, so that the status bar's worker count
 * does not go stale for long.
 */
import type { QueueStatus } from '../../../src-main/contract/api';
import { api } from './api';
import { describeError } from './errors';

/** While the workers view is visible. */
export const WATCHED_POLL_MS = 3000;
/** Otherwise: the status bar's count only. */
export const BACKGROUND_POLL_MS = 15_000;

class Queue {
  status = $state.raw<QueueStatus | null>(null);
  /** Why the last `queue:status` call failed (the main side is gone), or null. */
  pollError = $state<string | null>(null);
  /** Why the last connect failed, as the main side said it; cleared by the next attempt. */
  connectError = $state<string | null>(null);
  connecting = $state(false);
  /** When the status last arrived (ms since the epoch), for the heartbeat ages. */
  polledAt = $state(Date.now());

  private watchers = 0;
  /** Bumped by each connect, so a status read before it cannot overwrite what it answered. */
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private started = false;

  /** Reads the status once and keeps polling. Call once at start-up. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.poll();
  }

  /** Polls often until the returned function is called (a view's $effect cleanup). */
  watch(): () => void {
    this.watchers += 1;
    void this.poll();
    return () => {
      this.watchers -= 1;
    };
  }

  /** Reads the status now and schedules the next read. */
  async poll(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const generation = this.generation;
    try {
      const status = await api.invoke('queue:status', {});
      if (generation === this.generation) this.status = status;
      this.pollError = null;
    } catch (error) {
      this.pollError = describeError(error).message;
    }
    this.polledAt = Date.now();
    if (this.timer === null && this.started) {
      this.timer = setTimeout(
        () => void this.poll(),
        this.watchers > 0 ? WATCHED_POLL_MS : BACKGROUND_POLL_MS,
      );
    }
  }

  /**
   * New runs execute on the queue at `url`, or on this machine when `url` is null. Resolves with
   * whether it worked; a failure leaves where runs execute unchanged and sets `connectError`.
   */
  async connect(url: string | null): Promise<boolean> {
    this.connecting = true;
    this.connectError = null;
    this.generation += 1;
    try {
      this.status = await api.invoke('queue:connect', { url });
      this.generation += 1;
      this.polledAt = Date.now();
      return true;
    } catch (error) {
      this.connectError = describeError(error).message;
      return false;
    } finally {
      this.connecting = false;
    }
  }
}

export const queue = new Queue();
