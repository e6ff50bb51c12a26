import { portfolio } from "../engine/pnl.ts";
import { DeliveredGate } from "./delivered-gate.ts";
import { appendFileSync } from "node:fs";
import { subscribe } from "./subscribe.ts";
import { Command, CommandType } from "../engine/commands.ts";
import { EventBuffer } from "../engine/events.ts";
import type { Exchange } from "../engine/exchange.ts";
import { writeExchangeSnapshot } from "../engine/exchange-snapshot.ts";
import { EngineClock } from "./clock.ts";
import { encodeOrRefuse } from "./command-check.ts";
import { DataDirLock } from "./data-lock.ts";
import { DeadlineTimer } from "./deadline-timer.ts";
import { recordBytes } from "./layout/command-record.ts";
import type { Journal } from "./journal/journal.ts";
import { hashOf, paths, recover, stateHash } from "./recovery.ts";
import type { RuntimeOptions } from "./runtime-options.ts";
import { COMMAND_SLOT_BYTES, CommandOffset } from "./layout/schema.ts";
import { listSnapshots, pruneSnapshots, saveSnapshot, saveSnapshotAsync } from "./snapshot/snapshot-store.ts";
import type { Delivery, EngineHost, PortfolioRead } from "./sequencer.ts";
import { Snapshotter } from "./snapshot/snapshotter.ts";
import { ENGINE_CELL, EngineMetrics } from "./engine-metrics.ts";
import { EngineStoppedError, StopListeners } from "./stop-listeners.ts";

// Where they were before the split, for the doors that import them from here.
export { checkEncodable, InvalidCommandError } from "./command-check.ts";
export type { RuntimeOptions } from "./runtime-options.ts";
export { EngineStoppedError, StopListeners } from "./stop-listeners.ts";

/** Batches written but not yet durable, at most (a power of two: the FIFO's size); past either bound flush() waits for the oldest. */
const MAX_PENDING_BATCHES = 4096;
const MAX_PENDING_COMMANDS = 65_536;

/** One group commit's results, kept from its write until a sync covers it. Pooled: no per-command garbage. */
class Batch {
  readonly out = new EventBuffer(64);
  ends = new Int32Array(64);
  times = new Float64Array(64);
  tokens = new Float64Array(64);
  first = 0;
  count = 0;

  get last(): number {
    return this.first + this.count - 1;
  }

  reserve(n: number): void {
    if (this.ends.length >= n) return;
    const size = Math.max(n, this.ends.length * 2);
    this.ends = new Int32Array(size);
    this.times = new Float64Array(size);
    this.tokens = new Float64Array(size);
  }
}

/** A snapshot or a state hash taken at `seq`, held until the journal is durable through it. */
interface DeferredSave {
  seq: number;
  time: number;
  snapshot: Uint8Array | null;
  hash: string | null;
}

/**
 * The sequencer on one thread (the embedded default): commands queue as they arrive; once per turn
 * of the event loop the batch is stamped (sequence number, engine time), executed and written to
 * the journal, and the syncer thread is asked for an fdatasync (group commit). The batch's events
 * wait in a FIFO until a sync that started after its write has completed, and are then delivered,
 * batch after batch in seq order; meanwhile this thread goes on taking, executing and writing the
 * next batches (and, embedded, serving the sockets). Nothing reaches a client before the journal
 * covers it on disk.
 *
 * A command is executed before it is journaled, so one that throws (an engine bug) never enters
 * the journal: the engine stops — its state may be partial — and a restart recovers from the
 * journal without it. A failed write or fdatasync stops it too, and what it had not yet delivered
 * is never delivered. Consistency over availability.
 */
