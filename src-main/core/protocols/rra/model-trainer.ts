/**
 * Synchronous training of RRA's retrieval and ranking models (KDD 2023, Sec. 4.3) and of the
 * comparison methods, which differ only in the plan: which models exist, whether ranking shares
 * the retrieval's embeddings and bottom, which loss terms are on, the negatives of Eq. 3-4, where
 * the distillation targets come from, and which pointwise samples the binary losses see.
 *
 * A training example is a request: its impressions share the user state and the softmax of
 * Eq. 3-4, so a batch of B requests computes B user states and B x numItems retrieval logits,
 * and the pointwise losses (Eq. 1-2, L_mask, Eq. 5-6) run over the batch's impressions.
 * Total objective (Sec. 4.3): the plain sum of the enabled terms
 *   L = L_cls^ctr + L_cls^dwm + L_rank^ctr + L_rank^dwm + L_mask^ctr + L_mask^dwm + L_kd^ctr + L_kd^dwm.
 *
 * Optimisation: Adagrad for everything (the engine's optimizer; the paper uses Adam, lr 0.005).
 * The show and genre embeddings stay outside the autodiff graph in EmbeddingTables; because the
 * all-negative softmax scores every show in every step (the corpus is small, as in long-video
 * platforms), the whole tables are uploaded as tensors per step and their gradients come back in
 * the step's single read, then applied with the tables' Adagrad.
 * The DWM weight is w_dwm = DWM / (mean DWM of the training clicks), so it averages 1 over clicks.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../random';
import { DenseAdagrad } from '../../tf/dense';
import '../../tf/gradients';
import { type RraLog, pooledHistoryStart } from './data';
import { clickLoss, distillationLoss, dwmLoss, weightedSoftmaxLoss } from './losses';
import { type ArchitectureOptions, Backbone, CROSS_FEATURES, RankingHead, RetrievalHead } from './model';
import { type NegativeOptions, fillSupport, needsServingScores } from './negatives';

export interface LossSwitches {
  clsCtr: boolean;
  clsDwm: boolean;
  rankCtr: boolean;
  rankDwm: boolean;
  maskCtr: boolean;
  maskDwm: boolean;
  kdCtr: boolean;
  kdDwm: boolean;
}

export type LossTerm = keyof LossSwitches;

export const LOSS_TERMS: readonly LossTerm[] = [
  'clsCtr',
  'clsDwm',
  'rankCtr',
  'rankDwm',
  'maskCtr',
  'maskDwm',
  'kdCtr',
  'kdDwm',
];

/** Curve names, as the paper writes the terms. */
export const LOSS_CURVE_NAMES: Record<LossTerm, string> = {
  clsCtr: 'L_cls^ctr',
  clsDwm: 'L_cls^dwm',
  rankCtr: 'L_rank^ctr',
  rankDwm: 'L_rank^dwm',
  maskCtr: 'L_mask^ctr',
  maskDwm: 'L_mask^dwm',
  kdCtr: 'L_kd^ctr',
  kdDwm: 'L_kd^dwm',
};

/** Every loss term switched `on` (or off). */
function everyLoss(on: boolean): LossSwitches {
  return {
    clsCtr: on,
    clsDwm: on,
    rankCtr: on,
    rankDwm: on,
    maskCtr: on,
    maskDwm: on,
    kdCtr: on,
    kdDwm: on,
  };
}

export const NO_LOSSES: LossSwitches = everyLoss(false);
/** Every loss term on: RRA's plan (Eq. 3-6 for both objectives). */
export const ALL_LOSSES: LossSwitches = everyLoss(true);

export interface TrainingPlan {
  losses: LossSwitches;
  /** alpha of Eq. 3: the weight of an impression without a click (clicks weigh 1). */
  wCtr: number;
  /** Serving fusion weight (Eq. 7), used to rank hard negatives. */
  wServe: number;
  negatives: NegativeOptions;
  /** Whether the model has a retrieval part (the production ranking model has none). */
  retrieval: boolean;
  /** No ranking model, one sharing the retrieval's embeddings and bottom, or one of its own. */
  ranking: 'none' | 'shared' | 'separate';
  /**
   * Pointwise samples of the binary and distillation losses: the impressions (RRA family), or
   * each click plus `perClick` shows drawn uniformly from the whole corpus as negatives (DMTL).
   */
  samples: { kind: 'impressions' } | { kind: 'corpus-negatives'; perClick: number };
  /**
   * Offline distillation: sigmoid of a pre-trained teacher's logits per impression of the log
   * (indexed like `impressionItem`); L_kd then distils these instead of the co-trained ranking.
   */
  teacher?: { ctr: Float32Array; dwm: Float32Array };
}

