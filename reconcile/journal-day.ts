/**
 * One UTC day of the journal, replayed: where it starts and ends (seqs), and a replica that applies
 * it a chunk at a time, turning each command into the rows the history writer would write for it
 * (history/row-builder.ts, the writer's own builder), so what reconciliation compares the store
 * with is derived exactly as the store was, from the journal alone.
 *
 * The replica is recovery as the history writer does it (actors/journal/journal-follower.ts): the
 * newest snapshot before the day, else an empty exchange from the config, then the journal. It only
 * reads: the journal is opened read-only, beside a running server if there is one.
 */
import { JournalFollower } from "../actors/journal/journal-follower.ts";
import { Journal } from "../actors/journal/journal.ts";
import { RecordReader } from "../actors/layout/command-record.ts";
import { decodeCommand } from "../actors/layout/schema.ts";
import { paths } from "../actors/recovery.ts";
import { Command, CommandType } from "../engine/commands.ts";
import { EventType, Rejected } from "../engine/events.ts";
import type { Exchange, ExchangeConfig } from "../engine/exchange.ts";
import { RowBuilder } from "../history/row-builder.ts";
import { RowBatch } from "../history/rows.ts";
import type { UtcDay } from "./day.ts";
import { JournalShortOfDay } from "./reconcile-errors.ts";

/** The day's commands in the journal: firstSeq ≤ seq ≤ lastSeq (lastSeq < firstSeq: none). */
export interface DaySeqs {
  firstSeq: number;
  lastSeq: number;
  /** The journal's last seq when it was read. */
  journalEnd: number;
}

/**
 * Finds the day's seqs. Engine time never goes back along the journal (the sequencer stamps it), so
 * the day is one run of seqs. One pass over the records, stopping at the first after the day.
 */
export function findDay(dataDir: string, day: UtcDay): DaySeqs {
  const journal = Journal.open({ dir: paths(dataDir).journal, readOnly: true });
  try {
    const cmd = new Command();
    const reader = new RecordReader();
    let firstSeq = 0;
    let lastSeq = 0;
    journal.each(
      1,
      Infinity,
      (seq, buf, start, length) => {
        decodeCommand(reader.slotAt(buf, start, length, seq), reader.offset, cmd);
        if (cmd.time >= day.end) return false;
        if (cmd.time >= day.start && firstSeq === 0) firstSeq = seq;
        lastSeq = seq;
      },
      false,
    );
    // No command in the day: an empty run just after the last one before it.
    if (firstSeq === 0) return { firstSeq: lastSeq + 1, lastSeq, journalEnd: journal.lastSeq };
    return { firstSeq, lastSeq, journalEnd: journal.lastSeq };
  } finally {
    journal.close();
  }
}

/** A venue's report the engine refused to settle (docs/venues.md): a break the day's replay finds in the journal. */
export interface RefusedVenueReport {
  seq: number;
  time: number;
  /** The journaled report (VENUE_FILL, VENUE_ACK, VENUE_DONE, VENUE_CANCEL_REJECT), as the router or an operator sent it. */
  cmd: Command;
  reason: number;
}

const isVenueReport = (t: number) => t === CommandType.VENUE_ACK || t === CommandType.VENUE_FILL || t === CommandType.VENUE_DONE || t === CommandType.VENUE_CANCEL_REJECT;

export class JournalDay {
  private readonly builder: RowBuilder;
  /** Called for each venue report of the day the engine refused, as the replay meets it. */
  onRefusedVenueReport: ((r: RefusedVenueReport) => void) | null = null;
  private constructor(
    private readonly follower: JournalFollower,
    /** The last seq this replay goes to. */
    readonly untilSeq: number,
  ) {
    this.builder = new RowBuilder(follower.exchange);
  }

  /** A replica standing just before `fromSeq`, to replay through `untilSeq`. */
  static open(dataDir: string, config: ExchangeConfig, fromSeq: number, untilSeq: number): JournalDay {
    const before = fromSeq - 1;
    const follower = JournalFollower.open({ dataDir, config, atOrBefore: before });
    try {
      follower.advance(before);
      if (follower.seq !== before) throw new JournalShortOfDay(`the journal ends at seq ${follower.seq}, before the day's first command (seq ${fromSeq})`);
      return new JournalDay(follower, untilSeq);
    } catch (e) {
      follower.close();
      throw e;
    }
  }

  /** The replica: the engine's state after `seq`. */
  get exchange(): Exchange {
    return this.follower.exchange;
  }

  get seq(): number {
    return this.follower.seq;
  }

  get time(): number {
    return this.follower.time;
  }

  /** The rows of the next commands, about `maxRows` of them (whole commands), or null once through untilSeq. */
  next(maxRows = 10_000): RowBatch | null {
    if (this.follower.seq >= this.untilSeq) return null;
    const batch = new RowBatch();
    const builder = this.builder;
    const before = this.follower.seq;
    this.follower.advance(this.untilSeq, (seq, time, ev, cmd) => {
      builder.add(seq, time, ev, cmd, batch);
      if (this.onRefusedVenueReport && isVenueReport(cmd.type)) {
        while (ev.next()) if (ev.type === EventType.REJECTED) this.onRefusedVenueReport({ seq, time, cmd, reason: Rejected.reason(ev.data, ev.at) });
        ev.rewind();
      }
      batch.toSeq = seq;
      batch.toTime = time;
      return batch.rows < maxRows;
    });
    if (this.follower.seq === before) throw new JournalShortOfDay(`the journal has no readable command after seq ${before}, before seq ${this.untilSeq}`);
    return batch;
  }

  close(): void {
    this.follower.close();
  }
}
