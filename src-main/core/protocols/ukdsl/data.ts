/**
 * The data of a UKDSL job: the two-stage funnel (funnel.ts) of the job's dataset, simulated from
 * the simulator parameters or built from a stored exposure log, cached per worker under a key of
 * the dataset and the testbed's settings.
 */
import type { SimulatorParams } from '../../../contract/api';
import { resolveSimulatorParams } from '../../data/simulator';
import type { ProtocolJobContext } from '../types';
import { cached } from './cache';
import { type Funnel, funnelFromExposureLog, funnelParamsOf, simulateFunnel } from './funnel';

/** The cache key of the job's data: its source and the testbed's settings. */
export function dataKeyOf(ctx: ProtocolJobContext): string {
  const ds = ctx.request.dataset;
  const source = ds.kind === 'simulated' ? { sim: ds.params } : { stored: ds.datasetId, path: ds.path };
  return JSON.stringify({ source, protocol: ctx.protocolParams });
}

/** The funnel of the job's dataset (simulated or from a stored exposure log), cached per worker. */
export function funnelOf(ctx: ProtocolJobContext): Promise<Funnel> {
  return cached(`funnel ${dataKeyOf(ctx)}`, () => {
    const params = funnelParamsOf(ctx.protocolParams);
    const ds = ctx.request.dataset;
    if (ds.kind === 'simulated') {
      const sim: SimulatorParams = resolveSimulatorParams(ds.params);
      return Promise.resolve(simulateFunnel(sim, params));
    }
    return Promise.resolve(funnelFromExposureLog(ctx.materializeDataset(), params));
  });
}
