/** The workers connected to a queue, read from their announcements (queue/worker.ts heartbeat). */
import type { Redis } from 'ioredis';
import { workerKey, type WorkerAnnouncement } from './payload';

/** The workers connected to the queue, as they last announced themselves. */
export async function listQueueWorkers(redis: Redis): Promise<WorkerAnnouncement[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', workerKey('*'), 'COUNT', 200);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values
    .filter((value): value is string => value !== null)
    .map((value) => JSON.parse(value) as WorkerAnnouncement)
    .sort((a, b) => a.name.localeCompare(b.name));
}
