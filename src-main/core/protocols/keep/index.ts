/**
 * KEEP (CIKM 2022) testbed, being written: without methods it stays out of the registry's lists.
 */
import type { ProtocolModule } from '../types';

export const keepProtocol: ProtocolModule = {
  descriptor: {
    id: 'keep',
    name: 'KEEP knowledge extraction and plug-in',
    paper: 'KEEP (CIKM 2022)',
    summary: '',
    params: [],
    methods: [],
    training: { epochs: 2, batchSize: 512, learningRate: 0.05, embeddingDim: 16 },
  },
  methods: [],
  columns: () => [],
  caption: () => '',
  runJob: () => Promise.reject(new Error('The KEEP protocol is not available yet.')),
};
