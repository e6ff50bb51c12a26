/**
 * The journal's errors besides a corrupt file (JournalCorruptError, in segment.ts). A misuse of
 * the journal's API (appending to a closed or read-only one) is an InvariantError: a bug.
 */

/**
 * A write or fdatasync failed, or the syncer thread did: what is durable is unknown until the
 * journal is reopened, so the engine stops and is restarted to recover. `errno` when the system said.
 */
export class JournalFailedError extends Error {
  override name = "JournalFailedError";
  errno?: number;
  code?: string;
}

/**
 * A reader asked for a seq the journal cannot give it: no segment holds it (pruned, or never
 * written here) or its segment cannot be opened. The reader starts again from a newer snapshot.
 */
export class JournalGapError extends Error {
  override name = "JournalGapError";
}
