import { JournalCorruptError } from "./journal/segment.ts";

/**
 * Errors meant for the person running the exchange, not for a developer: the message is the whole
 * story in one line (what failed, where, what to do), so the command line prints it as it is and
 * no stack trace (bin/bourse.ts; `--debug` adds the stack). Anything else that escapes is a bug
 * and is printed the same way, with a pointer to `--debug`.
 */
export class OperatorError extends Error {
  /** The process exit code: 1 for a runtime failure (the environment is wrong), 2 for usage. */
  readonly exitCode: number = 1;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OperatorError";
  }
}

/** A command line that cannot be run as written: caught before any file or directory is opened. */
export class UsageError extends OperatorError {
  override readonly exitCode: number = 2;

  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The errno code of a Node or Bun system error ("EADDRINUSE", "EACCES", ...), or "" for anything else. */
export function systemCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

/**
 * A recovery that failed on a corrupt journal (a JournalCorruptError, or an error caused by one:
 * the engine worker's), said with what to do; any other error as it is.
 */
export function explainRecoveryFailure(e: unknown, dataDir: string): unknown {
  let corrupt: unknown = e;
  // A few links at most (the worker's error, the engine's stop); the bound keeps a cause cycle finite.
  for (let i = 0; i < 8 && corrupt instanceof Error && !(corrupt instanceof JournalCorruptError); i++) corrupt = corrupt.cause;
  if (!(corrupt instanceof JournalCorruptError)) return e;
  return new OperatorError(
    `cannot recover ${dataDir}: ${corrupt.message}; 'bourse journal verify --data ${dataDir}' shows the damage, docs/journal.md (Recovery) says what to do`,
    { cause: e },
  );
}
