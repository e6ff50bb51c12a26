/**
 * The syncer: a Bun worker that writes the journal's batches and fdatasyncs them, so that the
 * engine thread (and with `workers: 0` the sockets' thread) never waits for the disk, not even for
 * a write() into the page cache (~0.2 µs a command, the largest cost the runtime added to the
 * engine's own). It shares two SharedArrayBuffers with the journal: a few control words, and a
 * byte ring the journal copies each batch into (a memcpy instead of a system call):
 *
 *   the journal, for each batch:  copy the bytes into the ring at PUB (waiting while the ring is
 *                                 full); PUB += length; REQ = last seq; BELL++; notify, only if PARKED
 *   the syncer, in a loop:        read REQ, then GEN (a new segment: take FD, start at offset 0),
 *                                 then PUB, then GEN again; write the ring's bytes up to PUB to the
 *                                 segment; WRITTEN = PUB; if REQ is new: fdatasync; DONE = REQ; notify;
 *                                 nothing new: PARKED = 1, wait on BELL
 *
 * PUB and WRITTEN are offsets in the current segment; a byte at offset x sits at x mod the ring's
 * size. PUB is stored before REQ and read after it, so the bytes a REQ covers are always written
 * before the fdatasync that reports it: DONE only ever names a seq that is on disk, and every batch
 * published while one sync runs is covered by the next (group commit across batches). A new
 * segment (GEN) starts only once the syncer has made everything before it durable: the journal
 * waits for that at a rollover, so the ring never holds bytes of two files.
 *
 * The notify is a futex system call on the engine thread's path; while the syncer is busy (most
 * of the time under load) it finds new work by itself when it comes back, so the journal rings
 * only when the syncer says it is parked. Every access is an Atomics operation (sequentially
 * consistent): either the syncer's wait sees the new BELL, or the journal's read of PARKED sees 1.
 *
 * File descriptors are process-wide, so the worker writes to the fd the engine thread opened. Seqs
 * travel as their low 32 bits (`seq | 0`, wrapping like the rings' sequences): the journal knows
 * the full seq it last requested and reconstructs DONE from the distance, which keeps every
 * exchange allocation-free.
 *
 * A failed write or fdatasync sets ERROR (the errno) and ends the loop: after a failed sync the
 * page cache can no longer be trusted, so nothing published since is ever reported durable.
 * docs/journal.md.
 */
import { JournalFailedError } from "./journal-errors.ts";

/** Int32 word indexes into the shared buffer; each group on its own 64-byte line. */
export const SYNC = {
  /** Low 32 bits of the last seq whose bytes are published (the request). */
  REQ: 0,
  /** The current segment's fd, set with a new GEN. */
  FD: 1,
  /** Bumped after every request and at stop: what the syncer parks on. */
  BELL: 2,
  /** 1 while the syncer is (about to be) parked on BELL: a request must notify it. */
  PARKED: 3,
  /** Bumped when the journal starts a new segment (FD, and offsets from 0). */
  GEN: 4,
  /** Bytes of the current segment published into the ring (an offset in the segment). */
  PUB: 5,
  /** Bytes of the current segment the syncer has written (never past PUB). */
  WRITTEN: 20,
  /** Set by the syncer once it runs: a journal waiting for it can tell "slow" from "never started". */
  STARTED: 21,
  /** Low 32 bits of the last requested seq an fdatasync covered. */
  DONE: 16,
  /** 0, or the errno of a failed fdatasync (-1 when it had none, -2 when the worker itself failed). */
  ERROR: 17,
  /** fdatasync calls made, for tests and benches. */
  SYNCS: 18,
  STOP: 32,
  /** Set by the syncer once it will touch no fd again. */
  STOPPED: 33,
  /** Tests only: sleep this many ms before every fdatasync. */
  DELAY_MS: 34,
  /** Tests only: report an injected EIO instead of the fdatasync after this many successful ones (0: never). */
  FAIL_AFTER: 35,
} as const;
const WORDS = 48;

/** What the worker is told at start. */
export interface SyncerInit {
  sab: SharedArrayBuffer;
  /** The byte ring batches are copied into. */
  ring: SharedArrayBuffer;
  /** The segment fd and offset writing continues at (-1: none yet; the first write starts a segment). */
  fd: number;
  offset: number;
  /** Low 32 bits of the journal's durable seq when the syncer starts: nothing up to it needs a sync. */
  initial: number;
  /** Another word to notify after every sync, for a thread that parks on something else as well. */
  wake?: SyncerWake;
  /** The engine's metrics buffer (actors/engine-metrics.ts): each fdatasync's duration and the commands it covered. */
  metrics?: SharedArrayBuffer;
}

/**
 * A word in another SharedArrayBuffer to notify after every sync. The engine worker parks on its
 * command ring's cursor; this is how a finished fdatasync reaches it without a second park.
 */
