/**
 * The syncer's thread (actors/syncer.ts has the protocol): park until a request, fdatasync the fd
 * it names, publish the seq it covered, repeat. Requests that arrive during a sync are taken
 * together by the next one.
 */
import { fdatasyncSync } from "node:fs";
import { SYNC, type SyncerInit } from "./syncer.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent<SyncerInit>) => {
  const c = new Int32Array(e.data.sab);
  const wake = e.data.wake ? new Int32Array(e.data.wake.sab) : null;
  const wakeAt = e.data.wake?.index ?? 0;
  let synced = e.data.initial;
  let syncs = 0;
  try {
    for (;;) {
      const bell = Atomics.load(c, SYNC.BELL);
      if (Atomics.load(c, SYNC.STOP) !== 0) break;
      const req = Atomics.load(c, SYNC.REQ);
      if (req === synced) {
        // Announce the park, then look again: a request that read PARKED as 0 (and so did not
        // notify) bumped BELL before that read, so it is seen here or makes the wait return.
        Atomics.store(c, SYNC.PARKED, 1);
        if (Atomics.load(c, SYNC.REQ) === synced && Atomics.load(c, SYNC.STOP) === 0) {
          // BELL is read before REQ, so a request made since then changes BELL and this returns at once.
          Atomics.wait(c, SYNC.BELL, bell);
        }
        Atomics.store(c, SYNC.PARKED, 0);
        continue;
      }
      // Read after REQ: the journal stores FD first, so this fd holds the requested seq, or the
      // segment after it, in which case the older segment was synced at its rollover.
      const fd = Atomics.load(c, SYNC.FD);
      const delay = Atomics.load(c, SYNC.DELAY_MS);
      if (delay > 0) Atomics.wait(c, SYNC.STOP, 0, delay);
      const failAfter = Atomics.load(c, SYNC.FAIL_AFTER);
      if (failAfter > 0 && syncs >= failAfter) throw Object.assign(new Error("EIO: injected fdatasync failure (test)"), { errno: -5, code: "EIO" });
      fdatasyncSync(fd);
      syncs++;
      synced = req;
      Atomics.add(c, SYNC.SYNCS, 1);
      Atomics.store(c, SYNC.DONE, req);
      Atomics.notify(c, SYNC.DONE);
      if (wake !== null) Atomics.notify(wake, wakeAt);
    }
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    Atomics.store(c, SYNC.ERROR, typeof errno === "number" && errno !== 0 ? Math.abs(errno) : -1);
    Atomics.notify(c, SYNC.DONE);
    if (wake !== null) Atomics.notify(wake, wakeAt);
  }
  Atomics.store(c, SYNC.STOPPED, 1);
  Atomics.notify(c, SYNC.STOPPED);
};
