import { appendFileSync } from "node:fs";
import { Command, CommandType } from "../engine/commands.ts";
import { EventBuffer } from "../engine/events.ts";
import type { Exchange, ExchangeConfig } from "../engine/exchange.ts";
import { writeExchangeSnapshot } from "../engine/exchange-snapshot.ts";
import { Reason } from "../engine/reasons.ts";
import { EngineClock } from "./clock.ts";
import type { Journal } from "./journal.ts";
import { hashOf, paths, recover, stateHash } from "./recovery.ts";
import { COMMAND_SLOT_BYTES, encodeCommand } from "./schema.ts";
import { pruneSnapshots, saveSnapshot } from "./snapshot-store.ts";

export interface RuntimeOptions {
  config: ExchangeConfig;
  dataDir: string;
  /** Commands between snapshots (0: none). Default 100,000. */
  snapshotEvery?: number;
  /**
   * Commands between state hashes written to hashes.log (0: none). Default 100,000. A hash
   * serializes the whole state on the engine thread (a stall proportional to the state), so it is
   * taken from the snapshot's bytes when the two fall due together.
   */
  hashEvery?: number;
  /** Snapshots kept on disk. Default 3. */
  keepSnapshots?: number;
  /** fdatasync on every group commit. Default true; off only for tests and benches that say so. */
  fsync?: boolean;
  /**
   * Flush by itself once per event-loop turn after a submit. Default true. A host that drives
   * flush() from its own loop (the engine worker, which never yields to its event loop) sets false.
   */
  autoFlush?: boolean;
  log?: (line: string) => void;
}

/**
 * What a submitter hears back: the command's sequence number and its events, once the journal
 * holds it durably. `token` is the submitter's own tag (a session and request id, say).
 */
export type Delivery = (seq: number, token: number, events: EventBuffer, from: number, to: number, time: number) => void;

/** Reason code for a field the binary layout cannot hold, so the caller can answer in its protocol. */
const FIELD_REASONS: Record<string, number> = {
  qty: Reason.INVALID_QUANTITY,
  price: Reason.INVALID_PRICE,
  stopPrice: Reason.INVALID_STOP_PRICE,
  orderId: Reason.INVALID_ORDER_ID,
  account: Reason.INVALID_ACCOUNT,
  symbol: Reason.UNKNOWN_SYMBOL,
  clientOrderId: Reason.INVALID_CLIENT_ORDER_ID,
  destination: Reason.INVALID_DESTINATION,
  amount: Reason.INVALID_AMOUNT,
  currency: Reason.UNKNOWN_CURRENCY,
  tier: Reason.UNKNOWN_TIER,
  side: Reason.INVALID_SIDE,
  orderType: Reason.INVALID_ORDER_TYPE,
  tif: Reason.INVALID_TIME_IN_FORCE,
  stp: Reason.INVALID_STP_MODE,
  expireTime: Reason.GTD_IN_PAST,
};