export interface SyncerWake {
  sab: SharedArrayBuffer;
  index: number;
}

export interface SyncerOptions {
  /** The journal's durable seq at start. */
  initialSeq: number;
  /** The open segment's fd and its size (-1 and 0 when the next write starts a segment). */
  fd: number;
  offset: number;
  /** Size of the byte ring (default 16 MiB): how far the journal may run ahead of the disk's writes. */
  ringBytes?: number;
  wake?: SyncerWake;
  /** The engine's metrics buffer (actors/engine-metrics.ts), if metrics are kept. */
  metrics?: SharedArrayBuffer;
  /** Tests only: ms slept before each fdatasync (a slow disk). */
  delayMs?: number;
  /** Tests only: fail with EIO after this many successful fdatasyncs. */
  failAfter?: number;
}

export const SYNCER_WORKER_FAILED = -2;
export const DEFAULT_RING_BYTES = 16 << 20;
/** How long stop() waits for an fdatasync in flight before giving up on it. */
const STOP_WAIT_MS = 30_000;

export class Syncer {
  readonly cells: Int32Array;
  /** The byte ring, over shared memory. */
  readonly ring: Uint8Array;
  private readonly worker: Worker;
  private referenced = false;
  private stopped = false;
  /** Offset in the current segment up to which bytes are published (PUB, kept here too). */
  private pub: number;
  /** Requests that found the syncer parked and had to wake it (tests and benches). */
  rings = 0;
  /** Times put() found the ring full and waited for the syncer's writes (tests and benches). */
  fullWaits = 0;

  private constructor(cells: Int32Array, ring: Uint8Array, worker: Worker, offset: number) {
    this.cells = cells;
    this.ring = ring;
    this.worker = worker;
    this.pub = offset;
  }

  static start(o: SyncerOptions): Syncer {
    const sab = new SharedArrayBuffer(WORDS * 4);
    const cells = new Int32Array(sab);
    const ringBytes = o.ringBytes ?? DEFAULT_RING_BYTES;
    if (!(Number.isSafeInteger(ringBytes) && ringBytes >= 8)) throw new RangeError(`syncer ring size must be an integer of at least 8 bytes, got ${ringBytes}`);
    const ring = new SharedArrayBuffer(ringBytes);
    const initial = o.initialSeq | 0;
    cells[SYNC.REQ] = initial;
    cells[SYNC.DONE] = initial;
    cells[SYNC.FD] = o.fd;
    cells[SYNC.PUB] = o.offset;
    cells[SYNC.WRITTEN] = o.offset;
    cells[SYNC.DELAY_MS] = o.delayMs ?? 0;
    cells[SYNC.FAIL_AFTER] = o.failAfter ?? 0;
    const worker = new Worker(new URL("./syncer-worker.ts", import.meta.url));
    // Only outstanding syncs keep the process alive (keepAlive); an idle syncer must not.
    worker.unref();
    const s = new Syncer(cells, new Uint8Array(ring), worker, o.offset);
    // Only a worker that cannot run at all lands here; its own failures go through ERROR. (The
    // engine worker never yields to its event loop, so there this listener may never run.)
    worker.addEventListener("error", () => {
      if (Atomics.load(cells, SYNC.ERROR) === 0) Atomics.store(cells, SYNC.ERROR, SYNCER_WORKER_FAILED);
      Atomics.notify(cells, SYNC.DONE);
    });
    const init: SyncerInit = { sab, ring, fd: o.fd, offset: o.offset, initial, wake: o.wake, metrics: o.metrics };
    worker.postMessage(init);
    return s;
  }

  /**
   * Starts a new segment: the bytes published next go to `fd` from offset 0. Only once everything
   * published before is durable (DONE reached the last request), so the syncer has nothing left
   * for the old file when it sees the new GEN.
   */
  newSegment(fd: number): void {
    const c = this.cells;
    this.pub = 0;
    // PUB and FD before GEN: a syncer that sees the new GEN sees both.
    Atomics.store(c, SYNC.PUB, 0);
    Atomics.store(c, SYNC.FD, fd);
    Atomics.add(c, SYNC.GEN, 1);
  }

  /**
   * Copies `bytes[0, length)` into the ring after what is published and publishes it: the syncer
   * writes it to the segment at the offsets that follow. Waits while the ring is full (the disk
   * is that far behind), ringing the syncer so it writes; a batch larger than the ring goes
   * through in ring-sized pieces. Throws if the syncer fails meanwhile.
   */
  put(bytes: Uint8Array, length: number): void {
    const c = this.cells;
    const ring = this.ring;
    const size = ring.length;
    let from = 0;
    while (from < length) {
      const room = size - (this.pub - Atomics.load(c, SYNC.WRITTEN));
      if (room === 0) {
        this.fullWaits++;
        this.waitForRoom();
        continue;
      }
      const n = Math.min(room, length - from);
      const at = this.pub % size;
      const first = Math.min(n, size - at);
      ring.set(bytes.subarray(from, from + first), at);
      if (first < n) ring.set(bytes.subarray(from + first, from + n), 0);
      from += n;
      this.pub += n;
      Atomics.store(c, SYNC.PUB, this.pub);
    }
  }

