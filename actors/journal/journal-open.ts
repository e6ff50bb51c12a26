/**
 * Opening the journal's directory: scan every segment, cut a torn tail of the last one, remove an
 * empty last segment, and hold the directory against a second writer in this process. What it
 * finds is what Journal starts writing after; the rules are docs/journal.md's.
 */
import { InvariantError } from "../../engine/errors.ts";
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, realpathSync, unlinkSync } from "node:fs";
import { syncDir } from "../../storage/sync-dir.ts";
import { scanJournal, type JournalProblem, type ScannedSegment } from "./journal-scan.ts";
import { JournalCorruptError } from "./segment.ts";

export interface JournalOptions {
  /** Directory of the segment files; created if missing. */
  dir: string;
  /** A commit that leaves the current segment at or past this size closes it; the next commit starts a new one. Default 64 MiB. */
  segmentBytes?: number;
  /** fdatasync on every commit. Default true; false only for tests and benchmarks that do not need durability. */
  fsync?: boolean;
  /**
   * Inspect without changing anything: a torn tail is left on disk (and not read), nothing is
   * created, append and commit throw. A missing directory is an empty journal. Default false.
   */
  readOnly?: boolean;
  /** Called while `open` scans the existing segments. */
  onProgress?: (bytesScanned: number, totalBytes: number) => void;
  /**
   * Called once the scan knows the journal's valid records (0, 0: none) and before `open` changes
   * anything (cuts a torn tail, removes an empty last segment, creates the directory): throwing
   * leaves the journal as it was. Recovery checks here that the journal reaches its snapshot.
   */
  check?: (firstSeq: number, lastSeq: number) => void;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** What opening found: the segments to go on from and what was cut (or, read-only, skipped). */
export interface OpenedSegments {
  /** The directory's real path held by this writer ("" read-only); releaseDir gives it back. */
  lockKey: string;
  segments: ScannedSegment[];
  torn: JournalProblem | null;
  truncatedBytes: number;
}

/** Journals open in this process, by real path: a second writer on one directory would interleave records. */
const openDirs = new Set<string>();

/** Lets another writer open the directory `openSegments` held. */
export function releaseDir(lockKey: string): void {
  openDirs.delete(lockKey);
}

/** First and last seq of the segments' valid records; 0, 0 when there are none. */
function validRange(segments: ScannedSegment[]): [number, number] {
  const live = segments.filter((s) => s.records > 0);
  return live.length === 0 ? [0, 0] : [live[0]!.firstSeq, live[live.length - 1]!.lastSeq];
}

/**
 * Scans `opts.dir` and, unless read-only, repairs its tail and holds it (release with releaseDir
 * once done with it). A torn tail of the last segment is cut away; any other bad record throws
 * JournalCorruptError.
 */
export function openSegments(opts: JournalOptions): OpenedSegments {
  const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) throw new RangeError(`segmentBytes must be a positive integer, got ${segmentBytes}`);
  if (opts.readOnly) {
    const { segments, problem } = existsSync(opts.dir) ? scanJournal(opts.dir, opts.onProgress) : { segments: [], problem: undefined };
    if (problem?.kind === "corrupt") throw new JournalCorruptError(problem.file, problem.offset, problem.detail);
    opts.check?.(...validRange(segments));
    let skipped = 0;
    if (problem) {
      const last = segments[segments.length - 1]!;
      skipped = last.bytes - problem.offset;
      last.bytes = problem.offset;
    }
    return { lockKey: "", segments: segments.filter((s) => s.records > 0), torn: problem ?? null, truncatedBytes: skipped };
  }
  const existed = existsSync(opts.dir);
  if (!existed) opts.check?.(0, 0);
  mkdirSync(opts.dir, { recursive: true });
  const lockKey = realpathSync(opts.dir);
  if (openDirs.has(lockKey)) throw new InvariantError(`journal ${opts.dir} is already open for writing in this process`);
  openDirs.add(lockKey);
  try {
    const { segments, problem } = scanJournal(opts.dir, opts.onProgress);
    const sync = opts.fsync ?? true;
    let truncated = 0;
    if (problem?.kind === "corrupt") throw new JournalCorruptError(problem.file, problem.offset, problem.detail);
    if (existed) opts.check?.(...validRange(segments));
    if (problem) {
      const last = segments[segments.length - 1]!;
      truncated = last.bytes - problem.offset;
      const fd = openSync(last.file, "r+");
      try {
        ftruncateSync(fd, problem.offset);
        if (sync) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      last.bytes = problem.offset;
    }
    // A last segment with no records (created just before a crash, or all torn) is removed so
    // that its name cannot disagree with the seq of the next record appended.
    const last = segments[segments.length - 1];
    if (last && last.records === 0) {
      unlinkSync(last.file);
      if (sync) syncDir(opts.dir);
      segments.pop();
    }
    return { lockKey, segments, torn: problem ?? null, truncatedBytes: truncated };
  } catch (e) {
    releaseDir(lockKey);
    throw e;
  }
}
