/**
 * The engine's errors, grouped by what whoever meets one does about it (docs/architecture.md,
 * Errors). The engine imports nothing outside itself, so the hosts' OperatorError is not used here:
 * the host that reads a config or a snapshot says it in the operator's terms.
 */

/**
 * A state no input should reach: a bug in Bourse (or in a caller using an API out of order), not
 * in the data. Nothing to retry; the stack trace is what a developer needs.
 */
export class InvariantError extends Error {
  override name = "InvariantError";
}

/** A configuration the engine cannot run: a bad instrument, currency, tier or calendar. Fix the config. */
export class EngineConfigError extends Error {
  override name = "EngineConfigError";
}

/**
 * Snapshot bytes that cannot be restored: truncated, corrupt, another version, or naming what
 * their config lacks. Recovery skips to an older snapshot or replays the journal from further back.
 */
export class SnapshotCorruptError extends Error {
  override name = "SnapshotCorruptError";
}
