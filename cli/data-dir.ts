/**
 * The data directory, checked before a command recovers it, so that a wrong --data is one line
 * saying so rather than a stack trace from deep inside the journal. Writers (serve, start) create
 * a missing directory — `npm start` on a fresh checkout needs ./data — but refuse one they cannot
 * write; readers (recover, journal inspect|verify) refuse a missing one and create nothing.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OperatorError, systemCode } from "../actors/operator-error.ts";
import { paths } from "../actors/recovery.ts";

/** For serve and start: exists (created if missing), is a directory, and takes a file. */
export function writableDataDir(dir: string): void {
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new OperatorError(`cannot create data directory ${dir} (${systemCode(e) || (e as Error).message}); create it, or pass --data DIR`);
    }
    return;
  }
  if (!statSync(dir).isDirectory()) throw new OperatorError(`data directory ${dir} is a file, not a directory; pass --data DIR`);
  // The journal, snapshots and FIX stores are all written here: try it now rather than fail in
  // the middle of recovery. (A permission check would pass for root on a read-only mount.)
  const probe = join(dir, `.bourse-write-test-${process.pid}`);
  try {
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (e) {
    throw new OperatorError(`data directory ${dir} is not writable (${systemCode(e) || (e as Error).message}); serve and start write the journal there: fix its permissions, or pass --data DIR`);
  }
}

/** For the read-only commands: the directory exists and holds a journal. */
export function existingDataDir(dir: string): void {
  if (!existsSync(dir)) throw new OperatorError(`data directory ${dir} does not exist; pass --data DIR (the directory serve or start wrote)`);
  if (!statSync(dir).isDirectory()) throw new OperatorError(`data directory ${dir} is a file, not a directory; pass --data DIR`);
  if (!existsSync(paths(dir).journal)) throw new OperatorError(`${dir} has no journal/ directory: it is not a bourse data directory; pass --data DIR`);
}
