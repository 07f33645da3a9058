import { describe, expect, it } from 'vitest';
import { resolveSimulatorParams } from '../../data/simulator';
import { tinyDataset } from '../test-support';
import {
  type FunnelParams,
  SIMULATED_FIELDS,
  SPLIT_HISTORY,
  SPLIT_TEST,
  fieldsOfStages,
  funnelFromExposureLog,
  rowsWhere,
  simulateFunnel,
} from './funnel';

const PARAMS: FunnelParams = {
  poolSize: 80,
  earlyStageNoise: 1.5,
  laterStageNoise: 0.3,
  unlabeledSampleRate: 0.5,
  testShare: 0.2,
  unlabeledPerImpression: 2,
  lateSignalShare: 0.25,
  foundationHistory: 0,
};
const SIM = resolveSimulatorParams({
  users: 80,
  items: 200,
  categories: 5,
  latentDim: 8,
  exposuresPerUser: 20,
  candidatesPerRequest: 20,
  exposedPerRequest: 5,
  seed: 4,
});

describe('simulateFunnel', () => {
  const funnel = simulateFunnel(SIM, PARAMS);
  const { data } = funnel;
  const truth = funnel.truth;
  if (!truth) throw new Error('simulated funnels have ground truth');

  it('shows exposedPerRequest impressions per request and labels only them', () => {
    const requests = SIM.users * (SIM.exposuresPerUser / SIM.exposedPerRequest);
    let impressions = 0;
    for (let k = 0; k < data.rows; k++) {
      impressions += data.impressed[k];
      if (data.impressed[k] === 1) expect(data.label[k]).toBe(truth.label[k]);
      else expect(data.label[k]).toBe(0);
    }
    expect(impressions).toBe(requests * SIM.exposedPerRequest);
    // Test requests keep their whole consideration set.
    const testRequests = new Set(rowsWhere(data, SPLIT_TEST, 1).map((r) => data.request[r]));
    expect(rowsWhere(data, SPLIT_TEST, 0).length).toBe(
      testRequests.size * (SIM.candidatesPerRequest - SIM.exposedPerRequest),
    );
  });

  it('keeps whole requests in one split and is deterministic', () => {
    const splitOf = new Map<number, number>();
    for (let k = 0; k < data.rows; k++) {
      const s = splitOf.get(data.request[k]);
      if (s === undefined) splitOf.set(data.request[k], data.split[k]);
      else expect(data.split[k]).toBe(s);
    }
    const again = simulateFunnel(SIM, PARAMS);
    expect(again.data.fields[4].values).toEqual(data.fields[4].values);
    expect(again.truth?.probability).toEqual(truth.probability);
    const other = simulateFunnel({ ...SIM, seed: 5 }, PARAMS);
    expect(other.truth?.probability).not.toEqual(truth.probability);
  });

  it('selects impressions with higher true CTR than the rest of the consideration set', () => {
    let imp = 0;
    let cd = 0;
    let nImp = 0;
    for (let k = 0; k < data.rows; k++) {
      if (data.impressed[k] === 1) {
        imp += truth.probability[k];
        nImp++;
      } else cd += truth.probability[k];
    }
    expect(imp / nImp).toBeGreaterThan((2 * cd) / (data.rows - nImp));
  });

  it('names its fields by stage', () => {
    expect(data.fields.map((f) => f.name)).toEqual(SIMULATED_FIELDS.map((f) => f.name));
    expect(fieldsOfStages(data, ['late']).map((f) => data.fields[f].name)).toEqual(['affinity_fine']);
    expect(fieldsOfStages(data, ['foundation']).map((f) => data.fields[f].name)).toEqual([
      'user_item_history',
    ]);
  });

  it("adds the foundation model's history without changing the production data", () => {
    const richer = simulateFunnel(SIM, { ...PARAMS, foundationHistory: 2 }).data;
    const history = rowsWhere(richer, SPLIT_HISTORY, 1);
    // Two more requests per production request, impressions only, on streams of their own.
    expect(history.length).toBe(2 * SIM.users * SIM.exposuresPerUser);
    expect(rowsWhere(richer, SPLIT_HISTORY, 0).length).toBe(0);
    expect(richer.rows - history.length).toBe(data.rows);
    const kept = Int32Array.from({ length: data.rows }, (_, k) => k);
    expect(Float32Array.from(kept, (k) => richer.fields[4].values[k])).toEqual(data.fields[4].values);
    expect(richer.label.subarray(0, data.rows)).toEqual(data.label);
    expect(richer.fields.length).toBe(data.fields.length);
  });

  it('rejects a pool smaller than the consideration set', () => {
    expect(() => simulateFunnel(SIM, { ...PARAMS, poolSize: 10 })).toThrow(/protocolParams.poolSize/);
  });
});

describe('funnelFromExposureLog (stored datasets)', () => {
  const dataset = tinyDataset();
  const funnel = funnelFromExposureLog(dataset, PARAMS);
  const { data } = funnel;

  it('uses the exposure log as impressions and never-exposed items as unlabelled rows', () => {
    expect(funnel.truth).toBeNull();
    const cols = dataset.interactions;
    const exposed = new Set<string>();
    for (let k = 0; k < cols.user.length; k++) exposed.add(`${cols.user[k]} ${cols.item[k]}`);
    const item = data.fields.find((f) => f.name === 'item');
    if (!item) throw new Error('item field missing');
    let impressions = 0;
    for (let k = 0; k < data.rows; k++) {
      const key = `${data.request[k]} ${item.values[k]}`;
      if (data.impressed[k] === 1) {
        impressions++;
        expect(exposed.has(key)).toBe(true);
      } else {
        expect(exposed.has(key)).toBe(false);
        expect(data.label[k]).toBe(0);
      }
    }
    expect(impressions).toBe(cols.user.length);
    expect(data.rows - impressions).toBe(cols.user.length * PARAMS.unlabeledPerImpression);
    expect(item.stage).toBe('late');
  });
});
