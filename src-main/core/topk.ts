/**
 * Partial selection of the k largest values: a size-k min-heap, O(n log k), no full sort.
 * Ties go to the smaller position so results do not depend on the scan order.
 *
 * The heap keeps each entry's value next to its position (`keys`), so sifting compares
 * contiguous doubles instead of reading the scanned array through the positions.
 */

/** A min-heap of (value, position) by rank: the root is the entry that ranks lowest. */
class RankHeap {
  readonly positions: Int32Array;
  readonly keys: Float64Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.positions = new Int32Array(capacity);
    this.keys = new Float64Array(capacity);
  }

  /** Adds an entry (size must be below capacity). */
  push(value: number, position: number): void {
    const positions = this.positions;
    const keys = this.keys;
    let i = this.size++;
    // Entry (value, position) ranks below the parent: smaller value, or equal and larger position.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pv = keys[parent];
      if (!(value < pv || (value === pv && position > positions[parent]))) break;
      keys[i] = pv;
      positions[i] = positions[parent];
      i = parent;
    }
    keys[i] = value;
    positions[i] = position;
  }

  /** Replaces the root (lowest rank) with an entry and restores the heap. */
  replaceRoot(value: number, position: number): void {
    this.siftDownFrom(0, value, position, this.size);
  }

  /** Places (value, position) starting at hole `i` of a heap of `size` entries. */
  private siftDownFrom(start: number, value: number, position: number, size: number): void {
    const positions = this.positions;
    const keys = this.keys;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      let child = left;
      let cv = keys[left];
      const right = left + 1;
      if (right < size) {
        const rv = keys[right];
        if (rv < cv || (rv === cv && positions[right] > positions[left])) {
          child = right;
          cv = rv;
        }
      }
      // Stop when the child does not rank below the entry.
      if (!(cv < value || (cv === value && positions[child] > position))) break;
      keys[i] = cv;
      positions[i] = positions[child];
      i = child;
    }
    keys[i] = value;
    positions[i] = position;
  }

  /** Empties the heap into positions ordered from the highest rank down. */
  drainDescending(): Int32Array {
    const out = new Int32Array(this.size);
    while (this.size > 0) {
      const last = --this.size;
      out[last] = this.positions[0];
      if (last > 0) this.siftDownFrom(0, this.keys[last], this.positions[last], last);
    }
    return out;
  }
}

/** Reused storage of topK's heap (grown on demand; topK is synchronous). */
let sharedHeap = new RankHeap(256);

/**
 * Positions of the `k` largest entries of `values` (all of them when fewer), ordered from the
 * largest value down; equal values in ascending position. Values of -Infinity are never selected
 * and NaN is treated as -Infinity, so callers can mask entries out.
 *
 * @param values scores, one per position
 * @param k how many to keep
 * @param _scratch no longer used (the heap's storage is reused between calls); kept so existing
 *   callers compile
 */
export function topK(values: ArrayLike<number>, k: number, _scratch?: Int32Array): Int32Array {
  if (sharedHeap.capacity < k) sharedHeap = new RankHeap(k);
  const heap = sharedHeap;
  heap.size = 0;
  const n = values.length;
  let i = 0;
  // Fill phase: the first k selectable positions.
  for (; i < n && heap.size < k; i++) {
    const v = values[i];
    if (v > -Infinity) heap.push(v, i); // skips -Infinity and NaN
  }
  // Scan phase. Positions arrive in ascending order, so a value equal to the heap's minimum
  // ranks below it (larger position) and a plain `>` against that minimum decides entry; the
  // minimum is kept in a local so the common case (no entry) is one load and one compare.
  if (heap.size === k && k > 0) {
    let minimum = heap.keys[0];
    for (; i < n; i++) {
      const v = values[i];
      if (v > minimum) {
        heap.replaceRoot(v, i);
        minimum = heap.keys[0];
      }
    }
  }
  return heap.drainDescending();
}

/**
 * Streaming form of topK for callers that produce values one position at a time and can skip
 * work for positions that cannot enter (the simulator's retrieval race). Offer positions in
 * ascending order; `result()` then equals topK over the offered (position, value) pairs with
 * every other position at -Infinity.
 */
export class TopKStream {
  private readonly heap: RankHeap;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 0) throw new Error(`TopKStream: k must be an integer >= 0, got ${k}`);
    this.heap = new RankHeap(k);
  }

  /** Forgets every offered position. */
  reset(): void {
    this.heap.size = 0;
  }

  /**
   * The value a new position must exceed to enter: the k-th largest so far, or -Infinity while
   * fewer than k are held (then every value above -Infinity enters; with k = 0, Infinity). An
   * offered value equal to it does not enter, since its position is larger.
   */
  threshold(): number {
    if (this.k === 0) return Infinity;
    return this.heap.size < this.k ? -Infinity : this.heap.keys[0];
  }

  /** Considers `position` with `value` (position larger than every one offered before). */
  offer(position: number, value: number): void {
    if (!(value > -Infinity)) return;
    if (this.heap.size < this.k) this.heap.push(value, position);
    else if (this.k > 0 && value > this.heap.keys[0]) this.heap.replaceRoot(value, position);
  }

  /** The held positions, largest value first (equal values in ascending position); then empty. */
  result(): Int32Array {
    return this.heap.drainDescending();
  }
}
