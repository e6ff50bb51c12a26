/**
 * Files of checksummed records: the format both the journal's segments (actors/journal/journal.ts) and the
 * FIX door's message store (gateway/fix/store.ts) write, and the chunked reader that reads them
 * back. Below both, so neither reaches into the other. docs/journal.md specifies the format and the
 * recovery rules built on it.
 *
 * A record is `u32 payloadLength | u32 crc32c | f64 seq | payload`, little-endian, packed (no
 * padding). The CRC covers the length field and then seq + payload (bytes 0..4 and 8..end), so a
 * corrupted length is caught even when the framing it implies happens to fit inside the file.
 */
import { readSync } from "node:fs";
import { Crc32cBuffer, crc32c } from "./crc32c.ts";

export const HEADER_BYTES = 16;
/**
 * Largest payload a record may carry. Journal commands are 256 bytes, FIX messages a few hundred; the
 * bound exists so a corrupted length
 * is recognised as implausible rather than sending recovery off to read gigabytes.
 */
export const MAX_PAYLOAD_BYTES = 1 << 20;
/** The reader's buffer: records are read a chunk at a time. */
export const READ_CHUNK = 1 << 20;

/** CRC of the record whose header starts at `at` in `buf` (length field, then seq + payload). */
export function recordCrc(buf: Uint8Array, at: number, payloadLength: number): number {
  return crc32c(buf, at + 8, at + HEADER_BYTES + payloadLength, crc32c(buf, at, at + 4));
}

/** `recordCrc` through a Crc32cBuffer over the record's buffer: the writer's and the reader's hot path. */
export function recordCrcIn(crc: Crc32cBuffer, at: number, payloadLength: number): number {
  return crc.crc(at + 8, at + HEADER_BYTES + payloadLength, crc.crc(at, at + 4));
}

/** Writes one record at `at` (the caller has made room); returns the offset after it. */
export function encodeRecord(buf: Uint8Array, view: DataView, at: number, seq: number, payload: Uint8Array): number {
  const n = payload.length;
  view.setUint32(at, n, true);
  view.setFloat64(at + 8, seq, true);
  buf.set(payload, at + HEADER_BYTES);
  view.setUint32(at + 4, recordCrc(buf, at, n), true);
  return at + HEADER_BYTES + n;
}

/** Results of `RecordReader.next()`. */
export const RECORD = 0;
export const END = 1;
/** The bytes left before the end cannot hold the record the header announces (or the header itself). */
export const INCOMPLETE = 2;
/** The record fits but its length is implausible or its CRC does not match. */
export const BAD = 3;

const hex = (n: number) => "0x" + n.toString(16).padStart(8, "0");

/** The file got shorter under the reader (truncated by another writer): what was read no longer stands; read it again. */
export class RecordFileShrankError extends Error {
  override name = "RecordFileShrankError";
}

/**
 * Reads records from `fd` between two file offsets through one reusable buffer. After `next()`
 * returns RECORD, `offset`, `seq`, `payloadStart` (an index into `buf`) and `payloadLength`
 * describe the record; they and `buf`'s contents are valid until the following `next()`.
 */
export class RecordReader {
  buf: Uint8Array;
  private view: DataView;
  private crc: Crc32cBuffer;
  /** File offset of buf[0], and how many bytes of buf are filled. */
  private bufStart: number;
  private bufFill = 0;
  /** File offset of the next record to read. */
  pos: number;
  offset = 0;
  seq = 0;
  payloadStart = 0;
  payloadLength = 0;
  /** Why the last `next()` returned INCOMPLETE or BAD. */
  detail = "";
  /** Total bytes read from the file so far. */
  bytesRead = 0;
  /** The payload length whose 4 length bytes' CRC is `crcOfLength` (-1: none yet). */
  private crcLength = -1;
  private crcOfLength = 0;

