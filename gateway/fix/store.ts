/**
 * The persistent state of one FIX session (one counterparty): the next MsgSeqNum we send, the next
 * one we expect, and every message we sent, so a ResendRequest can be answered after a restart.
 *
 * Two files in the store's directory, named after the counterparty's SenderCompID (sanitized):
 *
 *   <key>.out   every outbound message, in the journal's record format (storage/record-file.ts):
 *               u32 length | u32 crc32c | f64 MsgSeqNum | the FIX message bytes
 *   <key>.seqs  the next expected inbound MsgSeqNum, in two 24-byte slots written alternately:
 *               f64 generation | f64 nextTargetSeq | u32 crc32c(first 16 bytes) | u32 0
 *
 * The next outbound MsgSeqNum is not stored: it is one past the last record of `.out`, found by
 * the scan on open, which also rebuilds the seq → offset index. A torn last record (a crash in the
 * middle of a write) is cut off; a bad record followed by good ones is corruption and refuses the
 * open, because dropping sent messages would make us reuse their MsgSeqNums.
 *
 * The inbound number changes with every message received, so it is overwritten in place rather
 * than appended, and (a reset aside) only by `flush()`: one slot write per flush however many
 * messages arrived. Alternating slots mean a torn write can only damage the slot being written,
 * and open takes the valid slot with the higher generation.
 *
 * Durability: writes are buffered and go to the OS on `flush()`, which by default runs by itself
 * at the end of the current task (a microtask), so a burst of messages costs one write. Without
 * `fsync` (the default) a process crash loses nothing that was flushed, but a machine crash can lose
 * the last messages; the counterparty then sees our MsgSeqNum go backwards, or we see theirs jump,
 * which FIX repairs with a ResendRequest, a SequenceReset or a Logon with ResetSeqNumFlag. A message
 * may reach the socket before the flush that stores it: the window is one task.
 *
 * One FixStore per key at a time: two open on the same files would interleave their appends.
 */
import { closeSync, constants, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32c } from "../../storage/crc32c.ts";
import { grownCopy } from "../../storage/grow-bytes.ts";
import { BAD, encodeRecord, END, findValidRecordAfter, HEADER_BYTES, INCOMPLETE, RecordReader } from "../../storage/record-file.ts";

export interface FixStoreOptions {
  /** fdatasync on every flush. Default false (see the module comment for what that risks). */
  fsync?: boolean;
  /** Flush at the end of the task that made a change. Default true; false leaves it to `flush()`. */
  autoFlush?: boolean;
}

export interface StoredMessage {
  seq: number;
  bytes: Uint8Array;
}

/** The store failed earlier or is closed: it must be reopened before a message is stored or read. */
export class FixStoreError extends Error {
  override name = "FixStoreError";
}

export class FixStoreCorruptError extends FixStoreError {
  override name = "FixStoreCorruptError";
}

const SLOT_BYTES = 24;
/** Past this many buffered bytes an append writes at once, so a long task cannot grow the buffer without bound. */
const FLUSH_AT = 1 << 20;

/**
 * A file name for a CompID: letters, digits, `_` and `-` are kept, every other byte of its UTF-8 is
 * `%XX`, so distinct CompIDs never share files and none can escape the directory.
 */
