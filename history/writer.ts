/**
 * The history writer: follows the durable journal with a replica of its own (a JournalFollower,
 * as the snapshotter does), turns each command into rows (history/row-builder.ts) and writes them
 * in batches, each batch one transaction that also records the last seq it covers.
 *
 * Resuming. At open it reads how far the store is, starts the replica from the newest snapshot at
 * or before that seq (or from nothing) and replays to it without writing, then writes from the next
 * seq on: after a crash, a killed process or a database outage there is no gap (nothing after the
 * recorded seq was counted as written) and no duplicate (rows are keyed by seq; a batch committed
 * just before the crash is not rewritten, and would change nothing if it were).
 *
 * A database that fails a write keeps its batch: the replica cannot go back, so the writer retries
 * that same batch, with back-off, until the database takes it. Trading never waits for any of this;
 * only history falls behind, and the writer says so (onDown / onUp).
 */
import { JournalFollower } from "../actors/journal/journal-follower.ts";
import type { ExchangeConfig } from "../engine/exchange.ts";
import { tradesSinceDayStart } from "./candle-history.ts";
import { HistoryStoreMismatch } from "./history-errors.ts";
import type { AlertRow } from "./monitoring/alerts.ts";
import { Monitor } from "./monitoring/monitor.ts";
import { tierSettings } from "./monitoring/settings.ts";
import { RowBuilder } from "./row-builder.ts";
import { RowBatch } from "./rows.ts";
import type { HistoryStore, Progress } from "./store.ts";

export interface WriterOptions {
  dataDir: string;
  /** Used only when there is no snapshot to start from (as recovery does). */
  config: ExchangeConfig;
  store: HistoryStore;
  /** A batch is written once it holds this many rows (or the journal has no more). Default 10,000. */
  batchRows?: number;
  /** A write failed: history is behind until it succeeds. Called once per outage. */
  onDown?: (err: Error) => void;
  /** Writing works again after an outage. */
  onUp?: (downMs: number) => void;
  /** Alerts transaction monitoring raised, once the batch holding them is committed (docs/monitoring.md). */
  onAlerts?: (alerts: AlertRow[]) => void;
  /** First and longest wait between retries of a failed write (ms). Default 100 and 5,000. */
  retryMs?: number;
  maxRetryMs?: number;
}

export class HistoryWriter {
  private readonly batchRows: number;
  private downSince = 0;
  /** Rows written since open, for status and benches. */
  rowsWritten = 0;
  private constructor(
    private readonly o: WriterOptions,
    private readonly follower: JournalFollower,
    private readonly builder: RowBuilder,
    private readonly monitor: Monitor,
    /** What the store held at open. */
    readonly resumedFrom: Progress,
  ) {
    this.batchRows = o.batchRows ?? 10_000;
  }

  /** Opens the replica where the store stands; `durable` bounds the replay (the store can never be ahead of the journal). */
  static async open(o: WriterOptions, durable: number): Promise<HistoryWriter> {
    const progress = await o.store.progress();
    if (progress.seq > durable) {
      throw new HistoryStoreMismatch(`the history store covers the journal to seq ${progress.seq} but the journal ends at seq ${durable}: the store belongs to another data directory (rebuild it with \`bourse history rebuild\`)`);
    }
    const follower = JournalFollower.open({ dataDir: o.dataDir, config: o.config, atOrBefore: progress.seq });
    try {
      follower.advance(progress.seq);
      if (follower.seq !== progress.seq) throw new HistoryStoreMismatch(`the journal ends at seq ${follower.seq}, before the history store's seq ${progress.seq}`);
      const builder = new RowBuilder(follower.exchange);
      builder.seedCandles(await tradesSinceDayStart(o.store, progress, follower.exchange.ledger.markets.keys()), progress.time);
      // The rules judge each account by its tier's settings, from the state the store's last batch left.
      const monitor = new Monitor(follower.exchange, tierSettings(o.config.tiers), await o.store.monitorState());
      return new HistoryWriter(o, follower, builder, monitor, progress);
    } catch (e) {
      follower.close();
      throw e;
    }
  }

  /** Last seq written to the store. */
  get seq(): number {
    return this.follower.seq;
  }

  get down(): boolean {
    return this.downSince !== 0;
  }

  /**
   * Writes every command through `durable`, in batches of about batchRows rows. Resolves once all of
   * them are in the store (retrying a failed write until it succeeds, unless `stopping()` says to
   * give up, in which case the batch is dropped unwritten: the store's progress stays before it).
   */
  async catchUp(durable: number, stopping: () => boolean = () => false): Promise<number> {
    while (this.follower.seq < durable) {
      const before = this.follower.seq;
      const batch = new RowBatch();
      const builder = this.builder;
      const monitor = this.monitor;
      const limit = this.batchRows;
      this.follower.advance(durable, (seq, time, ev, cmd) => {
        builder.add(seq, time, ev, cmd, batch);
        monitor.observe(seq, time, ev, cmd, batch.alerts);
        batch.toSeq = seq;
        batch.toTime = time;
        return batch.rows < limit;
      });
      batch.monitorState = monitor.takeState();
      if (!(await this.writeUntilTaken(batch, stopping))) break;
      // The journal holds nothing more yet (a seq published before its record was readable): look again later rather than spin.
      if (this.follower.seq === before) break;
    }
    return this.follower.seq;
  }

  private async writeUntilTaken(batch: RowBatch, stopping: () => boolean): Promise<boolean> {
    let wait = this.o.retryMs ?? 100;
    for (;;) {
      try {
        await this.o.store.write(batch);
        this.rowsWritten += batch.rows;
        if (batch.alerts.length > 0) this.o.onAlerts?.(batch.alerts);
        if (this.downSince !== 0) {
          this.o.onUp?.(Date.now() - this.downSince);
          this.downSince = 0;
        }
        return true;
      } catch (e) {
        if (this.downSince === 0) {
          this.downSince = Date.now();
          this.o.onDown?.(e as Error);
        }
        if (stopping()) return false;
        await Bun.sleep(wait);
        wait = Math.min(wait * 2, this.o.maxRetryMs ?? 5_000);
      }
    }
  }

  close(): void {
    this.follower.close();
  }
}
