/**
 * `bourse restore`: a data directory made again from a backup, optionally with later journal
 * segments (the lost host's surviving journal, or segments shipped off it) and cut at a seq or a
 * time (point-in-time recovery), so that the next `bourse serve` starts exactly there.
 *
 * It never touches a live directory: it takes the target's lock for the whole restore (a running
 * exchange holds it, so the restore is refused naming its pid; a server started meanwhile is
 * refused instead), and refuses a non-empty target unless --force, which moves what was there
 * aside rather than deleting it. The backup's checksums are verified before anything is copied.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DataDirInUse, DataDirLock, RESTORE_MARKER } from "../actors/data-lock.ts";
import { UntilPastEnd } from "../actors/data-dir-errors.ts";
import { parseSegmentName } from "../actors/journal/segment.ts";
import { paths } from "../actors/recovery.ts";
import { syncDir } from "../storage/sync-dir.ts";
import type { HistoryConfig } from "../history/config.ts";
import { storeLocation } from "../history/config.ts";
import { BackupError, JournalGap } from "./backup-errors.ts";
import { type Manifest, readManifest, verifyFiles } from "./manifest.ts";
import { copyPrefix, recordsEnd, samePrefix } from "./record-files.ts";

export interface RestoreOptions {
  from: string;
  dataDir: string;
  untilSeq?: number;
  untilTime?: number;
  /** A directory of later journal segments (`journal-<seq>.seg`). */
  journal?: string;
  /** Move a non-empty target's contents aside (to `<dir>.replaced-<time>`) instead of refusing. */
  force?: boolean;
  history?: HistoryConfig;
  progress?: (line: string) => void;
}

export interface Restored {
  /** The last seq and its engine time the restored directory holds: `bourse serve` starts there. */
  seq: number;
  time: number;
  backupSeq: number;
  /** Commands taken from the later segments. */
  fromLaterSegments: number;
  snapshotSeq: number;
  /** The history store's seq when one was restored, or why not. */
  history: { restored: true; seq: number } | { restored: false; why: string };
  /** Where a --force moved the target's old contents. */
  movedAside?: string;
  manifest: Manifest;
}

/** One segment of the journal being put together: where its bytes come from, and how many to take. */
interface Piece {
  name: string;
  src: string;
  firstSeq: number;
  lastSeq: number;
  bytes: number;
}

