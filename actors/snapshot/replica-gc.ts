/**
 * When the snapshotter replica collects its garbage. Measured (bench:memory --door ws, and a
 * replay of a 400k-order journal sampled every 10k commands): the replica's thread never returns to
 * its event loop — it replays or it parks in Atomics.wait — and JSC collects only when allocation
 * crosses a threshold set by the heap size at the last collection. Each snapshot pushed that
 * threshold up, and between snapshots the replay allocates little, so the garbage of the last
 * snapshot and of every command since (an order object, its BigInts, its decoded client order id)
 * sat in RSS until the next snapshot: 342 MB at 400k remembered ids against 110 MB once collected.
 *
 * So the replica collects by itself:
 *   - a full collection after each snapshot or hash line (~10–60 ms at 400k ids, beside a
 *     serialization of ~200 ms);
 *   - every EDEN_EVERY commands, an eden (young-generation) collection, under a millisecond,
 *     which keeps the per-command garbage to a few MB — or a full one if the idempotency window's
 *     arrays were replaced since the last look (it grows by a quarter, its id arena compacts):
 *     the old arrays, tens of MB at a few hundred thousand ids, are garbage only a full
 *     collection frees. About twenty of those in 400k commands (~250 ms in all, a few % of the
 *     replay); without them RSS carried the old arrays until the next snapshot (peak 177 MB vs 143).
 */
import { heapStats } from "bun:jsc";
import { SNAP } from "./snapshotter.ts";

/** Commands replayed between eden collections. */
export const EDEN_EVERY = 10_000;

export const COLLECT = { NONE: 0, EDEN: 1, FULL: 2 } as const;

/** Which collection the replica runs after a command that wrote no snapshot or hash line. */
export class ReplicaCollector {
  private footprint = -1;

  /** After command `seq`, with the window's footprint (bytes of its arrays) at that point. */
  decide(seq: number, windowFootprint: number): number {
    if (seq % EDEN_EVERY !== 0) return COLLECT.NONE;
    const grew = this.footprint >= 0 && windowFootprint !== this.footprint;
    this.footprint = windowFootprint;
    return grew ? COLLECT.FULL : COLLECT.EDEN;
  }

  /** Runs what decide() says (the footprint read only at a multiple); a full collection is counted in the shared buffer. */
  afterCommand(cells: Int32Array, seq: number, window: { readonly footprint: number }): void {
    if (seq % EDEN_EVERY !== 0) return;
    const kind = this.decide(seq, window.footprint);
    if (kind === COLLECT.EDEN) Bun.gc(false);
    else if (kind === COLLECT.FULL) {
      Bun.gc(true);
      Atomics.add(cells, SNAP.COLLECTIONS, 1);
    }
  }

  /**
   * After a snapshot or hash line: a full collection, with the heap before and after it published
   * in the shared buffer (KB), so tests and benches can see what the replica holds.
   */
  afterSnapshot(cells: Int32Array, windowFootprint: number): void {
    const before = heapStats().heapSize;
    Bun.gc(true);
    const after = heapStats().heapSize;
    this.footprint = windowFootprint;
    Atomics.store(cells, SNAP.HEAP_BEFORE_KB, Math.min(0x7fffffff, Math.round(before / 1024)));
    Atomics.store(cells, SNAP.HEAP_AFTER_KB, Math.min(0x7fffffff, Math.round(after / 1024)));
    Atomics.add(cells, SNAP.COLLECTIONS, 1);
  }
}
