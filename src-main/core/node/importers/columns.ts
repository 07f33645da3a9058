/**
 * Growable typed columns and raw-id → dense-index maps, the building blocks of an import.
 * Typed arrays keep 10 million rows in a few hundred megabytes instead of gigabytes of objects.
 */

type TypedArray = Int32Array | Float32Array | Float64Array | Uint8Array;
type TypedArrayConstructor<T extends TypedArray> = { new (length: number): T };

export class GrowableColumn<T extends TypedArray> {
  private data: T;
  length = 0;

  constructor(
    private readonly ctor: TypedArrayConstructor<T>,
    initialCapacity = 1 << 16,
  ) {
    this.data = new ctor(initialCapacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new this.ctor(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  get(index: number): number {
    return this.data[index];
  }

  /** The filled part, as a view (no copy: at 10 million rows a copy would double the memory). */
  toArray(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/**
 * Maps raw ids (numbers or strings, as the file has them) to dense indices 0..n-1 in order of
 * first appearance, and remembers the raw ids so results can name the original user or item.
 */
export class IdMap {
  /**
   * Small non-negative integer ids (the public datasets' ids) index a typed array holding
   * dense index + 1: millions of ids then cost 4 bytes each instead of a Map entry's ~50.
   */
  private direct = new Int32Array(1 << 16);
  private readonly index = new Map<number | string, number>();
  readonly rawIds: (number | string)[] = [];

  get size(): number {
    return this.rawIds.length;
  }

  /** The dense index of `raw`, allocating the next one for a new id. */
  intern(raw: number | string): number {
    if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw < DIRECT_LIMIT) {
      if (raw >= this.direct.length) this.growDirect(raw);
      const stored = this.direct[raw];
      if (stored !== 0) return stored - 1;
      const dense = this.rawIds.length;
      this.direct[raw] = dense + 1;
      this.rawIds.push(raw);
      return dense;
    }
    let dense = this.index.get(raw);
    if (dense === undefined) {
      dense = this.rawIds.length;
      this.index.set(raw, dense);
      this.rawIds.push(raw);
    }
    return dense;
  }

  lookup(raw: number | string): number | undefined {
    if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw < DIRECT_LIMIT) {
      const stored = raw < this.direct.length ? this.direct[raw] : 0;
      return stored === 0 ? undefined : stored - 1;
    }
    return this.index.get(raw);
  }

  private growDirect(raw: number): void {
    let length = this.direct.length;
    while (length <= raw) length *= 2;
    const grown = new Int32Array(Math.min(length, DIRECT_LIMIT));
    grown.set(this.direct);
    this.direct = grown;
  }
}

/** Integer ids below this use the typed-array index (at most 256 MB for it). */
const DIRECT_LIMIT = 1 << 26;

/** Encodes raw categorical values as codes 1..n; 0 is kept for "missing". */
export class CategoryEncoder {
  private readonly codes = new Map<number | string, number>();

  /** Number of codes including the missing code 0. */
  get cardinality(): number {
    return this.codes.size + 1;
  }

  encode(raw: number | string | null): number {
    if (raw === null) return 0;
    let code = this.codes.get(raw);
    if (code === undefined) {
      code = this.codes.size + 1;
      this.codes.set(raw, code);
    }
    return code;
  }
}

/** One categorical feature per entity, its value taken where the entity first appears. */
export class EntityFeature {
  readonly encoder = new CategoryEncoder();
  readonly codes = new GrowableColumn(Int32Array);

  constructor(readonly name: string) {}

  /** Records the value of entity `index` if it is new (index === the number recorded so far). */
  recordIfNew(index: number, raw: number | string | null): void {
    if (index === this.codes.length) this.codes.push(this.encoder.encode(raw));
  }

  finish(): { name: string; codes: Int32Array; cardinality: number } {
    return { name: this.name, codes: this.codes.toArray(), cardinality: this.encoder.cardinality };
  }
}