/** What one step's pointwise samples are. */
interface Samples {
  /** Position of each sample's request in the batch. */
  row: Int32Array;
  item: Int32Array;
  click: Float32Array;
  dwmWeight: Float32Array;
  interactive: Float32Array;
  /** Offline teacher probabilities, when the plan has a teacher. */
  teacherCtr?: Float32Array;
  teacherDwm?: Float32Array;
}

export type StepLosses = Record<LossTerm | 'total', number>;

/**
 * x_ui of one pair, written at out[at], out[at + 1]: the share of the request's whole watch history
 * in the show's genre, and log(1 + number of watched shows of the show's franchise), the
 * franchise-level "user watch count on the target show" (Sec. 4.2.1). Both need the history and
 * the target together, which a two-tower retrieval model cannot compute; the ranking model also
 * sees the whole history, the retrieval only its pooled last log.historyLength shows.
 */
export function crossFeatures(
  log: RraLog,
  request: number,
  item: number,
  out: Float32Array,
  at: number,
): void {
  const start = log.historyOffsets[request];
  const end = log.historyOffsets[request + 1];
  const category = log.itemCategory[item];
  const franchise = log.itemFranchise[item];
  let sameGenre = 0;
  let sameFranchise = 0;
  for (let k = start; k < end; k++) {
    const watched = log.historyItems[k];
    if (log.itemCategory[watched] === category) sameGenre++;
    if (log.itemFranchise[watched] === franchise && watched !== item) sameFranchise++;
  }
  out[at] = end === start ? 0 : sameGenre / (end - start);
  out[at + 1] = Math.log1p(sameFranchise);
}

