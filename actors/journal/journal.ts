/**
 * The command journal: append-only segment files of length-prefixed, CRC32C-checked records, written
 * with group commit. The sequencer appends every command of a batch, then at the end of the batch
 * (the Disruptor's `endOfBatch`) either calls `commit()` — one write and one fdatasync, on this
 * thread — or, pipelined, `write()`: one write, with the fdatasync left to the syncer thread
 * (actors/journal/syncer.ts) while the next batches are executed and written. A batch's commands are
 * acknowledged only once `durableSeq` covers them. Format, recovery rules and figures: docs/journal.md.
 */
import { InvariantError } from "../../engine/errors.ts";
import { JournalFailedError } from "./journal-errors.ts";
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { DEFAULT_SEGMENT_BYTES, openSegments, releaseDir, type JournalOptions, type OpenedSegments } from "./journal-open.ts";
import { eachRecord, type RecordVisitor } from "./journal-read.ts";
import { verifyJournal, type JournalProblem, type ScannedSegment, type SegmentSummary, type VerifyResult } from "./journal-scan.ts";
import { Crc32cBuffer } from "../../storage/crc32c.ts";
import { grownCopy } from "../../storage/grow-bytes.ts";
import { HEADER_BYTES, MAX_PAYLOAD_BYTES, recordCrcIn } from "../../storage/record-file.ts";
import { syncDir } from "../../storage/sync-dir.ts";
import { INDEX_STRIDE, JournalCorruptError, segmentName } from "./segment.ts";
import { Syncer, SYNCER_WORKER_FAILED, type SyncerOptions } from "./syncer.ts";

export { DEFAULT_SEGMENT_BYTES, JournalCorruptError, MAX_PAYLOAD_BYTES, verifyJournal, type JournalOptions, type JournalProblem, type SegmentSummary, type VerifyResult };

export interface JournalRecord {
  seq: number;
  /** A view into the reader's buffer: copy it to keep it past the next step of the iteration. */
  payload: Uint8Array;
}

const INITIAL_BATCH_BYTES = 64 * 1024;

export class Journal {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly fsync: boolean;
  readonly readOnly: boolean;
  /** Bytes of torn tail `open` cut from the last segment (0 when the journal was closed cleanly; read-only: the bytes it skips). */
  readonly truncatedBytes: number;
  /** What `open` found and cut, if anything. */
  readonly tornTail: JournalProblem | null;

  private _firstSeq = 0;
  private _lastSeq = 0;
  /** Last seq handed to the OS by write(). */
  private _writtenSeq = 0;
  private _durableSeq = 0;
  private _syncer: Syncer | null = null;
  /** Last seq passed to the syncer: the base that its 32-bit DONE is read against. */
  private requestedSeq = 0;
  /** The syncer's DONE as a full seq. */
  private syncedSeq = 0;
  /** Full segments' fds the syncer may still be syncing, each with the last seq requested before it was retired. */
  private readonly retired: { fd: number; requested: number }[] = [];
  private readonly segments: ScannedSegment[];
  /** Write descriptor of the last segment, or -1 when the next commit starts a new segment. */
  private fd = -1;
  private batch = new Uint8Array(INITIAL_BATCH_BYTES);
  private batchView = new DataView(this.batch.buffer);
  private batchCrc = new Crc32cBuffer(this.batch);
  private batchLength = 0;
  /**
   * End of the staged records: [batchLength, stagedEnd) holds records whose length and payload a
   * caller wrote in place (stage) and that appendStaged has not yet numbered and sealed.
   */
  private stagedEnd = 0;
  /** Payload length of the last reserve(), for stage(). */
  private reserved = -1;
  private batchFirstSeq = 0;
  private failure_: unknown = null;
  private closed = false;
  private readonly lockKey: string;

  private constructor(opts: JournalOptions, found: OpenedSegments) {
    this.dir = opts.dir;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.fsync = opts.fsync ?? true;
    this.readOnly = opts.readOnly ?? false;
    this.lockKey = found.lockKey;
    const segments = (this.segments = found.segments);
    this.tornTail = found.torn;
    this.truncatedBytes = found.truncatedBytes;
    const last = segments[segments.length - 1];
    if (last) {
      this._firstSeq = segments[0]!.firstSeq;
      this._lastSeq = this._writtenSeq = this._durableSeq = last.lastSeq;
      if (!this.readOnly && last.bytes < this.segmentBytes) this.fd = openSync(last.file, "r+");
    }
  }

