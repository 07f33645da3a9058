/**
 * End-to-end pipeline benchmark (a measurement, not a test): wall time per stage and resident
 * memory on a simulated dataset the size of DAMCAR's WeChat subset (about 17,000 users, 42,000
 * items and 1.6 million exposures).
 *
 * Stages, in the order a DAMCAR run needs them:
 *   simulate        simulateCascade with exposuresPerUser = round(interactions / users)
 *   split           per-user 6:2:2 time split
 *   target-domain   DAMCAR's random-walk target-domain generation (Eq. 1-3, graph/random-walk.ts)
 *                   on the training exposures, R = 25, H = 50 (the paper's WeChat setting); not
 *                   with `damcar`, whose stage generates its own, as a run does (its first log line)
 *   train-bc        the DSSM retrieval model (the testbed's default architecture) trained with
 *                   BC's loss (models/dssm.ts trainStep)
 *                   on shuffled training batches: one full epoch, or the first `trainSteps`
 *                   steps with the epoch's time extrapolated linearly from them
 *   tower-vectors   user and item tower outputs for every user and item
 *   retrieval-eval  exact inner-product top-K retrieval and R/P/F@K, GT-R@K (metrics/retrieval.ts;
 *                   the ground-truth positives of every user are computed inside this stage)
 * With `damcar` set, two more stages follow (`epochs` epochs each, as a run with that many; one
 * by default, the paper's three with `epochs: 3`):
 *   ranking-deepfm  the cascade's DeepFM ranking model (models/ranking-model.ts) in the testbed's
 *                   default reading (the authors' network, with their embedding L2), which DAMCAR
 *                   reads its ranking scores from
 *   damcar          DAMCAR's whole train() (protocols/damcar/method-damcar.ts, default parameters): its own
 *                   target-domain generation, the label generator's epoch on S_exp + S_sam, the
 *                   hybrid DSSM epoch and the tower vectors; the times of its log lines are
 *                   reported as `log@<ms>` details
 */
import { datasetStats, groupItemsByUser, trainingView, catalogueOf } from '../data/dataset';
import { resolveSimulatorParams, simulateCascade } from '../data/simulator';
import { splitByUserTime } from '../data/split';
import type { JobEvent } from '../experiments/job';
import { DEFAULT_TRAINING } from '../../contract/ranges';
import { DEFAULT_EVALUATION, resolveParamValues } from '../experiments/spec';
import { generateTargetDomain } from '../graph/random-walk';
import { evaluateRetrievalAsync, retrievalTopKPlace } from '../metrics/retrieval';
import { DssmModel } from '../models/dssm';
import { rankingNetworkOptions, trainRankingModel } from '../models/ranking-model';
import { damcarMethod } from '../protocols/damcar/method-damcar';
import type { MethodContext } from '../protocols/damcar/methods';
import { rankingNetworkReading, retrievalArchitecture } from '../protocols/damcar/settings';
import { createRng } from '../random';

export interface PipelineBenchOptions {
  users: number;
  items: number;
  /** Target number of exposures; the simulator makes users * round(interactions / users). */
  interactions: number;
  /** Training steps to time; null trains one full epoch. */
  trainSteps: number | null;
  batchSize?: number;
  seed?: number;
  /** Random-walk radius R and walks per user H (paper, WeChat: 25 and 50). */
  radius?: number;
  walksPerUser?: number;
  /** Also time the DeepFM ranking model and DAMCAR's train(). */
  damcar?: boolean;
  /** Epochs of those two stages (default 1; the paper's and the authors' code's: 3). */
  epochs?: number;
  /** Called when a stage starts and when it ends (for progress lines). */
  onStage?: (event: { stage: string; state: 'start' | 'end'; result?: StageResult }) => void;
}

export interface StageResult {
  stage: string;
  /** Wall time of the stage. */
  ms: number;
  /** Resident set size right after the stage, MB. */
  rssMb: number;
  /** What the stage produced or how it was measured. */
  details: Record<string, number | string | boolean>;
}