export function storeKey(compId: string): string {
  if (compId.length === 0) throw new RangeError("a FIX store key cannot be empty");
  let out = "";
  for (const b of new TextEncoder().encode(compId)) {
    const safe = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x2d;
    out += safe ? String.fromCharCode(b) : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  if (out.length > 200) throw new RangeError(`FIX store key too long (${out.length} bytes as a file name)`);
  return out;
}

export class FixStore {
  private outFd: number;
  private seqFd: number;
  /** Bytes of `.out` already written to the OS; appended records sit in `buf` after it. */
  private fileEnd: number;
  private buf = new Uint8Array(64 * 1024);
  private bufView = new DataView(this.buf.buffer);
  private fill = 0;
  /** MsgSeqNum of index entry 0; the index covers firstSeq .. nextSenderSeq - 1, -1 where a seq was skipped. */
  private firstSeq = 0;
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private _nextSenderSeq = 1;
  private _nextTargetSeq = 1;
  private generation = 0;
  private seqDirty = false;
  /**
   * Where a slot is put together before its write: one buffer for the life of the store, since a
   * busy session rewrites its slot on nearly every flush. Only the range being written is used.
   */
  private readonly slotBytes = new Uint8Array(2 * SLOT_BYTES);
  private readonly slotView = new DataView(this.slotBytes.buffer);
  private scheduled = false;
  private closed = false;
  /** A failed write: the files' state is unknown, so every later use throws it. */
  private failure: unknown = null;
  private readonly fsync: boolean;
  private readonly autoFlush: boolean;

  private constructor(
    readonly dir: string,
    readonly key: string,
    opts: FixStoreOptions,
  ) {
    this.fsync = opts.fsync ?? false;
    this.autoFlush = opts.autoFlush ?? true;
    mkdirSync(dir, { recursive: true });
    this.outFd = openSync(join(dir, `${key}.out`), "a+");
    this.seqFd = -1;
    try {
      // Not append mode: the slots are overwritten in place.
      this.seqFd = openSync(join(dir, `${key}.seqs`), constants.O_RDWR | constants.O_CREAT, 0o644);
      this.fileEnd = this.scanOut();
      this.readSeqs();
    } catch (e) {
      closeSync(this.outFd);
      if (this.seqFd >= 0) closeSync(this.seqFd);
      throw e;
    }
  }

  /** Opens (creating if needed) the store of the counterparty whose SenderCompID is `compId`. */
  static open(dir: string, compId: string, opts: FixStoreOptions = {}): FixStore {
    return new FixStore(dir, storeKey(compId), opts);
  }

  /** The MsgSeqNum our next message will carry. */
  get nextSenderSeq(): number {
    return this._nextSenderSeq;
  }

  /** The MsgSeqNum we expect on the counterparty's next message. */
  get nextTargetSeq(): number {
    return this._nextTargetSeq;
  }

  setNextTargetSeq(n: number): void {
    this.check();
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`next target MsgSeqNum must be a positive integer, not ${n}`);
    if (n === this._nextTargetSeq) return;
    this._nextTargetSeq = n;
    this.seqDirty = true;
    this.schedule();
  }

  /**
   * Stores a message we sent. `seq` must not be below `nextSenderSeq` (a seq is never reused);
   * a higher one leaves the skipped seqs absent, and a resend gap-fills them.
   */
  append(seq: number, bytes: Uint8Array): void {
    this.check();
    if (!Number.isSafeInteger(seq) || seq < this._nextSenderSeq) {
      throw new RangeError(`outbound MsgSeqNum ${seq} is below the next one, ${this._nextSenderSeq}`);
    }
    const need = this.fill + HEADER_BYTES + bytes.length;
    if (need > this.buf.length) {
      const bigger = grownCopy(this.buf, this.fill, need);
      this.buf = bigger;
      this.bufView = new DataView(bigger.buffer);
    }
    const at = this.fileEnd + this.fill;
    this.fill = encodeRecord(this.buf, this.bufView, this.fill, seq, bytes);
    this.index(seq, at, bytes.length);
    this._nextSenderSeq = seq + 1;
    if (this.fill >= FLUSH_AT) this.flush();
    else this.schedule();
  }

  /** The stored bytes of one outbound message, or undefined if it was never stored. */
  get(seq: number): Uint8Array | undefined {
    this.check();
    const i = seq - this.firstSeq;
    if (this.firstSeq === 0 || !Number.isInteger(i) || i < 0 || seq >= this._nextSenderSeq) return undefined;
    const offset = this.offsets[i]!;
    if (offset < 0) return undefined;
    const length = this.lengths[i]!;
    const out = new Uint8Array(length);
    const at = offset + HEADER_BYTES;
    if (at >= this.fileEnd) {
      out.set(this.buf.subarray(at - this.fileEnd, at - this.fileEnd + length));
    } else {
      let done = 0;
      while (done < length) {
        const got = readSync(this.outFd, out, done, length - done, at + done);
        if (got <= 0) throw new FixStoreCorruptError(`${this.key}.out shrank while reading MsgSeqNum ${seq}`);
        done += got;
      }
    }
    return out;
  }

  /**
   * Stored messages with `from <= seq <= to`, in order, read from disk one at a time so a resend
   * of a long day does not hold the day in memory. `to` past the last sent (or 0, FIX's "infinity")
   * means up to the last sent. Seqs never stored are skipped; the caller gap-fills them.
   */
  *range(from: number, to: number): Generator<StoredMessage> {
    const last = to === 0 ? this._nextSenderSeq - 1 : Math.min(to, this._nextSenderSeq - 1);
    for (let seq = Math.max(from, this.firstSeq, 1); seq <= last; seq++) {
      const bytes = this.get(seq);
      if (bytes) yield { seq, bytes };
    }
  }

  /** Starts over at 1/1 (a Logon with ResetSeqNumFlag, or a new trading day): every stored message is gone. */
  reset(): void {
    this.check();
    this._nextTargetSeq = 1;
    try {
      // Both slots rewritten: an old slot with a high generation must not outvote the reset.
      this.writeSlots(true);
      this.fill = 0;
      ftruncateSync(this.outFd, 0);
      if (this.fsync) fdatasyncSync(this.outFd);
    } catch (e) {
      this.failure = e;
      throw e;
    }
    this.fileEnd = 0;
    this.firstSeq = 0;
    this._nextSenderSeq = 1;
  }

  /** Writes what is buffered to the OS (and syncs it with `fsync`). */
  flush(): void {
    this.check();
    try {
      if (this.fill > 0) {
        let done = 0;
        while (done < this.fill) done += writeSync(this.outFd, this.buf, done, this.fill - done);
        this.fileEnd += this.fill;
        this.fill = 0;
        if (this.fsync) fdatasyncSync(this.outFd);
      }
      if (this.seqDirty) this.writeSlots(false);
    } catch (e) {
      this.failure = e;
      throw e;
    }
  }

  close(): void {
    if (this.closed) return;
    try {
      if (this.failure === null) this.flush();
    } finally {
      this.closed = true;
      closeSync(this.outFd);
      closeSync(this.seqFd);
    }
  }

  private check(): void {
    if (this.failure !== null) throw new FixStoreError(`FIX store ${this.key} failed earlier and must be reopened: ${String(this.failure)}`, { cause: this.failure });
    if (this.closed) throw new FixStoreError(`FIX store ${this.key} is closed`);
  }

  private schedule(): void {
    if (!this.autoFlush || this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.closed || this.failure !== null) return;
      try {
        this.flush();
      } catch {
        // Kept in `failure`; the session's next use of the store reports it.
      }
    });
  }

  private index(seq: number, offset: number, length: number): void {
    if (this.firstSeq === 0) this.firstSeq = seq;
    const i = seq - this.firstSeq;
    if (i >= this.offsets.length) {
      let size = this.offsets.length * 2;
      while (size <= i) size *= 2;
      const offsets = new Float64Array(size);
      offsets.set(this.offsets);
      this.offsets = offsets;
      const lengths = new Uint32Array(size);
      lengths.set(this.lengths);
      this.lengths = lengths;
    }
    const prev = this._nextSenderSeq - this.firstSeq;
    if (prev >= 0 && prev < i) this.offsets.fill(-1, prev, i);
    this.offsets[i] = offset;
    this.lengths[i] = length;
  }

  /** Rebuilds the index and nextSenderSeq from `.out`; returns where the next record goes. */
  private scanOut(): number {
    const size = fstatSync(this.outFd).size;
    const reader = new RecordReader(this.outFd, 0, size, new Uint8Array(64 * 1024));
    for (;;) {
      const r = reader.next();
      if (r === END) return size;
      if (r === INCOMPLETE) break;
      if (r === BAD) {
        const later = findValidRecordAfter(this.outFd, reader.offset, size, this._nextSenderSeq - 1);
        if (later) throw new FixStoreCorruptError(`${this.key}.out: bad record at byte ${reader.offset} (${reader.detail}) with a valid one at ${later.offset}`);
        break;
      }
      const seq = reader.seq;
      if (!Number.isSafeInteger(seq) || seq < this._nextSenderSeq) {
        throw new FixStoreCorruptError(`${this.key}.out: MsgSeqNum ${seq} at byte ${reader.offset} does not follow ${this._nextSenderSeq - 1}`);
      }
      this.index(seq, reader.offset, reader.payloadLength);
      this._nextSenderSeq = seq + 1;
    }
    // A torn tail: the record being written when the process died. It never counted as sent.
    ftruncateSync(this.outFd, reader.offset);
    return reader.offset;
  }

  private readSeqs(): void {
    const bytes = new Uint8Array(2 * SLOT_BYTES);
    const got = readSync(this.seqFd, bytes, 0, bytes.length, 0);
    const view = new DataView(bytes.buffer);
    let best = -1;
    for (let s = 0; s < 2; s++) {
      const at = s * SLOT_BYTES;
      if (got < at + SLOT_BYTES) continue;
      if (view.getUint32(at + 16, true) !== crc32c(bytes, at, at + 16)) continue;
      const generation = view.getFloat64(at, true);
      const seq = view.getFloat64(at + 8, true);
      if (!(Number.isSafeInteger(seq) && seq >= 1 && generation > best)) continue;
      best = generation;
      this._nextTargetSeq = seq;
    }
    // No valid slot: the file is new, or its first write was torn. Both mean nothing was received.
    if (best < 0) {
      this._nextTargetSeq = 1;
      this.writeSlots(true);
    } else {
      this.generation = best;
    }
  }

  /** Writes the inbound seq into the next slot, or into both (generations 0 and 1) for a fresh file. */
  private writeSlots(both: boolean): void {
    const bytes = this.slotBytes;
    const view = this.slotView;
    const first = both ? 0 : (this.generation + 1) % 2;
    const last = both ? 1 : first;
    for (let s = first; s <= last; s++) {
      const generation = both ? s : this.generation + 1;
      const at = s * SLOT_BYTES;
      view.setFloat64(at, generation, true);
      view.setFloat64(at + 8, this._nextTargetSeq, true);
      view.setUint32(at + 16, crc32c(bytes, at, at + 16), true);
      this.generation = generation;
    }
    const from = first * SLOT_BYTES;
    const to = (last + 1) * SLOT_BYTES;
    let done = from;
    while (done < to) done += writeSync(this.seqFd, bytes, done, to - done, done);
    if (this.fsync) fdatasyncSync(this.seqFd);
    this.seqDirty = false;
  }
}
