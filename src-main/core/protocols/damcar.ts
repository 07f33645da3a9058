/**
 * DAMCAR's two-stage cascade testbed (DAMCAR, ACM MM 2024, section 5.1) as a protocol
 * descriptor. Its jobs run through experiments/run-job.ts itself (data, shared ranking model,
 * method, retrieval and ranking evaluation), and its methods live in core/methods.
 */
import type { ProtocolDescriptor } from '../../contract/api';
import { listMethods } from '../methods/registry';

export const DAMCAR_PROTOCOL: ProtocolDescriptor = {
  id: 'damcar',
  name: 'DAMCAR two-stage cascade',
  paper: 'DAMCAR (ACM MM 2024)',
  summary:
    'DSSM retrieval trained on the exposure log (per-user 6:2:2 time split), DeepFM or DCN ranking ' +
    'trained once per seed on exposed data; R/P/F@K1 by exact top-K1 over the corpus, then the ranking ' +
    'model re-ranks each top-K1 list for N/M/H@K2 (K2 = K1 / 10); ground truth on simulated data.',
  params: [],
  methods: listMethods().map((m) => m.id),
  // Section 5.1.4 and the authors' code: 3 epochs, batch 512, Adagrad 0.01, embeddings 128.
  training: { epochs: 3, batchSize: 512, learningRate: 0.01, embeddingDim: 128 },
  evaluationSettings: ['retrievalK', 'corpus', 'split'],
};