export interface PipelineBenchResult {
  dataset: { users: number; items: number; interactions: number; positives: number };
  stages: StageResult[];
  /** Sum of the stages' wall times, with train-bc at its (possibly extrapolated) epoch time. */
  totalEpochMs: number;
  /** Peak resident set size of the whole process so far (getrusage maxrss), MB. */
  peakRssMb: number;
}

const MB = 1024 * 1024;

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / MB);
}

export async function benchPipeline(options: PipelineBenchOptions): Promise<PipelineBenchResult> {
  const seed = options.seed ?? 1;
  const batchSize = options.batchSize ?? DEFAULT_TRAINING.batchSize;
  const stages: StageResult[] = [];
  const stage: StageRunner = async (name, work, details) => {
    options.onStage?.({ stage: name, state: 'start' });
    const start = performance.now();
    const result = await work();
    const ms = performance.now() - start;
    const entry: StageResult = {
      stage: name,
      ms: Math.round(ms),
      rssMb: rssMb(),
      details: details(result, ms),
    };
    stages.push(entry);
    options.onStage?.({ stage: name, state: 'end', result: entry });
    return result;
  };

  const exposuresPerUser = Math.max(1, Math.round(options.interactions / options.users));
  const params = resolveSimulatorParams({
    users: options.users,
    items: options.items,
    exposuresPerUser,
    seed,
  });
  const dataset = await stage(
    'simulate',
    () => simulateCascade(params),
    (d) => ({ exposuresPerUser, interactions: d.interactions.user.length }),
  );
  const data = trainingView(dataset);
  const split = await stage(
    'split',
    () => splitByUserTime(data),
    (s) => ({ train: s.train.length, valid: s.valid.length, test: s.test.length }),
  );

  const radius = options.radius ?? 25;
  const walksPerUser = options.walksPerUser ?? 50;
  // A DAMCAR run generates its target domain once, inside train(): timing it here too would
  // count it twice in the total.
  if (!options.damcar) {
    await stage(
      'target-domain',
      () => {
        const cols = data.interactions;
        const rows = split.train;
        const rng = createRng(seed).fork(11);
        return generateTargetDomain(
          {
            numUsers: data.numUsers,
            numItems: data.numItems,
            users: Int32Array.from(rows, (r) => cols.user[r]),
            items: Int32Array.from(rows, (r) => cols.item[r]),
            watchTime: Float32Array.from(rows, (r) => cols.watchTime[r]),
          },
          { radius, walksPerUser, random: () => rng.uniform() },
        );
      },
      (t) => ({ radius, walksPerUser, itemVisits: t.itemVisits, targetPairs: t.items.length }),
    );
  }

  const training = DEFAULT_TRAINING;
  const model = new DssmModel({
    ...catalogueOf(data),
    embeddingDim: training.embeddingDim,
    learningRate: training.learningRate,
    architecture: retrievalArchitecture({}),
    rng: createRng(seed).fork(1),
  });
  try {
    const stepsPerEpoch = Math.ceil(split.train.length / batchSize);
    const steps = options.trainSteps === null ? stepsPerEpoch : Math.min(options.trainSteps, stepsPerEpoch);
    const cols = data.interactions;
    await stage(
      'train-bc',
      async () => {
        const order = Int32Array.from(split.train);
        createRng(seed).fork(2).shuffle(order);
        let lossSum = 0;
        for (let s = 0; s < steps; s++) {
          const rows = order.subarray(s * batchSize, Math.min(order.length, (s + 1) * batchSize));
          lossSum += await model.trainStep({
            users: Int32Array.from(rows, (r) => cols.user[r]),
            items: Int32Array.from(rows, (r) => cols.item[r]),
            targets: Float32Array.from(rows, (r) => cols.label[r]),
          });
        }
        return { meanLoss: lossSum / steps };
      },
      (r, ms) => ({
        batchSize,
        steps,
        stepsPerEpoch,
        extrapolated: steps < stepsPerEpoch,
        epochMs: Math.round((ms * stepsPerEpoch) / steps),
        samplesPerSecond: Math.round((Math.min(steps * batchSize, split.train.length) * 1000) / ms),
        meanLoss: Number(r.meanLoss.toFixed(4)),
      }),
    );
    const vectors = await stage(
      'tower-vectors',
      async () => ({ userVectors: await model.userVectors(), itemVectors: await model.itemVectors() }),
      () => ({ users: data.numUsers, items: data.numItems, dim: model.outputDim }),
    );
    const groundTruth = dataset.groundTruth;
    await stage(
      'retrieval-eval',
      () =>
        // Asynchronous reads: the WebGPU backend cannot read synchronously in Node.
        evaluateRetrievalAsync({
          userVectors: vectors.userVectors,
          itemVectors: vectors.itemVectors,
          dim: model.outputDim,
          numUsers: data.numUsers,
          numItems: data.numItems,
          testPositives: groupItemsByUser(data, split.test, { onlyPositive: true, unique: true }),
          corpus: null,
          ks: DEFAULT_EVALUATION.retrievalK,
          ...(groundTruth ? { groundTruthPositives: (u: number) => groundTruth.unexposedPositives(u) } : {}),
        }),
      (r) => ({
        evaluatedUsers: r.evaluatedUsers,
        groundTruthUsers: r.groundTruthUsers,
        ks: DEFAULT_EVALUATION.retrievalK.join(','),
        topKOn: retrievalTopKPlace('auto'),
        ...Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, Number(v.toFixed(4))])),
      }),
    );
  } finally {
    model.dispose();
  }

  if (options.damcar) await damcarStages(data, split, seed, options.epochs ?? 1, stage);

  const stats = datasetStats(data);
  const totalEpochMs = stages.reduce(
    (sum, s) => sum + (s.stage === 'train-bc' ? Number(s.details.epochMs) : s.ms),
    0,
  );
  return {
    dataset: {
      users: stats.users,
      items: stats.items,
      interactions: stats.interactions,
      positives: stats.positives,
    },
    stages,
    totalEpochMs,
    peakRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
  };
}

