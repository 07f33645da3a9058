import { describe, expect, it } from 'vitest';
import { decodeHistogramArtifact, encodeHistogramArtifact } from './histogram-artifact';

describe('histogram artifacts', () => {
  it('decodes what it encodes', () => {
    const histogram = { name: 'target', edges: [0, 0.5, 1], counts: [3, 4] };
    const artifact = encodeHistogramArtifact(7, histogram);
    expect(artifact).toMatchObject({ runId: 7, kind: 'histogram', meta: { name: 'target' } });
    expect(
      decodeHistogramArtifact({
        kind: artifact.kind,
        meta: artifact.meta ?? {},
        blob: artifact.blob ?? null,
      }),
    ).toEqual(histogram);
  });

  it('names a histogram saved without a name "histogram"', () => {
    const blob = Buffer.from(JSON.stringify({ edges: [0, 1], counts: [2] }));
    expect(decodeHistogramArtifact({ kind: 'histogram', meta: {}, blob })).toEqual({
      name: 'histogram',
      edges: [0, 1],
      counts: [2],
    });
  });

  it('skips artifacts of other kinds and histograms without a blob', () => {
    const blob = Buffer.from('{}');
    expect(decodeHistogramArtifact({ kind: 'embedding', meta: {}, blob })).toBeNull();
    expect(decodeHistogramArtifact({ kind: 'histogram', meta: { name: 'x' }, blob: null })).toBeNull();
  });
});