  /**
   * Opens (or creates) the journal in `opts.dir`, scanning every segment. A torn tail of the last
   * segment is cut away (see `truncatedBytes`); any other bad record throws JournalCorruptError.
   */
  static open(opts: JournalOptions): Journal {
    const found = openSegments(opts);
    try {
      return new Journal(opts, found);
    } catch (e) {
      releaseDir(found.lockKey);
      throw e;
    }
  }

  /** The first seq in the journal; 0 when it is empty. */
  get firstSeq(): number {
    return this._firstSeq;
  }
  /** The last seq appended, committed or not; 0 when the journal is empty. */
  get lastSeq(): number {
    return this._lastSeq;
  }
  /** The highest seq covered by a completed fdatasync (or, fsync off, by a write): safe to acknowledge. */
  get durableSeq(): number {
    if (this._syncer !== null) this.observeSyncer();
    return this._durableSeq;
  }

  /** The last seq written to the segment (handed to the OS), durable or not. */
  get writtenSeq(): number {
    return this._writtenSeq;
  }

  /** Why the journal refuses further use (a failed write or fdatasync, here or in the syncer), or null. */
  get failure(): unknown {
    if (this._syncer !== null) this.observeSyncer();
    return this.failure_;
  }

  /** The syncer thread, once startSyncer() has run (and until close). */
  get syncer(): Syncer | null {
    return this._syncer;
  }

  /**
   * Moves writing and fdatasync to a syncer thread: from now on write() copies the batch into the
   * syncer's ring and asks for a sync instead of waiting, and durableSeq follows the syncs it
   * completes. No-op with fsync off.
   */
  startSyncer(opts: Omit<SyncerOptions, "initialSeq" | "fd" | "offset"> = {}): void {
    this.check();
    if (!this.fsync || this._syncer !== null) return;
    // Everything written so far must be durable first: the syncer only covers what it is asked for.
    this.sync();
    this.requestedSeq = this.syncedSeq = this._durableSeq;
    // It goes on writing where this thread stopped: at the end of the open segment, if any.
    const offset = this.fd >= 0 ? this.segments[this.segments.length - 1]!.bytes : 0;
    this._syncer = Syncer.start({ ...opts, initialSeq: this._durableSeq, fd: this.fd, offset });
  }

  /**
   * Adds a record to the current batch. `seq` must be lastSeq + 1 (any positive integer when the
   * journal is empty). Copies the payload; no system call and no allocation unless the batch
   * buffer has to grow.
   */
  append(seq: number, payload: Uint8Array): void {
    this.check();
    this.checkSeq(seq);
    if (this.stagedEnd > this.batchLength) throw new InvariantError("journal append: records are staged; append them with appendStaged (or dropStaged) first");
    const n = payload.length;
    if (n > MAX_PAYLOAD_BYTES) throw new RangeError(`journal append: a ${n}-byte payload exceeds the ${MAX_PAYLOAD_BYTES}-byte maximum`);
    const at = this.batchLength;
    if (at + HEADER_BYTES + n > this.batch.length) this.grow(at + HEADER_BYTES + n);
    this.batchView.setUint32(at, n, true);
    this.batch.set(payload, at + HEADER_BYTES);
    this.stagedEnd = at + HEADER_BYTES + n;
    // This record took the room a pending reserve() made: a stage() now would stage its bytes.
    this.reserved = -1;
    this.seal(seq);
  }

  /**
   * Encoding in place, the sequencer's path: a record's payload is written straight into the batch
   * buffer when its command arrives, and numbered, checksummed and added to the batch later, so
   * the command is encoded once and never copied. reserve(n) makes room for an n-byte payload after
   * the records staged so far and returns its offset in `buffer`/`view` (valid until the next
   * reserve: the buffer may have grown); the caller writes the payload there, then stage() adds it
   * to the staged records. Nothing is staged if the caller stops in between (an encode that threw).
   */
  reserve(payloadLength: number): number {
    // No failure check: staging only touches memory, and appendStaged refuses a failed journal.
    if (this.readOnly) throw new InvariantError(`journal ${this.dir} was opened read-only`);
    if (!(payloadLength >= 0 && payloadLength <= MAX_PAYLOAD_BYTES)) throw new RangeError(`journal reserve: a ${payloadLength}-byte payload is outside 0–${MAX_PAYLOAD_BYTES} bytes`);
    const need = this.stagedEnd + HEADER_BYTES + payloadLength;
    if (need > this.batch.length) this.grow(need);
    this.reserved = payloadLength;
    return this.stagedEnd + HEADER_BYTES;
  }

