/**
 * Naming and identity of simulated data, which has no stored row until a run materialises it:
 * the experiments service names it in summaries and tables, the jobs service stores it by its hash.
 */
import { createHash } from 'node:crypto';
import type { SimulatorParams } from '../../contract/api';

/** Name of simulated data before a run has materialised it (the engine's naming, core/data/simulator.ts). */
export function simulatedDatasetName(params: SimulatorParams): string {
  return `Simulated cascade (${params.users} users, ${params.items} items, bias ${params.exposureBias}, seed ${params.seed})`;
}

/** Identity of simulated data: the simulator's resolved parameters, keys sorted. */
export function simulatorContentHash(params: SimulatorParams): string {
  const canonical = Object.fromEntries(Object.entries(params).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256')
    .update(`simulator:${JSON.stringify(canonical)}`)
    .digest('hex');
}
