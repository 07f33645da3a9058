import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { QueueStatus } from '../../../src-main/contract/api';
import {
  BACKGROUND_POLL_MS,
  initialQueueState,
  QueuePoller,
  SOON_MS,
  WATCHED_POLL_MS,
  type QueueClient,
} from './queue-poller';

const LOCAL: QueueStatus = { runOn: { kind: 'local' }, workers: [], queuedRuns: 0, error: null };
const ON_QUEUE: QueueStatus = {
  runOn: { kind: 'queue', url: 'redis://:***@127.0.0.1:6379' },
  workers: [],
  queuedRuns: 2,
  error: null,
};

/** A main side whose answers the test releases one by one. */
function fakeClient(initial: QueueStatus) {
  let current = initial;
  const pendingStatus: ((status: QueueStatus) => void)[] = [];
  let runStatusListener: (() => void) | null = null;
  let manual = false;
  const client: QueueClient = {
    status: vi.fn(() =>
      manual ? new Promise<QueueStatus>((resolve) => pendingStatus.push(resolve)) : Promise.resolve(current),
    ),
    connect: vi.fn(async (url: string | null) => {
      if (url === 'redis://nobody:1')
        throw new Error('cannot reach the queue redis://nobody:1: ECONNREFUSED');
      current = url === null ? LOCAL : ON_QUEUE;
      return current;
    }),
    onRunStatus: (listener) => {
      runStatusListener = listener;
    },
  };
  return {
    client,
    /** From now on status reads wait for release(). */
    holdReads: () => (manual = true),
    /** Answers the oldest waiting status read with what the main side had then. */
    release: (status: QueueStatus) => pendingStatus.shift()?.(status),
    emitRunStatus: () => runStatusListener?.(),
  };
}

const statusCalls = (client: QueueClient): number => vi.mocked(client.status).mock.calls.length;

let poller: QueuePoller | null = null;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  poller?.stop();
  poller = null;
  vi.useRealTimers();
});

describe('QueuePoller', () => {
  it('polls rarely in the background and often while a view watches', async () => {
    const fake = fakeClient(LOCAL);
    poller = new QueuePoller(initialQueueState(0), fake.client);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(poller.state.status).toEqual(LOCAL);
    expect(statusCalls(fake.client)).toBe(1);

    await vi.advanceTimersByTimeAsync(BACKGROUND_POLL_MS - 1);
    expect(statusCalls(fake.client)).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(statusCalls(fake.client)).toBe(2);

    // Watching reads at once, then every few seconds.
    const unwatch = poller.watch();
    await vi.advanceTimersByTimeAsync(0);
    expect(statusCalls(fake.client)).toBe(3);
    await vi.advanceTimersByTimeAsync(WATCHED_POLL_MS * 3);
    expect(statusCalls(fake.client)).toBe(6);

    // Unwatched (twice: a cleanup may run again), it goes back to the slow pace.
    unwatch();
    unwatch();
    await vi.advanceTimersByTimeAsync(WATCHED_POLL_MS);
    expect(statusCalls(fake.client)).toBe(7);
    await vi.advanceTimersByTimeAsync(BACKGROUND_POLL_MS - 1);
    expect(statusCalls(fake.client)).toBe(7);
    await vi.advanceTimersByTimeAsync(1);
    expect(statusCalls(fake.client)).toBe(8);
  });

  it("reads soon after a run's status changes, but only on a queue", async () => {
    const fake = fakeClient(LOCAL);
    poller = new QueuePoller(initialQueueState(0), fake.client);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);

    fake.emitRunStatus();
    await vi.advanceTimersByTimeAsync(SOON_MS);
    expect(statusCalls(fake.client)).toBe(1);

    await poller.connect('redis://127.0.0.1:6379');
    fake.emitRunStatus();
    fake.emitRunStatus();
    await vi.advanceTimersByTimeAsync(SOON_MS);
    expect(statusCalls(fake.client)).toBe(2);
  });

  it('keeps what a connect answered over a status read that began before it', async () => {
    const fake = fakeClient(LOCAL);
    poller = new QueuePoller(initialQueueState(0), fake.client);
    fake.holdReads();
    void poller.poll();
    expect(await poller.connect('redis://127.0.0.1:6379')).toBe(true);
    expect(poller.state.status).toEqual(ON_QUEUE);

    // The read started while runs still executed here answers late: it must not undo the switch.
    fake.release(LOCAL);
    await vi.advanceTimersByTimeAsync(0);
    expect(poller.state.status).toEqual(ON_QUEUE);
  });

  it('shows why a connect failed, keeps where runs execute, and clears the error on the next try', async () => {
    const fake = fakeClient(LOCAL);
    poller = new QueuePoller(initialQueueState(0), fake.client);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);

    expect(await poller.connect('redis://nobody:1')).toBe(false);
    expect(poller.state.connectError).toBe('cannot reach the queue redis://nobody:1: ECONNREFUSED');
    expect(poller.state.status).toEqual(LOCAL);
    expect(poller.state.connecting).toBe(false);

    const attempt = poller.connect('redis://127.0.0.1:6379');
    expect(poller.state.connecting).toBe(true);
    expect(poller.state.connectError).toBeNull();
    expect(await attempt).toBe(true);
    expect(poller.state.status).toEqual(ON_QUEUE);
  });

  it('says when the status cannot be read, and forgets it once a read works again', async () => {
    const fake = fakeClient(LOCAL);
    vi.mocked(fake.client.status).mockRejectedValueOnce(new Error('The workbench host is not reachable.'));
    poller = new QueuePoller(initialQueueState(0), fake.client, () => 1234);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(poller.state.pollError).toBe('The workbench host is not reachable.');
    expect(poller.state.polledAt).toBe(1234);

    await vi.advanceTimersByTimeAsync(BACKGROUND_POLL_MS);
    expect(poller.state.pollError).toBeNull();
    expect(poller.state.status).toEqual(LOCAL);
  });
});
