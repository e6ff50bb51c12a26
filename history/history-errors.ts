/**
 * The history store's errors (the PostgreSQL store's lost connection, HistoryStoreUnavailable,
 * lives with it). Each says what to do: these are operator errors of a kind, met at start.
 */

/** The store does not belong with this journal or this code: ahead of the journal, or of a newer schema. */
export class HistoryStoreMismatch extends Error {
  override name = "HistoryStoreMismatch";
}

/** The writer's worker could not start (its message says why); the exchange was not started with it. */
export class HistoryWriterFailed extends Error {
  override name = "HistoryWriterFailed";
}
