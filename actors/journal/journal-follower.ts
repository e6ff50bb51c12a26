/**
 * A replica of the engine state kept by replaying the journal as it grows: recovery (actors/
 * recovery.ts, `recover`) that does not stop at the end. It starts exactly as recovery does —
 * the newest whole snapshot, else an empty exchange from the configuration — and then applies
 * each command the writer has made durable, in seq order, through a JournalTail. Because every
 * state is a pure function of the journal, the replica at seq s is the engine at seq s, byte for
 * byte (DESIGN.md: "a hot standby exact").
 *
 * The snapshotter (actors/snapshot/snapshotter-worker.ts) runs one to take snapshots and state hashes off
 * the engine thread; a hot standby will run the same with the durable seq coming from elsewhere.
 */
import { Command } from "../../engine/commands.ts";
import { EventBuffer } from "../../engine/events.ts";
import { DeliveredEvents } from "../delivered-events.ts";
import { Exchange, type ExchangeConfig } from "../../engine/exchange.ts";
import { readExchangeSnapshot } from "../../engine/exchange-snapshot.ts";
import { RecordReader } from "../layout/command-record.ts";
import { JournalTail } from "./journal-tail.ts";
import { paths } from "../recovery.ts";
import { decodeCommand } from "../layout/schema.ts";
import { loadNewestSnapshot } from "../snapshot/snapshot-store.ts";

export interface FollowerOptions {
  dataDir: string;
  /** Used only when there is no snapshot yet; a snapshot carries the config it was taken with. */
  config: ExchangeConfig;
  onSkip?: (file: string, why: string) => void;
  /** Start from the newest snapshot at or before this seq (a history writer resuming behind the newest one). Default: the newest. */
  atOrBefore?: number;
}

/**
 * Called after each command is applied, with its seq, engine time, the events it produced (the
 * reader every delivery consumer uses) and the command as journaled (both valid during the call
 * only). Return false to stop there.
 */
export type Applied = (seq: number, time: number, events: DeliveredEvents, cmd: Command) => boolean | void;

export class JournalFollower {
  readonly exchange: Exchange;
  /** The seq the replica started from (the snapshot it loaded; 0 without one). */
  readonly startSeq: number;
  private _seq: number;
  private _time: number;
  private readonly tail: JournalTail;
  private readonly cmd = new Command();
  private readonly journaled = new Command();
  private readonly out = new EventBuffer();
  private readonly batch = new DeliveredEvents();
  private readonly records = new RecordReader();
  private after: Applied | undefined = undefined;
  private stopped = false;

  private constructor(exchange: Exchange, seq: number, time: number, journalDir: string) {
    this.exchange = exchange;
    this.startSeq = this._seq = seq;
    this._time = time;
    this.tail = new JournalTail(journalDir, seq + 1);
  }

  /** The newest whole snapshot in `dataDir`, or an empty exchange; nothing of the journal is read yet. */
  static open(opts: FollowerOptions): JournalFollower {
    const p = paths(opts.dataDir);
    const snap = loadNewestSnapshot(p.snapshots, opts.atOrBefore ?? Infinity, opts.onSkip);
    const exchange = snap ? readExchangeSnapshot(snap.state) : new Exchange(opts.config);
    return new JournalFollower(exchange, snap?.seq ?? 0, snap?.time ?? 0, p.journal);
  }

  /** Last seq applied, and its engine time. */
  get seq(): number {
    return this._seq;
  }

  get time(): number {
    return this._time;
  }

  /**
   * Applies every command after `seq` through `untilSeq`, which must be durable (the writer says
   * so: a shared word, a stream's acknowledgement). `after` runs once per command, after it is
   * applied, with its events (a history writer or a standby reads them there); returning false
   * stops there. Returns the last seq applied.
   */
  advance(untilSeq: number, after?: Applied): number {
    this.after = after;
    this.stopped = false;
    try {
      this.tail.read(untilSeq, this.apply);
    } finally {
      this.after = undefined;
    }
    return this._seq;
  }

  private readonly apply = (seq: number, payload: Uint8Array): boolean => {
    // Decoded as recover() decodes it.
    const view = this.records.slot(payload, seq);
    const cmd = this.cmd;
    decodeCommand(view, this.records.offset, cmd);
    // Risk may write a cap into the command it executes; whoever reads it afterwards gets it as journaled.
    if (this.after !== undefined) this.journaled.copyFrom(cmd);
    this.out.reset();
    this.exchange.execute(cmd, this.out);
    this._seq = seq;
    this._time = cmd.time;
    // A replayed command has no submitter here: token 0.
    if (this.after !== undefined && this.after(seq, cmd.time, this.batch.set(seq, 0, this.out, 0, this.out.count, cmd.time), this.journaled) === false) this.stopped = true;
    return !this.stopped;
  };

  close(): void {
    this.tail.close();
  }
}
