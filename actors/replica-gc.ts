/**
 * When the snapshotter replica collects its garbage. Measured (bench:memory --door ws, and a
 * replay of a 400k-order journal sampled every 10k commands): the replica's thread never returns to
 * its event loop — it replays or it parks in Atomics.wait — and JSC collects only when allocation
 * crosses a threshold set by the heap size at the last collection. Each snapshot (the window's
 * columns, the JSON text, its bytes: ~0.3 KB per remembered id) pushed that threshold up, and
 * between snapshots the replay allocates little, so the garbage of the last snapshot and of every
 * command since (an order object, its BigInts, its decoded client order id: ~0.5 KB a command) sat
 * in RSS until the next snapshot: 342 MB at 400k remembered ids against 110 MB once collected.
 *
 * So the replica collects by itself: a full collection after each snapshot or hash line (~20–60 ms
 * at 400k ids beside a serialization of several hundred ms; it also frees the window's arrays
 * left behind when it grows), and an eden (young-generation) collection every EDEN_EVERY commands
 * (under a millisecond each), which keeps the per-command garbage to a few MB.
 */
import { heapStats } from "bun:jsc";
import { SNAP } from "./snapshotter.ts";

/** Commands replayed between eden collections. */
export const EDEN_EVERY = 10_000;

/** Per command: an eden collection at every multiple of EDEN_EVERY. */
export function collectYoung(seq: number): void {
  if (seq % EDEN_EVERY === 0) Bun.gc(false);
}

/**
 * After a snapshot or hash line: a full collection, with the heap before and after it published in
 * the shared buffer (KB), so tests and benches can see what the replica holds.
 */
export function collectAfterSnapshot(cells: Int32Array): void {
  const before = heapStats().heapSize;
  Bun.gc(true);
  const after = heapStats().heapSize;
  Atomics.store(cells, SNAP.HEAP_BEFORE_KB, Math.min(0x7fffffff, Math.round(before / 1024)));
  Atomics.store(cells, SNAP.HEAP_AFTER_KB, Math.min(0x7fffffff, Math.round(after / 1024)));
  Atomics.add(cells, SNAP.COLLECTIONS, 1);
}
