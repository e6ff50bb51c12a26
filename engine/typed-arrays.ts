/** The typed arrays the engine keeps its columns in. */
type Column = Float64Array | Int32Array | Uint8Array;

/**
 * A copy of `a`, `length` long (at least a.length), in an array of its own type; the rest is zero.
 * How the book's levels, the expiry heap and the idempotency window grow their columns: rarely
 * (capacity doubles or grows by a quarter), so the constructor looked up here costs nothing per order.
 */
export function grown<T extends Column>(a: T, length: number): T {
  const b = new (a.constructor as new (length: number) => T)(length);
  b.set(a);
  return b;
}
