/**
 * The engine worker failed: at start (recovery threw on its thread; a corrupt journal is kept as
 * the cause, a JournalCorruptError, so explainRecoveryFailure can say what to do), or while running
 * (it threw or exited). The engine is stopped; the operator restarts it to recover from the journal.
 */
export class EngineWorkerError extends Error {
  override name = "EngineWorkerError";
}
