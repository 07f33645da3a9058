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

/**
 * How each of `parallelRuns` runs sharing `cores` cores uses them: TensorFlow's intra-op threads
 * (the run's share, less one for the embedding L2 where the share is two or more), whether the
 * embedding L2's owed steps run on a thread of their own (core/tf/embedding-l2.ts), and whether
 * the rows of its single-threaded passes (the simulator's retrieval weights, the simulated ground
 * truth) are computed ahead on helper threads (core/row-helper.ts). Both threads are on wherever
 * there is a second core, even when every core already has a run: their work is work the run's
 * own thread would otherwise do, so they add none. Measured on the WeChat-size DAMCAR pipeline on
 * 2 cores, one run each: one TensorFlow thread beside the L2 thread trained BC, the label
 * generator and the hybrid DSSM 1.9x, 1.4x and 1.6x faster than two TensorFlow threads with the
 * L2 on the training thread (docs/performance-history.md, session 11).
 */
export function coresPerRun(
  cores: number,
  parallelRuns: number,
): { tensorflowThreads: number; l2Thread: boolean; rowHelpers: boolean } {
  const share = Math.max(1, Math.floor(cores / Math.max(1, parallelRuns)));
  return { tensorflowThreads: share >= 2 ? share - 1 : share, l2Thread: cores >= 2, rowHelpers: cores >= 2 };
}
