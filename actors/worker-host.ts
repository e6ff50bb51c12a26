import { InvariantError } from "../engine/errors.ts";
import { subscribe } from "./subscribe.ts";
import { EngineWorkerError } from "./host-errors.ts";
import type { Logger, LogRecord } from "../log/logger.ts";
import { Command } from "../engine/commands.ts";
import { EVENT_WIDTH, EventBuffer } from "../engine/events.ts";
import { EVENT_RECORD_BYTES, decodeEvent } from "./layout/event-layout.ts";
import { DeadlineTimer } from "./deadline-timer.ts";
import { Ring } from "./ring/ring.ts";
import { DataDirError } from "./data-dir-errors.ts";
import { JournalCorruptError } from "./journal/segment.ts";
import { DataDirLock } from "./data-lock.ts";
import { checkEncodable } from "./command-check.ts";
import type { RuntimeOptions } from "./runtime-options.ts";
import { EngineStoppedError, StopListeners } from "./stop-listeners.ts";
import type { Delivery, EngineHost, PortfolioRead } from "./sequencer.ts";
import { DeliveredGate } from "./delivered-gate.ts";
import { COMMAND_SLOT_BYTES, encodeCommand } from "./layout/schema.ts";
import type { RecoveredState } from "./recovered-state.ts";
import { seqAtOrAfter, seqDiff } from "./ring/sequence.ts";
import { ReplicaProgress } from "./snapshot/snapshotter.ts";
import { CONTROL, END_EVENT, type WorkerInit, type WorkerMessage } from "./worker-protocol.ts";

export interface WorkerHostOptions extends RuntimeOptions {
  /** Command ring slots (power of two). Default 16,384. */
  commandSlots?: number;
  /** Event ring slots (power of two). Default 65,536. */
  eventSlots?: number;
}

/**
 * `workers: 1`: the Runtime runs in a Bun worker (actors/engine-worker.ts) and this thread keeps
 * only the doors' side of it — encode a submitted command into the command ring, read deliveries
 * from the event ring and hand them to listeners. Same Sequencer contract as the embedded Runtime:
 * a delivery means the command is durable.
 *
 * Supervision: a worker that reports a failure, throws or exits stops the host; every later
 * submit throws EngineStoppedError, and a restart recovers from the journal.
 */
export class WorkerHost implements EngineHost {
  private readonly worker: Worker;
  private readonly cmds: Ring;
  private readonly events: Ring;
  private readonly scratch = new DataView(new ArrayBuffer(COMMAND_SLOT_BYTES));
  private readonly queue: Command[] = [];
  private readonly tokens: number[] = [];
  private readonly spare: Command[] = [];
  private readonly deliveries: Delivery[] = [];
  private readonly out = new EventBuffer(1024);
  private readonly record = new Float64Array(EVENT_WIDTH);
  private flushing = false;
  /** Portfolio reads waiting for the worker's answer, by token. */
  private readonly reads = new Map<number, (p: PortfolioRead | null) => void>();
  private gate: DeliveredGate | null = null;
  private nextRead = 1;
  private failure: unknown = null;
  private closed: Promise<number> | null = null;
  /** Resolves with the last seq the worker delivered once it has closed its runtime, or null if it died without a word. */
  private readonly workerDone: Promise<number | null>;
  private resolveWorkerDone!: (seq: number | null) => void;
  private readonly stopListeners = new StopListeners();
  private seq = 0;
  private readonly log?: Logger;
  /** The snapshotter replica the engine worker started, seen through its shared buffer (null: none). */
  private readonly replica: ReplicaProgress | null;
  /** Sends TICK / END_OF_DAY at the engine's deadlines, which the worker reports with every delivery. */
  private deadlines: DeadlineTimer | null = null;

  private constructor(
    worker: Worker,
    cmds: Ring,
    events: Ring,
    lastSeq: number,
    /** The books and open orders as recovered, before the first command (the doors start there). */
    readonly recovered: RecoveredState,
    snapshotter: SharedArrayBuffer | null,
    /** The data directory's lock, taken on this thread before the worker opened anything. */
    private readonly lock: DataDirLock,
    log?: Logger,
  ) {
    this.replica = snapshotter === null ? null : new ReplicaProgress(snapshotter);
    this.worker = worker;
    this.cmds = cmds;
    this.events = events;
    this.seq = lastSeq;
    this.log = log;
    this.workerDone = new Promise((resolve) => (this.resolveWorkerDone = resolve));
  }

