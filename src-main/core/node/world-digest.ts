/**
 * A digest of the world a job built in its data phase (the value its testbed returned from
 * `ctx.timed('data', …)`): two processes that rebuilt a simulated dataset from the same parameters
 * and seed have the same world exactly when their digests agree. Remote workers (app/queue/) rebuild
 * simulated data instead of receiving it, and this is how the coordinator proves the rebuild is its
 * own world.
 *
 * Hand-written because the worlds are the testbeds' own object graphs (typed arrays, nested plain
 * objects, class instances, Maps): a structural walk that feeds SHA-256 is ~40 lines, where a
 * serialiser (v8.serialize, JSON) would copy every array first and fail on class instances.
 */
import { createHash, type Hash } from 'node:crypto';

/** A tfjs tensor seen by its shape and values (its id and backend handle differ per process). */
interface TensorLike {
  shape: number[];
  dtype: string;
  dataSync(): ArrayLike<number> & ArrayBufferView;
}

function isTensorLike(value: object): value is TensorLike {
  const candidate = value as Partial<TensorLike>;
  return Array.isArray(candidate.shape) && typeof candidate.dataSync === 'function';
}

function feed(hash: Hash, value: unknown, path: Set<object>): void {
  if (value === null || value === undefined) {
    hash.update(value === null ? 'N;' : 'U;');
    return;
  }
  switch (typeof value) {
    case 'number': {
      const bytes = Buffer.alloc(9);
      bytes.write('n', 0);
      bytes.writeDoubleLE(value, 1);
      hash.update(bytes);
      return;
    }
    case 'string':
      hash.update(`s${value.length}:${value};`);
      return;
    case 'boolean':
      hash.update(value ? 'T;' : 'F;');
      return;
    case 'bigint':
      hash.update(`b${value.toString()};`);
      return;
    case 'function':
    case 'symbol':
      return; // behaviour, not data
  }
  const object = value as object;
  if (path.has(object)) {
    hash.update('cycle;');
    return;
  }
  if (ArrayBuffer.isView(object)) {
    hash.update(`${object.constructor.name}${object.byteLength}:`);
    hash.update(new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
    return;
  }
  if (isTensorLike(object)) {
    hash.update(`tensor${object.dtype}[${object.shape.join(',')}]:`);
    const values = object.dataSync();
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return;
  }
  path.add(object);
  if (Array.isArray(object)) {
    hash.update(`a${object.length}[`);
    for (const item of object) feed(hash, item, path);
    hash.update(']');
  } else if (object instanceof Map || object instanceof Set) {
    // Insertion order: the testbeds build their maps deterministically, so it is part of the world.
    hash.update(`${object instanceof Map ? 'm' : 'e'}${object.size}{`);
    for (const entry of object instanceof Map ? object.entries() : object.values()) feed(hash, entry, path);
    hash.update('}');
  } else {
    const keys = Object.keys(object).sort();
    hash.update(`o${keys.length}{`);
    const record = object as Record<string, unknown>;
    for (const key of keys) {
      hash.update(`${key}=`);
      feed(hash, record[key], path);
    }
    hash.update('}');
  }
  path.delete(object);
}

/** SHA-256 (hex) of a value's structure and contents; equal values give equal digests. */
export function worldDigest(value: unknown): string {
  const hash = createHash('sha256');
  feed(hash, value, new Set());
  return hash.digest('hex');
}