  /**
   * Adds the record just written at the offset reserve() returned to the staged records: its first
   * `payloadLength` bytes (default: all that was reserved), for a writer that learns how long its
   * record is only once it has encoded it.
   */
  stage(payloadLength = this.reserved): void {
    if (this.reserved < 0) throw new InvariantError("journal stage: nothing reserved");
    if (!(payloadLength >= 0 && payloadLength <= this.reserved)) throw new RangeError(`journal stage: ${payloadLength} bytes is outside the 0–${this.reserved} reserved`);
    const n = payloadLength;
    this.reserved = -1;
    this.batchView.setUint32(this.stagedEnd, n, true);
    this.stagedEnd += HEADER_BYTES + n;
  }

  /** Offset in `buffer` of the payload appendStaged() will add next (the oldest staged record's), for last-moment patches. */
  get stagedPayload(): number {
    return this.batchLength + HEADER_BYTES;
  }

  /** Records staged and not yet appended. */
  get hasStaged(): boolean {
    return this.stagedEnd > this.batchLength;
  }

  /**
   * Appends the oldest staged record as `seq` (same rule as append): writes its seq and CRC. Its
   * payload is read as it is now, so patches made since stage() are journaled.
   */
  appendStaged(seq: number): void {
    this.check();
    this.checkSeq(seq);
    if (this.stagedEnd === this.batchLength) throw new InvariantError("journal appendStaged: nothing is staged");
    this.seal(seq);
  }

  /** Forgets the staged records not yet appended (their commands were never sequenced). */
  dropStaged(): void {
    this.stagedEnd = this.batchLength;
    this.reserved = -1;
  }

  /** The batch buffer, for writing staged payloads; replaced when it grows (after reserve). */
  get buffer(): Uint8Array {
    return this.batch;
  }

  get view(): DataView {
    return this.batchView;
  }

  private checkSeq(seq: number): void {
    if (this._lastSeq === 0 ? !(Number.isSafeInteger(seq) && seq >= 1) : seq !== this._lastSeq + 1) {
      throw new RangeError(
        this._lastSeq === 0 ? `journal append: the first seq must be a positive safe integer, got ${seq}` : `journal append: seq ${seq} does not follow seq ${this._lastSeq}`,
      );
    }
  }

  /** Numbers and checksums the record at batchLength (length and payload in place) and adds it to the batch. */
  private seal(seq: number): void {
    const at = this.batchLength;
    const view = this.batchView;
    const n = view.getUint32(at, true);
    view.setFloat64(at + 8, seq, true);
    view.setUint32(at + 4, recordCrcIn(this.batchCrc, at, n), true);
    this.batchLength = at + HEADER_BYTES + n;
    if (this.batchFirstSeq === 0) this.batchFirstSeq = seq;
    if (this._firstSeq === 0) this._firstSeq = seq;
    this._lastSeq = seq;
  }

  /**
   * Writes the batch with one write and one fdatasync (plus a directory fsync when it starts a new
   * segment) and returns the new durableSeq. With nothing appended it only makes what write() left
   * unsynced durable. If the write or the sync fails the journal refuses all further use: after a
   * failed fsync the page cache can no longer be trusted, and only a reopen (which rescans the
   * disk) knows what is durable.
   */
  commit(): number {
    this.write();
    return this.sync();
  }

