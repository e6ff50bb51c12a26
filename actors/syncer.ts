/**
 * The syncer: a Bun worker whose only job is fdatasync, so that the engine thread (and with
 * `workers: 0` the sockets' thread) never waits for the disk. It shares one small
 * SharedArrayBuffer with the journal:
 *
 *   the journal, after write() of a batch:  FD = segment fd; REQ = last seq written; BELL++;
 *                                            notify, only if PARKED
 *   the syncer, in a loop:                   nothing new: PARKED = 1, check again, wait on BELL;
 *                                            read REQ, then FD; fdatasync(FD); DONE = REQ; notify
 *
 * The notify is a futex system call on the engine thread's path, once a batch; while a sync is in
 * flight (most of the time under load) the syncer will find the new REQ by itself when it comes
 * back, so the journal only rings when the syncer says it is parked. Every access is an Atomics
 * operation (sequentially consistent), so the two cases are exhaustive: either the syncer's
 * re-check after PARKED = 1 sees the new BELL, or the journal's read of PARKED sees 1.
 *
 * DONE therefore only ever names a seq whose write had completed before the fdatasync that covers
 * it started, and every batch written while one sync runs is covered by the next (group commit
 * across batches). File descriptors are process-wide, so the worker syncs the fd the engine thread
 * opened. Seqs travel as their low 32 bits (`seq | 0`, wrapping like the rings' sequences): the
 * journal knows the full seq it last requested and reconstructs DONE from the distance, which
 * keeps every exchange allocation-free.
 *
 * A failed fdatasync sets ERROR (the errno) and ends the loop: after a failed sync the page cache
 * can no longer be trusted, so nothing written since is ever reported durable. docs/journal.md.
 */

/** Int32 word indexes into the shared buffer; each group on its own 64-byte line. */
export const SYNC = {
  /** Low 32 bits of the last seq whose write is complete (the request). */
  REQ: 0,
  /** The fd that holds it: the current segment's. */
  FD: 1,
  /** Bumped after every request and at stop: what the syncer parks on. */
  BELL: 2,
  /** 1 while the syncer is (about to be) parked on BELL: a request must notify it. */
  PARKED: 3,
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
  /** Low 32 bits of the journal's durable seq when the syncer starts: nothing up to it needs a sync. */
  initial: number;
  /** Another word to notify after every sync, for a thread that parks on something else as well. */
  wake?: SyncerWake;
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
  wake?: SyncerWake;
  /** Tests only: ms slept before each fdatasync (a slow disk). */
  delayMs?: number;
  /** Tests only: fail with EIO after this many successful fdatasyncs. */
  failAfter?: number;
}

export const SYNCER_WORKER_FAILED = -2;
/** How long stop() waits for an fdatasync in flight before giving up on it. */
const STOP_WAIT_MS = 30_000;

export class Syncer {
  readonly cells: Int32Array;
  private readonly worker: Worker;
  private referenced = false;
  private stopped = false;
  /** Requests that found the syncer parked and had to wake it (tests and benches). */
  rings = 0;

  private constructor(cells: Int32Array, worker: Worker) {
    this.cells = cells;
    this.worker = worker;
  }

  static start(o: SyncerOptions): Syncer {
    const sab = new SharedArrayBuffer(WORDS * 4);
    const cells = new Int32Array(sab);
    const initial = o.initialSeq | 0;
    cells[SYNC.REQ] = initial;
    cells[SYNC.DONE] = initial;
    cells[SYNC.FD] = -1;
    cells[SYNC.DELAY_MS] = o.delayMs ?? 0;
    cells[SYNC.FAIL_AFTER] = o.failAfter ?? 0;
    const worker = new Worker(new URL("./syncer-worker.ts", import.meta.url));
    // Only outstanding syncs keep the process alive (keepAlive); an idle syncer must not.
    worker.unref();
    const s = new Syncer(cells, worker);
    // Only a worker that cannot run at all lands here; its own failures go through ERROR. (The
    // engine worker never yields to its event loop, so there this listener may never run.)
    worker.addEventListener("error", () => {
      if (Atomics.load(cells, SYNC.ERROR) === 0) Atomics.store(cells, SYNC.ERROR, SYNCER_WORKER_FAILED);
      Atomics.notify(cells, SYNC.DONE);
    });
    const init: SyncerInit = { sab, initial, wake: o.wake };
    worker.postMessage(init);
    return s;
  }

  /** Asks for an fdatasync of `fd` covering everything written up to `seq`. */
  request(fd: number, seq: number): void {
    const c = this.cells;
    // FD before REQ: a syncer that reads this REQ reads this FD (or a later one, see Journal.write).
    Atomics.store(c, SYNC.FD, fd);
    Atomics.store(c, SYNC.REQ, seq | 0);
    Atomics.add(c, SYNC.BELL, 1);
    if (Atomics.load(c, SYNC.PARKED) !== 0) {
      Atomics.notify(c, SYNC.BELL);
      this.rings++;
    }
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
