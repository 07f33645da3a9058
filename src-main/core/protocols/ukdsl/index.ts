/**
 * UKDSL (Meta): "A Unified Knowledge-Distillation and Semi-Supervised Learning Framework to
 * Improve Industrial Ads Delivery Systems", as a Cascade Lab testbed.
 *
 * What it builds: a two-stage ranking funnel (funnel.ts) where an early stage picks a
 * consideration set per request and a later stage picks the impressions among it; impressions are
 * labelled, the rest of the consideration set is not (the simulator keeps its true click
 * probability for evaluation). Methods (methods.ts, jobs.ts): section 3.2's calibration
 * simulation (Figure 2), the impression-only early-stage baseline and UKDSL's semi-supervised
 * cross-stage distillation (Table 1), semi-supervised feature selection with each combination
 * rule (Table 2), and distillation from a foundation model with dependent / auxiliary tasks
 * (Table 3). Metrics (metrics.ts): calibration and normalized entropy on impression and
 * consideration data, NE relative change against the table's reference, AUC.
 *
 * Scale: everything is far smaller than the paper's production system (MLPs of tens to hundreds
 * of units on 12 scalar fields instead of production models on thousands of features), so only
 * the direction and rough size of the effects can be compared with the paper's numbers.
 */
import type { ProtocolModule } from '../types';
import { runUkdslJob, ukdslCaption, ukdslColumns } from './jobs';
import { PAPER, UKDSL_METHODS } from './methods';
import { UKDSL_PROTOCOL_PARAMS } from './settings';

export const ukdslProtocol: ProtocolModule = {
  descriptor: {
    id: 'ukdsl',
    name: 'UKDSL cross-stage semi-supervised distillation',
    paper: PAPER,
    summary:
      'A two-stage ranking funnel: the early stage picks a consideration set per request, the later stage the ' +
      'impressions, which alone get labels. The early-stage model is trained on impressions only (baseline) or with ' +
      'the later stage labelling the unlabelled consideration data (UKDSL), with semi-supervised feature selection ' +
      'and foundation-model distillation; calibration, NE and AUC on impression and consideration data. Stored ' +
      'datasets: impressions = the exposure log, consideration data = sampled unexposed items, no ground truth.',
    params: UKDSL_PROTOCOL_PARAMS,
    methods: UKDSL_METHODS.map((m) => m.id),
    // The settings of experiments/ukdsl-*.json.
    training: { epochs: 8, batchSize: 512, learningRate: 0.02, embeddingDim: 16 },
    evaluationSettings: [],
  },
  methods: UKDSL_METHODS,
  columns: ukdslColumns,
  caption: ukdslCaption,
  runJob: runUkdslJob,
};
