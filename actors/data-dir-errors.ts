/**
 * What an operator did or must do about a data directory, as typed errors: each message is one
 * line that says what is wrong, where, and what to do, and the command line prints it as it is
 * (`bourse: <message>`, exit 1) instead of a stack trace. The lock's are raised by
 * actors/data-lock.ts, the rest by recovery (actors/recovery.ts).
 */
import { OperatorError } from "./operator-error.ts";

/** Who holds (or last held) a data directory, as its LOCK file says. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601 time the holder took the lock. */
  since: string;
}

/** Every error here: the CLI prints its message alone (exit 1: the directory, not the command line, is wrong). */
export class DataDirError extends OperatorError {
  override name = "DataDirError";
}

/** Another process (or another open of it in this one) holds the directory's lock. */
export class DataDirInUse extends DataDirError {
  override name = "DataDirInUse";
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super(
      holder.pid === 0
        ? `data directory ${dir} is in use by another process (its LOCK file does not name it yet)`
        : `data directory ${dir} is in use by pid ${holder.pid} on ${holder.host || "an unnamed host"} since ${holder.since || "an unknown time"}`,
    );
  }
}

/** The directory (or its LOCK file) cannot be created or opened for writing. */
export class DataDirUnwritable extends DataDirError {
  override name = "DataDirUnwritable";
  constructor(
    readonly dir: string,
    detail: string,
  ) {
    super(`cannot open data directory ${dir} for writing: ${detail} (check --data and the directory's permissions)`);
  }
}

/**
 * A restore into the directory began and did not finish (its marker file is there): the journal,
 * the snapshot or the stores may be partial, and an exchange started on them would number new
 * commands on top of a history that is not the one its clients were told about.
 */
export class RestoreIncomplete extends DataDirError {
  override name = "RestoreIncomplete";
  constructor(readonly dir: string) {
    super(`data directory ${dir} holds an unfinished restore (${RESTORE_MARKER} is there): its contents may be partial; nothing was started: run bourse restore --from BACKUP --data ${dir} --force again and start it once that succeeds`);
  }
}

/** The file a restore writes first and removes last (backup/restore.ts): while it is there, no writer starts. */
export const RESTORE_MARKER = "RESTORE-INCOMPLETE";

/** No flock on this platform: a writer cannot make sure it is alone, so it does not start. */
export class DataLockUnsupported extends DataDirError {
  override name = "DataLockUnsupported";
  constructor(platform: string, detail?: string) {
    super(`cannot lock a data directory on ${platform}${detail ? ` (${detail})` : ""}: Bourse needs flock (Linux or macOS) to keep a second writer out`);
  }
}

/** A read-only command was pointed at a directory that is not there. */
export class DataDirMissing extends DataDirError {
  override name = "DataDirMissing";
  constructor(readonly dir: string) {
    super(`data directory ${dir} does not exist (check --data)`);
  }
}

/**
 * The snapshot recovery would start from is at a seq the journal does not reach: commands that
 * were durable when the snapshot was taken are gone from the journal (it was truncated, replaced,
 * or overwritten by a second writer). Refused before anything is changed.
 */
export class SnapshotAheadOfJournal extends DataDirError {
  override name = "SnapshotAheadOfJournal";
  constructor(
    readonly dir: string,
    readonly snapshotSeq: number,
    readonly journalEnd: number,
    readonly snapshotFile: string,
  ) {
    super(
      `data directory ${dir} is inconsistent: snapshot ${snapshotFile} is at seq ${snapshotSeq} but the journal ends at seq ${journalEnd}, ` +
        `so commands ${journalEnd + 1}–${snapshotSeq} are missing from it. Nothing was changed. Do not truncate or delete anything: ` +
        `copy the whole directory first, then follow docs/journal.md, "Repairing a data directory by hand"`,
    );
  }
}

/** The journal begins after the snapshot recovery starts from (segments were removed). */
export class JournalStartsLate extends DataDirError {
  override name = "JournalStartsLate";
  constructor(dir: string, snapshotSeq: number, journalFirst: number) {
    super(
      `data directory ${dir} is inconsistent: the journal starts at seq ${journalFirst} but the newest snapshot is at ${snapshotSeq}, ` +
        `so commands ${snapshotSeq + 1}–${journalFirst - 1} are missing. Nothing was changed; restore the missing segments (docs/journal.md, "Repairing a data directory by hand")`,
    );
  }
}

/** A point-in-time target beyond the last command in the journal. */
export class UntilPastEnd extends DataDirError {
  override name = "UntilPastEnd";
  constructor(
    readonly lastSeq: number,
    readonly lastTime: number,
    until: string,
  ) {
    super(
      lastSeq === 0
        ? `the journal is empty; --until ${until} is past it`
        : `journal ends at seq ${lastSeq} (time ${new Date(lastTime / 1000).toISOString()}); --until ${until} is past it (use --until ${lastSeq} for the end)`,
    );
  }
}