  /** The ring is full: let the syncer write (ring it if parked) and wait until it has. */
  private waitForRoom(): void {
    const c = this.cells;
    Atomics.add(c, SYNC.BELL, 1);
    if (Atomics.load(c, SYNC.PARKED) !== 0) Atomics.notify(c, SYNC.BELL);
    const written = Atomics.load(c, SYNC.WRITTEN);
    if (this.pub - written < this.ring.length) return;
    const code = Atomics.load(c, SYNC.ERROR);
    if (code !== 0) throw Object.assign(new JournalFailedError(`the syncer failed (${code}) while the journal waited for room in its ring`), { errno: code });
    Atomics.wait(c, SYNC.WRITTEN, written, 100);
  }

  /** Asks for an fdatasync covering everything published up to `seq`. */
  request(seq: number): void {
    const c = this.cells;
    // After PUB (put): a syncer that reads this REQ, then PUB, writes every byte it covers.
    Atomics.store(c, SYNC.REQ, seq | 0);
    Atomics.add(c, SYNC.BELL, 1);
    if (Atomics.load(c, SYNC.PARKED) !== 0) {
      Atomics.notify(c, SYNC.BELL);
      this.rings++;
    }
  }

  /** Whether the worker has started running (a journal waiting for it tells "slow" from "never"). */
  get started(): boolean {
    return Atomics.load(this.cells, SYNC.STARTED) !== 0;
  }

  /** Low 32 bits of the last seq an fdatasync covered. */
  get done(): number {
    return Atomics.load(this.cells, SYNC.DONE);
  }

  /** 0 while healthy; the errno of the failed fdatasync otherwise (see SYNC.ERROR). */
  get errorCode(): number {
    return Atomics.load(this.cells, SYNC.ERROR);
  }

  get syncs(): number {
    return Atomics.load(this.cells, SYNC.SYNCS);
  }

  /**
   * Resolves once DONE is no longer `observed` (or on a failure); null when it already is not.
   * For the main thread, where blocking would stop the sockets.
   */
  waitAsync(observed: number): Promise<unknown> | null {
    const r = Atomics.waitAsync(this.cells, SYNC.DONE, observed);
    return r.async ? r.value : null;
  }

  /** Blocks while DONE is still `observed`, at most `ms`. */
  wait(observed: number, ms: number): void {
    Atomics.wait(this.cells, SYNC.DONE, observed, ms);
  }

  /** Wakes whoever waits on DONE without a new sync: at close, so no waiter is left hanging. */
  wakeWaiters(): void {
    Atomics.notify(this.cells, SYNC.DONE);
  }

  /** Keeps the process alive while `on`: a script that awaits its deliveries must not exit first. */
  keepAlive(on: boolean): void {
    if (on === this.referenced || this.stopped) return;
    this.referenced = on;
    if (on) this.worker.ref();
    else this.worker.unref();
  }

  /** Test hooks: change the injected delay (ms before each fdatasync) or failure point on the fly. */
  setFaults(delayMs: number, failAfter = Atomics.load(this.cells, SYNC.FAIL_AFTER)): void {
    Atomics.store(this.cells, SYNC.DELAY_MS, delayMs);
    Atomics.store(this.cells, SYNC.FAIL_AFTER, failAfter);
    Atomics.notify(this.cells, SYNC.STOP);
  }

  /**
   * Stops the worker once it will touch no fd again, so the caller may close the fds it was given
   * (a closed fd's number is reused by the next open: a late fdatasync would hit another file).
   * Blocks while an fdatasync is in flight. Returns false if the syncer did not stop in time.
   */
  stop(): boolean {
    if (this.stopped) return true;
    this.stopped = true;
    const c = this.cells;
    Atomics.store(c, SYNC.STOP, 1);
    Atomics.add(c, SYNC.BELL, 1);
    Atomics.notify(c, SYNC.BELL);
    Atomics.notify(c, SYNC.STOP);
    const deadline = performance.now() + STOP_WAIT_MS;
    let ok = true;
    // A worker that never started (or died) never sets STOPPED; ERROR tells us so.
    while (Atomics.load(c, SYNC.STOPPED) === 0 && Atomics.load(c, SYNC.ERROR) !== SYNCER_WORKER_FAILED) {
      const left = deadline - performance.now();
      if (left <= 0) {
        ok = false;
        break;
      }
      Atomics.wait(c, SYNC.STOPPED, 0, Math.min(left, 50));
    }
    this.worker.terminate();
    return ok;
  }
}
