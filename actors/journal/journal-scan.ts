/**
 * The scan every journal open starts with, and `verifyJournal`, which is the same scan without the
 * repair: every segment in seq order, every record's CRC, seq continuity across the whole journal,
 * and the torn-tail-or-corruption decision of docs/journal.md ("Recovery").
 */
import { closeSync, openSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { END, findValidRecordAfter, READ_CHUNK, RECORD, RecordReader } from "../../storage/record-file.ts";
import { INDEX_STRIDE, parseSegmentName } from "./segment.ts";

export interface SegmentSummary {
  file: string;
  firstSeq: number;
  /** firstSeq − 1 when the segment holds no records. */
  lastSeq: number;
  records: number;
  /** Size of the file, including any torn tail. */
  bytes: number;
}

export interface JournalProblem {
  file: string;
  offset: number;
  kind: "torn-tail" | "corrupt";
  detail: string;
}

/** A scanned segment, with the sparse index `Journal.read` seeks by: (seq, offset) pairs in order. */
export interface ScannedSegment extends SegmentSummary {
  indexSeqs: number[];
  indexOffsets: number[];
  /** Offset (end of valid records) at which the next index entry is due. */
  nextIndexAt: number;
}

export interface ScanResult {
  segments: ScannedSegment[];
  problem?: JournalProblem;
}

/**
 * Reads every segment in `dir` in seq order, checking every record's CRC and that seqs run on by one
 * across the whole journal. Stops at the first problem. A bad record counts as a torn tail only in
 * the last segment and only when no valid record follows it; anything else is corruption.
 */
export function scanJournal(dir: string, onProgress?: (bytesScanned: number, totalBytes: number) => void): ScanResult {
  const found: { file: string; firstSeq: number; size: number }[] = [];
  let totalBytes = 0;
  for (const name of readdirSync(dir)) {
    const firstSeq = parseSegmentName(name);
    if (firstSeq < 0) continue;
    const file = join(dir, name);
    const size = statSync(file).size;
    found.push({ file, firstSeq, size });
    totalBytes += size;
  }
  found.sort((a, b) => a.firstSeq - b.firstSeq);

  const segments: ScannedSegment[] = [];
  let scannedBefore = 0;
  const progress = onProgress && ((inSegment: number) => onProgress(scannedBefore + inSegment, totalBytes));
  let buf: Uint8Array = new Uint8Array(READ_CHUNK);
  for (let s = 0; s < found.length; s++) {
    const { file, firstSeq, size } = found[s]!;
    const seg: ScannedSegment = { file, firstSeq, lastSeq: firstSeq - 1, records: 0, bytes: size, indexSeqs: [], indexOffsets: [], nextIndexAt: 0 };
    segments.push(seg);
    const prev = segments[s - 1];
    let problem: JournalProblem | undefined;
    if (prev && firstSeq !== prev.lastSeq + 1) {
      problem = { file, offset: 0, kind: "corrupt", detail: `the segment starts at seq ${firstSeq} but the previous one (${prev.file}) ends at seq ${prev.lastSeq}` };
    } else if (s < found.length - 1 && size === 0) {
      problem = { file, offset: 0, kind: "corrupt", detail: "an empty segment is followed by another segment" };
    } else {
      const fd = openSync(file, "r");
      try {
        const reader = new RecordReader(fd, 0, size, buf);
        problem = scanSegment(fd, reader, seg, s === found.length - 1, progress);
        buf = reader.buf;
      } finally {
        closeSync(fd);
      }
    }
    if (problem) {
      onProgress?.(totalBytes, totalBytes);
      return { segments, problem };
    }
    scannedBefore += size;
  }
  onProgress?.(totalBytes, totalBytes);
  return { segments };
}

/** Reads one segment's records into `seg` (count, last seq, index); returns the first problem. */
function scanSegment(fd: number, reader: RecordReader, seg: ScannedSegment, isLast: boolean, progress?: (bytes: number) => void): JournalProblem | undefined {
  const file = seg.file;
  let reported = 0;
  for (;;) {
    const r = reader.next();
    if (progress && reader.bytesRead !== reported) progress((reported = reader.bytesRead));
    if (r === END) return undefined;
    if (r === RECORD) {
      const want = seg.lastSeq + 1;
      if (reader.seq !== want) return { file, offset: reader.offset, kind: "corrupt", detail: `a valid record carries seq ${reader.seq} where seq ${want} was expected` };
      if (reader.offset >= seg.nextIndexAt) {
        seg.indexSeqs.push(reader.seq);
        seg.indexOffsets.push(reader.offset);
        seg.nextIndexAt = reader.offset + INDEX_STRIDE;
      }
      seg.lastSeq = reader.seq;
      seg.records++;
      continue;
    }
    // A bad or incomplete record. Only the last segment can end in a torn tail: a segment is
    // closed by a commit whose fdatasync completed, and it is never written again.
    if (!isLast) return { file, offset: reader.offset, kind: "corrupt", detail: `${reader.detail}, in a segment that is not the last` };
    const later = findValidRecordAfter(fd, reader.offset, seg.bytes, seg.lastSeq);
    if (later) {
      const detail = `${reader.detail}; a valid record (seq ${later.seq}) follows at byte ${later.offset}, so this is not a torn tail`;
      return { file, offset: reader.offset, kind: "corrupt", detail };
    }
    return { file, offset: reader.offset, kind: "torn-tail", detail: reader.detail };
  }
}

export interface VerifyResult {
  segments: SegmentSummary[];
  records: number;
  /** 0 when the journal is empty. */
  firstSeq: number;
  lastSeq: number;
  problem?: JournalProblem;
}

/**
 * Checks a journal without changing it: every segment, every record's CRC, seq continuity. Stops at
 * the first problem and reports it (a torn tail is reported, not cut). `dir` must exist.
 */
export function verifyJournal(dir: string, onProgress?: (bytesScanned: number, totalBytes: number) => void): VerifyResult {
  const { segments, problem } = scanJournal(dir, onProgress);
  const summaries = segments.map(({ file, firstSeq, lastSeq, records, bytes }) => ({ file, firstSeq, lastSeq, records, bytes }));
  const withRecords = summaries.filter((s) => s.records > 0);
  return {
    segments: summaries,
    records: summaries.reduce((n, s) => n + s.records, 0),
    firstSeq: withRecords[0]?.firstSeq ?? 0,
    lastSeq: withRecords[withRecords.length - 1]?.lastSeq ?? 0,
    ...(problem ? { problem } : {}),
  };
}