export class Runtime implements EngineHost {
  readonly exchange: Exchange;
  private readonly journal: Journal;
  private readonly clock: EngineClock;
  private seq: number;
  private lastTime: number;
  private readonly queue: Command[] = [];
  private readonly tokens: number[] = [];
  private readonly spare: Command[] = [];
  /** Written, not yet durable, oldest first: a circular FIFO of `queued` batches from `head`. */
  private readonly pending: (Batch | null)[] = new Array<Batch | null>(MAX_PENDING_BATCHES).fill(null);
  private head = 0;
  private queued = 0;
  private pendingCommands = 0;
  private readonly pool: Batch[] = [];
  private readonly saves: DeferredSave[] = [];
  private readonly deliveries: Delivery[] = [];
  private scheduled = false;
  /** A waitAsync on the syncer's DONE is outstanding. */
  private waiting = false;
  private delivering = false;
  private closed = false;
  private failure: unknown = null;
  private readonly stopListeners = new StopListeners();
  private sinceSnapshot = 0;
  /** The replica that takes periodic snapshots and hashes (snapshotter "replica"); null when none runs. */
  private replica: Snapshotter | null = null;
  /** Exchange.nextDeadline() and what is due then, as of the last batch (read by the engine worker too). */
  deadline = Infinity;
  deadlineSymbol = -1;
  private deadlines: DeadlineTimer | null = null;
  private gate: DeliveredGate | null = null;
  private readonly opts: Required<Omit<RuntimeOptions, "log" | "segmentBytes" | "syncerWake" | "syncerFaults" | "snapshotterHold" | "lockHeld" | "clock" | "metrics">> & Pick<RuntimeOptions, "log">;
  /** Where the sync queue's depth is stored for /metrics (null: no metrics kept). */
  private readonly metrics: EngineMetrics | null;

  /** The data directory's lock, when this Runtime took it (null: its host holds it). */
  private readonly lock: DataDirLock | null;

  private constructor(opts: RuntimeOptions, exchange: Exchange, journal: Journal, seq: number, time: number, lock: DataDirLock | null) {
    const { segmentBytes: _s, syncerWake: _w, syncerFaults: _f, snapshotterHold: _h, lockHeld: _l, clock: _c, metrics, ...rest } = opts;
    this.metrics = metrics ? new EngineMetrics(metrics) : null;
    this.lock = lock;
    this.opts = { snapshotEvery: 100_000, hashEvery: 100_000, keepSnapshots: 3, fsync: true, autoFlush: true, snapshotter: "replica", deadlines: true, ...rest };
    this.exchange = exchange;
    this.journal = journal;
    this.seq = seq;
    this.lastTime = time;
    this.clock = new EngineClock(time, opts.clock);
  }

  /**
   * Takes the data directory's lock (DataDirInUse if another writer has it: nothing is opened),
   * recovers it (newest snapshot + journal replay) and opens it for commands.
   */
  static start(opts: RuntimeOptions): Runtime {
    let lock: DataDirLock | null = null;
    if (opts.lockHeld) DataDirLock.assertHeldByThisProcess(opts.dataDir);
    else lock = DataDirLock.acquire(opts.dataDir);
    const t0 = performance.now();
    let r: ReturnType<typeof recover>;
    try {
      r = recover({
        dataDir: opts.dataDir,
        config: opts.config,
        fsync: opts.fsync ?? true,
        segmentBytes: opts.segmentBytes,
        onSkip: (file, reason) => opts.log?.warn("snapshot skipped", { file, reason }),
      });
    } catch (e) {
      lock?.release();
      throw e;
    }
    if (r.truncatedBytes > 0) opts.log?.warn("journal torn tail truncated", { bytes: r.truncatedBytes });
    opts.log?.info("recovered", { seq: r.seq, snapshotSeq: r.snapshotSeq, replayed: r.replayed, durationMs: Math.round((performance.now() - t0) * 10) / 10 });
    const journal = r.journal!;
    try {
      journal.startSyncer({ wake: opts.syncerWake, metrics: opts.metrics, delayMs: opts.syncerFaults?.delayMs, failAfter: opts.syncerFaults?.failAfter });
    } catch (e) {
      journal.close();
      lock?.release();
      throw e;
    }
    const rt = new Runtime(opts, r.exchange, journal, r.seq, r.time, lock);
    rt.startReplica(opts.snapshotterHold === true);
    rt.startDeadlines();
    return rt;
  }

  /** Starts the snapshotter replica, if snapshots or hashes are wanted from one. A replica that cannot start costs snapshots, not the engine. */
  private startReplica(hold: boolean): void {
    const { snapshotter, snapshotEvery, hashEvery, keepSnapshots, dataDir, config, log } = this.opts;
    if (snapshotter !== "replica" || (snapshotEvery <= 0 && hashEvery <= 0)) return;
    try {
      this.replica = Snapshotter.start({ dataDir, config, snapshotEvery, hashEvery, keepSnapshots, durableSeq: this.journal.durableSeq, log, hold, metrics: this.metrics?.sab });
    } catch (e) {
      log?.error("snapshotter did not start", { effect: "no periodic snapshots or state hashes until a restart; the journal has every command", err: e });
    }
  }

