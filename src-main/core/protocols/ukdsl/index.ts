/**
 * UKDSL (Meta) testbed, being written: without methods it stays out of the registry's lists.
 */
import type { ProtocolModule } from '../types';

export const ukdslProtocol: ProtocolModule = {
  descriptor: {
    id: 'ukdsl',
    name: 'UKDSL cross-stage semi-supervised distillation',
    paper: 'UKDSL (Meta)',
    summary: '',
    params: [],
    methods: [],
  },
  methods: [],
  columns: () => [],
  caption: () => '',
  runJob: () => Promise.reject(new Error('The UKDSL protocol is not available yet.')),
};
