/**
 * Why a reconciliation could not be run (as opposed to the breaks it finds): each one makes
 * `bourse reconcile` exit 2, saying what to do.
 */

/** The history store has not reached the day at all: nothing to compare yet. */
export class StoreBehindDay extends Error {
  override name = "StoreBehindDay";
}

/** The journal does not hold the commands the day needs (it ends, or cannot be read, before them). */
export class JournalShortOfDay extends Error {
  override name = "JournalShortOfDay";
}

/** A custody statement that cannot be read as one: says the file and line. */
export class CustodyStatementError extends Error {
  override name = "CustodyStatementError";
}

/** A venue's drop copy that cannot be read as one: says the file and line. */
export class DropCopyError extends Error {
  override name = "DropCopyError";
}
