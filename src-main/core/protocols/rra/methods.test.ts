/**
 * planOf: which models, losses, sample weights and negatives each method trains with. A wrong plan
 * would silently turn one row of the paper's tables into another, so every method's plan is
 * spelled out here.
 */
import { describe, expect, it } from 'vitest';
import { type LossSwitches, NO_LOSSES } from './model-trainer';
import { ValidationError } from '../../../contract/errors';
import { validateSpec } from '../../experiments/spec';
import { RRA_METHODS, planOf } from './methods';

const ALL: LossSwitches = {
  clsCtr: true,
  clsDwm: true,
  rankCtr: true,
  rankDwm: true,
  maskCtr: true,
  maskDwm: true,
  kdCtr: true,
  kdDwm: true,
};
const CLS: LossSwitches = { ...NO_LOSSES, clsCtr: true, clsDwm: true };
const ALL_NEGATIVE = { strategy: 'AN', randomNegatives: 0, hardFrom: 1, hardTo: 1 };

describe('planOf', () => {
  it('BaseModel: retrieval alone, clicks only, the multi-class losses', () => {
    const { plan, needsTeacher, wServe } = planOf('rra-base', {});
    expect(plan).toEqual({
      losses: CLS,
      wCtr: 0,
      wServe: 0.5,
      negatives: ALL_NEGATIVE,
      retrieval: true,
      ranking: 'none',
      samples: { kind: 'impressions' },
    });
    expect(needsTeacher).toBe(false);
    expect(wServe).toBe(0.5);
  });

  it("BaseModel's switches add RRA's differences one at a time; all three give RRA's plan", () => {
    expect(planOf('rra-base', { wCtr: 0.5 }).plan).toMatchObject({ wCtr: 0.5, ranking: 'none', losses: CLS });
    expect(planOf('rra-base', { wCtr: 0.5, rankingModel: true }).plan).toMatchObject({
      ranking: 'shared',
      losses: { ...CLS, rankCtr: true, rankDwm: true },
    });
    expect(planOf('rra-base', { wCtr: 0.5, rankingModel: true }).plan).toEqual(
      planOf('rra-sharing', {}).plan,
    );
    const all = planOf('rra-base', { wCtr: 0.5, rankingModel: true, alignmentLosses: true });
    const rra = planOf('rra', {});
    // AN ignores the RN / HN numbers, which only rra declares.
    expect(all).toEqual({ ...rra, plan: { ...rra.plan, negatives: ALL_NEGATIVE } });
    expect(rra.plan.negatives.strategy).toBe('AN');
    expect(() => planOf('rra-base', { alignmentLosses: true })).toThrow(/rankingModel/);
  });

  it('DMTL: separate teacher and student, clicks plus corpus negatives, no multi-class loss', () => {
    const { plan, needsTeacher } = planOf('rra-dmtl', { negativesPerClick: 7 });
    expect(plan).toMatchObject({
      ranking: 'separate',
      retrieval: true,
      wCtr: 0,
      samples: { kind: 'corpus-negatives', perClick: 7 },
      losses: { ...ALL, clsCtr: false, clsDwm: false },
    });
    expect(needsTeacher).toBe(false);
  });

  it('parameter sharing: shared ranking model, L_cls^* + L_rank^*, w_ctr 0.5', () => {
    const { plan } = planOf('rra-sharing', {});
    expect(plan).toMatchObject({
      ranking: 'shared',
      wCtr: 0.5,
      losses: { ...CLS, rankCtr: true, rankDwm: true },
    });
  });

  it("offline distillation: RRA's losses with a pre-trained teacher", () => {
    const { plan, needsTeacher } = planOf('rra-offline', {});
    expect(plan).toMatchObject({ ranking: 'shared', wCtr: 0.5, losses: ALL });
    expect(needsTeacher).toBe(true);
  });

  it('RRA: every term, w_ctr 0.5, all negatives by default; switches and negatives pass through', () => {
    const { plan, needsTeacher } = planOf('rra', {});
    expect(plan).toMatchObject({ ranking: 'shared', wCtr: 0.5, losses: ALL, negatives: { strategy: 'AN' } });
    expect(needsTeacher).toBe(false);
    const clsOnly = planOf('rra', {
      rankCtr: false,
      rankDwm: false,
      maskCtr: false,
      maskDwm: false,
      kdCtr: false,
      kdDwm: false,
    });
    expect(clsOnly.plan).toMatchObject({ ranking: 'none', losses: CLS });
    const hard = planOf('rra', { negatives: 'HN', hardFrom: 10, hardTo: 20, wCtr: 1 }).plan;
    expect(hard.negatives).toEqual({ strategy: 'HN', randomNegatives: 100, hardFrom: 10, hardTo: 20 });
    expect(hard.wCtr).toBe(1);
    expect(() => planOf('rra', { hardFrom: 30, hardTo: 20 })).toThrow(/hardTo/);
  });

  it('has a plan for every declared method and refuses an unknown one', () => {
    for (const m of RRA_METHODS) expect(planOf(m.id, {}).plan.retrieval).toBe(true);
    expect(() => planOf('rra-nope', {})).toThrow(/not a method/);
  });
});

describe('spec validation reads the plan', () => {
  const spec = (params: Record<string, unknown>) => ({
    name: 'switches',
    protocol: 'rra',
    dataset: { kind: 'simulated', params: { users: 20, items: 300, seed: 1 } },
    methods: [{ id: 'rra-base' }, { id: 'rra-base', label: 'switched', params }],
    seeds: [1],
  });

  it('refuses L_mask/L_kd without the ranking model they distil, naming the row and field', () => {
    expect(() => validateSpec(spec({ rankingModel: true, alignmentLosses: true }))).not.toThrow();
    expect(() => validateSpec(spec({ alignmentLosses: true }))).toThrow(ValidationError);
    expect(() => validateSpec(spec({ alignmentLosses: true }))).toThrow(
      /methods\[1\]\.params\.alignmentLosses: .*switch rankingModel on/,
    );
  });
});
