/**
 * RRA (KDD 2023) testbed, being written: without methods it stays out of the registry's lists.
 */
import type { ProtocolModule } from '../types';

export const rraProtocol: ProtocolModule = {
  descriptor: {
    id: 'rra',
    name: 'RRA retrieval-ranking alignment',
    paper: 'RRA (KDD 2023)',
    summary: '',
    params: [],
    methods: [],
  },
  methods: [],
  columns: () => [],
  caption: () => '',
  runJob: () => Promise.reject(new Error('The RRA protocol is not available yet.')),
};
