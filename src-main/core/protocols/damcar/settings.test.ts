import { describe, expect, it } from 'vitest';
import { AUTHORS_DSSM, PAPER_DSSM } from '../../models/dssm';
import { DAMCAR_PROTOCOL } from './index';
import {
  PAPER_RETRIEVAL_PARAMS,
  RANKING_NETWORK_PARAM,
  RETRIEVAL_PARAMS,
  damcarReadingCaption,
  rankingNetworkReading,
  retrievalArchitecture,
  retrievalCaption,
} from './settings';

describe("DAMCAR testbed's retrieval settings", () => {
  it("declares one setting per DssmArchitecture field; the defaults are the authors' code", () => {
    expect(DAMCAR_PROTOCOL.params).toEqual([...RETRIEVAL_PARAMS, RANKING_NETWORK_PARAM]);
    expect(rankingNetworkReading({})).toBe('authors');
    expect(rankingNetworkReading({ rankingNetwork: 'ours' })).toBe('ours');
    expect(retrievalArchitecture({})).toEqual(AUTHORS_DSSM);
    expect(RETRIEVAL_PARAMS.map((p) => p.key).every((key) => key.startsWith('retrieval'))).toBe(true);
    expect(new Set(RETRIEVAL_PARAMS.map((p) => p.key)).size).toBe(Object.keys(AUTHORS_DSSM).length);
    expect(DAMCAR_PROTOCOL.training.embeddingDim).toBe(32);
    for (const p of RETRIEVAL_PARAMS) expect(p.help.length, p.key).toBeGreaterThan(20);
  });

  it("reads the paper's reading back from its settings, and single overrides", () => {
    expect(retrievalArchitecture(PAPER_RETRIEVAL_PARAMS)).toEqual(PAPER_DSSM);
    const arch = retrievalArchitecture({
      retrievalScore: 'dot',
      retrievalTowers: '300-200-100',
      retrievalGamma: 5,
    });
    expect(arch).toEqual({ ...AUTHORS_DSSM, score: 'dot', towerUnits: [300, 200, 100], gamma: 5 });
    expect(() => retrievalArchitecture({ retrievalTowers: '1-2' })).toThrow(/retrievalTowers/);
  });

  it('captions name the retrieval model and each distinct DAMCAR reading', () => {
    const training = { epochs: 3, batchSize: 512, learningRate: 0.01, embeddingDim: 32 };
    expect(retrievalCaption({ methods: [{ id: 'bc' }], training })).toMatch(
      /^retrieval: the authors' code's DSSM \(32-d embeddings, towers 300-300-128 with batch norm \(running statistics after epoch 1\), ReLU output/,
    );
    expect(
      retrievalCaption({
        methods: [{ id: 'bc', protocolParams: { retrievalScore: 'dot' } }],
        training,
        protocolParams: { retrievalGamma: 2 },
      }),
    ).toMatch(/^retrieval: DSSM \(32-d embeddings, .*score 2 \* cosine \+ bias.*, some rows override it$/);
    const reading = { adversary: 'bounded', targetLabelPath: 'through-g', comparison: 'gte' };
    expect(damcarReadingCaption([{ id: 'bc', params: {} }])).toBeNull();
    expect(
      damcarReadingCaption([
        { id: 'damcar', params: reading },
        { id: 'damcar', params: reading },
        { id: 'damcar', params: { ...reading, adversary: 'unbounded' } },
      ]),
    ).toBe(
      "DAMCAR reading: bounded adversary (ours, stabilised; not in the paper), target pseudo-labels Phi(g(z^t)) (authors' code), Eq. 3 '>=' (paper)" +
        " / plain gradient reversal (Eq. 11 literally), target pseudo-labels Phi(g(z^t)) (authors' code), Eq. 3 '>=' (paper)",
    );
  });
});
