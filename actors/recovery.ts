import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "../engine/commands.ts";
import { EventBuffer } from "../engine/events.ts";
import { Exchange, type ExchangeConfig } from "../engine/exchange.ts";
import { readExchangeSnapshot, writeExchangeSnapshot } from "../engine/exchange-snapshot.ts";
import { Journal } from "./journal/journal.ts";
import { RecordReader } from "./layout/command-record.ts";
import { decodeCommand } from "./layout/schema.ts";
import { loadNewestSnapshot } from "./snapshot/snapshot-store.ts";
import { DataDirMissing, JournalStartsLate, SnapshotAheadOfJournal, UntilPastEnd } from "./data-dir-errors.ts";

/** Where a data directory keeps its parts. */
export function paths(dataDir: string) {
  return { journal: join(dataDir, "journal"), snapshots: join(dataDir, "snapshots"), hashes: join(dataDir, "hashes.log") };
}

export interface RecoverOptions {
  dataDir: string;
  /** Used only when there is no snapshot yet; a snapshot carries the config it was taken with. */
  config: ExchangeConfig;
  /** Point in time: stop after this sequence number, or before the first command later than this time (µs). */
  untilSeq?: number;
  untilTime?: number;
  /** Open the journal without truncating a torn tail (inspection tools). Default false. */
  readOnly?: boolean;
  /** Replay the whole journal from seq 1, ignoring snapshots (to check snapshots against it). */
  ignoreSnapshots?: boolean;
  /** Journal settings for appending after recovery. */
  fsync?: boolean;
  segmentBytes?: number;
  onProgress?: (done: number, total: number) => void;
  onSkip?: (file: string, why: string) => void;
  /** Called after every replayed command with its events (a history rebuild, a replica check). */
  onEvents?: (seq: number, events: EventBuffer, exchange: Exchange) => void;
}

export interface Recovered {
  exchange: Exchange;
  journal: Journal | null;
  /** Last sequence applied, and its engine time. */
  seq: number;
  time: number;
  snapshotSeq: number;
  replayed: number;
  truncatedBytes: number;
  /** The journal's last seq, whatever the target: a point-in-time recovery that reached it ended at the end. */
  journalEnd: number;
}

/**
 * Newest valid snapshot (at or before the target) plus replay of the journal after it. The
 * journal is left open for appending unless `readOnly`, or a point-in-time target was given; a
 * writable recovery must run under the directory's lock (actors/data-lock.ts; Runtime.start takes it).
 *
 * Refuses, before anything on disk is changed: a read-only recovery of a directory that does not
 * exist (DataDirMissing); a snapshot ahead of the journal's end (SnapshotAheadOfJournal) or a
 * journal that starts after it (JournalStartsLate); a target past the journal's end (UntilPastEnd).
 */
export function recover(opts: RecoverOptions): Recovered {
  const p = paths(opts.dataDir);
  const untilSeq = opts.untilSeq ?? Infinity;
  const untilTime = opts.untilTime ?? Infinity;
  const pointInTime = untilSeq !== Infinity || untilTime !== Infinity;
  // A writer creates its directory (under its lock); a reader of a directory that is not there has a wrong --data.
  if ((opts.readOnly === true || pointInTime) && !existsSync(opts.dataDir)) throw new DataDirMissing(opts.dataDir);
  const snap = opts.ignoreSnapshots ? null : loadNewestSnapshot(p.snapshots, untilSeq, opts.onSkip);
  let exchange = snap ? readExchangeSnapshot(snap.state) : new Exchange(opts.config);
  let seq = snap?.seq ?? 0;
  let time = snap?.time ?? 0;
  if (snap && snap.time > untilTime) {
    // The newest snapshot is already past the time target: start from nothing instead.
    exchange = new Exchange(opts.config);
    seq = 0;
    time = 0;
  }
  const snapshotSeq = seq;
  const journal = Journal.open({
    dir: p.journal,
    readOnly: opts.readOnly === true || pointInTime,
    fsync: opts.fsync,
    segmentBytes: opts.segmentBytes,
    // Before a torn tail is cut: a journal that does not reach the snapshot has lost acknowledged
    // commands, and cutting it further would only lose more.
    check: (firstSeq, lastSeq) => {
      if (snapshotSeq > 0 && lastSeq < snapshotSeq) throw new SnapshotAheadOfJournal(opts.dataDir, snapshotSeq, lastSeq, snap!.file);
      if (lastSeq > 0 && firstSeq > snapshotSeq + 1) throw new JournalStartsLate(opts.dataDir, snapshotSeq, firstSeq);
    },
  });
  let replayed = 0;
  const total = Math.min(journal.lastSeq, untilSeq) - seq;
  // A failed replay must not leave the journal open: writable, it holds the directory's lock.
  try {
    if (pointInTime) refusePastEnd(journal, untilSeq, untilTime);
    const cmd = new Command();
    const out = new EventBuffer();
    const reader = new RecordReader();
    const onEvents = opts.onEvents;
    const onProgress = opts.onProgress;
    // Without a second CRC check: open() has just scanned every record, checksums included.
    journal.each(
      seq + 1,
      untilSeq,
      (recSeq, buf, start, length) => {
        decodeCommand(reader.slotAt(buf, start, length, recSeq), reader.offset, cmd);
        if (cmd.time > untilTime) return false;
        out.reset();
        exchange.execute(cmd, out);
        onEvents?.(recSeq, out, exchange);
        seq = recSeq;
        time = cmd.time;
        replayed++;
        if (onProgress && replayed % 10_000 === 0) onProgress(replayed, total);
      },
      false,
    );
  } catch (e) {
    journal.close();
    throw e;
  }
  opts.onProgress?.(replayed, total);
  if (pointInTime || opts.readOnly) {
    journal.close();
    return { exchange, journal: null, seq, time, snapshotSeq, replayed, truncatedBytes: journal.truncatedBytes, journalEnd: journal.lastSeq };
  }
  return { exchange, journal, seq, time, snapshotSeq, replayed, truncatedBytes: journal.truncatedBytes, journalEnd: journal.lastSeq };
}

/**
 * Throws UntilPastEnd when the target seq is after the journal's last command, or when a target
 * time is given and the journal has no command at all. A time after the last command is a fair
 * question ("the state at 10:00" with nothing since 09:59): the answer is the state at the end,
 * and the CLI notes that the journal ends before the time asked.
 */
function refusePastEnd(journal: Journal, untilSeq: number, untilTime: number): void {
  const last = journal.lastSeq;
  let lastTime = 0;
  if (last > 0) {
    const cmd = new Command();
    const reader = new RecordReader();
    journal.each(last, last, (recSeq, buf, start, length) => {
      decodeCommand(reader.slotAt(buf, start, length, recSeq), reader.offset, cmd);
      lastTime = cmd.time;
    });
  }
  if (untilSeq !== Infinity && untilSeq > last) throw new UntilPastEnd(last, lastTime, String(untilSeq));
  if (untilTime !== Infinity && last === 0) throw new UntilPastEnd(last, lastTime, new Date(untilTime / 1000).toISOString());
}

/** A short, stable fingerprint of the whole state, to compare a replay or a replica with the original. */
export function stateHash(exchange: Exchange): string {
  return hashOf(writeExchangeSnapshot(exchange));
}

/** The state hash of snapshot bytes already written. */
export function hashOf(snapshot: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(snapshot).digest("hex").slice(0, 32);
}