  /** The clock's own scheduler: engine time moves at each deadline even when no order arrives. */
  private startDeadlines(): void {
    this.readDeadline();
    if (!this.opts.autoFlush || !this.opts.deadlines) return;
    this.deadlines = new DeadlineTimer(this, () => this.clock.now(), this.opts.log);
    this.deadlines.update(this.deadline, this.deadlineSymbol);
  }

  private readDeadline(): void {
    this.deadline = this.exchange.nextDeadline();
    this.deadlineSymbol = this.exchange.deadlineSymbol;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The last seq a completed fdatasync covers: every delivery so far is at or below it. */
  get durableSeq(): number {
    return this.journal.durableSeq;
  }

  get stopped(): boolean {
    return this.failure !== null;
  }

  /** fdatasyncs the syncer thread has completed (0 without one), for benches. */
  get syncs(): number {
    return this.journal.syncer?.syncs ?? 0;
  }

  /** Batches executed and written whose sync has not been seen yet (their events wait). */
  get pendingBatches(): number {
    return this.queued;
  }

  onDelivery(fn: Delivery): () => void {
    return subscribe(this.deliveries, fn);
  }

  /** Queues a copy of `cmd`; its events are delivered once the group commit that takes it is durable. */
  submit(cmd: Command, token = 0): void {
    if (this.failure !== null) throw new EngineStoppedError(this.failure);
    // Encoded once, here, straight into the journal's batch buffer: the bytes are the command as it
    // arrived, which is what the journal must hold (risk may write a cap into the Command while it
    // executes), and flush() only patches in seq, time and a sequencer-assigned order id. The
    // layout is strict, so the encode is also the check: a command that cannot be journaled is
    // refused here, unsequenced, and nothing is staged.
    const journal = this.journal;
    const at = journal.reserve(COMMAND_SLOT_BYTES);
    encodeOrRefuse(cmd, journal.view, at);
    journal.stage(recordBytes(journal.view, at));
    const copy = (this.spare.pop() ?? new Command()).copyFrom(cmd);
    this.queue.push(copy);
    this.tokens.push(token);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || !this.opts.autoFlush) return;
    this.scheduled = true;
    // After this turn's I/O callbacks: every command that arrived in the turn shares one write.
    setImmediate(this.flushSoon);
  }

  private readonly flushSoon = (): void => this.flush();

  /**
   * Delivers what has become durable, then stamps, executes and writes everything queued as one
   * batch and asks for its sync; its events follow once the sync completes. Safe to call directly.
   */
  flush(): void {
    this.scheduled = false;
    this.poll();
    if (this.queue.length === 0 || this.failure !== null) return;
    const batch = this.takeBatch();
    if (batch === null) return;
    const queue = this.queue;
    const n = queue.length;
    batch.reserve(n);
    const out = batch.out;
    out.reset();
    const first = this.seq + 1;
    const journal = this.journal;
    // Command i's bytes were staged by submit(): they are the journal's next staged record.
    const view = journal.view;
    // One engine time for the whole batch: the commands were sequenced together, and reading the
    // clock per command cost ~0.1 µs each (a tenth of the engine's own work per command).
    const time = this.clock.now();
    let i = 0;
    try {
      for (; i < n; i++) {
        const cmd = queue[i]!;
        const seq = first + i;
        const at = journal.stagedPayload;
        cmd.time = time;
        view.setFloat64(at + CommandOffset.SEQ, seq, true);
        view.setFloat64(at + CommandOffset.TIME, cmd.time, true);
        // Order ids come from sequence numbers: a door leaves it 0 and the sequencer fills it in
        // (before journaling, so a replay sees the same id).
        if (cmd.type === CommandType.NEW_ORDER && cmd.orderId === 0) {
          cmd.orderId = seq;
          view.setFloat64(at + CommandOffset.ORDER_ID, seq, true);
        }
        this.exchange.execute(cmd, out);
        batch.ends[i] = out.count;
        batch.times[i] = cmd.time;
        batch.tokens[i] = this.tokens[i]!;
        // After execute: a command that throws is never journaled.
        journal.appendStaged(seq);
        this.lastTime = cmd.time;
      }
    } catch (e) {
      this.stop(e, "engine stopped", { cause: "command threw", seq: first + i, err: e });
    }
    // Commands executed before a failure are journaled and delivered; the failing one is not, nor
    // any after it.
    const done = i;
    if (done < n) journal.dropStaged();
    this.seq = first + done - 1;
    for (let k = 0; k < n; k++) this.spare.push(queue[k]!);
    queue.length = 0;
    this.tokens.length = 0;
    batch.first = first;
    batch.count = done;
    if (done === 0) {
      this.pool.push(batch);
      return;
    }
    try {
      this.journal.write();
    } catch (e) {
      this.pool.push(batch);
      this.abandon(e);
      return;
    }
    this.pending[(this.head + this.queued) & (MAX_PENDING_BATCHES - 1)] = batch;
    this.queued++;
    this.pendingCommands += done;
    this.noteQueue();
    // A failed command may have left its state half-changed: no snapshot or hash of that.
    if (this.failure === null) {
      this.afterBatch(first, this.seq);
      this.readDeadline();
      this.deadlines?.update(this.deadline, this.deadlineSymbol);
    }
    this.poll();
    this.waitForSync();
    if (this.queue.length > 0) this.schedule();
  }