  /**
   * Takes the data directory's lock here, on the calling thread (DataDirInUse before any worker
   * starts), then starts the engine worker, which recovers the directory under it.
   */
  static async start(opts: WorkerHostOptions): Promise<WorkerHost> {
    const lock = DataDirLock.acquire(opts.dataDir);
    try {
      return await WorkerHost.startUnder(opts, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  private static async startUnder(opts: WorkerHostOptions, lock: DataDirLock): Promise<WorkerHost> {
    const cmds = Ring.create({ size: opts.commandSlots ?? 16_384, slotBytes: COMMAND_SLOT_BYTES, consumers: 1 });
    const events = Ring.create({ size: opts.eventSlots ?? 65_536, slotBytes: EVENT_RECORD_BYTES, consumers: 1 });
    const worker = new Worker(new URL("./engine-worker.ts", import.meta.url));
    const { log, commandSlots: _c, eventSlots: _e, ...options } = opts;
    type Ready = { lastSeq: number; recovered: RecoveredState; snapshotter: SharedArrayBuffer | null; deadline: number; deadlineSymbol: number };
    const ready = new Promise<Ready>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const m = e.data;
        if (m.kind === "ready") resolve(m);
        else if (m.kind === "log") relay(log, m.record);
        // An inconsistent data directory is the operator's to fix: keep it a DataDirError across the thread, and a corrupt journal its cause.
        else if (m.kind === "failed") reject(m.operator ? new DataDirError(m.message) : new EngineWorkerError(m.message, { cause: m.corrupt && new JournalCorruptError(m.corrupt.file, m.corrupt.offset, m.corrupt.detail) }));
      };
      worker.onerror = (e) => reject(new EngineWorkerError(`engine worker failed to start: ${e.message}`));
    });
    const init: WorkerInit = { cmdSab: cmds.sab, evSab: events.sab, options: { ...options, lockHeld: true } };
    worker.postMessage(init);
    let started: Ready;
    try {
      started = await ready;
    } catch (e) {
      worker.terminate();
      throw e;
    }
    const host = new WorkerHost(worker, cmds, events, started.lastSeq, started.recovered, started.snapshotter, lock, log);
    host.supervise();
    if (opts.deadlines !== false) {
      host.deadlines = new DeadlineTimer(host, undefined, log);
      host.deadlines.update(started.deadline, started.deadlineSymbol);
    }
    void host.readEvents();
    return host;
  }

  get lastSeq(): number {
    return this.seq;
  }

  get stopped(): boolean {
    return this.failure !== null;
  }

  /**
   * For /metrics: commands waiting on this thread for room in the command ring, slots of the
   * command ring the engine has not taken yet, and event slots the engine wrote that this thread
   * has not read yet. Read at scrape time only.
   */
  get ringDepth(): { waiting: number; commands: number; events: number } {
    return {
      waiting: this.queue.length,
      commands: this.cmds.size - this.cmds.remaining(),
      events: seqDiff(this.events.cursor.get(), this.events.consumer(0).get()),
    };
  }

  onDelivery(fn: Delivery): () => void {
    return subscribe(this.deliveries, fn);
  }

  submit(cmd: Command, token = 0): void {
    if (this.failure !== null) throw new EngineStoppedError(this.failure);
    if (this.closed) throw new InvariantError("the engine is closing");
    checkEncodable(cmd, this.scratch);
    this.queue.push((this.spare.pop() ?? new Command()).copyFrom(cmd));
    this.tokens.push(token);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }

