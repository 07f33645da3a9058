/**
 * The queue flags of `run --queue` and `worker --redis`: the URL from the flag (or, for the worker,
 * CASCADE_LAB_REDIS_URL), with the password from CASCADE_LAB_REDIS_PASSWORD when the URL has none:
 * a password in a command line is visible to every user of the machine (`ps`).
 */
import { UsageError } from './io';

export function resolveQueueUrl(
  value: string | undefined,
  flag: string,
  env: NodeJS.ProcessEnv = process.env,
  fallback?: string,
): string | undefined {
  const raw = value ?? (fallback ? env[fallback] : undefined);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} must be a redis:// or rediss:// URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`${flag} must be a redis:// or rediss:// URL, got ${url.protocol}//…`);
  }
  const password = env.CASCADE_LAB_REDIS_PASSWORD;
  if (password && !url.password) url.password = encodeURIComponent(password);
  return url.toString();
}
