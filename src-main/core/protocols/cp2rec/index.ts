/**
 * CP2Rec (ACM MM 2023) testbed, being written: without methods it stays out of the registry's lists.
 */
import type { ProtocolModule } from '../types';

export const cp2recProtocol: ProtocolModule = {
  descriptor: {
    id: 'cp2rec',
    name: 'CP2Rec confounding-proxy debiasing',
    paper: 'CP2Rec (ACM MM 2023)',
    summary: '',
    params: [],
    methods: [],
  },
  methods: [],
  columns: () => [],
  caption: () => '',
  runJob: () => Promise.reject(new Error('The CP2Rec protocol is not available yet.')),
};