/** A command with a field no command can carry (a fractional quantity, a 40-character id): refused before sequencing. */
export class InvalidCommandError extends Error {
  constructor(
    readonly reason: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Encodes `cmd` into `slot` as the check that it can be journaled at all; throws
 * InvalidCommandError with the reason code for the offending field.
 */
export function checkEncodable(cmd: Command, slot: DataView): void {
  try {
    encodeCommand(cmd, 0, slot, 0);
  } catch (e) {
    const field = /command field (\w+)/.exec((e as Error).message)?.[1] ?? "";
    throw new InvalidCommandError(FIELD_REASONS[field] ?? Reason.UNKNOWN_COMMAND, (e as Error).message);
  }
}

/** What a door needs of the core, whichever thread the engine runs on. */
export interface Sequencer {
  submit(cmd: Command, token?: number): void;
  onDelivery(fn: Delivery): () => void;
  readonly lastSeq: number;
  readonly stopped: boolean;
  close(): void | Promise<unknown>;
}

export class EngineStoppedError extends Error {
  constructor(readonly failure: unknown) {
    super(`the engine stopped after a failure and accepts no commands until it is restarted: ${String(failure)}`);
  }
}

/**
 * The sequencer on one thread (the embedded default): commands queue as they arrive; once per turn
 * of the event loop the batch is stamped (sequence number, engine time), executed, appended to the
 * journal and made durable with one fdatasync (group commit), and only then are its events
 * delivered. Nothing reaches a client before the journal covers it.
 *
 * A command is executed before it is journaled, so one that throws (an engine bug) never enters
 * the journal: the engine stops — its state may be partial — and a restart recovers from the
 * journal without it. Consistency over availability.
 */
export class Runtime implements Sequencer {
  readonly exchange: Exchange;
  private readonly journal: Journal;
  private readonly clock: EngineClock;
  private seq: number;
  private lastTime: number;
  private readonly queue: Command[] = [];
  private readonly tokens: number[] = [];
  private readonly spare: Command[] = [];
  private readonly slot = new DataView(new ArrayBuffer(COMMAND_SLOT_BYTES));
  private readonly slotBytes = new Uint8Array(this.slot.buffer);
  private readonly out = new EventBuffer(4096);
  private ends = new Int32Array(256);
  private times = new Float64Array(256);
  private readonly deliveries: Delivery[] = [];
  private scheduled = false;
  private failure: unknown = null;
  private sinceSnapshot = 0;
  private readonly opts: Required<Omit<RuntimeOptions, "log">> & Pick<RuntimeOptions, "log">;

  private constructor(opts: RuntimeOptions, exchange: Exchange, journal: Journal, seq: number, time: number) {
    this.opts = { snapshotEvery: 100_000, hashEvery: 100_000, keepSnapshots: 3, fsync: true, autoFlush: true, ...opts };
    this.exchange = exchange;
    this.journal = journal;
    this.seq = seq;
    this.lastTime = time;
    this.clock = new EngineClock(time);
  }

  /** Recovers the data directory (newest snapshot + journal replay) and opens it for commands. */
  static start(opts: RuntimeOptions): Runtime {
    const r = recover({
      dataDir: opts.dataDir,
      config: opts.config,
      fsync: opts.fsync ?? true,
      onSkip: (f, why) => opts.log?.(`skipped snapshot ${f}: ${why}`),
    });
    if (r.truncatedBytes > 0) opts.log?.(`journal: truncated a torn tail of ${r.truncatedBytes} bytes`);
    opts.log?.(`recovered to seq ${r.seq} (snapshot ${r.snapshotSeq}, replayed ${r.replayed})`);
    return new Runtime(opts, r.exchange, r.journal!, r.seq, r.time);
  }

  get lastSeq(): number {
    return this.seq;
  }

  get durableSeq(): number {
    return this.journal.durableSeq;
  }

  get stopped(): boolean {
    return this.failure !== null;
  }

  onDelivery(fn: Delivery): () => void {
    this.deliveries.push(fn);
    return () => {
      const i = this.deliveries.indexOf(fn);
      if (i >= 0) this.deliveries.splice(i, 1);
    };
  }

  /** Queues a copy of `cmd`; its events are delivered after the next group commit. */
  submit(cmd: Command, token = 0): void {
    if (this.failure !== null) throw new EngineStoppedError(this.failure);
    // The layout is strict, so encoding is the check: a command that cannot be journaled is
    // refused here, unsequenced, and never reaches the sequencer.
    checkEncodable(cmd, this.slot);
    const copy = (this.spare.pop() ?? new Command()).copyFrom(cmd);
    this.queue.push(copy);
    this.tokens.push(token);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || !this.opts.autoFlush) return;
    this.scheduled = true;
    // After this turn's I/O callbacks: every command that arrived in the turn shares one fsync.
    setImmediate(() => this.flush());
  }

  /** Stamps, executes, journals and commits everything queued, then delivers. Safe to call directly. */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || this.failure !== null) return;
    // Take the batch out first: a listener may submit while it is being delivered, and those
    // commands belong to the next batch.
    const batch = this.queue.splice(0);
    const tokens = this.tokens.splice(0);
    const n = batch.length;
    if (this.ends.length < n) {
      this.ends = new Int32Array(n * 2);
      this.times = new Float64Array(n * 2);
    }
    const out = this.out;
    out.reset();
    const first = this.seq + 1;
    let i = 0;
    try {
      for (; i < n; i++) {
        const cmd = batch[i]!;
        const seq = first + i;
        cmd.time = this.clock.now();
        // Order ids come from sequence numbers: a door leaves it 0 and the sequencer fills it in
        // (before journaling, so a replay sees the same id).
        if (cmd.type === CommandType.NEW_ORDER && cmd.orderId === 0) cmd.orderId = seq;
        // Journal the command as it arrived: risk may write a cap into it while executing.
        encodeCommand(cmd, seq, this.slot, 0);
        this.exchange.execute(cmd, out);
        this.ends[i] = out.count;
        this.times[i] = cmd.time;
        this.journal.append(seq, this.slotBytes);
        this.lastTime = cmd.time;
      }
    } catch (e) {
      this.failure = e;
      this.opts.log?.(`engine failed on command ${first + i}; stopping (restart recovers from the journal): ${(e as Error).stack ?? e}`);
    }
    // Commands executed before a failure are journaled and delivered; the failing one is not.
    const done = i;
    this.seq = first + done - 1;
    if (done > 0) this.journal.commit();
    let from = 0;
    for (let k = 0; k < done; k++) {
      const to = this.ends[k]!;
      for (const d of this.deliveries) this.notify(d, first + k, tokens[k]!, out, from, to, this.times[k]!);
      from = to;
    }
    for (let k = 0; k < n; k++) this.spare.push(batch[k]!);
    if (done > 0) this.afterBatch(first, this.seq);
    if (this.queue.length > 0) this.schedule();
  }

  /** A listener's bug must not stop the sequencer or starve the other listeners. */
  private notify(d: Delivery, seq: number, token: number, out: EventBuffer, from: number, to: number, time: number): void {
    try {
      d(seq, token, out, from, to, time);
    } catch (e) {
      this.opts.log?.(`delivery listener failed on seq ${seq}: ${(e as Error).stack ?? e}`);
    }
  }

  private afterBatch(first: number, last: number): void {
    const { hashEvery, snapshotEvery } = this.opts;
    const hashDue = hashEvery > 0 && Math.floor(last / hashEvery) > Math.floor((first - 1) / hashEvery);
    this.sinceSnapshot += last - first + 1;
    if (snapshotEvery > 0 && this.sinceSnapshot >= snapshotEvery) {
      // One serialization serves both: the snapshot's bytes are what the hash is over.
      const bytes = writeExchangeSnapshot(this.exchange);
      this.saveSnapshot(bytes);
      if (hashDue) this.logHash(last, hashOf(bytes));
    } else if (hashDue) this.logHash(last, stateHash(this.exchange));
  }

  private logHash(seq: number, hash: string): void {
    appendFileSync(paths(this.opts.dataDir).hashes, `${seq} ${this.lastTime} ${hash}\n`);
  }

  /** Writes a snapshot of the whole state at the last sequence number. */
  snapshot(): string {
    return this.saveSnapshot(writeExchangeSnapshot(this.exchange));
  }

  private saveSnapshot(bytes: Uint8Array): string {
    const file = saveSnapshot(paths(this.opts.dataDir).snapshots, this.seq, this.lastTime, bytes);
    pruneSnapshots(paths(this.opts.dataDir).snapshots, this.opts.keepSnapshots);
    this.sinceSnapshot = 0;
    return file;
  }

  close(): void {
    this.flush();
    this.journal.close();
  }
}