  constructor(
    private readonly fd: number,
    start: number,
    private readonly end: number,
    buf: Uint8Array = new Uint8Array(READ_CHUNK),
    /** false: trust the checksums (bytes a scan has just checked); lengths and framing still are. */
    private readonly verify = true,
  ) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.crc = new Crc32cBuffer(buf);
    this.bufStart = start;
    this.pos = start;
  }

  next(): number {
    const at = this.pos;
    const left = this.end - at;
    this.offset = at;
    if (left === 0) return END;
    if (left < HEADER_BYTES) {
      this.detail = `only ${left} of the ${HEADER_BYTES} header bytes are present`;
      return INCOMPLETE;
    }
    this.ensure(HEADER_BYTES);
    const h = at - this.bufStart;
    const n = this.view.getUint32(h, true);
    if (n > MAX_PAYLOAD_BYTES) {
      this.detail = `payload length ${n} exceeds the ${MAX_PAYLOAD_BYTES}-byte maximum`;
      return BAD;
    }
    if (HEADER_BYTES + n > left) {
      this.detail = `a ${HEADER_BYTES + n}-byte record is cut short: only ${left} bytes remain`;
      return INCOMPLETE;
    }
    this.ensure(HEADER_BYTES + n);
    const r = at - this.bufStart;
    if (this.verify) {
      const stored = this.view.getUint32(r + 4, true);
      // recordCrcIn, with the CRC of the 4 length bytes remembered: it depends on n alone, and n
      // takes few values (command records of a few lengths), so the byte loop rarely runs.
      if (n !== this.crcLength) {
        this.crcOfLength = this.crc.crc(r, r + 4);
        this.crcLength = n;
      }
      const computed = this.crc.crc(r + 8, r + HEADER_BYTES + n, this.crcOfLength);
      if (stored !== computed) {
        this.detail = `CRC mismatch: stored ${hex(stored)}, computed ${hex(computed)}`;
        return BAD;
      }
    }
    this.seq = this.view.getFloat64(r + 8, true);
    this.payloadStart = r + HEADER_BYTES;
    this.payloadLength = n;
    this.pos = at + HEADER_BYTES + n;
    return RECORD;
  }

  /** Makes bytes [pos, pos + n) of the file present in buf. */
  private ensure(n: number): void {
    const have = this.bufStart + this.bufFill - this.pos;
    if (have >= n) return;
    if (n > this.buf.length) {
      let size = this.buf.length;
      while (size < n) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(this.buf.subarray(this.pos - this.bufStart, this.bufFill));
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
      this.crc = new Crc32cBuffer(bigger);
    } else {
      this.buf.copyWithin(0, this.pos - this.bufStart, this.bufFill);
    }
    this.bufStart = this.pos;
    this.bufFill = have;
    while (this.bufFill < n) {
      const want = Math.min(this.buf.length - this.bufFill, this.end - (this.bufStart + this.bufFill));
      const got = readSync(this.fd, this.buf, this.bufFill, want, this.bufStart + this.bufFill);
      if (got <= 0) throw new RecordFileShrankError(`record file shrank while being read (wanted ${want} bytes at ${this.bufStart + this.bufFill})`);
      this.bufFill += got;
      this.bytesRead += got;
    }
  }
}

/**
 * Looks for a whole, CRC-valid record starting anywhere in (from, end) whose seq could follow
 * `afterSeq`. Returns its offset and seq, or null. This is what tells a torn tail (nothing valid
 * after the bad record) from corruption (valid records after it). The seq window keeps the search
 * linear: random or zeroed bytes almost never pass it, so the CRC is rarely computed.
 */
export function findValidRecordAfter(fd: number, from: number, end: number, afterSeq: number): { offset: number; seq: number } | null {
  const maxSeq = afterSeq + 1 + Math.ceil((end - from) / HEADER_BYTES);
  const chunk = new Uint8Array(READ_CHUNK + HEADER_BYTES);
  const view = new DataView(chunk.buffer);
  let record = new Uint8Array(0);
  for (let base = from + 1; base + HEADER_BYTES <= end; base += READ_CHUNK) {
    const len = Math.min(chunk.length, end - base);
    readFully(fd, chunk, len, base);
    for (let i = 0; i < READ_CHUNK && i + HEADER_BYTES <= len; i++) {
      const n = view.getUint32(i, true);
      if (n > MAX_PAYLOAD_BYTES || base + i + HEADER_BYTES + n > end) continue;
      const seq = view.getFloat64(i + 8, true);
      if (!(seq > afterSeq && seq <= maxSeq && Number.isInteger(seq))) continue;
      if (record.length < HEADER_BYTES + n) record = new Uint8Array(HEADER_BYTES + n);
      readFully(fd, record, HEADER_BYTES + n, base + i);
      if (new DataView(record.buffer).getUint32(4, true) === recordCrc(record, 0, n)) return { offset: base + i, seq };
    }
  }
  return null;
}

function readFully(fd: number, buf: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const got = readSync(fd, buf, done, length - done, position + done);
    if (got <= 0) throw new RecordFileShrankError(`record file shrank while being read (wanted ${length - done} bytes at ${position + done})`);
    done += got;
  }
}
