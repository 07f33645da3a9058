/**
 * Environment the native TensorFlow library reads once, when it starts. Free of tfjs so that the
 * job pool can set it in the main thread before any worker loads the library: a worker's
 * process.env is a copy that native code never sees.
 */

/**
 * The variables to set (only those the user has not set already).
 * @param threads TensorFlow's intra-op threads; undefined leaves TensorFlow's default (all cores)
 */
export function tensorflowEnvironment(
  env: Record<string, string | undefined>,
  threads: number | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  // Hides TensorFlow's INFO lines (CPU features, ...) in every process and worker; the oneDNN line
  // that TensorFlow 2.21 prints while it loads comes before its log level is read, and stays.
  if (env.TF_CPP_MIN_LOG_LEVEL === undefined) out.TF_CPP_MIN_LOG_LEVEL = '2';
  if (threads !== undefined && env.TF_NUM_INTRAOP_THREADS === undefined) {
    out.TF_NUM_INTRAOP_THREADS = String(threads);
    // A step's ops depend on each other; more inter-op threads only compete for the cores.
    if (env.TF_NUM_INTEROP_THREADS === undefined) out.TF_NUM_INTEROP_THREADS = '1';
  }
  return out;
}

/** Intra-op threads per worker when `workers` jobs share `cores` cores. */
export function threadsPerWorker(cores: number, workers: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, workers)));
}
