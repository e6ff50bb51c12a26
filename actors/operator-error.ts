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
 * A recovery that failed on a corrupt journal (JournalCorruptError, or its text from the engine
 * worker), said with what to do; any other error as it is.
 */
export function explainRecoveryFailure(e: unknown, dataDir: string): unknown {
  const message = e instanceof Error ? e.message : String(e);
  if (!/journal corrupt:/.test(message)) return e;
  return new OperatorError(
    `cannot recover ${dataDir}: ${message.replace(/^recovery failed: /, "")}; 'bourse journal verify --data ${dataDir}' shows the damage, docs/journal.md (Recovery) says what to do`,
    { cause: e },
  );
}