/** x_ui of pairs (request of pair s = requests[row[s]], show = item[s]), [pairs * CROSS_FEATURES]. */
export function crossFeatureRows(
  log: RraLog,
  requests: ArrayLike<number>,
  row: ArrayLike<number>,
  item: ArrayLike<number>,
): Float32Array {
  const out = new Float32Array(item.length * CROSS_FEATURES);
  for (let s = 0; s < item.length; s++)
    crossFeatures(log, requests[row[s]], item[s], out, s * CROSS_FEATURES);
  return out;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Mean DWM of the training clicks (w_dwm's scale). */
export function dwmScale(log: RraLog, requests: Int32Array): number {
  let sum = 0;
  let clicks = 0;
  for (const r of requests) {
    for (let k = log.impressionOffsets[r]; k < log.impressionOffsets[r + 1]; k++) {
      if (log.impressionClick[k] === 1) {
        sum += log.impressionDwm[k];
        clicks++;
      }
    }
  }
  if (clicks === 0) throw new Error('dataset: the training requests have no clicks');
  if (!(sum > 0)) throw new Error('dataset: the training clicks carry no DWM (watch time)');
  return sum / clicks;
}

export interface RraNetworkOptions extends ArchitectureOptions {
  numItems: number;
  learningRate: number;
  rng: Rng;
}

/** The models a plan needs, their optimiser and the step. */
export class RraTrainer {
  readonly retrievalBackbone: Backbone | null;
  readonly rankingBackbone: Backbone | null;
  readonly retrievalHead: RetrievalHead | null;
  readonly rankingHead: RankingHead | null;
  private readonly backbones: Backbone[];
  private readonly denseVariables: tf.Variable[];
  private readonly optimizer: DenseAdagrad;
  private readonly allItems: Int32Array;
  private readonly allGenres: Int32Array;
  private readonly numItems: number;

  constructor(
    private readonly log: RraLog,
    private readonly plan: TrainingPlan,
    options: RraNetworkOptions,
    private readonly dwmNormaliser: number,
    private readonly sampling: Rng,
  ) {
    const { rng, numItems, embeddingDim, learningRate } = options;
    this.numItems = numItems;
    this.allItems = Int32Array.from({ length: numItems }, (_, i) => i);
    this.allGenres = Int32Array.from({ length: log.numCategories }, (_, i) => i);
    const uses = (terms: LossTerm[]): boolean => terms.some((t) => plan.losses[t]);
    if (!plan.retrieval && uses(['clsCtr', 'clsDwm', 'maskCtr', 'maskDwm', 'kdCtr', 'kdDwm'])) {
      throw new Error('RRA plan: retrieval losses need a retrieval model');
    }
    if (plan.ranking === 'none' && uses(['rankCtr', 'rankDwm'])) {
      throw new Error('RRA plan: ranking losses need a ranking model');
    }
    if (plan.ranking === 'none' && !plan.teacher && uses(['kdCtr', 'kdDwm'])) {
      throw new Error('RRA plan: distillation needs a ranking model or a pre-trained teacher');
    }
    // Fixed forks: the same seed gives every method the same initial retrieval model.
    this.retrievalBackbone = plan.retrieval
      ? new Backbone(numItems, log.itemCategory, log.numCategories, embeddingDim, learningRate, rng.fork(1))
      : null;
    this.retrievalHead = plan.retrieval ? new RetrievalHead(options, rng.fork(2)) : null;
    this.rankingBackbone =
      plan.ranking === 'shared'
        ? this.retrievalBackbone
        : plan.ranking === 'separate'
          ? new Backbone(
              numItems,
              log.itemCategory,
              log.numCategories,
              embeddingDim,
              learningRate,
              rng.fork(3),
            )
          : null;
    this.rankingHead = plan.ranking === 'none' ? null : new RankingHead(options, rng.fork(4));
    if (plan.ranking === 'shared' && !this.retrievalBackbone)
      throw new Error('RRA plan: nothing to share with');
    this.backbones = [this.retrievalBackbone, this.rankingBackbone].filter(
      (b, k, all): b is Backbone => b !== null && all.indexOf(b) === k,
    );
    this.denseVariables = [
      ...this.backbones.flatMap((b) => b.denseVariables()),
      ...(this.retrievalHead ? this.retrievalHead.variables() : []),
      ...(this.rankingHead ? this.rankingHead.variables() : []),
    ];
    this.optimizer = new DenseAdagrad(this.denseVariables, { learningRate });
  }

  /** Pooling weights [requests.length, numItems]: 1 / history length on the history's shows. */
  poolMatrix(requests: Int32Array): Float32Array {
    const n = this.numItems;
    const pool = new Float32Array(requests.length * n);
    for (let b = 0; b < requests.length; b++) {
      const start = pooledHistoryStart(this.log, requests[b]);
      const end = this.log.historyOffsets[requests[b] + 1];
      for (let k = start; k < end; k++) pool[b * n + this.log.historyItems[k]] += 1 / (end - start);
    }
    return pool;
  }

  private samplesOf(requests: Int32Array): Samples {
    const log = this.log;
    const row: number[] = [];
    const item: number[] = [];
    const click: number[] = [];
    const dwm: number[] = [];
    const impression: number[] = [];
    const samples = this.plan.samples;
    for (let b = 0; b < requests.length; b++) {
      const r = requests[b];
      const first = item.length;
      for (let k = log.impressionOffsets[r]; k < log.impressionOffsets[r + 1]; k++) {
        if (samples.kind === 'corpus-negatives' && log.impressionClick[k] === 0) continue;
        row.push(b);
        item.push(log.impressionItem[k]);
        click.push(log.impressionClick[k]);
        dwm.push(log.impressionDwm[k] / this.dwmNormaliser);
        impression.push(k);
      }
      if (samples.kind === 'corpus-negatives') {
        // Distinct shows other than the clicked ones, uniformly from the whole corpus.
        const taken = new Set(item.slice(first));
        const negatives = Math.min(samples.perClick * taken.size, this.numItems - taken.size);
        for (let s = 0; s < negatives; s++) {
          let j = this.sampling.int(this.numItems);
          while (taken.has(j)) j = this.sampling.int(this.numItems);
          taken.add(j);
          row.push(b);
          item.push(j);
          click.push(0);
          dwm.push(0);
        }
      }
    }
    const out: Samples = {
      row: Int32Array.from(row),
      item: Int32Array.from(item),
      click: Float32Array.from(click),
      dwmWeight: Float32Array.from(dwm),
      interactive: crossFeatureRows(log, requests, row, item),
    };
    const teacher = this.plan.teacher;
    if (teacher) {
      if (samples.kind !== 'impressions')
        throw new Error('RRA plan: an offline teacher scores impressions only');
      out.teacherCtr = Float32Array.from(impression, (k) => teacher.ctr[k]);
      out.teacherDwm = Float32Array.from(impression, (k) => teacher.dwm[k]);
    }
    return out;
  }

  /**
   * Serving scores (Eq. 7) of every show for the batch's requests, [requests.length * numItems]
   * (the current model; used to find hard negatives).
   */
  async servingScores(requests: Int32Array, pool: Float32Array): Promise<Float32Array> {
    const backbone = this.requireRetrieval();
    const out = tf.tidy(() => {
      const shows = backbone.shows();
      const state = backbone.userState(tf.tensor2d(pool, [requests.length, this.numItems]), shows);
      const [uCtr, uDwm] = (this.retrievalHead as RetrievalHead).apply(state);
      const w = this.plan.wServe;
      const serve = tf.add(tf.mul(uCtr, w), tf.mul(uDwm, 1 - w));
      return tf.matMul(serve, tf.transpose(shows));
    });
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  }

  private requireRetrieval(): Backbone {
    if (!this.retrievalBackbone || !this.retrievalHead)
      throw new Error('RRA: this model has no retrieval part');
    return this.retrievalBackbone;
  }

  /**
   * Forward-only ranking logits of the batch's samples (the online teacher of Eq. 5-6).
   * @returns s_ctr then s_dwm, [2 * samples]
   */
  private async rankingForward(
    requests: Int32Array,
    pool: Float32Array,
    samples: Samples,
  ): Promise<Float32Array> {
    const backbone = this.rankingBackbone;
    if (!backbone || !this.rankingHead)
      throw new Error('RRA plan: online distillation needs a ranking model');
    const n = samples.item.length;
    const out = tf.tidy(() => {
      const shows = backbone.shows();
      const state = backbone.userState(tf.tensor2d(pool, [requests.length, this.numItems]), shows);
      const [c, d] = this.rankingLogits(
        shows,
        state,
        tf.tensor1d(samples.row, 'int32'),
        tf.tensor1d(samples.item, 'int32'),
        tf.tensor2d(samples.interactive, [n, CROSS_FEATURES]),
      );
      return tf.concat([c, d]);
    });
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  }

  /**
   * One optimisation step on a batch of requests; returns every term (0 when off) and the total.
   *
   * Retrieval terms work on [requests, shows] matrices: the softmax terms over each row's
   * support, the pointwise terms (L_mask, L_kd) on the entries of the samples (a mask), which
   * avoids gathers inside the graph (their gradient kernel is missing on wasm). The ranking model
   * reads the samples' show rows gathered outside the graph; their gradient is added to the
   * table's before the Adagrad update.
   */
  async step(requests: Int32Array): Promise<StepLosses> {
    const { log, plan, numItems } = this;
    const losses = plan.losses;
    for (const b of this.backbones) b.refresh();
    const batch = requests.length;
    const cells = batch * numItems;
    const pool = this.poolMatrix(requests);
    const samples = this.samplesOf(requests);
    const n = samples.item.length;
    const termNames = LOSS_TERMS.filter((t) => losses[t]);
    if (termNames.length === 0) throw new Error('RRA plan: no loss term is switched on');
    const cls = losses.clsCtr || losses.clsDwm;
    const kd = losses.kdCtr || losses.kdDwm;
    const pointwise = losses.maskCtr || losses.maskDwm || kd;
    const rank = losses.rankCtr || losses.rankDwm;

    let support: Float32Array | null = null;
    let weightCtr: Float32Array | null = null;
    let weightDwm: Float32Array | null = null;
    let impressionCount = 0;
    if (cls) {
      support = new Float32Array(cells);
      const scores = needsServingScores(plan.negatives.strategy)
        ? await this.servingScores(requests, pool)
        : undefined;
      fillSupport(support, log, requests, plan.negatives, this.sampling, scores);
      weightCtr = new Float32Array(cells);
      weightDwm = new Float32Array(cells);
      for (let b = 0; b < batch; b++) {
        const r = requests[b];
        for (let k = log.impressionOffsets[r]; k < log.impressionOffsets[r + 1]; k++) {
          const at = b * numItems + log.impressionItem[k];
          const clicked = log.impressionClick[k] === 1;
          weightCtr[at] = clicked ? 1 : plan.wCtr;
          weightDwm[at] = clicked ? log.impressionDwm[k] / this.dwmNormaliser : 0;
          impressionCount++;
        }
      }
    }
    // Pointwise retrieval samples as matrices: mask, click, DWM weight, teacher probabilities.
    let sampleMask: Float32Array | null = null;
    let sampleClick: Float32Array | null = null;
    let sampleDwm: Float32Array | null = null;
    let teacherCtr: Float32Array | null = null;
    let teacherDwm: Float32Array | null = null;
    if (pointwise) {
      sampleMask = new Float32Array(cells);
      sampleClick = new Float32Array(cells);
      sampleDwm = new Float32Array(cells);
      for (let s = 0; s < n; s++) {
        const at = samples.row[s] * numItems + samples.item[s];
        sampleMask[at] = 1;
        sampleClick[at] = samples.click[s];
        sampleDwm[at] = samples.dwmWeight[s];
      }
      if (kd) {
        teacherCtr = new Float32Array(cells);
        teacherDwm = new Float32Array(cells);
        const online = plan.teacher ? null : await this.rankingForward(requests, pool, samples);
        for (let s = 0; s < n; s++) {
          const at = samples.row[s] * numItems + samples.item[s];
          teacherCtr[at] = online ? sigmoid(online[s]) : (samples.teacherCtr as Float32Array)[s];
          teacherDwm[at] = online ? sigmoid(online[n + s]) : (samples.teacherDwm as Float32Array)[s];
        }
      }
    }
    // Ranking inputs: one-hot rows selecting each sample's request, the samples' show rows.
    const rankingBackbone = this.rankingBackbone;
    let rowSelect: Float32Array | null = null;
    let showRows: tf.Variable<tf.Rank.R2> | null = null;
    if (rank) {
      if (!rankingBackbone) throw new Error('RRA plan: ranking losses need a ranking model');
      rowSelect = new Float32Array(n * batch);
      for (let s = 0; s < n; s++) rowSelect[s * batch + samples.row[s]] = 1;
      const rows = rankingBackbone.gatherShows(samples.item);
      const dim = rankingBackbone.dim;
      showRows = tf.tidy(() => tf.variable(tf.tensor2d(rows, [n, dim]), true));
    }

    const tables = this.backbones.flatMap((b) => [b.idTable, b.genreTable]);
    let values: Float32Array;
    try {
      const flat = tf.tidy(() => {
        const poolT = tf.tensor2d(pool, [batch, numItems]);
        const matrix = (data: Float32Array | null): tf.Tensor2D =>
          tf.tensor2d(data as Float32Array, [batch, numItems]);
        const terms: Partial<Record<LossTerm, tf.Scalar>> = {};
        const kept: tf.Tensor[] = [];
        const lossFn = (): tf.Scalar => {
          let retrievalState: tf.Tensor2D | null = null;
          if (this.retrievalBackbone && this.retrievalHead && (cls || pointwise)) {
            const table = this.retrievalBackbone.shows();
            retrievalState = this.retrievalBackbone.userState(poolT, table);
            const [uCtr, uDwm] = this.retrievalHead.apply(retrievalState);
            const tableT = tf.transpose(table) as tf.Tensor2D;
            const needCtr = losses.clsCtr || losses.maskCtr || losses.kdCtr;
            const needDwm = losses.clsDwm || losses.maskDwm || losses.kdDwm;
            const logitsCtr = needCtr ? (tf.matMul(uCtr, tableT) as tf.Tensor2D) : null;
            const logitsDwm = needDwm ? (tf.matMul(uDwm, tableT) as tf.Tensor2D) : null;
            if (cls) {
              const supportT = matrix(support);
              if (losses.clsCtr)
                terms.clsCtr = weightedSoftmaxLoss(logitsCtr!, supportT, matrix(weightCtr), impressionCount);
              if (losses.clsDwm)
                terms.clsDwm = weightedSoftmaxLoss(logitsDwm!, supportT, matrix(weightDwm), impressionCount);
            }
            if (pointwise) {
              const mask = matrix(sampleMask);
              const click = matrix(sampleClick);
              if (losses.maskCtr) terms.maskCtr = clickLoss(logitsCtr!, click, mask, n);
              if (losses.maskDwm) terms.maskDwm = dwmLoss(logitsDwm!, click, matrix(sampleDwm), mask, n);
              if (losses.kdCtr) terms.kdCtr = distillationLoss(logitsCtr!, matrix(teacherCtr), mask, n);
              if (losses.kdDwm) terms.kdDwm = distillationLoss(logitsDwm!, matrix(teacherDwm), mask, n);
            }
          }
          if (rank) {
            const backbone = rankingBackbone as Backbone;
            const state =
              backbone === this.retrievalBackbone && retrievalState
                ? retrievalState
                : backbone.userState(poolT, backbone.shows());
            const [sCtr, sDwm] = (this.rankingHead as RankingHead).apply(
              tf.matMul(tf.tensor2d(rowSelect as Float32Array, [n, batch]), state),
              showRows as tf.Variable<tf.Rank.R2>,
              tf.tensor2d(samples.interactive, [n, CROSS_FEATURES]),
            );
            const click = tf.tensor1d(samples.click);
            if (losses.rankCtr) terms.rankCtr = clickLoss(sCtr, click);
            if (losses.rankDwm) terms.rankDwm = dwmLoss(sDwm, click, tf.tensor1d(samples.dwmWeight));
          }
          const present = termNames.map((t) => terms[t]).filter((t): t is tf.Scalar => t !== undefined);
          if (present.length === 0) throw new Error('RRA plan: the switched-on terms produced no loss');
          // The gradient's forward pass disposes everything but its result: keep the terms to report them.
          for (const t of present) kept.push(tf.keep(t));
          return present.length === 1 ? present[0] : (tf.addN(present) as tf.Scalar);
        };
        const variables = [...tables, ...(showRows ? [showRows] : []), ...this.denseVariables];
        const { value, grads } = tf.variableGrads(lossFn, variables);
        this.optimizer.apply(this.denseVariables.map((v) => grads[v.name] ?? tf.zerosLike(v)));
        const parts = tables.map((t) => tf.reshape(grads[t.name] ?? tf.zerosLike(t), [-1]));
        if (showRows) parts.push(tf.reshape(grads[showRows.name] ?? tf.zerosLike(showRows), [-1]));
        const termValues = LOSS_TERMS.map((t) => tf.reshape(terms[t] ?? tf.scalar(0), [1]));
        const all = tf.concat([...parts, ...termValues, tf.reshape(value, [1])]);
        for (const t of kept) t.dispose();
        return all;
      });
      values = (await flat.data()) as Float32Array;
      flat.dispose();
    } finally {
      showRows?.dispose();
    }
    let offset = 0;
    const tableGrads = this.backbones.map((b) => {
      const id = values.subarray(offset, offset + b.items.rows * b.dim);
      offset += b.items.rows * b.dim;
      const genre = values.subarray(offset, offset + b.genres.rows * b.dim);
      offset += b.genres.rows * b.dim;
      return { id, genre };
    });
    if (rank && rankingBackbone) {
      // The ranking's show rows are the same parameters as the tables': add their gradient.
      const grad = tableGrads[this.backbones.indexOf(rankingBackbone)];
      const size = n * rankingBackbone.dim;
      rankingBackbone.addRowGradient(
        samples.item,
        values.subarray(offset, offset + size),
        grad.id,
        grad.genre,
      );
      offset += size;
    }
    this.backbones.forEach((b, k) => {
      b.items.applyGradient(this.allItems, tableGrads[k].id);
      b.genres.applyGradient(this.allGenres, tableGrads[k].genre);
    });
    const out = { total: values[offset + LOSS_TERMS.length] } as StepLosses;
    LOSS_TERMS.forEach((t, k) => {
      out[t] = values[offset + k];
    });
    return out;
  }

  /**
   * Forward-only ranking logits of samples (tf.gather has no gradient kernel on wasm, so this is
   * never differentiated).
   * @param shows [numItems, dim] v_i of the ranking backbone
   * @param state [batch, BOTTOM_UNITS] h_u of the ranking backbone
   * @param row [n] request position of each sample
   * @param item [n] target show
   * @param interactive [n, CROSS_FEATURES]
   * @returns s_ctr and s_dwm, each [n]
   */
  private rankingLogits(
    shows: tf.Tensor2D,
    state: tf.Tensor2D,
    row: tf.Tensor1D,
    item: tf.Tensor1D,
    interactive: tf.Tensor2D,
  ): [tf.Tensor1D, tf.Tensor1D] {
    if (!this.rankingBackbone || !this.rankingHead) throw new Error('RRA: this model has no ranking part');
    return this.rankingHead.apply(
      tf.gather(state, row) as tf.Tensor2D,
      tf.gather(shows, item) as tf.Tensor2D,
      interactive,
    );
  }

  /**
   * User embeddings u_ctr and u_dwm of requests, each row-major [requests.length, dim].
   */
  async userEmbeddings(
    requests: Int32Array,
    chunk = 256,
  ): Promise<{ ctr: Float32Array; dwm: Float32Array; dim: number }> {
    const backbone = this.requireRetrieval();
    backbone.refresh();
    const dim = backbone.dim;
    const ctr = new Float32Array(requests.length * dim);
    const dwm = new Float32Array(requests.length * dim);
    for (let start = 0; start < requests.length; start += chunk) {
      const part = requests.subarray(start, start + chunk);
      const pool = this.poolMatrix(part);
      const out = tf.tidy(() => {
        const state = backbone.userState(tf.tensor2d(pool, [part.length, this.numItems]), backbone.shows());
        return tf.concat((this.retrievalHead as RetrievalHead).apply(state), 0);
      });
      const values = (await out.data()) as Float32Array;
      out.dispose();
      ctr.set(values.subarray(0, part.length * dim), start * dim);
      dwm.set(values.subarray(part.length * dim), start * dim);
    }
    return { ctr, dwm, dim };
  }

  /** The retrieval's show embeddings, row-major [numItems, dim] (a live view). */
  showEmbeddings(): Float32Array {
    return this.requireRetrieval().showWeights();
  }

  /**
   * Ranking logits s_ctr, s_dwm of (request, show) pairs: `shows(b)` lists the shows of
   * requests[b]. Returns one pair of arrays per request.
   */
  async rankingScores(
    requests: Int32Array,
    shows: (b: number) => ArrayLike<number>,
    chunk = 16,
  ): Promise<{ ctr: Float32Array; dwm: Float32Array }[]> {
    const backbone = this.rankingBackbone;
    if (!backbone || !this.rankingHead) throw new Error('RRA: this model has no ranking part');
    backbone.refresh();
    const out: { ctr: Float32Array; dwm: Float32Array }[] = [];
    for (let start = 0; start < requests.length; start += chunk) {
      const part = requests.subarray(start, start + chunk);
      const row: number[] = [];
      const item: number[] = [];
      for (let b = 0; b < part.length; b++) {
        for (const i of Array.from(shows(start + b))) {
          row.push(b);
          item.push(i);
        }
      }
      const n = item.length;
      const interactive = crossFeatureRows(this.log, part, row, item);
      const pool = this.poolMatrix(part);
      const logits = tf.tidy(() => {
        const showMatrix = backbone.shows();
        const state = backbone.userState(tf.tensor2d(pool, [part.length, this.numItems]), showMatrix);
        const [c, d] = this.rankingLogits(
          showMatrix,
          state,
          tf.tensor1d(Int32Array.from(row), 'int32'),
          tf.tensor1d(Int32Array.from(item), 'int32'),
          tf.tensor2d(interactive, [n, CROSS_FEATURES]),
        );
        return tf.concat([c, d]);
      });
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      let at = 0;
      for (let b = 0; b < part.length; b++) {
        const size = Array.from(shows(start + b)).length;
        out.push({ ctr: values.slice(at, at + size), dwm: values.slice(n + at, n + at + size) });
        at += size;
      }
    }
    return out;
  }

  dispose(): void {
    for (const b of this.backbones) b.dispose();
    this.retrievalHead?.dispose();
    this.rankingHead?.dispose();
    this.optimizer.dispose();
  }
}
