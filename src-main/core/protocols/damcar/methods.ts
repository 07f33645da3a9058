/**
 * The methods of DAMCAR's cascade testbed, in the order of its Table 2 (BC, KD, TL, AR, MUDA,
 * DAMCAR; method-<id>.ts each), and what such a method is to the testbed: a declaration (shown by
 * the workbench and the CLI, and used to generate its parameter form) and a `train` function that
 * turns the training data into user and item vectors for retrieval (train.ts evaluates them).
 */
import type { MethodDescriptor, ParamValues, TrainingSpec } from '../../../contract/api';
import type { TrainingData } from '../../data/dataset';
import type { DataSplit } from '../../data/split';
import type { JobEvent } from '../../experiments/job';
import type { DssmArchitecture } from '../../models/dssm';
import type { RankingScorer } from '../../models/ranking-model';
import type { Rng } from '../../random';
import { arMethod } from './method-ar';
import { bcMethod } from './method-bc';
import { damcarMethod } from './method-damcar';
import { kdMethod } from './method-kd';
import { mudaMethod } from './method-muda';
import { tlMethod } from './method-tl';

export type { RankingScorer };

export interface MethodContext {
  /** The dataset without ground truth: training never sees it. */
  dataset: TrainingData;
  split: DataSplit;
  training: TrainingSpec;
  /**
   * The DSSM every retrieval method of the testbed trains (the testbed's `retrieval*` settings,
   * settings.ts), so that all methods of a table share one retrieval model.
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
   * The cascade's ranking model (DeepFM or DCN, trained on exposed data, the same for every method
   * of a seed; acquired at the first scores asked for), or null when the spec has none. KD, TL,
   * MUDA and DAMCAR read their ranking scores from it (MethodModule.readsRanking).
   */
  ranking: RankingScorer | null;
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
  /**
   * Whether it reads the ranking model's scores while it trains (ctx.ranking; without one it
   * fails). Such a run acquires the model when it first asks for scores; a run that reads none
   * acquires it before it trains, so that the model is ready early for the other runs of its seed
   * (train.ts).
   */
  readsRanking: boolean;
  train(ctx: MethodContext): Promise<TrainedRetrieval>;
}

const METHODS: readonly MethodModule[] = [bcMethod, kdMethod, tlMethod, arMethod, mudaMethod, damcarMethod];

export function listMethods(): MethodDescriptor[] {
  return METHODS.map((m) => m.descriptor);
}

export function getMethod(id: string): MethodModule | undefined {
  return METHODS.find((m) => m.descriptor.id === id);
}
