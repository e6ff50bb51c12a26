/**
 * The syncer's thread (actors/journal/syncer.ts has the protocol): write what the journal published into
 * the ring to the segment file, fdatasync it when a request is new, publish the seq it covered,
 * park when there is nothing to do. Requests that arrive during a sync are taken together by the
 * next one.
 */
import { JournalFailedError } from "./journal-errors.ts";
import { fdatasyncSync, writeSync } from "node:fs";
import { SYNC, type SyncerInit } from "./syncer.ts";
import { EngineMetrics } from "../engine-metrics.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent<SyncerInit>) => {
  const c = new Int32Array(e.data.sab);
  const ring = new Uint8Array(e.data.ring);
  const size = ring.length;
  const wake = e.data.wake ? new Int32Array(e.data.wake.sab) : null;
  const wakeAt = e.data.wake?.index ?? 0;
  let synced = e.data.initial;
  let syncs = 0;
  // GEN as Syncer.start left it, not as it is now: the journal may have started a segment already.
  let gen = 0;
  let fd = e.data.fd;
  let written = e.data.offset;
  const metrics = e.data.metrics ? new EngineMetrics(e.data.metrics) : null;

  /** Writes the ring's bytes for segment offsets [written, pub) at those offsets of the file. */
  const writeUpTo = (pub: number): void => {
    while (written < pub) {
      const at = written % size;
      const n = Math.min(pub - written, size - at);
      written += writeSync(fd, ring, at, n, written);
    }
    Atomics.store(c, SYNC.WRITTEN, written);
    // The journal may be waiting for room in the ring.
    Atomics.notify(c, SYNC.WRITTEN);
  };

  Atomics.store(c, SYNC.STARTED, 1);
  try {
    for (;;) {
      const bell = Atomics.load(c, SYNC.BELL);
      if (Atomics.load(c, SYNC.STOP) !== 0) break;
      // REQ, then GEN, then PUB: the journal stores them in the other order, so the bytes a
      // request covers are published by the time it is seen, in the segment it belongs to.
      const req = Atomics.load(c, SYNC.REQ);
      const g = Atomics.load(c, SYNC.GEN);
      if (g !== gen) {
        // A new segment: the journal started it only once everything before was durable.
        gen = g;
        fd = Atomics.load(c, SYNC.FD);
        written = 0;
      }
      const pub = Atomics.load(c, SYNC.PUB);
      // A segment started between the two reads: this PUB may be the new file's; look again.
      if (Atomics.load(c, SYNC.GEN) !== gen) continue;
      if (req === synced && pub === written) {
        // Nothing new. Announce the park: a request that read PARKED as 0 (and did not notify)
        // bumped BELL before that read, so the wait returns at once.
        Atomics.store(c, SYNC.PARKED, 1);
        Atomics.wait(c, SYNC.BELL, bell);
        Atomics.store(c, SYNC.PARKED, 0);
        continue;
      }
      // Tests only: a slow disk, before the write and the sync.
      const delay = Atomics.load(c, SYNC.DELAY_MS);
      if (delay > 0) Atomics.wait(c, SYNC.STOP, 0, delay);
      if (pub > written) writeUpTo(pub);
      if (req !== synced) {
        const failAfter = Atomics.load(c, SYNC.FAIL_AFTER);
        if (failAfter > 0 && syncs >= failAfter) throw Object.assign(new JournalFailedError("EIO: injected fdatasync failure (test)"), { errno: -5, code: "EIO" });
        const began = metrics === null ? 0 : performance.now();
        fdatasyncSync(fd);
        if (metrics !== null) {
          metrics.fsync.observe((performance.now() - began) / 1000);
          // Seqs travel as their low 32 bits: the distance is the commands this sync covered.
          metrics.batch.observe((req - synced) | 0);
        }
        syncs++;
        synced = req;
        Atomics.add(c, SYNC.SYNCS, 1);
        Atomics.store(c, SYNC.DONE, req);
        Atomics.notify(c, SYNC.DONE);
        if (wake !== null) Atomics.notify(wake, wakeAt);
      }
    }
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    Atomics.store(c, SYNC.ERROR, typeof errno === "number" && errno !== 0 ? Math.abs(errno) : -1);
    Atomics.notify(c, SYNC.DONE);
    Atomics.notify(c, SYNC.WRITTEN);
    if (wake !== null) Atomics.notify(wake, wakeAt);
  }
  Atomics.store(c, SYNC.STOPPED, 1);
  Atomics.notify(c, SYNC.STOPPED);
};
