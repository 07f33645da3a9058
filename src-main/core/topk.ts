/**
 * Partial selection of the k largest values: a size-k min-heap, O(n log k), no full sort.
 * Ties go to the smaller position so results do not depend on the scan order.
 */

/** Whether position `a` ranks below position `b` (smaller value, or equal value and larger position). */
function ranksBelow(values: ArrayLike<number>, a: number, b: number): boolean {
  const va = values[a];
  const vb = values[b];
  return va < vb || (va === vb && a > b);
}

function siftDown(heap: Int32Array, size: number, start: number, values: ArrayLike<number>): void {
  let i = start;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) return;
    const right = left + 1;
    let lowest = left;
    if (right < size && ranksBelow(values, heap[right], heap[left])) lowest = right;
    if (!ranksBelow(values, heap[lowest], heap[i])) return;
    const tmp = heap[i];
    heap[i] = heap[lowest];
    heap[lowest] = tmp;
    i = lowest;
  }
}

function siftUp(heap: Int32Array, index: number, values: ArrayLike<number>): void {
  let i = index;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!ranksBelow(values, heap[i], heap[parent])) return;
    const tmp = heap[i];
    heap[i] = heap[parent];
    heap[parent] = tmp;
    i = parent;
  }
}

/**
 * Positions of the `k` largest entries of `values` (all of them when fewer), ordered from the
 * largest value down; equal values in ascending position. Values of -Infinity are never selected
 * and NaN is treated as -Infinity, so callers can mask entries out.
 *
 * @param values scores, one per position
 * @param k how many to keep
 * @param scratch optional reusable buffer of length >= k
 */
export function topK(values: ArrayLike<number>, k: number, scratch?: Int32Array): Int32Array {
  const heap = scratch && scratch.length >= k ? scratch : new Int32Array(k);
  let size = 0;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!(v > -Infinity)) continue; // -Infinity and NaN
    if (size < k) {
      heap[size] = i;
      siftUp(heap, size, values);
      size++;
    } else if (k > 0 && ranksBelow(values, heap[0], i)) {
      heap[0] = i;
      siftDown(heap, size, 0, values);
    }
  }
  // Pop the minimum repeatedly into the back: gives descending order in place.
  const out = new Int32Array(size);
  let remaining = size;
  while (remaining > 0) {
    out[remaining - 1] = heap[0];
    remaining--;
    heap[0] = heap[remaining];
    siftDown(heap, remaining, 0, values);
  }
  return out;
}
