/**
 * The snapshotter: a Bun worker holding a replica of the engine state (a JournalFollower) that
 * takes the periodic snapshots and the hashes.log lines, so the engine thread never serializes the
 * whole state for them (at a few hundred thousand orders that is a stall of hundreds of ms, during
 * which nothing is acknowledged). The LMAX way: a replica takes the snapshots.
 *
 * It shares one small SharedArrayBuffer with the Runtime:
 *
 *   the Runtime, in poll(), after delivering:  DURABLE = journal's durable seq; BELL++;
 *                                               notify, only if PARKED
 *   the snapshotter, in a loop:                 nothing new: PARKED = 1, look again, wait on BELL;
 *                                               replay through DURABLE, writing every snapshot and
 *                                               hash due on the way; DONE = seq; notify
 *
 * The parked flag is the syncer's (actors/journal/syncer.ts): a notify is a futex system call on the engine
 * thread, and a replica busy replaying finds the new DURABLE by itself. A parked replica is woken
 * only when it has work worth a wake-up: WAKE_LAG commands to replay, or a snapshot or hash line
 * fallen due. Woken after every batch it cost the engine thread a futex call per batch and, on two
 * cores, a third runnable thread beside the engine and the syncer at every group commit: the
 * runtime's p99 from submit to delivery went from ~0.5 to ~1.3 ms with the replica on. Left
 * parked, it is at most WAKE_LAG commands behind (a longer replay at the next start, nothing
 * else); anyone who waits for it (reach, stop) rings it.
 *
 * The replica only ever reads records the journal has made durable (actors/journal/journal-tail.ts), so a
 * snapshot or hash line is never on disk ahead of the journal. Snapshots fall at exact multiples of
 * `snapshotEvery` and hashes at exact multiples of `hashEvery` — seqs, not batch ends, so where
 * they fall depends on the journal alone (docs/journal.md, "Snapshots").
 *
 * Seqs cross the buffer as their low 32 bits, as with the syncer: each side knows a full seq near
 * the other's (the replica its own position, the Runtime its last seq) and reads the word as a
 * signed distance from it, so nothing is allocated per batch.
 *
 * Failure isolation: whatever the replica throws ends it with STATE = FAILED and the message in
 * the buffer; the Runtime logs it once and goes on. Snapshots stop, which costs a longer replay at
 * the next start, never data: the journal has every command.
 */
import type { Logger } from "../../log/logger.ts";
import type { ExchangeConfig } from "../../engine/exchange.ts";

/** Int32 word indexes into the shared buffer; each side's words on their own 64-byte line. */
export const SNAP = {
  /** Low 32 bits of the journal's durable seq, as the Runtime last published it. */
  DURABLE: 0,
  /** Bumped after every publish, at stop and at release: what the replica parks on. */
  BELL: 1,
  STOP: 2,
  /** Tests only: while non-zero the replica does not replay past the snapshot it loaded. */
  HOLD: 3,
  /** 1 while the replica is (about to be) parked on BELL: a publish must notify it. */
  PARKED: 4,
  /** Low 32 bits of the seq the replica has replayed through, every snapshot and hash due up to it written. */
  DONE: 16,
  /** STARTING, FOLLOWING, STOPPED or FAILED. */
  STATE: 17,
  /** Snapshots written, for tests and benches. */
  SNAPSHOTS: 18,
  /** Bytes of the failure message at MESSAGE_AT. */
  MESSAGE_LENGTH: 19,
  /** The replica's heap (KB) before and after its full collection after the last snapshot or hash (actors/snapshot/replica-gc.ts). */
  HEAP_BEFORE_KB: 20,
  HEAP_AFTER_KB: 21,
  /** The replica's full collections (after a snapshot or hash, after its window grew), for tests and benches. */
  COLLECTIONS: 22,
} as const;

export const STATE = { STARTING: 0, FOLLOWING: 1, STOPPED: 2, FAILED: 3 } as const;

const WORDS = 32;
const MESSAGE_AT = WORDS * 4;
const MESSAGE_BYTES = 1024;

/** The replica's own temporary snapshot files (saveSnapshot's tmpTag). */
export const REPLICA_TMP_TAG = ".replica";

/** A parked replica is woken once it is this many commands behind (or a snapshot or hash is due). */
export const WAKE_LAG = 4096;