export function restore(o: RestoreOptions): Restored {
  const say = o.progress ?? (() => {});
  // The manifest is there (a wrong --from creates nothing), then the target's lock: a live
  // directory is refused before the backup's files are read.
  const m = readManifest(o.from, false);
  if (existsSync(o.dataDir) && !statSync(o.dataDir).isDirectory()) throw new BackupError(`--data ${o.dataDir} is a file; restore into a new or empty directory`);
  let lock: DataDirLock;
  try {
    lock = DataDirLock.acquire(o.dataDir, { restoring: true });
  } catch (e) {
    if (e instanceof DataDirInUse) throw new BackupError(`${e.message}: restore never writes into a running exchange's directory; stop it, or restore into another directory`);
    throw e;
  }
  try {
    const present = readdirSync(o.dataDir).filter((n) => n !== "LOCK");
    if (present.length > 0 && !o.force) {
      throw new BackupError(`data directory ${o.dataDir} is not empty (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", …" : ""}); restore into a new or empty directory, or pass --force to move its contents aside first`);
    }
    say(`verifying ${m.files.length} files of backup ${o.from} (seq ${m.seq})`);
    const pieces = journalPieces(o.from, m, o.journal);
    const cut = cutAt(pieces, o.untilSeq, o.untilTime);
    // The snapshot goes only if it is at or before the target; otherwise serve replays from seq 1.
    const snap = m.files.find((f) => f.path.startsWith("snapshots/"));
    const useSnapshot = snap !== undefined && m.snapshotSeq <= cut.seq && !(o.untilTime !== undefined && snapshotTime(o.from, snap.path) > o.untilTime);
    const journalFirst = cut.pieces[0]?.firstSeq ?? 0;
    if (journalFirst > (useSnapshot ? m.snapshotSeq : 0) + 1) throw new BackupError(`the backup's journal starts at seq ${journalFirst} and no snapshot at or before seq ${cut.seq} is in it: it cannot reach the target; nothing was restored: restore to a later one`);
    // Everything checked before the first byte is written: the backup's hashes, then the target.
    verifyFiles(o.from, m);
    const movedAside = present.length > 0 ? moveAside(o.dataDir, present) : undefined;
    const p = paths(o.dataDir);
    // Written first and removed last: a restore that fails part way (a full disk, a kill) leaves
    // it, and no writer starts on the partial directory until a restore with --force finishes.
    const marker = join(o.dataDir, RESTORE_MARKER);
    writeFileSync(marker, `restore from ${o.from} began ${new Date().toISOString()}\n`);
    syncDir(o.dataDir);

    // The journal, cut at the target.
    mkdirSync(p.journal, { recursive: true });
    for (const piece of cut.pieces) copyPrefix(piece.src, join(p.journal, piece.name), piece.bytes, 0o644, false);
    syncDir(p.journal);

    let snapshotSeq = 0;
    if (snap && useSnapshot) {
      mkdirSync(p.snapshots, { recursive: true });
      copyPrefix(join(o.from, snap.path), join(o.dataDir, snap.path), snap.bytes, snap.mode, false);
      syncDir(p.snapshots);
      snapshotSeq = m.snapshotSeq;
    }

    // hashes.log up to the target.
    if (m.files.some((f) => f.path === "hashes.log")) {
      const keep = readFileSync(join(o.from, "hashes.log"), "utf8")
        .split("\n")
        .filter((l) => l !== "" && Number(l.split(" ")[0]) <= cut.seq);
      writeFileSync(p.hashes, keep.map((l) => `${l}\n`).join(""));
    }

    // The history store, when it is not past the target: the writer fills in the rest from the journal at start.
    let history: Restored["history"];
    const hist = m.files.find((f) => f.path === "history.db");
    const at = storeLocation(o.dataDir, o.history);
    if (m.history.kind !== "sqlite" || !hist) history = { restored: false, why: m.history.kind === "postgres" ? "the backup's history store is PostgreSQL: restore it with pg_restore, or rebuild it (bourse history rebuild)" : "the backup has none" };
    else if (at.kind !== "sqlite") history = { restored: false, why: "this config's history store is PostgreSQL: rebuild it from the journal (bourse history rebuild)" };
    else if (m.history.seq > cut.seq) history = { restored: false, why: `the backup's store is at seq ${m.history.seq}, past the target ${cut.seq}: the writer rebuilds it from the journal at start` };
    else {
      mkdirSync(dirname(at.file), { recursive: true });
      copyPrefix(join(o.from, hist.path), at.file, hist.bytes, hist.mode, false);
      history = { restored: true, seq: m.history.seq };
    }

    // The rest (master key, TLS, FIX and venue stores), with their permissions.
    for (const f of m.files) {
      if (f.path.startsWith("journal/") || f.path.startsWith("snapshots/") || f.path === "hashes.log" || f.path === "history.db") continue;
      mkdirSync(dirname(join(o.dataDir, f.path)), { recursive: true });
      copyPrefix(join(o.from, f.path), join(o.dataDir, f.path), f.bytes, f.mode, false);
    }
    syncDir(o.dataDir);
    // Everything is on disk: only now may a writer start here.
    unlinkSync(marker);
    syncDir(o.dataDir);
    return { seq: cut.seq, time: cut.time, backupSeq: m.seq, fromLaterSegments: Math.max(0, cut.seq - m.seq), snapshotSeq, history, movedAside, manifest: m };
  } finally {
    lock.release();
  }
}

