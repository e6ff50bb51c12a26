/**
 * A buffer at least `need` bytes long holding the first `used` bytes of `buf`: its size doubled as
 * often as it takes, so a writer that keeps appending grows it O(log n) times. The journal's batch
 * and the FIX store's write buffer grow this way.
 */
export function grownCopy(buf: Uint8Array, used: number, need: number): Uint8Array<ArrayBuffer> {
  let size = buf.length * 2;
  while (size < need) size *= 2;
  const bigger = new Uint8Array(size);
  bigger.set(buf.subarray(0, used));
  return bigger;
}