/** What the worker is told at start. */
export interface SnapshotterInit {
  sab: SharedArrayBuffer;
  dataDir: string;
  config: ExchangeConfig;
  snapshotEvery: number;
  hashEvery: number;
  keepSnapshots: number;
  /** The engine's metrics buffer (actors/engine-metrics.ts): each snapshot's duration and time. */
  metrics?: SharedArrayBuffer;
}

export interface SnapshotterOptions extends Omit<SnapshotterInit, "sab"> {
  /** The journal's durable seq when the Runtime starts (what recovery reached). */
  durableSeq: number;
  log?: Logger;
  /** Tests only: start held (see SNAP.HOLD) until release(). */
  hold?: boolean;
}

/** Writes a failure message into the buffer (the replica's side). */
export function storeFailure(cells: Int32Array, message: string): void {
  const { written } = new TextEncoder().encodeInto(message, new Uint8Array(cells.buffer, MESSAGE_AT, MESSAGE_BYTES));
  Atomics.store(cells, SNAP.MESSAGE_LENGTH, written);
  Atomics.store(cells, SNAP.STATE, STATE.FAILED);
  Atomics.notify(cells, SNAP.DONE);
}

/**
 * The replica's progress as any thread sees it through the shared buffer: the Runtime that owns
 * the worker, and the main thread when the Runtime runs in the engine worker (workers: 1).
 */
export class ReplicaProgress {
  readonly cells: Int32Array;

  constructor(sab: SharedArrayBuffer) {
    this.cells = new Int32Array(sab);
  }

  get state(): number {
    return Atomics.load(this.cells, SNAP.STATE);
  }

  /** The seq the replica is done with, read as a distance back from `near` (a full seq at or after it). */
  done(near: number): number {
    return near - (((near | 0) - Atomics.load(this.cells, SNAP.DONE)) | 0);
  }

  get snapshots(): number {
    return Atomics.load(this.cells, SNAP.SNAPSHOTS);
  }

  /** The replica's heap in bytes before and after its last post-snapshot collection, and how many full collections it ran. */
  get heap(): { before: number; after: number; collections: number } {
    const c = this.cells;
    return { before: Atomics.load(c, SNAP.HEAP_BEFORE_KB) * 1024, after: Atomics.load(c, SNAP.HEAP_AFTER_KB) * 1024, collections: Atomics.load(c, SNAP.COLLECTIONS) };
  }

  /** Why the replica failed ("" if it has not). */
  get failure(): string {
    if (this.state !== STATE.FAILED) return "";
    const n = Atomics.load(this.cells, SNAP.MESSAGE_LENGTH);
    return new TextDecoder().decode(new Uint8Array(this.cells.buffer, MESSAGE_AT, n).slice());
  }

  /**
   * Resolves once the replica is done with `target()` (every snapshot and hash due up to it on
   * disk), or has stopped or failed, or `target()` is null (the caller gave up), whichever comes
   * first; a target of Infinity waits for the stop. `poll` runs before every look: it is how a
   * Runtime whose event loop nobody turns still publishes its durable seq meanwhile.
   */
  async reach(target: () => number | null, poll: () => void = () => {}): Promise<void> {
    for (;;) {
      poll();
      // A publish leaves a replica with little to do parked; one we wait for must look.
      Atomics.add(this.cells, SNAP.BELL, 1);
      Atomics.notify(this.cells, SNAP.BELL);
      const observed = Atomics.load(this.cells, SNAP.DONE);
      const state = this.state;
      if (state === STATE.STOPPED || state === STATE.FAILED) return;
      const t = target();
      if (t === null || (state === STATE.FOLLOWING && t !== Infinity && this.done(t) >= t)) return;
      // The replica notifies DONE on progress and on every change of state; the timeout only
      // bounds how long a durable seq that nobody published (no poll yet) goes unnoticed.
      await Atomics.waitAsync(this.cells, SNAP.DONE, observed, 50).value;
    }
  }
}

/** Is a parked replica done through `done` worth waking to replay through `durable`? */
export function worthWaking(done: number, durable: number, snapshotEvery: number, hashEvery: number): boolean {
  return durable - done >= WAKE_LAG || dueBetween(done, durable, snapshotEvery) || dueBetween(done, durable, hashEvery);
}

/** Does a multiple of `every` (> 0) fall in (done, durable]? */
function dueBetween(done: number, durable: number, every: number): boolean {
  return every > 0 && Math.floor(durable / every) > Math.floor(done / every);
}

