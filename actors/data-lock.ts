/**
 * One writer per data directory: an exclusive `flock` on `<dir>/LOCK`, held for the life of the
 * process that writes the directory (the Runtime, or the WorkerHost whose worker runs it). The OS
 * releases it when the holder's file is closed, so a crash or SIGKILL frees the directory; nothing
 * needs to be cleaned up by hand. The file names the holder (pid, host, start time) for the error a
 * second writer prints; whether the directory is held is the lock's call, never the file's, which
 * keeps naming the last holder after it is gone.
 *
 * Read-only tools only probe (a shared lock taken and dropped at once) and say the directory is live.
 * docs/journal.md ("One writer per data directory") says why and how.
 */
import { InvariantError } from "../engine/errors.ts";
import { dlopen, FFIType, read } from "bun:ffi";
import { closeSync, constants, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { DataDirError, DataDirInUse, DataDirUnwritable, DataLockUnsupported, type LockHolder, RESTORE_MARKER, RestoreIncomplete } from "./data-dir-errors.ts";

export { DataDirInUse, DataDirUnwritable, DataLockUnsupported, RESTORE_MARKER, RestoreIncomplete };

/** flock(2) operations; the same values on Linux and macOS. */
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

interface Libc {
  flock(fd: number, op: number): number;
  errno(): number;
  /** EWOULDBLOCK: the lock is held by another open file. */
  wouldBlock: number;
}

let libc: Libc | null | undefined;

/** flock through bun:ffi: Node's fs has no flock, and an OS lock is what makes a crash release it. */
function loadLibc(): Libc {
  if (libc) return libc;
  if (libc === null) throw new DataLockUnsupported(process.platform);
  // The library and the thread-local errno accessor differ by platform; elsewhere there is no flock.
  const where =
    process.platform === "linux"
      ? { lib: "libc.so.6", errno: "__errno_location", wouldBlock: 11 }
      : process.platform === "darwin"
        ? { lib: "libSystem.B.dylib", errno: "__error", wouldBlock: 35 }
        : null;
  if (where === null) {
    libc = null;
    throw new DataLockUnsupported(process.platform);
  }
  try {
    const lib = dlopen(where.lib, {
      flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      [where.errno]: { args: [], returns: FFIType.ptr },
    });
    const errnoAt = lib.symbols[where.errno]!;
    libc = {
      flock: (fd, op) => lib.symbols.flock!(fd, op) as number,
      errno: () => read.i32(errnoAt() as number, 0),
      wouldBlock: where.wouldBlock,
    };
    return libc;
  } catch (e) {
    libc = null;
    throw new DataLockUnsupported(process.platform, (e as Error).message);
  }
}

export function lockFile(dir: string): string {
  return join(dir, "LOCK");
}

/** `pid 1234\nhost name\nsince 2026-12-07T08:00:00.000Z\n`: readable with cat. */
function formatHolder(h: LockHolder): string {
  return `pid ${h.pid}\nhost ${h.host}\nsince ${h.since}\n`;
}

/** What a LOCK file's text says; fields it does not have stay empty (a holder between its lock and its write). */
export function parseHolder(text: string): LockHolder {
  const field = (name: string) => new RegExp(`^${name} (.*)$`, "m").exec(text)?.[1]?.trim() ?? "";
  return { pid: Number(field("pid")) || 0, host: field("host"), since: field("since") };
}

function readHolder(file: string): LockHolder {
  try {
    return parseHolder(readFileSync(file, "utf8"));
  } catch {
    return { pid: 0, host: "", since: "" };
  }
}

/** "pid N on HOST since T", with what the file does not say left out. */
export function describeHolder(h: LockHolder): string {
  if (h.pid === 0) return "another process (its LOCK file does not name it yet)";
  return `pid ${h.pid}${h.host ? ` on ${h.host}` : ""}${h.since ? ` since ${h.since}` : ""}`;
}

/** The exclusive lock on one data directory, held until release() or the end of the process. */
export class DataDirLock {
  private fd: number;

  private constructor(
    readonly dir: string,
    fd: number,
    readonly holder: LockHolder,
  ) {
    this.fd = fd;
  }

  /**
   * Creates `dir` if missing, then takes its lock, or throws DataDirInUse at once (never waits) and
   * changes nothing: the LOCK file is opened without truncation and written only once it is ours.
   * Take it before anything in the directory is opened. A directory with an unfinished restore's
   * marker is refused (RestoreIncomplete) unless `restoring`. A second acquire in the same process fails
   * too (flock locks belong to the open file, not the process), which is what keeps a test or an
   * embedding from opening one directory twice.
   */
  static acquire(dir: string, o: { restoring?: boolean } = {}): DataDirLock {
    const c = loadLibc();
    // A writer never starts on a half-restored directory; only the restore that finishes it may take it.
    if (!o.restoring && existsSync(join(dir, RESTORE_MARKER))) throw new RestoreIncomplete(dir);
    const file = lockFile(dir);
    let fd: number;
    try {
      mkdirSync(dir, { recursive: true });
      fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644);
    } catch (e) {
      throw new DataDirUnwritable(dir, (e as Error).message);
    }
    if (c.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
      const errno = c.errno();
      closeSync(fd);
      if (errno === c.wouldBlock) throw new DataDirInUse(dir, readHolder(file));
      throw new DataDirError(`cannot lock data directory ${dir}: flock failed with errno ${errno}`);
    }
    try {
      const holder: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      ftruncateSync(fd, 0);
      writeSync(fd, formatHolder(holder), 0);
      return new DataDirLock(dir, fd, holder);
    } catch (e) {
      // Closing the fd drops the lock.
      closeSync(fd);
      throw e;
    }
  }

  /**
   * Who holds `dir`'s lock right now, or null when nobody does (or there is no LOCK file, or no
   * directory). Takes no lock that outlives the call: a shared lock, dropped at once. A writer
   * that tries its exclusive lock during those microseconds is refused as if the directory were
   * in use (it is safe, and a retry succeeds).
   */
  static probe(dir: string): LockHolder | null {
    const c = loadLibc();
    const file = lockFile(dir);
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY);
    } catch {
      return null;
    }
    try {
      if (c.flock(fd, LOCK_SH | LOCK_NB) === 0) {
        c.flock(fd, LOCK_UN);
        return null;
      }
      return readHolder(file);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * For a thread that runs a writer under a lock its process took elsewhere (the engine worker,
   * whose host holds the lock on the main thread): throws unless `dir` is locked and the LOCK file
   * names this process.
   */
  static assertHeldByThisProcess(dir: string): void {
    const h = DataDirLock.probe(dir);
    if (h === null) throw new InvariantError(`data directory ${dir} is not locked, but its writer was told the lock is held (a writer must take it first)`);
    if (h.pid !== process.pid || h.host !== hostname()) throw new DataDirInUse(dir, h);
  }

  get held(): boolean {
    return this.fd >= 0;
  }

  /** Drops the lock (closing the file releases it). The LOCK file stays, naming its last holder. */
  release(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }
}

/**
 * For read-only tools: a line saying that `dir` is being written by a live process (and what is
 * read is what is durable so far), or null when nobody holds it.
 */
export function liveNote(dir: string): string | null {
  let h: LockHolder | null;
  try {
    h = DataDirLock.probe(dir);
  } catch (e) {
    // A platform without flock has no writer's lock to see; reading does not need one.
    if (e instanceof DataLockUnsupported) return null;
    throw e;
  }
  if (h === null) return null;
  return `note: data directory ${dir} is live (held by ${describeHolder(h)}); reading what is durable so far`;
}