  /**
   * Writes the batch with one positional write (plus a directory fsync first when it starts a new
   * segment) and returns the last seq written. With a syncer, asks it for an fdatasync covering the
   * batch and returns at once: the batch becomes durable — durableSeq reaches it — when a sync that
   * started after this write completes. Without one, sync() (or commit()) makes it durable. A
   * batch that fills the segment is synced here, on this thread, before the segment is retired.
   */
  write(): number {
    const syncer = this._syncer;
    if (syncer !== null) this.observeSyncer();
    this.check();
    if (this.batchLength === 0) return this._writtenSeq;
    let seg = this.segments[this.segments.length - 1];
    try {
      if (this.fd < 0) {
        const file = join(this.dir, segmentName(this.batchFirstSeq));
        this.fd = openSync(file, "wx");
        seg = { file, firstSeq: this.batchFirstSeq, lastSeq: this.batchFirstSeq - 1, records: 0, bytes: 0, indexSeqs: [], indexOffsets: [], nextIndexAt: 0 };
        this.segments.push(seg);
        if (this.fsync) syncDir(this.dir);
        syncer?.newSegment(this.fd);
      }
      if (syncer !== null) {
        // The syncer thread writes it: here only a copy into shared memory.
        syncer.put(this.batch, this.batchLength);
      } else {
        let done = 0;
        while (done < this.batchLength) done += writeSync(this.fd, this.batch, done, this.batchLength - done, seg!.bytes + done);
      }
    } catch (e) {
      throw this.fail(e);
    }
    this.indexBatch(seg!);
    seg!.bytes += this.batchLength;
    seg!.records += this._lastSeq - seg!.lastSeq;
    seg!.lastSeq = this._lastSeq;
    this._writtenSeq = this._lastSeq;
    // Records staged while this batch filled (commands that arrived after its last) move to the front.
    if (this.stagedEnd > this.batchLength) this.batch.copyWithin(0, this.batchLength, this.stagedEnd);
    this.stagedEnd -= this.batchLength;
    this.batchLength = 0;
    this.batchFirstSeq = 0;
    if (!this.fsync) this._durableSeq = this._writtenSeq;
    if (syncer !== null) {
      syncer.request(this._writtenSeq);
      this.requestedSeq = this._writtenSeq;
    }
    if (seg!.bytes >= this.segmentBytes) {
      // Rollover: this segment must be durable on its own before the next starts (the syncer's
      // ring holds one file's bytes at a time), which is also what keeps every segment but the
      // last ending at a completed fdatasync. With a syncer this thread waits for it, here, once
      // a segment (64 MiB by default).
      if (syncer !== null) this.waitDurable(this._writtenSeq);
      else if (this.fsync) {
        try {
          fdatasyncSync(this.fd);
        } catch (e) {
          throw this.fail(e);
        }
        this._durableSeq = this._writtenSeq;
      }
      this.retire(this.fd);
      this.fd = -1;
    }
    return this._writtenSeq;
  }

  /**
   * Makes everything written durable now, with an fdatasync on this thread (whatever the syncer is
   * doing), and returns durableSeq. For close, snapshots and callers without a syncer.
   */
  sync(): number {
    // With a syncer the bytes may not even be written yet: only the syncer can make them durable.
    if (this._syncer !== null) return this.waitDurable(this._writtenSeq);
    this.check();
    if (this._durableSeq >= this._writtenSeq) return this._durableSeq;
    // fd < 0: the last write filled its segment and synced it at the rollover.
    if (this.fd >= 0) {
      try {
        fdatasyncSync(this.fd);
      } catch (e) {
        throw this.fail(e);
      }
    }
    this._durableSeq = this._writtenSeq;
    return this._durableSeq;
  }

  /**
   * Blocks until durableSeq reaches `seq` (which must have been written), waiting for the syncer:
   * only it can, since it writes the bytes too. A syncer that has not even started after
   * `patienceMs` (a worker that cannot run reports it on an event loop this thread is blocking)
   * fails the journal. Throws if the journal fails meanwhile.
   */
  waitDurable(seq: number, patienceMs = 5000): number {
    const s = this._syncer;
    if (s === null) return this.sync();
    const deadline = performance.now() + patienceMs;
    for (;;) {
      const observed = s.done;
      this.observeSyncer();
      this.check();
      if (this._durableSeq >= seq) return this._durableSeq;
      if (!s.started && performance.now() > deadline) throw this.fail(new JournalFailedError(`the syncer thread did not start within ${patienceMs} ms`));
      s.wait(observed, 100);
    }
  }

  private fail(e: unknown): Error {
    this.failure_ = e;
    return new JournalFailedError(`journal commit failed; the journal must be reopened to learn what is durable: ${(e as Error).message}`, { cause: e });
  }

  /** Reads the syncer's progress into durableSeq, its failure into failure_, and closes fds it is done with. */
  private observeSyncer(): void {
    const s = this._syncer!;
    const code = s.errorCode;
    if (code !== 0 && this.failure_ === null) {
      const name = code === SYNCER_WORKER_FAILED ? "the syncer worker failed" : code > 0 ? (Object.entries(constants.errno).find(([, v]) => v === code)?.[0] ?? `errno ${code}`) : "unknown error";
      this.failure_ = new JournalFailedError(`the syncer thread's write or fdatasync failed: ${name}`);
    }
    // DONE is the low 32 bits of a seq at most requestedSeq: the distance gives the full seq.
    const synced = this.requestedSeq - (((this.requestedSeq | 0) - s.done) | 0);
    if (synced <= this.syncedSeq) return;
    this.syncedSeq = synced;
    if (synced > this._durableSeq) this._durableSeq = synced;
    while (this.retired.length > 0 && this.retired[0]!.requested <= synced) closeSync(this.retired.shift()!.fd);
  }

