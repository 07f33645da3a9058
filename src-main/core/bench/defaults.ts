/** Benchmark defaults that the CLI's help quotes: kept free of tfjs so the help loads in no time. */

/** Device placement: steps between reads of the summed loss. */
export const DEFAULT_LOSS_READ_INTERVAL = 10;
