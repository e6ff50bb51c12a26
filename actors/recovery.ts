import { join } from "node:path";
import { Command } from "../engine/commands.ts";
import { EventBuffer } from "../engine/events.ts";
import { Exchange, type ExchangeConfig } from "../engine/exchange.ts";
import { readExchangeSnapshot, writeExchangeSnapshot } from "../engine/exchange-snapshot.ts";
import { Journal } from "./journal.ts";
import { RecordReader } from "./command-record.ts";
import { decodeCommand } from "./schema.ts";
import { loadNewestSnapshot } from "./snapshot-store.ts";

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
}

/**
 * Newest valid snapshot (at or before the target) plus replay of the journal after it. The
 * journal is left open for appending unless `readOnly`, or a point-in-time target was given.
 */
export function recover(opts: RecoverOptions): Recovered {
  const p = paths(opts.dataDir);
  const untilSeq = opts.untilSeq ?? Infinity;
  const untilTime = opts.untilTime ?? Infinity;
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
  const pointInTime = untilSeq !== Infinity || untilTime !== Infinity;
  const journal = Journal.open({
    dir: p.journal,
    readOnly: opts.readOnly === true || pointInTime,
    fsync: opts.fsync,
    segmentBytes: opts.segmentBytes,
  });
  let replayed = 0;
  const total = Math.min(journal.lastSeq, untilSeq) - seq;
  // A failed replay must not leave the journal open: writable, it holds the directory's lock.
  try {
    if (journal.lastSeq > 0 && journal.firstSeq > seq + 1) {
      throw new Error(`journal starts at ${journal.firstSeq} but the newest snapshot is at ${seq}: commands ${seq + 1}–${journal.firstSeq - 1} are missing`);
    }
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
    return { exchange, journal: null, seq, time, snapshotSeq, replayed, truncatedBytes: journal.truncatedBytes };
  }
  return { exchange, journal, seq, time, snapshotSeq, replayed, truncatedBytes: journal.truncatedBytes };
}

/** A short, stable fingerprint of the whole state, to compare a replay or a replica with the original. */
export function stateHash(exchange: Exchange): string {
  return hashOf(writeExchangeSnapshot(exchange));
}

/** The state hash of snapshot bytes already written. */
export function hashOf(snapshot: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(snapshot).digest("hex").slice(0, 32);
}
