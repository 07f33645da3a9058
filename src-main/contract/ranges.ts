/**
 * The values numeric spec fields accept, declared once for both sides: the main side's validators
 * (src-main/core/experiments/spec.ts, src-main/core/data/simulator.ts) reject what lies outside,
 * and the workbench's form (src-renderer NumberField) shows the same range as its hint and checks
 * it as the user types. The schemas of the contract (spec-schema.ts, requests.ts) are built from
 * them, so the field names of the settings they bound are declared here. Plain data and pure
 * functions only, like the rest of the contract.
 */
export interface NumberRange {
  min: number;
  max: number;
  integer: boolean;
  /** The minimum itself is not accepted (a learning rate must be positive). */
  minExclusive?: boolean;
}

/** Named ranges, keeping their names as the keys' type (the schemas' fields derive from them). */
function ranges<const K extends string>(byName: Record<K, NumberRange>): Readonly<Record<K, NumberRange>> {
  return byName;
}

/** What the bounds of a form field may be: a field may leave either side open. */
export type NumberBounds = Partial<Pick<NumberRange, 'min' | 'max' | 'minExclusive'>>;

/** The accepted training settings of an experiment spec. */
export const TRAINING_RANGES = ranges({
  epochs: { min: 1, max: 1000, integer: true },
  batchSize: { min: 1, max: 65536, integer: true },
  // Up to 10 so a sweep can show what too large a step does; training stops a run whose loss
  // then explodes (core/methods/loss-watch.ts).
  learningRate: { min: 0, max: 10, integer: false, minExclusive: true },
  embeddingDim: { min: 1, max: 1024, integer: true },
});

/**
 * What a spec leaves out of its training settings takes these: the default testbed's, DAMCAR's
 * (its descriptor, core/protocols/damcar.ts, uses them as its own). Section 5.1.4 and the
 * authors' code: 3 epochs, batch 512, Adagrad 0.01; embeddings 32 as the authors' code (config.py
 * EMBED_DIMENSIONS; the paper says 128).
 */
export const DEFAULT_TRAINING: Readonly<Record<keyof typeof TRAINING_RANGES, number>> = {
  epochs: 3,
  batchSize: 512,
  learningRate: 0.01,
  embeddingDim: 32,
};

/** Each cut-off K of the evaluation's @K metrics (EvaluationSpec.retrievalK). */
export const EVALUATION_K_RANGE: NumberRange = { min: 1, max: 100_000, integer: true };

/** The length of a day for the global time split: 1 for day-numbered logs (WeChat), 86,400 for seconds. */
export const DAY_LENGTH_RANGE: NumberRange = { min: 0, max: 1e12, integer: false, minExclusive: true };

/** Each seed of an experiment (ExperimentSpec.seeds): an unsigned 32-bit integer. */
export const SEED_RANGE: NumberRange = { min: 0, max: 4_294_967_295, integer: true };

/** The bounded filters of a dataset import (the time range is any pair with from <= to). */
export const IMPORT_FILTER_RANGES = ranges({
  minUserInteractions: { min: 0, max: 1e9, integer: true },
  minItemInteractions: { min: 0, max: 1e9, integer: true },
  userSampleFraction: { min: 0, max: 1, integer: false, minExclusive: true },
  sampleSeed: SEED_RANGE,
});

/** The PCA dimension of a WeChat import's 512-d feed embeddings (0 keeps all 512). */
export const IMPORT_EMBEDDING_DIM_RANGE: NumberRange = { min: 0, max: 512, integer: true };

/**
 * The simulator's parameters each on their own; `resolveSimulatorParams` (core/data/simulator.ts)
 * also checks the limits between them (categories at most items, exposures at most half the
 * items, ...), which a single field cannot.
 */
export const SIMULATOR_PARAM_RANGES = ranges({
  users: { min: 2, max: 1_000_000, integer: true },
  items: { min: 10, max: 1_000_000, integer: true },
  categories: { min: 1, max: 10_000, integer: true },
  latentDim: { min: 1, max: 256, integer: true },
  multimodalDim: { min: 0, max: 1024, integer: true },
  exposuresPerUser: { min: 5, max: 100_000, integer: true },
  candidatesPerRequest: { min: 1, max: 1_000_000, integer: true },
  exposedPerRequest: { min: 1, max: 10_000, integer: true },
  exposureBias: { min: 0, max: 1, integer: false },
  seed: { min: 0, max: 4_294_967_295, integer: true },
});

/** What a simulated dataset leaves out takes these values (the form's empty fields too). */
export const DEFAULT_SIMULATOR_PARAMS: Readonly<Record<keyof typeof SIMULATOR_PARAM_RANGES, number>> = {
  users: 1500,
  items: 3000,
  categories: 20,
  latentDim: 16,
  multimodalDim: 32,
  exposuresPerUser: 40,
  candidatesPerRequest: 100,
  exposedPerRequest: 10,
  exposureBias: 0.9,
  seed: 1,
};

/** Whether a number lies within the bounds (integrality is checked separately). */
export function withinBounds(value: number, bounds: NumberBounds): boolean {
  const { min, max, minExclusive = false } = bounds;
  if (min !== undefined && (minExclusive ? value <= min : value < min)) return false;
  return max === undefined || value <= max;
}

/** The bounds as a form's hint writes them: `1 – 1000`, `> 0, ≤ 10`, `≥ 1`; empty when open. */
export function boundsHint(bounds: NumberBounds): string {
  const { min, max, minExclusive = false } = bounds;
  if (min === undefined) return max === undefined ? '' : `≤ ${max}`;
  if (minExclusive) return max === undefined ? `> ${min}` : `> ${min}, ≤ ${max}`;
  return max === undefined ? `≥ ${min}` : `${min} – ${max}`;
}

/** The bounds in interval notation, for error messages: `[1, 1000]`, `(0, 10]`. */
export function boundsInterval(range: Pick<NumberRange, 'min' | 'max' | 'minExclusive'>): string {
  return `${range.minExclusive ? '(' : '['}${range.min}, ${range.max}]`;
}

/**
 * Values at and around both ends of a range, each with whether the range admits it: the probes the
 * tests on both sides of the contract use to show that a check keeps the declared range.
 */
export function rangeProbes(range: NumberRange): { value: number; admitted: boolean }[] {
  const nudge = range.integer ? 1 : 1e-3;
  const values = [
    range.min - nudge,
    range.min,
    range.min + nudge,
    range.max - nudge,
    range.max,
    range.max + nudge,
  ];
  return values.map((value) => ({
    value,
    admitted: withinBounds(value, range) && (!range.integer || Number.isInteger(value)),
  }));
}
