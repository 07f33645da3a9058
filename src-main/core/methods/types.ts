/**
 * What a training method is to the engine: a declaration (shown by the workbench and the CLI,
 * and used to generate its parameter form) and a `train` function that turns the training data
 * into user and item vectors for retrieval.
 */
import type { MethodDescriptor, ParamValues, TrainingSpec } from '../../contract/api';
import type { TrainingData } from '../data/dataset';
import type { DataSplit } from '../data/split';
import type { JobEvent } from '../experiments/job';
import type { DssmArchitecture } from '../models/dssm';
import type { Rng } from '../random';

export interface MethodContext {
  /** The dataset without ground truth: training never sees it. */
  dataset: TrainingData;
  split: DataSplit;
  training: TrainingSpec;
  /**
   * The DSSM every retrieval method of the testbed trains (the testbed's `retrieval*` settings,
   * protocols/damcar.ts), so that all methods of a table share one retrieval model.
   */
  retrieval: DssmArchitecture;
  /** Every declared parameter, defaults filled in and validated. */
  params: ParamValues;
  /** Seeded from the run's seed; fork it per concern (initialisation, shuffling). */
  rng: Rng;
  /**
   * Sends an event to the job's listener. A method's 'progress' events use phase 'train' and a
   * `fraction` of the training done (0 to 1); runJob maps it onto the whole run.
   */
  emit(event: JobEvent): void;
  /** Checked between steps; when aborted, throw JobCancelledError. */
  signal: AbortSignal;
  /**
   * The cascade's trained ranking model (DeepFM or DCN, trained on exposed data before the
   * method runs, the same for every method of a seed), or null when the spec has none. KD, TL,
   * MUDA and DAMCAR read their ranking scores from it.
   */
  ranking: RankingScorer | null;
}

/** A trained ranking model as methods and the cascade evaluation see it. */
export interface RankingScorer {
  /** 'DeepFM' or 'DCN'. */
  name: string;
  /**
   * Predicted probability that each (user, item) pair is finished.
   * @param users [n] user indices
   * @param items [n] item indices
   * @returns [n] probabilities in (0, 1)
   */
  score(users: Int32Array, items: Int32Array): Promise<Float32Array>;
}

/** What evaluation needs from a trained retrieval model: one vector per user and per item. */
export interface TrainedRetrieval {
  dim: number;
  /** Row-major [numUsers, dim]. */
  userVectors: Float32Array;
  /** Row-major [numItems, dim]. */
  itemVectors: Float32Array;
}

export interface MethodModule {
  descriptor: MethodDescriptor;
  train(ctx: MethodContext): Promise<TrainedRetrieval>;
}