/** The backup's segments, then the later ones that go on from them; a gap or a different history is refused. */
function journalPieces(from: string, m: Manifest, later: string | undefined): Piece[] {
  const pieces: Piece[] = m.files
    .filter((f) => f.path.startsWith("journal/"))
    .map((f) => ({ name: f.path.slice("journal/".length), src: join(from, f.path), firstSeq: f.firstSeq!, lastSeq: f.lastSeq!, bytes: f.bytes }))
    .sort((a, b) => a.firstSeq - b.firstSeq);
  if (later === undefined) return pieces;
  if (!existsSync(later) || !statSync(later).isDirectory()) throw new BackupError(`--journal ${later} is not a directory of journal segments`);
  const names = readdirSync(later)
    .filter((n) => parseSegmentName(n) > 0)
    .sort((a, b) => parseSegmentName(a) - parseSegmentName(b));
  let end = m.seq;
  let where = `the backup ${from}`;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const src = join(later, name);
    // A segment followed by one that starts at or before the next seq we need holds nothing new:
    // not read at all (a lost host's whole journal is mostly what the backup has).
    const next = names[i + 1];
    if (next !== undefined && parseSegmentName(next) <= end + 1) continue;
    const e = recordsEnd(src);
    // Only the last segment may end in a torn record (a crash mid-write); anywhere else it is damage.
    if (e.stoppedAt === "bad-record" && i < names.length - 1) throw new BackupError(`${src} has a bad record at byte ${e.badOffset} (${e.detail}) and is not the last segment: it is damaged; nothing was restored`);
    if (e.records === 0 || e.lastSeq <= end) continue;
    if (e.firstSeq > end + 1) throw new JournalGap(end, e.firstSeq, where);
    if (e.firstSeq <= end) {
      // It overlaps what we have: it must be the same history, the segment we hold being a byte prefix of it.
      const same = pieces.findIndex((p) => p.name === name);
      if (same < 0 || same !== pieces.length - 1 || !samePrefix(pieces[same]!.src, src, pieces[same]!.bytes)) {
        throw new BackupError(`${src} holds seqs ${e.firstSeq}–${e.lastSeq} that differ from the backup's: it is another directory's journal; nothing was restored`);
      }
      pieces[same] = { name, src, firstSeq: e.firstSeq, lastSeq: e.lastSeq, bytes: e.bytes };
    } else pieces.push({ name, src, firstSeq: e.firstSeq, lastSeq: e.lastSeq, bytes: e.bytes });
    end = e.lastSeq;
    where = src;
  }
  return pieces;
}

/** The pieces cut at the target (the last one shortened to its last record at or before it). */
function cutAt(pieces: Piece[], untilSeq: number | undefined, untilTime: number | undefined): { pieces: Piece[]; seq: number; time: number } {
  const last = pieces.at(-1);
  const end = last?.lastSeq ?? 0;
  if (untilSeq !== undefined && untilSeq > end) {
    const lastTime = last ? recordsEnd(last.src, { untilSeq: last.lastSeq, untilTime: Number.MAX_VALUE }).lastTime : 0;
    throw new UntilPastEnd(end, lastTime, String(untilSeq));
  }
  const out: Piece[] = [];
  let seq = 0;
  let time = 0;
  for (const p of pieces) {
    // A piece wholly before a seq target is taken as it is; the one holding the target is read to it.
    // A time target reads every command's time (docs/backup.md: what PITR to a time costs).
    if (untilTime === undefined && (untilSeq === undefined || p.lastSeq <= untilSeq)) {
      out.push(p);
      seq = p.lastSeq;
      continue;
    }
    const e = recordsEnd(p.src, { untilSeq: Math.min(untilSeq ?? Infinity, p.lastSeq), untilTime });
    if (e.records > 0) {
      out.push({ ...p, bytes: Math.min(e.bytes, p.bytes), lastSeq: e.lastSeq });
      seq = e.lastSeq;
    }
    if (e.lastSeq < p.lastSeq) break;
  }
  // The engine time of the last command kept (its segment's commands decoded once).
  const lastPiece = out.at(-1);
  if (lastPiece) time = recordsEnd(lastPiece.src, { untilSeq: lastPiece.lastSeq, untilTime: Number.MAX_VALUE }).lastTime;
  if (untilTime !== undefined && seq === 0) throw new BackupError(`no command in the backup is at or before ${new Date(untilTime / 1000).toISOString()}; nothing was restored`);
  return { pieces: out, seq, time };
}

/** A snapshot file's engine time (its header: "BSNP" u32 version, f64 seq, f64 time). */
function snapshotTime(from: string, path: string): number {
  const header = new Uint8Array(24);
  const fd = openSync(join(from, path), "r");
  try {
    readSync(fd, header, 0, 24, 0);
  } finally {
    closeSync(fd);
  }
  return new DataView(header.buffer).getFloat64(16, true);
}

/** --force: what was in the target goes to a sibling directory, never deleted. */
function moveAside(dir: string, names: string[]): string {
  const aside = `${dir.replace(/\/+$/, "")}.replaced-${new Date().toISOString().replaceAll(":", "-")}`;
  mkdirSync(aside);
  for (const n of names) renameSync(join(dir, n), join(aside, n));
  syncDir(dir);
  return aside;
}
