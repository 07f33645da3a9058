/**
 * UKDSL's worker-local cache (plain arrays only, never tensors): the funnel of a dataset (data.ts)
 * and the teachers, references and importances of a (data, seed, training) (train.ts), so the rows
 * of one experiment share them.
 */
const CACHE_LIMIT = 12;
const cache = new Map<string, Promise<unknown>>();

export async function cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit) return hit as Promise<T>;
  const promise = compute();
  cache.set(key, promise);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  try {
    return await promise;
  } catch (error) {
    cache.delete(key);
    throw error;
  }
}

/** Empties the caches (tests use it to measure a job from scratch). */
export function clearUkdslCaches(): void {
  cache.clear();
}