type StageRunner = <T>(
  name: string,
  work: () => T | Promise<T>,
  details: (result: T, ms: number) => StageResult['details'],
) => Promise<T>;

/** The ranking model DAMCAR needs, then DAMCAR's train(), `epochs` epochs each. */
async function damcarStages(
  data: ReturnType<typeof trainingView>,
  split: ReturnType<typeof splitByUserTime>,
  seed: number,
  epochs: number,
  stage: StageRunner,
): Promise<void> {
  const training = { ...DEFAULT_TRAINING, epochs };
  const signal = new AbortController().signal;
  const ignore = (_event: JobEvent): void => undefined;
  const ranking = await stage(
    'ranking-deepfm',
    () =>
      trainRankingModel('deepfm', data, split, training, createRng(seed).fork(3), ignore, signal, {
        model: rankingNetworkOptions(rankingNetworkReading({})),
      }),
    (m) => ({ epochs, validAuc: Number(m.validAuc.toFixed(4)) }),
  );
  try {
    const logs: [number, string][] = [];
    let start = 0;
    const ctx: MethodContext = {
      dataset: data,
      split,
      training,
      retrieval: retrievalArchitecture({}),
      params: resolveParamValues(damcarMethod.descriptor.params, {}, 'method.params', 'DAMCAR'),
      rng: createRng(seed),
      signal,
      ranking: { name: ranking.name, score: (users, items) => ranking.score(users, items) },
      emit: (event) => {
        if (event.type === 'log') logs.push([Math.round(performance.now() - start), event.message]);
      },
    };
    await stage(
      'damcar',
      () => {
        start = performance.now();
        return damcarMethod.train(ctx);
      },
      () => ({ epochs, ...Object.fromEntries(logs.map(([ms, message]) => [`log@${ms}`, message])) }),
    );
  } finally {
    ranking.dispose();
  }
}