/** The Runtime's handle on its snapshotter worker. */
export class Snapshotter {
  readonly progress: ReplicaProgress;
  private readonly cells: Int32Array;
  private readonly worker: Worker;
  private readonly log?: Logger;
  private published: number;
  private readonly snapshotEvery: number;
  private readonly hashEvery: number;
  private reported = false;
  private stopped = false;
  private waiters = 0;

  private constructor(sab: SharedArrayBuffer, worker: Worker, o: SnapshotterOptions) {
    const durableSeq = o.durableSeq;
    const log = o.log;
    this.snapshotEvery = o.snapshotEvery;
    this.hashEvery = o.hashEvery;
    this.progress = new ReplicaProgress(sab);
    this.cells = this.progress.cells;
    this.worker = worker;
    this.published = durableSeq;
    this.log = log;
  }

  static start(o: SnapshotterOptions): Snapshotter {
    const sab = new SharedArrayBuffer(MESSAGE_AT + MESSAGE_BYTES);
    const cells = new Int32Array(sab);
    cells[SNAP.DURABLE] = o.durableSeq | 0;
    cells[SNAP.HOLD] = o.hold ? 1 : 0;
    const worker = new Worker(new URL("./snapshotter-worker.ts", import.meta.url));
    // A replica must never keep a process alive: a lost snapshot costs a longer replay, not data.
    worker.unref();
    const s = new Snapshotter(sab, worker, o);
    // Only a worker that cannot run, or dies without a word, lands here; its own failures come
    // through the buffer. (In the engine worker, whose loop never yields, these may never run.)
    worker.addEventListener("error", (e) => {
      if (s.progress.state < STATE.STOPPED) storeFailure(cells, `the snapshotter worker failed: ${e.message}`);
      s.check();
    });
    worker.addEventListener("close", () => {
      if (s.progress.state < STATE.STOPPED) storeFailure(cells, "the snapshotter worker exited");
      s.check();
    });
    const init: SnapshotterInit = { sab, dataDir: o.dataDir, config: o.config, snapshotEvery: o.snapshotEvery, hashEvery: o.hashEvery, keepSnapshots: o.keepSnapshots, metrics: o.metrics };
    worker.postMessage(init);
    return s;
  }

  /**
   * Tells the replica the journal is durable through `durableSeq`; wakes it only if it is parked
   * with work worth a wake-up (see WAKE_LAG). Cheap when nothing changed.
   */
  publish(durableSeq: number): void {
    if (durableSeq !== this.published && !this.stopped) {
      this.published = durableSeq;
      const c = this.cells;
      Atomics.store(c, SNAP.DURABLE, durableSeq | 0);
      Atomics.add(c, SNAP.BELL, 1);
      if (Atomics.load(c, SNAP.PARKED) !== 0 && worthWaking(this.progress.done(durableSeq), durableSeq, this.snapshotEvery, this.hashEvery)) Atomics.notify(c, SNAP.BELL);
    }
    this.check();
  }

  /** Logs a failure of the replica, once. */
  check(): void {
    if (this.reported || this.progress.state !== STATE.FAILED) return;
    this.reported = true;
    this.log?.error("snapshotter failed", { effect: "no periodic snapshots or state hashes until a restart; the journal has every command", reason: this.progress.failure });
  }

  /**
   * Resolves once the replica is done with `target` (or has stopped or failed); after stop(), once
   * it has stopped, so that nothing is writing in the data directory any more. Keeps the process
   * alive meanwhile.
   */
  async reach(target: () => number | null, poll: () => void): Promise<void> {
    if (this.waiters++ === 0) this.worker.ref();
    try {
      await this.progress.reach(() => (this.stopped ? Infinity : target()), poll);
    } finally {
      if (--this.waiters === 0) this.worker.unref();
      this.check();
    }
  }

  /** Tests only: lets a replica started with `hold` replay. */
  release(): void {
    Atomics.store(this.cells, SNAP.HOLD, 0);
    Atomics.add(this.cells, SNAP.BELL, 1);
    Atomics.notify(this.cells, SNAP.BELL);
  }

  /**
   * Asks the replica to stop; returns at once. It stops at its next command or before its next
   * write, so a snapshot it is serializing is abandoned and one it is writing is finished: no
   * partial file is left (and a `.replica.tmp` left by a process that died is removed at the next
   * start). The worker exits by itself; it is unref'd meanwhile.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const c = this.cells;
    Atomics.store(c, SNAP.STOP, 1);
    Atomics.add(c, SNAP.BELL, 1);
    Atomics.notify(c, SNAP.BELL);
  }
}
