/**
 * RRA's offline metrics (KDD 2023, Sec. 5.1.2), computed per test-day request.
 *
 * The paper's retrieval ranks the whole corpus of shows the user has not watched (the unfamiliar
 * collection's corpus, Sec. 3); so do the main columns here:
 * - Recall@K: over the test day's clicked samples (impressions with a click), the share whose
 *   show is in the top K of the request's unfamiliar corpus by the retrieval model's serving score
 *   (Eq. 7). Micro-averaged over clicked samples, as the paper defines it "for the clicked samples".
 * - WRecall@K: the same with each clicked sample weighted by its DWM.
 * - NKTD@N (Eq. 9): the support set is the retrieval's top N of the unfamiliar corpus; NKTD =
 *   2 / (N (N - 1)) times the number of pairs {i, j} of it that the retrieval order and the
 *   ranking model's order put the other way round (a pair tied in either order counts as
 *   agreeing). Averaged over the test requests. 0 = identical orders, 1 = reversed.
 * - Recall@K and WRecall@K "(in candidates)": the same within the request's logged candidate set
 *   only (the logging retrieval's output, drawn by preference and popularity), a second,
 *   easier view kept for comparison with earlier runs.
 * - Ground truth (simulated data only): GT-Recall@K = sum of true click probabilities of the top
 *   K of the unfamiliar corpus over their sum over the whole unfamiliar corpus (the expected share
 *   of the request's would-be clicks the retrieval keeps), GT-WRecall@K the same with probability
 *   times expected DWM; averaged over test requests. They are free of the logging policy's
 *   impression bias.
 */
import { topK } from '../../topk';
import type { RraSettings } from './settings';

/** Positions of the K best scores (descending; ties by position). */
export function topPositions(scores: ArrayLike<number>, k: number): Int32Array {
  return topK(scores, Math.min(k, scores.length));
}

export interface RecallAccumulator {
  clicks: number;
  hits: number;
  dwm: number;
  dwmHits: number;
}

export function newRecallAccumulator(): RecallAccumulator {
  return { clicks: 0, hits: 0, dwm: 0, dwmHits: 0 };
}

/**
 * Adds one request's clicked samples.
 * @param candidates [C] the request's candidate shows
 * @param scores [C] serving scores aligned with `candidates`
 * @param clickedShows shows clicked in the request
 * @param clickedDwm DWM of each clicked show
 */
export function addRecall(
  acc: RecallAccumulator,
  candidates: ArrayLike<number>,
  scores: ArrayLike<number>,
  k: number,
  clickedShows: ArrayLike<number>,
  clickedDwm: ArrayLike<number>,
): void {
  if (clickedShows.length === 0) return;
  const top = new Set<number>();
  for (const p of topPositions(scores, k)) top.add(candidates[p]);
  for (let c = 0; c < clickedShows.length; c++) {
    const hit = top.has(clickedShows[c]) ? 1 : 0;
    acc.clicks++;
    acc.hits += hit;
    acc.dwm += clickedDwm[c];
    acc.dwmHits += hit * clickedDwm[c];
  }
}

export function recallOf(acc: RecallAccumulator): { recall: number; wRecall: number } {
  if (acc.clicks === 0)
    throw new Error('dataset: the test day has no clicked samples to compute Recall@K on');
  if (!(acc.dwm > 0))
    throw new Error('dataset: the test day clicks carry no DWM (watch time) to weight WRecall@K');
  return { recall: acc.hits / acc.clicks, wRecall: acc.dwmHits / acc.dwm };
}

/**
 * Eq. 9 for one request.
 * @param retrievalScores [C] retrieval serving scores of the candidates
 * @param rankingScores [C] ranking scores of the same candidates
 * @param n N (the top N of the retrieval order form the support set)
 */
export function nktd(
  retrievalScores: ArrayLike<number>,
  rankingScores: ArrayLike<number>,
  n: number,
): number {
  if (retrievalScores.length !== rankingScores.length) {
    throw new Error(
      `nktd: ${retrievalScores.length} retrieval scores, ${rankingScores.length} ranking scores`,
    );
  }
  const top = topPositions(retrievalScores, n);
  const size = top.length;
  if (size < 2) throw new Error(`nktd: needs at least 2 items, got ${size}`);
  let discordant = 0;
  for (let a = 0; a < size; a++) {
    const ra = retrievalScores[top[a]];
    const ka = rankingScores[top[a]];
    for (let b = a + 1; b < size; b++) {
      if ((ra - retrievalScores[top[b]]) * (ka - rankingScores[top[b]]) < 0) discordant++;
    }
  }
  return (2 * discordant) / (size * (size - 1));
}

/**
 * Ground-truth recall of one request's top K: sum over the top K of `value` / sum over all.
 * @param scores [C] serving scores
 * @param value [C] true click probability (GT-Recall) or probability times expected DWM (GT-WRecall)
 */
export function expectedRecall(scores: ArrayLike<number>, value: ArrayLike<number>, k: number): number {
  let total = 0;
  for (let c = 0; c < value.length; c++) total += value[c];
  if (!(total > 0)) return 0;
  let kept = 0;
  for (const p of topPositions(scores, k)) kept += value[p];
  return kept / total;
}

/** The result table's metric keys for the settings' K and N. */
export function metricKeys(settings: Pick<RraSettings, 'recallK' | 'nktdN'>): {
  recall: string;
  wRecall: string;
  nktd: string;
  candidateRecall: string;
  candidateWRecall: string;
  gtRecall: string;
  gtWRecall: string;
} {
  return {
    recall: `Recall@${settings.recallK}`,
    wRecall: `WRecall@${settings.recallK}`,
    nktd: `NKTD@${settings.nktdN}`,
    candidateRecall: `Recall@${settings.recallK} (in candidates)`,
    candidateWRecall: `WRecall@${settings.recallK} (in candidates)`,
    gtRecall: `GT-Recall@${settings.recallK}`,
    gtWRecall: `GT-WRecall@${settings.recallK}`,
  };
}