  /** Moves queued commands into the ring; a failure here stops the host rather than wedging it. */
  private async flush(): Promise<void> {
    try {
      await this.fillRing();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** Moves queued commands into the ring, waiting for room when it is full. */
  private async fillRing(): Promise<void> {
    let i = 0;
    while (i < this.queue.length && this.failure === null) {
      const n = Math.min(this.queue.length - i, 256, this.cmds.size);
      // A full ring waits for room; a stalled ring (RingStalledError) propagates and stops the host.
      const lo = this.cmds.tryClaim(n) ?? (await this.cmds.claimAsync(1));
      const got = this.cmds.lastClaimed - lo + 1;
      for (let k = 0; k < got; k++, i++) {
        // The token rides where the sequence number will go; the worker's sequencer stamps the seq.
        encodeCommand(this.queue[i]!, this.tokens[i]!, this.cmds.view, this.cmds.offset(lo + k));
      }
      this.cmds.publish(this.cmds.lastClaimed);
    }
    for (let k = 0; k < i; k++) this.spare.push(this.queue[k]!);
    this.queue.splice(0, i);
    this.tokens.splice(0, i);
    this.flushing = false;
    if (this.queue.length > 0 && this.failure === null) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }

  /** Reads the event ring: events accumulate until a command's END record, then go to listeners. */
  private async readEvents(): Promise<void> {
    const barrier = this.events.barrier([], { self: 0 });
    const progress = this.events.consumer(0);
    const view = this.events.view;
    const rec = this.record;
    let next = (this.events.initial + 1) | 0;
    for (;;) {
      const available = await barrier.waitForAsync(next);
      if (barrier.alerted) return;
      if (!seqAtOrAfter(available, next)) continue;
      for (let s = next; ; s = (s + 1) | 0) {
        const at = this.events.offset(s);
        const seq = decodeEvent(view, at, rec);
        if (rec[0] === END_EVENT) {
          this.seq = seq;
          const token = rec[2]!;
          const time = rec[5]!;
          // Before the listeners: the timer's own delivery must find the deadline that follows it.
          this.deadlines?.update(rec[7]!, rec[8]!);
          const n = this.out.count;
          for (const d of this.deliveries) {
            try {
              d(seq, token, this.out, 0, n, time);
            } catch (e) {
              this.log?.error("delivery listener failed", { seq, err: e });
            }
          }
          this.out.reset();
        } else {
          decodeEvent(view, at, this.out.data, this.out.claim());
        }
        if (s === available) break;
      }
      progress.set(available);
      next = (available + 1) | 0;
    }
  }

  private supervise(): void {
    this.worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data;
      if (m.kind === "log") relay(this.log, m.record);
      else if (m.kind === "failed") this.fail(new EngineWorkerError(m.message));
      else if (m.kind === "closed") this.resolveWorkerDone(m.lastSeq);
      else if (m.kind === "portfolio") {
        const done = this.reads.get(m.token);
        this.reads.delete(m.token);
        done?.({ seq: m.seq, portfolio: m.portfolio ?? undefined });
      }
    };
    this.worker.onerror = (e) => this.fail(new EngineWorkerError(`engine worker threw: ${e.message}`));
    this.worker.addEventListener("close", () => {
      this.resolveWorkerDone(null);
      if (!this.closed) this.fail(new EngineWorkerError("engine worker exited"));
    });
  }

  onStop(fn: (failure: Error) => void): () => void {
    return this.stopListeners.add(fn);
  }

  private fail(e: Error): void {
    if (this.failure !== null) return;
    this.failure = e;
    this.deadlines?.close();
    // Reads still waiting get no answer from a stopped worker.
    for (const done of this.reads.values()) done(null);
    this.reads.clear();
    this.log?.error("engine stopped", { cause: e.message, restart: "recovers from the journal" });
    this.stopListeners.fire(e, this.log);
  }

  /**
   * Resolves once the engine worker's snapshotter replica has written every periodic snapshot and
   * hash line due up to the last seq delivered so far (or has failed, or stopped at close).
   */
  settled(): Promise<void> {
    if (this.replica === null) return Promise.resolve();
    const target = this.seq;
    // Once the engine worker is closing, the replica is stopped with it (and may be gone without a word).
    return this.replica.reach(() => (this.closed === null && this.failure === null ? target : null));
  }

  async portfolio(account: number): Promise<PortfolioRead> {
    if (this.failure !== null) throw new EngineStoppedError(this.failure);
    if (this.closed !== null) throw new EngineStoppedError("the engine is closing");
    const token = this.nextRead++;
    const read = await new Promise<PortfolioRead | null>((resolve) => {
      this.reads.set(token, resolve);
      this.control(CONTROL.PORTFOLIO, account, token);
    });
    if (read === null) throw new EngineStoppedError(this.failure ?? "the engine is closing");
    // The worker read between commands, up to a group commit ahead of the journal.
    await (this.gate ??= new DeliveredGate(this, this.seq)).after(read.seq);
    return read;
  }

  /** Asks the worker for a snapshot after everything submitted so far. */
  snapshot(): void {
    this.control(CONTROL.SNAPSHOT);
  }

  /**
   * Lets everything submitted be executed and delivered, then stops the worker and releases the
   * directory's lock. After a failure the worker closes its runtime by itself (delivering what was
   * durable); a worker that does not report within WORKER_CLOSE_MS (it died, or the failure was on
   * this side) is terminated.
   */
  close(): Promise<number> {
    if (this.closed) return this.closed;
    this.deadlines?.close();
    const stopped = this.failure !== null;
    if (!stopped) this.control(CONTROL.CLOSE);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), WORKER_CLOSE_MS)));
    const done = stopped ? Promise.race([this.workerDone, gaveUp]) : this.workerDone;
    this.closed = done.then(async (seq) => {
      clearTimeout(timer);
      // The END records of the last commands may still be in the ring: let the reader catch up.
      if (seq !== null) while (this.seq < seq) await new Promise((r) => setTimeout(r, 1));
      this.events.barrier([], { self: 0 }).alert();
      this.worker.terminate();
      // The worker closed its journal before it said "closed" (or was terminated): nothing of it writes any more.
      this.lock.release();
      return this.seq;
    });
    return this.closed;
  }

  /** Closes the worker once its replica has written what fell due up to the last command (it stops the replica). */
  async shutdown(o: { snapshot?: boolean } = {}): Promise<void> {
    await this.settled();
    // Ahead of CLOSE in the same queue: the worker writes it after everything submitted before.
    if (o.snapshot && this.failure === null) this.control(CONTROL.FINAL_SNAPSHOT);
    await this.close();
  }

  private control(type: number, account = 0, token = 0): void {
    const c = new Command();
    c.type = type;
    c.account = account;
    this.queue.push(c);
    this.tokens.push(token);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }
}

/** How long close() after a failure waits for the engine worker to report that it has closed. */
const WORKER_CLOSE_MS = 10_000;

/** Writes a record the engine worker logged with this thread's logger (its level, format and limits). */
function relay(log: Logger | undefined, record: LogRecord): void {
  const { time: _t, level, msg, ...fields } = record;
  log?.[level](msg, fields);
}
