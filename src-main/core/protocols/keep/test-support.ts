/** Test support for the KEEP protocol (imported by *.test.ts only): tiny KEEP domains. */
import { resolveSimulatorParams, simulateCascade } from '../../data/simulator';
import { TINY_SIMULATOR } from '../test-support';
import type { StoppingRule } from './early-stopping';
import { DEFAULT_KEEP_DATA_PARAMS, type KeepData, type KeepDataParams, simulateKeepData } from './data';

/**
 * Protocol parameters that fit the tiny simulator (60 users, 120 items): CTR about 0.16 in the
 * super-domain and 0.2 in the sub-domain, conversion and add-to-cart about 0.3 per click.
 */
export const TINY_KEEP_PARAMS: Partial<KeepDataParams> = {
  clickBias: -1.5,
  conversionBias: -4,
  cartBias: -3,
  targetClickBias: -2,
  targetItemShare: 0.5,
  activitySpread: 0,
  pretrainImpressions: 40,
  concurrentImpressions: 16,
  targetTrainImpressions: 8,
  targetValidImpressions: 4,
  targetTestImpressions: 8,
};

/** A short stopping rule for the tiny training windows (a few hundred rows). */
export const TINY_STOPPING: StoppingRule = { maxSteps: 60, evalEvery: 4, patience: 4 };

export function tinyKeepData(overrides: Partial<KeepDataParams> = {}): KeepData {
  const simulator = resolveSimulatorParams(TINY_SIMULATOR);
  return simulateKeepData(simulateCascade(simulator), simulator, {
    ...DEFAULT_KEEP_DATA_PARAMS,
    ...TINY_KEEP_PARAMS,
    ...overrides,
  });
}
