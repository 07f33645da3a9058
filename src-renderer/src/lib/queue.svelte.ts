/**
 * Where runs execute (this machine or a queue on Redis) and the queue's workers, as the main side
 * reports them: the workers view and the status bar read `queue.state`, Settings switches it with
 * `queue.connect()`. The timing rules live in lib/queue-poller.ts.
 */
import { api } from './api';
import { initialQueueState, QueuePoller, type QueueState } from './queue-poller';

const state = $state<QueueState>(initialQueueState(Date.now()));

export const queue = new QueuePoller(state, {
  status: () => api.invoke('queue:status', {}),
  connect: (url) => api.invoke('queue:connect', { url }),
  onRunStatus: (listener) => void api.on('run:status', listener),
});
