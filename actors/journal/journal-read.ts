/**
 * Reading committed records back out of the journal's segments: find the segment and the offset a
 * seq starts at (the sparse index the scan and the writer keep), then read record by record. The
 * writer (journal.ts) owns the segments; this only reads what it has made durable.
 */
import { closeSync, openSync } from "node:fs";
import { END, RECORD, RecordReader } from "../../storage/record-file.ts";
import type { ScannedSegment } from "./journal-scan.ts";
import { JournalCorruptError } from "./segment.ts";

/** What Journal.each calls per record: its payload is `length` bytes at `start` of `buf`, valid only during the call. */
export type RecordVisitor = (seq: number, buf: Uint8Array, start: number, length: number) => boolean | void;

/**
 * Calls `fn` with every record of `segments` with from ≤ seq ≤ until, in order, until it returns
 * false. Returns the last seq handed to `fn` (0: none). See Journal.each.
 */
export function eachRecord(segments: readonly ScannedSegment[], from: number, until: number, fn: RecordVisitor, verify: boolean): number {
  let last = 0;
  let s = segments.length - 1;
  while (s > 0 && segments[s]!.firstSeq > from) s--;
  let buf: Uint8Array | undefined;
  for (; s < segments.length; s++) {
    const seg = segments[s]!;
    if (seg.firstSeq > until) return last;
    const fd = openSync(seg.file, "r");
    try {
      const reader = new RecordReader(fd, seekOffset(seg, from), seg.bytes, buf, verify);
      for (;;) {
        const r = reader.next();
        buf = reader.buf;
        if (r === END) break;
        if (r !== RECORD) throw new JournalCorruptError(seg.file, reader.offset, reader.detail);
        const seq = reader.seq;
        if (seq > until) return last;
        if (seq < from) continue;
        last = seq;
        if (fn(seq, reader.buf, reader.payloadStart, reader.payloadLength) === false) return last;
      }
    } finally {
      closeSync(fd);
    }
  }
  return last;
}

/** The offset of the last indexed record at or before `seq` in the segment (0 if none). */
function seekOffset(seg: ScannedSegment, seq: number): number {
  let lo = 0;
  let hi = seg.indexSeqs.length - 1;
  let best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (seg.indexSeqs[mid]! <= seq) {
      best = seg.indexOffsets[mid]!;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
