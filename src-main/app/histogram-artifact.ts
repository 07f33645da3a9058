/**
 * How a run's histogram is kept in the artifacts table: kind `histogram`, its name in the meta,
 * and `{ edges, counts }` as JSON in the blob. The jobs service encodes what the engine emits;
 * `runs:histograms` decodes it. Both directions live here so the format is written down once.
 */
import type { NewArtifact } from '../store/index';

export const HISTOGRAM_ARTIFACT_KIND = 'histogram';

export interface HistogramData {
  name: string;
  edges: number[];
  counts: number[];
}

export function encodeHistogramArtifact(runId: number, histogram: HistogramData): NewArtifact {
  return {
    runId,
    kind: HISTOGRAM_ARTIFACT_KIND,
    meta: { name: histogram.name },
    blob: Buffer.from(JSON.stringify({ edges: histogram.edges, counts: histogram.counts })),
  };
}

/**
 * The histogram an artifact holds, or null for an artifact of another kind or without a blob.
 * A histogram saved without a name reads as `histogram`.
 */
export function decodeHistogramArtifact(artifact: {
  kind: string;
  meta: Record<string, unknown>;
  blob: Uint8Array | null;
}): HistogramData | null {
  if (artifact.kind !== HISTOGRAM_ARTIFACT_KIND || !artifact.blob) return null;
  const { edges, counts } = JSON.parse(Buffer.from(artifact.blob).toString('utf8')) as {
    edges: number[];
    counts: number[];
  };
  return { name: String(artifact.meta.name ?? 'histogram'), edges, counts };
}