  /**
   * Closes a full segment's fd, or defers that while the syncer may still be syncing it: a closed
   * fd's number goes to the next open, and a late fdatasync would then hit another file (or fail
   * with EBADF and stop the journal). The syncer reads FD only after a REQ it has not synced, so
   * once DONE reaches the last request made before the retirement it will not read this fd again.
   */
  private retire(fd: number): void {
    if (this._syncer === null || this.syncedSeq >= this.requestedSeq) closeSync(fd);
    else this.retired.push({ fd, requested: this.requestedSeq });
  }

  /**
   * Committed records with fromSeq ≤ seq ≤ untilSeq (both inclusive; untilSeq is capped at the
   * durableSeq of the moment iteration starts), each CRC-checked again as it is read. Each payload
   * is a view that is overwritten by the next step. For tools and tests; a replay uses each().
   */
  *read(fromSeq = this._firstSeq, untilSeq = Infinity): Generator<JournalRecord> {
    const records: JournalRecord[] = [];
    const until = Math.min(untilSeq, this.durableSeq);
    // In chunks, so a caller that stops early has not read the whole journal.
    for (let from = fromSeq; ; ) {
      let last = 0;
      this.each(from, until, (seq, buf, start, length) => {
        records.push({ seq, payload: buf.slice(start, start + length) });
        last = seq;
        return records.length < 4096;
      });
      if (records.length === 0) return;
      yield* records;
      records.length = 0;
      from = last + 1;
    }
  }

  /**
   * Calls `fn` with every committed record with fromSeq ≤ seq ≤ untilSeq, in order (untilSeq is
   * capped at the durableSeq of the moment it starts): its seq, and its payload as `length` bytes
   * at `start` of `buf`, the reader's buffer, valid only during the call. `fn` returns false to
   * stop. No allocation per record. `verify: false` skips the CRC check, for a replay of what
   * open() has just scanned (and so checked) in full. Returns the last seq handed to `fn` (0: none).
   */
  each(fromSeq: number, untilSeq: number, fn: RecordVisitor, verify = true): number {
    if (this.closed) throw new InvariantError(`journal ${this.dir} is closed`);
    const until = Math.min(untilSeq, this.durableSeq);
    const from = Math.max(fromSeq, this._firstSeq, 1);
    if (from > until) return 0;
    return eachRecord(this.segments, from, until, fn, verify);
  }

  /**
   * Stops the syncer and releases the segment. An uncommitted batch is dropped, and what write()
   * left unsynced is not synced here: none of it was acknowledged, and a close on an error path
   * must not make durable what the caller no longer tracks. Call commit() or sync() first.
   * Returns false when a syncer stuck in the kernel kept its files open (it may still write them).
   */
  close(): boolean {
    if (this.closed) return this.fd < 0 && this.retired.length === 0 && this._syncer === null;
    this.closed = true;
    this.batchLength = 0;
    this.stagedEnd = 0;
    if (this.lockKey) releaseDir(this.lockKey);
    if (this._syncer !== null) {
      // Stopped before any fd is closed: it may be inside an fdatasync of one of them.
      const stopped = this._syncer.stop();
      this._syncer.wakeWaiters();
      this._syncer = null;
      // A syncer stuck in the kernel keeps its fds: closing them would hand their numbers to the
      // next open while its fdatasync may still name them. A leak beats syncing the wrong file.
      if (!stopped) return false;
    }
    for (const r of this.retired.splice(0)) closeSync(r.fd);
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    return true;
  }

  private check(): void {
    if (this.readOnly) throw new InvariantError(`journal ${this.dir} was opened read-only`);
    if (this.closed) throw new InvariantError(`journal ${this.dir} is closed`);
    if (this.failure_) throw new JournalFailedError(`journal ${this.dir} failed earlier and must be reopened`, { cause: this.failure_ });
  }

  private grow(need: number): void {
    const bigger = grownCopy(this.batch, this.stagedEnd, need);
    this.batch = bigger;
    this.batchView = new DataView(bigger.buffer);
    this.batchCrc = new Crc32cBuffer(bigger);
  }

  /** Adds the sparse-index entries (one per INDEX_STRIDE bytes) the just-written batch crosses. */
  private indexBatch(seg: ScannedSegment): void {
    const view = this.batchView;
    for (let at = 0; at < this.batchLength; at += HEADER_BYTES + view.getUint32(at, true)) {
      const offset = seg.bytes + at;
      if (offset < seg.nextIndexAt) continue;
      seg.indexSeqs.push(view.getFloat64(at + 8, true));
      seg.indexOffsets.push(offset);
      seg.nextIndexAt = offset + INDEX_STRIDE;
    }
  }
}