  /**
   * Delivers, in seq order, every pending batch the journal's durableSeq now covers, and saves the
   * snapshots and hashes it covers. Cheap when nothing is pending; the engine worker calls it in
   * its loop, the embedded runtime on every flush and whenever the syncer reports a sync.
   */
  poll(): void {
    if (this.delivering || (this.queued === 0 && this.saves.length === 0)) return;
    const journal = this.journal;
    const durable = journal.durableSeq;
    // A sync that completed before a failure still covers its batches: those go out, the rest never.
    const failed = journal.failure;
    this.delivering = true;
    try {
      while (this.queued > 0) {
        const b = this.pending[this.head]!;
        if (b.last > durable) break;
        this.pending[this.head] = null;
        this.head = (this.head + 1) & (MAX_PENDING_BATCHES - 1);
        this.queued--;
        this.pendingCommands -= b.count;
        this.deliver(b);
        this.pool.push(b);
      }
      while (this.saves.length > 0 && this.saves[0]!.seq <= durable) {
        const save = this.saves.shift()!;
        // With an event loop to come back to, the file work goes to the I/O threads; the engine
        // worker's loop never yields, so it writes in place.
        if (this.opts.autoFlush) this.saveInBackground(save);
        else this.save(save);
      }
      // The replica replays only what is durable: tell it how far that is.
      this.replica?.publish(durable);
    } finally {
      this.delivering = false;
    }
    this.noteQueue();
    if (failed !== null) this.abandon(failed);
    else journal.syncer?.keepAlive(this.queued > 0);
  }

  /** The sync queue's depth, for /metrics: two stores per flush and per poll. */
  private noteQueue(): void {
    if (this.metrics === null) return;
    const m = this.metrics.cells;
    m[ENGINE_CELL.SYNC_QUEUE_BATCHES] = this.queued;
    m[ENGINE_CELL.SYNC_QUEUE_COMMANDS] = this.pendingCommands;
  }

  private deliver(b: Batch): void {
    let from = 0;
    for (let k = 0; k < b.count; k++) {
      const to = b.ends[k]!;
      for (const d of this.deliveries) this.notify(d, b.first + k, b.tokens[k]!, b.out, from, to, b.times[k]!);
      from = to;
    }
  }

  /** A pooled batch record, or null when there is no room (the journal failed, or flush() was called from a delivery). */
  private takeBatch(): Batch | null {
    if (this.queued >= MAX_PENDING_BATCHES || this.pendingCommands >= MAX_PENDING_COMMANDS) {
      // The disk is far behind: hold this thread until the oldest batch is durable rather than
      // buffer without bound. Backpressure reaches the doors as a slow turn.
      try {
        this.journal.waitDurable(this.pending[this.head]!.last);
      } catch (e) {
        this.abandon(e);
        return null;
      }
      this.poll();
      // Still full: this flush runs inside a delivery, which cannot deliver. The queue waits.
      if (this.queued >= MAX_PENDING_BATCHES) {
        this.schedule();
        return null;
      }
    }
    return this.pool.pop() ?? new Batch();
  }

  /**
   * Main thread: be woken when the syncer publishes a sync, to deliver what it covers. The wake-up
   * is an Atomics.waitAsync task, so this thread is free (for the sockets, for the next batches)
   * while the fdatasync runs. The engine worker never yields to its event loop and polls instead.
   */
  private waitForSync(): void {
    const syncer = this.journal.syncer;
    if (this.waiting || syncer === null || !this.opts.autoFlush || this.queued === 0 || this.closed) return;
    this.waiting = true;
    // DONE first, then the check: a sync that lands in between changes DONE, so the wait below
    // returns at once instead of waiting for a sync that may never come.
    const observed = syncer.done;
    const wake = this.pending[this.head]!.last <= this.journal.durableSeq ? null : syncer.waitAsync(observed);
    if (wake === null) queueMicrotask(this.onSync);
    else void wake.then(this.onSync);
  }

