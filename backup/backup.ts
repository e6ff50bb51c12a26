/**
 * `bourse backup`: a consistent copy of a data directory, taken while the exchange runs and
 * without stopping its writer or taking its lock (docs/backup.md). Nothing here takes the directory's
 * lock or writes into it; everything is read.
 *
 * Consistency comes from the order of the reads. A snapshot file is immutable once renamed and is
 * written only after the journal is durable through its seq; the history store writes only seqs
 * that were durable; so the snapshot and the history store are read first, and the journal last,
 * up to its last whole record after an fdatasync of our own: the journal then reaches (at least)
 * both, and every record copied is durable on the source host. hashes.log lines past the copied
 * journal are left out.
 */
import { Database } from "bun:sqlite";
import { existsSync, fsyncSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { paths } from "../actors/recovery.ts";
import { listSnapshots } from "../actors/snapshot/snapshot-store.ts";
import { parseSegmentName } from "../actors/journal/segment.ts";
import { syncDir } from "../storage/sync-dir.ts";
import type { HistoryConfig } from "../history/config.ts";
import { storeLocation } from "../history/config.ts";
import { BackupError } from "./backup-errors.ts";
import { type Manifest, MANIFEST, MANIFEST_FORMAT, type ManifestFile } from "./manifest.ts";
import { copyPrefix, recordsEnd, sha256File } from "./record-files.ts";

export interface BackupOptions {
  dataDir: string;
  to: string;
  /** The config file's path and its text (hashed into the manifest), and its history settings. */
  configFile: string;
  history?: HistoryConfig;
  bourseVersion: string;
  /** One line per step, for the operator (stderr). */
  progress?: (line: string) => void;
}

/** Entries of a data directory a backup does not carry, and why (docs/backup.md has the table). */
const NOT_CARRIED: Record<string, string> = {
  LOCK: "the writer's lock: a restored directory takes its own",
  "operator.token": "written again at each start",
  "sessions.db": "sign-in sessions (not journaled): users sign in again after a restore",
  "sessions.db-wal": "part of sessions.db",
  "sessions.db-shm": "part of sessions.db",
  "history.db-wal": "part of history.db (carried through SQLite's VACUUM INTO)",
  "history.db-shm": "part of history.db",
  reconcile: "reconciliation reports: bourse reconcile writes them again",
};

/** Directories copied file by file; in them, `*.out` are record files (the FIX stores), cut at their last whole record. */
const COPIED_DIRS = ["tls", "fix", "venues"];

export async function takeBackup(o: BackupOptions): Promise<Manifest> {
  const say = o.progress ?? (() => {});
  const p = paths(o.dataDir);
  if (!existsSync(p.journal)) throw new BackupError(`${o.dataDir} has no journal/ directory: it is not a bourse data directory; pass --data DIR`);
  prepareTarget(o.to);
  const files: ManifestFile[] = [];
  const skipped: { path: string; why: string }[] = [];
  const add = (path: string, src: string, length: number, extra: Partial<ManifestFile> = {}) => {
    const mode = statSync(src).mode & 0o777;
    const sha256 = copyPrefix(src, join(o.to, path), length, mode);
    files.push({ path, bytes: length, sha256, mode, ...extra });
  };

  // 1. The newest snapshot. The replica prunes old ones as it writes new ones: one that vanished
  //    between the listing and the copy has a newer one beside it, so list again.
  let snapshotSeq = 0;
  for (let attempt = 0; attempt < 5 && snapshotSeq === 0; attempt++) {
    const newest = listSnapshots(p.snapshots)[0];
    if (!newest) break;
    mkdirSync(join(o.to, "snapshots"), { recursive: true });
    const name = `snapshots/${newest.file.split("/").pop()}`;
    try {
      add(name, newest.file, statSync(newest.file).size);
      snapshotSeq = newest.seq;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      rmSync(join(o.to, name), { force: true });
    }
  }
  say(snapshotSeq > 0 ? `snapshot at seq ${snapshotSeq}` : "no snapshot yet: the journal is replayed from seq 1");

  // 2. The history store, before the journal: it never holds a seq the journal copy will lack.
  const at = storeLocation(o.dataDir, o.history);
  let history: Manifest["history"] = { kind: "none" };
  if (at.kind === "postgres") {
    history = { kind: "postgres", carried: false };
    skipped.push({ path: "(PostgreSQL history store)", why: "not carried: pg_dump it, or rebuild it from the journal (docs/backup.md)" });
  } else if (existsSync(at.file)) {
    const out = join(o.to, "history.db");
    const src = new Database(at.file, { readonly: true });
    try {
      // SQLite's own online copy: one read transaction, consistent while the writer writes (WAL).
      src.exec(`VACUUM INTO '${out.replaceAll("'", "''")}'`);
    } finally {
      src.close();
    }
    const copy = new Database(out, { readonly: true });
    const progress = copy.query("SELECT seq, time FROM progress WHERE id = 1").get() as { seq: number; time: number } | null;
    copy.close();
    fsyncFile(out);
    const { sha256, bytes } = sha256File(out);
    files.push({ path: "history.db", bytes, sha256, mode: statSync(at.file).mode & 0o777 });
    history = { kind: "sqlite", seq: progress?.seq ?? 0, time: progress?.time ?? 0 };
    say(`history store (SQLite) through seq ${history.seq}`);
  }

  // 3. The journal: every segment in seq order, each read to its last whole record after our own
  //    fdatasync. Only the last can be growing; a segment that rolled over meanwhile is whole.
  mkdirSync(join(o.to, "journal"), { recursive: true });
  const segments = readdirSync(p.journal)
    .map((name) => ({ name, firstSeq: parseSegmentName(name) }))
    .filter((s) => s.firstSeq > 0)
    .sort((a, b) => a.firstSeq - b.firstSeq);
  let seq = 0;
  let time = 0;
  let journalFirstSeq = 0;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const src = join(p.journal, s.name);
    const isLast = i === segments.length - 1;
    const end = recordsEnd(src, { sync: isLast, untilTime: undefined });
    if (end.stoppedAt === "bad-record" && !isLast) throw new BackupError(`journal segment ${src} has a bad record at byte ${end.badOffset} (${end.detail}) and is not the last: the journal is damaged; run bourse journal verify --data ${o.dataDir}`);
    if (end.records === 0) continue;
    if (seq > 0 && end.firstSeq !== seq + 1) throw new BackupError(`journal segment ${src} starts at seq ${end.firstSeq} but the one before ends at ${seq}: the journal is damaged; run bourse journal verify --data ${o.dataDir}`);
    if (journalFirstSeq === 0) journalFirstSeq = end.firstSeq;
    add(`journal/${s.name}`, src, end.bytes, { firstSeq: end.firstSeq, lastSeq: end.lastSeq });
    seq = end.lastSeq;
  }
  if (seq < snapshotSeq) throw new BackupError(`the journal of ${o.dataDir} ends at seq ${seq}, before its snapshot at seq ${snapshotSeq}: the directory is inconsistent; run bourse journal verify --data ${o.dataDir}`);
  if (history.kind === "sqlite" && history.seq > seq) throw new BackupError(`the history store is at seq ${history.seq}, past the journal's ${seq}: it is not this directory's store`);
  if (seq > 0) time = recordsEnd(join(o.to, "journal", segments.filter((s) => s.firstSeq <= seq).at(-1)!.name), { untilTime: Number.MAX_VALUE }).lastTime;
  say(`journal seq ${journalFirstSeq}–${seq}`);

  // 4. hashes.log, without lines past the journal copied (the replica may have gone on meanwhile).
  if (existsSync(p.hashes)) {
    const keep = readFileSync(p.hashes, "utf8")
      .split("\n")
      .filter((line) => /^\d+ \S+ \S+$/.test(line) && Number(line.split(" ")[0]) <= seq);
    const out = join(o.to, "hashes.log");
    writeFileSync(out, keep.map((l) => `${l}\n`).join(""), { mode: 0o644 });
    fsyncFile(out);
    const { sha256, bytes } = sha256File(out);
    files.push({ path: "hashes.log", bytes, sha256, mode: 0o644 });
  }

  // 5. The rest of the directory: the master key (with its permissions), TLS material, the FIX
  //    and venue stores; what is not carried is listed in the manifest with the reason.
  for (const name of readdirSync(o.dataDir).sort()) {
    if (["journal", "snapshots", "hashes.log", "history.db"].includes(name)) continue;
    const src = join(o.dataDir, name);
    if (name in NOT_CARRIED) {
      skipped.push({ path: name, why: NOT_CARRIED[name]! });
      continue;
    }
    if (name === "master.key") add(name, src, statSync(src).size);
    else if (COPIED_DIRS.includes(name) && statSync(src).isDirectory()) copyTree(o.to, name, src, add);
    else skipped.push({ path: name, why: name.startsWith(".bourse-write-test") ? "a writer's probe file" : "not a file bourse writes: copy it yourself if it matters" });
  }

  const config = existsSync(o.configFile) ? sha256File(o.configFile).sha256 : "";
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    seq,
    time,
    takenAt: new Date().toISOString(),
    source: `${hostname()}:${o.dataDir}`,
    snapshotSeq,
    journalFirstSeq,
    history,
    bourseVersion: o.bourseVersion,
    configFile: o.configFile,
    configSha256: config,
    skipped,
    files,
  };
  // Written last, through a temporary name: a backup with a manifest is a whole one.
  for (const d of ["journal", "snapshots", ...COPIED_DIRS]) if (existsSync(join(o.to, d))) syncDir(join(o.to, d));
  const tmp = join(o.to, `${MANIFEST}.tmp`);
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + "\n");
  fsyncFile(tmp);
  renameSync(tmp, join(o.to, MANIFEST));
  syncDir(o.to);
  return manifest;
}

/** The backup's directory: made if missing; an existing one must be empty (a backup never overwrites another). */
function prepareTarget(to: string): void {
  if (existsSync(to)) {
    if (!statSync(to).isDirectory()) throw new BackupError(`--to ${to} is a file; pass a new or empty directory`);
    if (readdirSync(to).length > 0) throw new BackupError(`--to ${to} is not empty; a backup goes into a new or empty directory (it never overwrites another)`);
  }
  mkdirSync(to, { recursive: true });
}

function copyTree(root: string, rel: string, src: string, add: (path: string, src: string, length: number) => void): void {
  mkdirSync(join(root, rel), { recursive: true, mode: statSync(src).mode & 0o777 });
  for (const name of readdirSync(src).sort()) {
    const from = join(src, name);
    const st = statSync(from);
    if (st.isDirectory()) copyTree(root, `${rel}/${name}`, from, add);
    else if (name.endsWith(".out")) add(`${rel}/${name}`, from, recordsEnd(from).bytes);
    else if (st.isFile() && !name.endsWith(".tmp")) add(`${rel}/${name}`, from, st.size);
  }
}

function fsyncFile(file: string): void {
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
