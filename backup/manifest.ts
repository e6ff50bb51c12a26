/**
 * A backup's manifest (`manifest.json`, written last: a backup without one is incomplete): what the
 * backup holds, up to which seq, and every file's size and SHA-256, which restore checks before it
 * copies anything. docs/backup.md describes the fields.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BackupError } from "./backup-errors.ts";
import { sha256File } from "./record-files.ts";

export const MANIFEST = "manifest.json";
export const MANIFEST_FORMAT = 1;

export interface ManifestFile {
  /** Path inside the backup, with "/" separators. */
  path: string;
  bytes: number;
  sha256: string;
  /** Permission bits to restore it with (a master key's 0600). */
  mode: number;
  /** Journal segments: the seqs they hold. */
  firstSeq?: number;
  lastSeq?: number;
}

export interface Manifest {
  format: number;
  /** The last command the backup holds, and its engine time (µs). */
  seq: number;
  time: number;
  /** When the backup was taken (wall clock, ISO 8601), and from where. */
  takenAt: string;
  source: string;
  /** The newest snapshot carried (0: none), and the journal's first seq. */
  snapshotSeq: number;
  journalFirstSeq: number;
  /** The history store: SQLite carried at its own last seq (never above `seq`), or not carried. */
  history: { kind: "sqlite"; seq: number; time: number } | { kind: "postgres"; carried: false } | { kind: "none" };
  bourseVersion: string;
  /** SHA-256 of the config file the backup was taken with (it is not in the backup). */
  configFile: string;
  configSha256: string;
  /** What was in the data directory and is not in the backup, and why. */
  skipped: { path: string; why: string }[];
  files: ManifestFile[];
}

/** Reads and checks the manifest of backup `dir`: present, this format, every file the size and hash it says. */
export function readManifest(dir: string, verify = true): Manifest {
  const file = join(dir, MANIFEST);
  if (!existsSync(dir)) throw new BackupError(`backup ${dir} does not exist (check --from)`);
  if (!existsSync(file)) throw new BackupError(`${dir} has no ${MANIFEST}: it is not a bourse backup, or the backup did not finish; take a new one`);
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  } catch (e) {
    throw new BackupError(`${file} is not valid JSON (${(e as Error).message}); the backup is damaged`);
  }
  if (m.format !== MANIFEST_FORMAT) throw new BackupError(`${file} has format ${m.format}; this bourse reads format ${MANIFEST_FORMAT}`);
  if (verify) verifyFiles(dir, m);
  return m;
}

/** Every file of the manifest, hashed again; the first that differs is the error. */
export function verifyFiles(dir: string, m: Manifest): void {
  for (const f of m.files) {
    const at = join(dir, f.path);
    if (!existsSync(at)) throw new BackupError(`backup ${dir} is damaged: ${f.path} is missing (the manifest lists it); nothing was restored`);
    const got = sha256File(at);
    if (got.bytes !== f.bytes) throw new BackupError(`backup ${dir} is damaged: ${f.path} is ${got.bytes} bytes, the manifest says ${f.bytes}; nothing was restored`);
    if (got.sha256 !== f.sha256) throw new BackupError(`backup ${dir} is damaged: ${f.path} does not match its SHA-256 in the manifest; nothing was restored`);
  }
}