  private readonly onSync = (): void => {
    this.waiting = false;
    if (this.closed) return;
    this.poll();
    this.waitForSync();
  };

  /** A listener's bug must not stop the sequencer or starve the other listeners. */
  private notify(d: Delivery, seq: number, token: number, out: EventBuffer, from: number, to: number, time: number): void {
    try {
      d(seq, token, out, from, to, time);
    } catch (e) {
      this.opts.log?.error("delivery listener failed", { seq, err: e });
    }
  }

  onStop(fn: (failure: Error) => void): () => void {
    return this.stopListeners.add(fn);
  }

  private stop(e: unknown, msg: string, fields: Record<string, unknown>): void {
    if (this.failure !== null) return;
    this.failure = e;
    this.opts.log?.error(msg, { ...fields, restart: "recovers from the journal" });
    this.stopListeners.fire(e, this.opts.log);
  }

  /**
   * The journal failed: what it had not made durable may not be on disk, so those batches are never
   * delivered (their clients time out and learn the outcome after the restart), nor are snapshots
   * taken after the last durable seq saved.
   */
  private abandon(e: unknown): void {
    // The first failure is the one to report: a later call into the failed journal throws "failed
    // earlier", which says nothing of why (the syncer's EIO, say).
    const first = this.journal.failure ?? e;
    this.stop(first, "engine stopped", { cause: "journal failed", undeliveredBatches: this.queued, err: first });
    for (; this.queued > 0; this.queued--) {
      this.pool.push(this.pending[this.head]!);
      this.pending[this.head] = null;
      this.head = (this.head + 1) & (MAX_PENDING_BATCHES - 1);
    }
    this.pendingCommands = 0;
    this.saves.length = 0;
    this.journal.syncer?.keepAlive(false);
  }

  private afterBatch(first: number, last: number): void {
    // The replica takes them (at exact multiples of the seq): nothing to serialize here.
    if (this.opts.snapshotter !== "inline") return;
    const { hashEvery, snapshotEvery } = this.opts;
    const hashDue = hashEvery > 0 && Math.floor(last / hashEvery) > Math.floor((first - 1) / hashEvery);
    this.sinceSnapshot += last - first + 1;
    // Serialized now, at `last`; written once the journal is durable through `last`, so that a
    // crash never leaves a snapshot or a hash line ahead of the journal.
    if (snapshotEvery > 0 && this.sinceSnapshot >= snapshotEvery) {
      // One serialization serves both: the snapshot's bytes are what the hash is over.
      const bytes = writeExchangeSnapshot(this.exchange);
      this.sinceSnapshot = 0;
      this.saves.push({ seq: last, time: this.lastTime, snapshot: bytes, hash: hashDue ? hashOf(bytes) : null });
    } else if (hashDue) this.saves.push({ seq: last, time: this.lastTime, snapshot: null, hash: stateHash(this.exchange) });
  }

  /** Background snapshot writes, in order: each starts when the one before has finished. */
  private background: Promise<void> = Promise.resolve();

  private saveInBackground(s: DeferredSave): void {
    const p = paths(this.opts.dataDir);
    this.background = this.background.then(async () => {
      try {
        if (s.snapshot !== null) {
          await saveSnapshotAsync(p.snapshots, s.seq, s.time, s.snapshot);
          pruneSnapshots(p.snapshots, this.opts.keepSnapshots);
        }
        if (s.hash !== null) appendFileSync(p.hashes, `${s.seq} ${s.time} ${s.hash}\n`);
      } catch (e) {
        // A lost snapshot costs a longer replay, not data: the journal has every command.
        this.opts.log?.error("snapshot not saved", { seq: s.seq, err: e });
      }
    });
  }

