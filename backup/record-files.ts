/**
 * The byte-level half of backup and restore: where the whole records of a record file
 * (storage/record-file.ts: the journal's segments, the FIX door's `.out` stores) end, and copies of
 * a file's first bytes that hash what they copy. A file being appended to is read only up to its
 * last whole, CRC-valid record: that is where a copy of it is consistent.
 */
import { Command } from "../engine/commands.ts";
import { closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import { RecordReader as CommandSlots } from "../actors/layout/command-record.ts";
import { decodeCommand } from "../actors/layout/schema.ts";
import { END, RECORD, RecordReader } from "../storage/record-file.ts";

/** Where a record file's records stop being usable, and what was read up to there. */
export interface RecordsEnd {
  /** Byte offset just past the last record kept. */
  bytes: number;
  /** Seq of the first and last record kept (first − 1 … when none: `records` is 0). */
  firstSeq: number;
  lastSeq: number;
  records: number;
  /** Engine time of the last record kept, when times were asked for (command records only). */
  lastTime: number;
  /** Why reading stopped before the file's end: a torn or bad record, or the target. "" at the end. */
  stoppedAt: "" | "bad-record" | "target";
  /** The bad record's offset and why, when stoppedAt is "bad-record". */
  badOffset: number;
  detail: string;
}

export interface ScanLimits {
  /** Keep records up to this seq (inclusive). */
  untilSeq?: number;
  /** Keep records whose command time is at most this (engine µs); decodes every command's time. */
  untilTime?: number;
  /** fdatasync the file first (through our own fd: it flushes the file's pages whoever wrote them). */
  sync?: boolean;
}

/**
 * Reads `file` record by record, checking every CRC, and returns where the records to keep end:
 * at the file's end, at the first incomplete or bad record (a write in progress, or a torn tail),
 * or before the first record past the limits. The file's size is read once, at the start: a
 * writer appending meanwhile changes nothing of what is returned.
 */
export function recordsEnd(file: string, limits: ScanLimits = {}): RecordsEnd {
  const untilSeq = limits.untilSeq ?? Infinity;
  const untilTime = limits.untilTime ?? Infinity;
  const fd = openSync(file, limits.sync ? constants.O_RDWR : constants.O_RDONLY);
  try {
    if (limits.sync) fdatasyncSync(fd);
    const size = fstatSync(fd).size;
    const reader = new RecordReader(fd, 0, size);
    const slots = new CommandSlots();
    const cmd = new Command();
    const out: RecordsEnd = { bytes: 0, firstSeq: 0, lastSeq: 0, records: 0, lastTime: 0, stoppedAt: "", badOffset: 0, detail: "" };
    for (;;) {
      const r = reader.next();
      if (r === END) return out;
      if (r !== RECORD) return { ...out, stoppedAt: "bad-record", badOffset: reader.offset, detail: reader.detail };
      const seq = reader.seq;
      if (seq > untilSeq) return { ...out, stoppedAt: "target" };
      let time = 0;
      if (untilTime !== Infinity) {
        decodeCommand(slots.slotAt(reader.buf, reader.payloadStart, reader.payloadLength, seq), slots.offset, cmd);
        time = cmd.time;
        if (time > untilTime) return { ...out, stoppedAt: "target" };
      }
      if (out.records === 0) out.firstSeq = seq;
      out.lastSeq = seq;
      out.lastTime = time;
      out.records++;
      out.bytes = reader.pos;
    }
  } finally {
    closeSync(fd);
  }
}

const CHUNK = 1 << 20;

/**
 * Copies the first `length` bytes of `src` to a new file `dst` (refused if it exists), with
 * `mode`, fsynced; returns the SHA-256 of the bytes copied ("" with `hash` false: a restore has
 * checked them against the manifest already). Throws if `src` is shorter.
 */
export function copyPrefix(src: string, dst: string, length: number, mode = 0o644, withHash = true): string {
  const hash = withHash ? new Bun.CryptoHasher("sha256") : null;
  const buf = new Uint8Array(Math.min(CHUNK, Math.max(length, 1)));
  const from = openSync(src, "r");
  try {
    const to = openSync(dst, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    try {
      let done = 0;
      while (done < length) {
        const got = readSync(from, buf, 0, Math.min(buf.length, length - done), done);
        if (got <= 0) throw new RangeError(`${src} ends at byte ${done}, before the ${length} bytes to copy`);
        const part = buf.subarray(0, got);
        hash?.update(part);
        let written = 0;
        while (written < got) written += writeSync(to, part, written, got - written, done + written);
        done += got;
      }
      fsyncSync(to);
    } finally {
      closeSync(to);
    }
  } finally {
    closeSync(from);
  }
  return hash ? hash.digest("hex") : "";
}

/** SHA-256 and size of a whole file, read in chunks. */
export function sha256File(file: string): { sha256: string; bytes: number } {
  const hash = new Bun.CryptoHasher("sha256");
  const buf = new Uint8Array(CHUNK);
  const fd = openSync(file, "r");
  let bytes = 0;
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, bytes);
      if (got <= 0) break;
      hash.update(buf.subarray(0, got));
      bytes += got;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** The first `length` bytes of two files are equal (a journal segment and a longer copy of it). */
export function samePrefix(a: string, b: string, length: number): boolean {
  const fa = openSync(a, "r");
  const fb = openSync(b, "r");
  const ba = new Uint8Array(CHUNK);
  const bb = new Uint8Array(CHUNK);
  try {
    for (let done = 0; done < length; ) {
      const want = Math.min(CHUNK, length - done);
      const ga = readSync(fa, ba, 0, want, done);
      const gb = readSync(fb, bb, 0, want, done);
      if (ga !== want || gb !== want) return false;
      if (Buffer.compare(ba.subarray(0, want), bb.subarray(0, want)) !== 0) return false;
      done += want;
    }
    return true;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}
