/**
 * The thread limits the backends accept. Constants only, so that the command line's help can quote
 * them without loading tfjs (cli/help.ts).
 */

/** The most threads the threaded wasm binary's pool holds (its PTHREAD_POOL_SIZE). */
export const MAX_WASM_THREADS = 8;
