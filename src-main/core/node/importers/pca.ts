/**
 * PCA for reducing item embeddings (WeChat's 512-d feed embeddings; the DAMCAR authors reduce them
 * to 64). Covariance from at most `maxRows` evenly spaced rows, top components by orthogonal
 * (subspace) iteration, which is plenty for a 512 x 512 covariance.
 */

export interface PcaResult {
  /** [rows * components] */
  projected: Float32Array;
  components: number;
  /** Fraction of the sampled variance the components explain. */
  explainedVariance: number;
}

/**
 * @param values [rows * dim] row-major
 * @param present [rows] 1 where the row has a value; other rows stay zero in the output
 */
export function pcaReduce(
  values: Float32Array,
  present: Uint8Array,
  dim: number,
  components: number,
  maxRows = 20_000,
  iterations = 60,
): PcaResult {
  const rows = present.length;
  const k = Math.min(components, dim);
  const usable: number[] = [];
  for (let r = 0; r < rows; r++) if (present[r]) usable.push(r);
  const stride = Math.max(1, Math.floor(usable.length / maxRows));
  const sample = usable.filter((_, index) => index % stride === 0);

  const mean = new Float64Array(dim);
  for (const r of sample) for (let d = 0; d < dim; d++) mean[d] += values[r * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= Math.max(1, sample.length);

  // Covariance (upper triangle, mirrored).
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (const r of sample) {
    for (let d = 0; d < dim; d++) centred[d] = values[r * dim + d] - mean[d];
    for (let a = 0; a < dim; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      const row = a * dim;
      for (let b = a; b < dim; b++) cov[row + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) cov[b * dim + a] = cov[a * dim + b];

  // Orthogonal iteration: Q <- orth(C Q).
  let q = new Float64Array(dim * k);
  let seed = 12345;
  for (let i = 0; i < q.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    q[i] = seed / 4294967296 - 0.5;
  }
  orthonormalize(q, dim, k);
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(dim * k);
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) {
        const c = cov[a * dim + b];
        if (c === 0) continue;
        for (let j = 0; j < k; j++) next[a * k + j] += c * q[b * k + j];
      }
    }
    orthonormalize(next, dim, k);
    q = next;
  }

  let total = 0;
  for (let d = 0; d < dim; d++) total += cov[d * dim + d];
  let explained = 0;
  for (let j = 0; j < k; j++) {
    // Rayleigh quotient q_j' C q_j
    for (let a = 0; a < dim; a++) {
      let cq = 0;
      for (let b = 0; b < dim; b++) cq += cov[a * dim + b] * q[b * k + j];
      explained += q[a * k + j] * cq;
    }
  }

  const projected = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    if (!present[r]) continue;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (values[r * dim + d] - mean[d]) * q[d * k + j];
      projected[r * k + j] = s;
    }
  }
  return { projected, components: k, explainedVariance: total > 0 ? explained / total : 0 };
}

/** Modified Gram-Schmidt on the k columns of a [dim, k] row-major matrix. */
function orthonormalize(m: Float64Array, dim: number, k: number): void {
  for (let j = 0; j < k; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let a = 0; a < dim; a++) dot += m[a * k + j] * m[a * k + p];
      for (let a = 0; a < dim; a++) m[a * k + j] -= dot * m[a * k + p];
    }
    let norm = 0;
    for (let a = 0; a < dim; a++) norm += m[a * k + j] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let a = 0; a < dim; a++) m[a * k + j] /= norm;
  }
}
