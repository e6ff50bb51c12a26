/**
 * The snapshotter's thread (actors/snapshot/snapshotter.ts has the protocol): load the newest snapshot,
 * then park until the Runtime publishes a durable seq, replay through it, and write every snapshot
 * and hash line that falls due on the way — at exact multiples of snapshotEvery and hashEvery.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { writeExchangeSnapshot } from "../../engine/exchange-snapshot.ts";
import { JournalFollower } from "../journal/journal-follower.ts";
import { hashOf, paths } from "../recovery.ts";
import { ReplicaCollector } from "./replica-gc.ts";
import { ENGINE_CELL, EngineMetrics } from "../engine-metrics.ts";
import { pruneSnapshots, removeTemporaries, saveSnapshot } from "./snapshot-store.ts";
import { REPLICA_TMP_TAG, SNAP, STATE, type SnapshotterInit, storeFailure } from "./snapshotter.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent<SnapshotterInit>) => {
  const o = e.data;
  const c = new Int32Array(o.sab);
  const p = paths(o.dataDir);
  const metrics = o.metrics ? new EngineMetrics(o.metrics) : null;
  let follower: JournalFollower | null = null;
  try {
    removeTemporaries(p.snapshots, REPLICA_TMP_TAG);
    follower = JournalFollower.open({ dataDir: o.dataDir, config: o.config });
    const f = follower;
    // What is already on disk is not taken again: snapshots after the one loaded (any later
    // multiple has none, or it would have been loaded), hash lines after the last one logged.
    const snapshotsAfter = f.startSeq;
    const hashesAfter = lastHashSeq(p.hashes);
    const stopping = () => Atomics.load(c, SNAP.STOP) !== 0;
    const gc = new ReplicaCollector();
    // One serialization serves both: the snapshot's bytes are what the hash is over. False when
    // closing: the snapshot is abandoned rather than hold up the close (it only costs a longer replay).
    const write = (seq: number, time: number, snapshot: boolean, hash: boolean): boolean => {
      const began = performance.now();
      const bytes = writeExchangeSnapshot(f.exchange);
      if (stopping()) return false;
      if (snapshot) {
        saveSnapshot(p.snapshots, seq, time, bytes, REPLICA_TMP_TAG);
        pruneSnapshots(p.snapshots, o.keepSnapshots);
        Atomics.add(c, SNAP.SNAPSHOTS, 1);
        if (metrics !== null) {
          // Serialize and write, what the replica spends on one snapshot.
          metrics.snapshot.observe((performance.now() - began) / 1000);
          metrics.cells[ENGINE_CELL.SNAPSHOT_SEQ] = seq;
          metrics.cells[ENGINE_CELL.SNAPSHOT_LAST_MS] = Date.now();
        }
      }
      if (hash) appendFileSync(p.hashes, `${seq} ${time} ${hashOf(bytes)}\n`);
      return true;
    };
    const take = (seq: number, time: number): boolean => {
      const snapshot = o.snapshotEvery > 0 && seq % o.snapshotEvery === 0 && seq > snapshotsAfter;
      const hash = o.hashEvery > 0 && seq % o.hashEvery === 0 && seq > hashesAfter;
      if (snapshot || hash) {
        if (!write(seq, time, snapshot, hash)) return false;
        // After write() has returned, so that its bytes are no longer on the stack (actors/snapshot/replica-gc.ts).
        gc.afterSnapshot(c, f.exchange.idempotency.footprint);
      } else gc.afterCommand(c, seq, f.exchange.idempotency);
      return !stopping();
    };
    Atomics.store(c, SNAP.DONE, f.seq | 0);
    Atomics.store(c, SNAP.STATE, STATE.FOLLOWING);
    Atomics.notify(c, SNAP.DONE);
    for (;;) {
      // BELL before the rest: a publish or a stop after this read changes BELL, so the wait below returns at once.
      const bell = Atomics.load(c, SNAP.BELL);
      if (stopping()) break;
      const durable = f.seq + ((Atomics.load(c, SNAP.DURABLE) - (f.seq | 0)) | 0);
      if (durable <= f.seq || Atomics.load(c, SNAP.HOLD) !== 0) {
        // Announce the park, then look again: a publish that read PARKED as 0 (and did not
        // notify) bumped BELL before that read, so the wait returns at once.
        Atomics.store(c, SNAP.PARKED, 1);
        Atomics.wait(c, SNAP.BELL, bell);
        Atomics.store(c, SNAP.PARKED, 0);
        continue;
      }
      f.advance(durable, take);
      Atomics.store(c, SNAP.DONE, f.seq | 0);
      Atomics.notify(c, SNAP.DONE);
    }
    Atomics.store(c, SNAP.STATE, STATE.STOPPED);
    Atomics.notify(c, SNAP.DONE);
  } catch (err) {
    storeFailure(c, (err as Error).message ?? String(err));
  } finally {
    follower?.close();
  }
  process.exit(0);
};

/** The seq of the last line of hashes.log (0 when there is none). */
function lastHashSeq(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return 0;
  }
  const lines = text.trimEnd().split("\n");
  const seq = Number(lines[lines.length - 1]!.split(" ")[0]);
  return Number.isSafeInteger(seq) ? seq : 0;
}