  /**
   * Resolves once every periodic snapshot and hash line due up to the last seq as of the call is
   * on disk. With the replica: once it has replayed through that seq (which it does as the seq
   * becomes durable) and written them — or has failed (which is logged), or, after close(),
   * once it has stopped. Inline: once the background writes handed over so far are done.
   */
  async portfolio(account: number): Promise<PortfolioRead> {
    if (this.failure !== null) throw new EngineStoppedError(this.failure);
    // Commands queued for this turn's group commit are executed first, so the read follows them.
    if (this.queue.length > 0) this.flush();
    const read = { seq: this.seq, portfolio: portfolio(this.exchange.ledger, account) };
    await this.deliveredGate().after(read.seq);
    return read;
  }

  /** Made on the first read, so a Runtime nobody reads (the engine worker's) carries no listener. */
  private deliveredGate(): DeliveredGate {
    // Batches executed but not yet delivered start at the head of `pending`.
    const delivered = this.queued === 0 ? this.seq : this.pending[this.head]!.first - 1;
    return (this.gate ??= new DeliveredGate(this, delivered));
  }

  settled(): Promise<void> {
    const replica = this.replica;
    if (replica === null) return this.background;
    const target = this.seq;
    // After a failure nothing past the durable seq will ever be durable, so that is as far as it goes.
    const reachable = () => (this.failure === null ? target : Math.min(target, this.journal.durableSeq));
    const poll = () => {
      if (!this.closed) this.poll();
    };
    return Promise.all([this.background, replica.reach(reachable, poll)]).then(() => {});
  }

  private save(s: DeferredSave): string | null {
    const p = paths(this.opts.dataDir);
    let file: string | null = null;
    if (s.snapshot !== null) {
      file = saveSnapshot(p.snapshots, s.seq, s.time, s.snapshot);
      pruneSnapshots(p.snapshots, this.opts.keepSnapshots);
    }
    if (s.hash !== null) appendFileSync(p.hashes, `${s.seq} ${s.time} ${s.hash}\n`);
    return file;
  }

  /**
   * Writes a snapshot of the whole state at the last sequence number, after making the journal
   * durable through it (on this thread) and delivering everything that covers.
   */
  snapshot(): string {
    // After an engine failure the state may hold half a command: a snapshot would make that permanent.
    if (this.failure !== null) throw new EngineStoppedError(this.failure);
    const s: DeferredSave = { seq: this.seq, time: this.lastTime, snapshot: writeExchangeSnapshot(this.exchange), hash: null };
    this.sinceSnapshot = 0;
    this.journal.sync();
    this.poll();
    return this.save(s)!;
  }

  /**
   * The snapshot a maintenance stop leaves (shutdown with `snapshot`): at the last seq, after what
   * is queued has run, unless the newest snapshot is already there, nothing ran, or the engine
   * stopped after a failure (its state may hold half a command). A failed write costs only a
   * longer replay at the next start: it is logged, and the stop goes on.
   */
  finalSnapshot(): void {
    if (this.closed || this.failure !== null) return;
    this.flush();
    if (this.seq === 0 || listSnapshots(paths(this.opts.dataDir).snapshots)[0]?.seq === this.seq) return;
    try {
      this.snapshot();
    } catch (e) {
      this.opts.log?.error("the final snapshot was not written", { seq: this.seq, effect: "the next start replays the journal from the snapshot before", err: e });
    }
  }

  /**
   * Executes what is queued, makes everything written durable and delivers it, then stops the
   * syncer, closes the journal and releases the directory's lock. Blocks for the final fdatasync.
   * A replica still writing a snapshot finishes that one file (whole: temporary name, rename).
   */
  close(): void {
    if (this.closed) return;
    this.deadlines?.close();
    this.flush();
    if (this.journal.failure === null && this.queued > 0) {
      try {
        this.journal.sync();
      } catch (e) {
        this.abandon(e);
      }
    }
    this.poll();
    this.closed = true;
    // Not waited for: a replica behind stops where it is, and a lost snapshot costs a longer replay.
    this.replica?.stop();
    // A syncer stuck in the kernel may still write this journal: then the directory stays locked
    // until the process ends, so no new writer can start under it.
    if (this.journal.close()) this.lock?.release();
  }

  /**
   * The snapshotter replica writes what fell due up to the last command before close() stops it;
   * then the background writes handed over by the final flush finish.
   */
  async shutdown(o: { snapshot?: boolean } = {}): Promise<void> {
    await this.settled();
    if (o.snapshot) this.finalSnapshot();
    this.close();
    await this.settled();
  }

  /** Tests and benches: the snapshotter replica's progress and handle (null when snapshots are inline or off). */
  get snapshotter(): Snapshotter | null {
    return this.replica;
  }
}
