/**
 * A read-only reader that follows a journal another thread is appending to: the replica that takes
 * snapshots (actors/snapshot/snapshotter.ts), and later a hot standby. It never opens the journal for
 * writing and never scans it whole (Journal.open does both); it reads forward from one seq, record
 * by record, and only ever as far as a seq the writer has said is durable.
 *
 * Why reading up to a durable seq is safe while the file grows: the writer publishes a durable
 * seq only after the write() that holds it returned, so every record up to it is whole in the
 * file (in the page cache if not yet on disk), and the file's size, read after the durable seq,
 * covers it. What lies past it may be half written: it is never parsed, and each read() starts a
 * fresh buffer, so bytes read ahead of a half-written record are never reused later.
 *
 * A segment ends where the next one begins: when the current segment has no more records and the
 * next seq is durable, it is the first record of `journal-<next seq>.seg` (a segment is named after
 * its first record and is created by the write that holds that record). Format: docs/journal.md.
 */
import { JournalGapError } from "./journal-errors.ts";
import { closeSync, fstatSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { END, READ_CHUNK, RECORD, RecordReader } from "../../storage/record-file.ts";
import { JournalCorruptError, parseSegmentName, segmentName } from "./segment.ts";

/** Called for each record with a view of its payload, valid only during the call (as Journal.read's). Return false to stop after it. */
export type TailRecord = (seq: number, payload: Uint8Array) => boolean | void;

export class JournalTail {
  readonly dir: string;
  private next: number;
  private fd = -1;
  private file = "";
  /** File offset where the search for `next` resumes in the current segment. */
  private pos = 0;
  private buf: Uint8Array = new Uint8Array(READ_CHUNK);

  /** Follows the journal in `dir` from `fromSeq` (≥ 1). Nothing is opened until the first read. */
  constructor(dir: string, fromSeq: number) {
    if (!(Number.isSafeInteger(fromSeq) && fromSeq >= 1)) throw new RangeError(`journal tail: fromSeq must be a positive integer, got ${fromSeq}`);
    this.dir = dir;
    this.next = fromSeq;
  }

  /** The seq the next read starts with. */
  get nextSeq(): number {
    return this.next;
  }

  /**
   * Reads the records from `nextSeq` through `untilSeq` (which the writer must already have made
   * durable, or at least written) and hands each to `fn` in seq order. Returns the last seq read.
   * A record that is missing, out of sequence or fails its CRC throws JournalCorruptError: below
   * the durable seq there is no torn tail to excuse it.
   */
  read(untilSeq: number, fn: TailRecord): number {
    if (this.next > untilSeq) return this.next - 1;
    if (this.fd < 0) this.openSegmentHolding(this.next);
    // A fresh reader per call: its buffer must not carry bytes read past the durable seq last time.
    let reader = new RecordReader(this.fd, this.pos, fstatSync(this.fd).size, this.buf);
    for (;;) {
      const r = reader.next();
      this.buf = reader.buf;
      if (r === RECORD) {
        const seq = reader.seq;
        if (seq < this.next) {
          // Skipping to fromSeq inside the segment it starts in.
          this.pos = reader.pos;
          continue;
        }
        if (seq !== this.next) throw new JournalCorruptError(this.file, reader.offset, `a valid record carries seq ${seq} where seq ${this.next} was expected`);
        this.pos = reader.pos;
        this.next = seq + 1;
        const more = fn(seq, reader.buf.subarray(reader.payloadStart, reader.payloadStart + reader.payloadLength));
        if (more === false || this.next > untilSeq) return seq;
        continue;
      }
      if (r === END) {
        // Seq `next` is durable and not in this segment: it starts the next one.
        const file = join(this.dir, segmentName(this.next));
        if (file === this.file) throw new JournalCorruptError(file, reader.offset, `seq ${this.next} is durable but the segment named after it ends before it`);
        this.openSegment(file, this.next);
        reader = new RecordReader(this.fd, 0, fstatSync(this.fd).size, this.buf);
        continue;
      }
      throw new JournalCorruptError(this.file, reader.offset, `${reader.detail}, below the durable seq ${untilSeq}`);
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Opens the segment whose range holds `seq`: the one with the greatest first seq at or below it. */
  private openSegmentHolding(seq: number): void {
    let best = -1;
    let lowest = Infinity;
    for (const name of readdirSync(this.dir)) {
      const first = parseSegmentName(name);
      if (first < 0) continue;
      lowest = Math.min(lowest, first);
      if (first <= seq && first > best) best = first;
    }
    if (best < 0) {
      const why = lowest === Infinity ? "it has no segments" : `it starts at seq ${lowest}`;
      throw new JournalGapError(`journal ${this.dir} cannot be followed from seq ${seq}: ${why}`);
    }
    this.openSegment(join(this.dir, segmentName(best)), seq);
  }

  private openSegment(file: string, seq: number): void {
    let fd: number;
    try {
      fd = openSync(file, "r");
    } catch (e) {
      throw new JournalGapError(`journal ${this.dir}: seq ${seq} is durable but ${file} cannot be opened: ${(e as Error).message}`, { cause: e });
    }
    this.close();
    this.fd = fd;
    this.file = file;
    this.pos = 0;
  }
}
