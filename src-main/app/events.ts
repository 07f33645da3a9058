/**
 * The in-process event hub the transports subscribe to (job progress, log lines, run status).
 */
import type { ApiEvents, EventName } from '../contract/api';
import type { EventHub } from './types';

type Listener = (payload: never) => void;

export function createEventHub(onListenerError: (error: unknown) => void = console.error): EventHub & {
  clear(): void;
} {
  const listeners = new Map<EventName, Set<Listener>>();
  return {
    on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as Listener);
      return () => {
        set.delete(listener as Listener);
      };
    },
    emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        // One failing window or stream must not stop the others (or the run) from hearing.
        try {
          (listener as (payload: ApiEvents[E]) => void)(payload);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    clear(): void {
      listeners.clear();
    },
  };
}
