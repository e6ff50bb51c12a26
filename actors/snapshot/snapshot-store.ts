import { SnapshotCorruptError } from "../../engine/errors.ts";
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import { join } from "node:path";
import { crc32c } from "../../storage/crc32c.ts";
import { syncDir } from "../../storage/sync-dir.ts";

/**
 * Snapshot files: `snapshot-<seq, 20 digits>.snap`, each the whole engine at a sequence number.
 *
 *   "BSNP" u32 version | f64 seq | f64 time | u32 length | u32 crc32c(state) | state bytes
 *
 * Written to a temporary name, fsynced, renamed and the directory fsynced, so a crash leaves
 * either the old set or the new file whole. A file that fails its check is skipped on load (with
 * a warning through `onSkip`), and recovery falls back to the one before it.
 */
const MAGIC = 0x504e5342; // "BSNP"
const VERSION = 1;
const HEADER = 32;

export interface StoredSnapshot {
  seq: number;
  time: number;
  state: Uint8Array;
  file: string;
}

/** The header that goes before `state` in its file (the layout above). */
function snapshotHeader(seq: number, time: number, state: Uint8Array): Uint8Array {
  const header = new Uint8Array(HEADER);
  const v = new DataView(header.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint32(4, VERSION, true);
  v.setFloat64(8, seq, true);
  v.setFloat64(16, time, true);
  v.setUint32(24, state.length, true);
  v.setUint32(28, crc32c(state), true);
  return header;
}

/** The names in `dir`, none if it does not exist (yet). */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Deletes `file`; one another thread already deleted is not an error (see pruneSnapshots). */
function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

function name(seq: number): string {
  return `snapshot-${String(seq).padStart(20, "0")}.snap`;
}

/**
 * `tmpTag` names the temporary file (`<file><tmpTag>.tmp`): the snapshotter replica and the engine
 * thread (an explicit snapshot) can write the same seq's file at once, and each must rename only
 * its own whole temporary file (the two hold the same bytes, so either rename leaves the right file).
 */
export function saveSnapshot(dir: string, seq: number, time: number, state: Uint8Array, tmpTag = ""): string {
  mkdirSync(dir, { recursive: true });
  const header = snapshotHeader(seq, time, state);
  const file = join(dir, name(seq));
  const tmp = `${file}${tmpTag}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, header);
    writeSync(fd, state);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDir(dir);
  return file;
}

/**
 * saveSnapshot off the calling thread: the write and the fsyncs of a snapshot (tens of MB with a
 * full idempotency window) run in the runtime's I/O threads, so the engine's thread — with the
 * engine embedded, the sockets' thread too — does not stall on them. Same file, same steps: a
 * temporary file, fsync, rename, directory fsync; a crash part way leaves only a `.tmp`, which
 * listing ignores.
 */
export async function saveSnapshotAsync(dir: string, seq: number, time: number, state: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const header = snapshotHeader(seq, time, state);
  const file = join(dir, name(seq));
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.write(header);
    await fh.write(state);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
  return file;
}

/** Snapshot files present, newest first (by the sequence in their name). */
export function listSnapshots(dir: string): { seq: number; file: string }[] {
  return namesIn(dir)
    .map((n) => /^snapshot-(\d{20})\.snap$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ seq: Number(m[1]), file: join(dir, m[0]) }))
    .sort((a, b) => b.seq - a.seq);
}

/** Reads and checks one snapshot file; throws with the reason if it is not whole. */
export function readSnapshotFile(file: string): StoredSnapshot {
  const bytes = readFileSync(file);
  if (bytes.length < HEADER) throw new SnapshotCorruptError(`${file}: shorter than a snapshot header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== MAGIC) throw new SnapshotCorruptError(`${file}: not a snapshot (bad magic)`);
  if (v.getUint32(4, true) !== VERSION) throw new SnapshotCorruptError(`${file}: unsupported snapshot version ${v.getUint32(4, true)}`);
  const seq = v.getFloat64(8, true);
  const time = v.getFloat64(16, true);
  const length = v.getUint32(24, true);
  if (HEADER + length !== bytes.length) throw new SnapshotCorruptError(`${file}: length ${length} does not match the file`);
  const state = new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER, length);
  if (crc32c(state) !== v.getUint32(28, true)) throw new SnapshotCorruptError(`${file}: checksum mismatch`);
  return { seq, time, state, file };
}

/** The newest whole snapshot at or before `untilSeq`, or null. */
export function loadNewestSnapshot(dir: string, untilSeq = Infinity, onSkip?: (file: string, why: string) => void): StoredSnapshot | null {
  for (const { seq, file } of listSnapshots(dir)) {
    if (seq > untilSeq) continue;
    try {
      return readSnapshotFile(file);
    } catch (e) {
      onSkip?.(file, (e as Error).message);
    }
  }
  return null;
}

/**
 * Keeps the newest `keep` snapshots, deleting older ones. Two threads may prune one directory (the
 * replica after its snapshots, the engine thread after an explicit one): a file the other already
 * deleted is not an error.
 */
export function pruneSnapshots(dir: string, keep: number): void {
  for (const { file } of listSnapshots(dir).slice(keep)) unlinkIfPresent(file);
}

/** Deletes temporary files `saveSnapshot(…, tmpTag)` left behind (a process that died while writing one). */
export function removeTemporaries(dir: string, tmpTag: string): void {
  const suffix = `${tmpTag}.tmp`;
  for (const n of namesIn(dir)) {
    if (/^snapshot-\d{20}\.snap/.test(n) && n.endsWith(suffix)) unlinkIfPresent(join(dir, n));
  }
}
