import { Database, type Statement } from "bun:sqlite";
import { closeSync, openSync } from "node:fs";
import type { Logger } from "../../log/logger.ts";

/** One sign-in or credential attempt, as the audit log keeps it: never the password, code or token tried. */
export interface AuthAttempt {
  timeMs: number;
  /** "rest", "ws", "fix", "cli". */
  door: string;
  address: string;
  /** What was claimed: `user:<name>` or `key:<id>`. */
  subject: string;
  /** "ok", or why not ("bad-credentials", "locked", "mfa-replayed", "busy", …). */
  outcome: string;
}

/**
 * Every sign-in attempt, success or failure, with its door and address: kept in the embedded
 * store beside the sessions (an attempt changes no balance and no order, so it is not journaled)
 * and logged, so a brute-force run shows in the log as it happens and can be queried afterwards.
 *
 * Rows are written in batches, one transaction every FLUSH_MS, not one INSERT per attempt: a
 * storm of refused sign-ins made the synchronous insert a fifth of the event loop's time
 * (bench/login.ts), and the loop is also the sockets' and order entry's.
 */
const FLUSH_MS = 100;
const MAX_BUFFERED = 1_000;

export class AuthAudit {
  private readonly db: Database;
  private readonly insert: Statement;
  private readonly writeBatch: (rows: AuthAttempt[]) => void;
  private buffered: AuthAttempt[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    file: string,
    private readonly log?: Logger,
  ) {
    closeSync(openSync(file, "a", 0o600));
    this.db = new Database(file, { create: true });
    this.db.exec("PRAGMA busy_timeout = 5000");
    this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec("PRAGMA synchronous = NORMAL");
    this.db.exec("CREATE TABLE IF NOT EXISTS auth_attempts (time_ms INTEGER NOT NULL, door TEXT NOT NULL, address TEXT NOT NULL, subject TEXT NOT NULL, outcome TEXT NOT NULL)");
    this.db.exec("CREATE INDEX IF NOT EXISTS auth_attempts_by_subject ON auth_attempts (subject, time_ms)");
    this.insert = this.db.prepare("INSERT INTO auth_attempts (time_ms, door, address, subject, outcome) VALUES (?, ?, ?, ?, ?)");
    this.writeBatch = this.db.transaction((rows: AuthAttempt[]) => {
      for (const a of rows) this.insert.run(a.timeMs, a.door, a.address, a.subject, a.outcome);
    });
  }

  record(a: AuthAttempt): void {
    // Bounded: past MAX_BUFFERED the batch is written now rather than held.
    this.buffered.push(a);
    if (this.buffered.length >= MAX_BUFFERED) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
    // Admitted: a session ("ok", "ok-recovery-code") or an enrolment ticket ("enrol"); anything else was refused.
    if (a.outcome === "enrol" || a.outcome.startsWith("ok")) this.log?.info("sign-in", { door: a.door, address: a.address, subject: a.subject, outcome: a.outcome });
    else this.log?.warn("sign-in refused", { door: a.door, address: a.address, subject: a.subject, outcome: a.outcome });
  }

  /** Writes what is buffered (at the timer, when the buffer is full, before a read and at close). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffered.length === 0) return;
    const rows = this.buffered;
    this.buffered = [];
    this.writeBatch(rows);
  }

  /** The latest attempts, newest first, optionally for one subject. */
  recent(limit: number, subject?: string): AuthAttempt[] {
    this.flush();
    const rows = subject === undefined
      ? this.db.query("SELECT time_ms, door, address, subject, outcome FROM auth_attempts ORDER BY rowid DESC LIMIT ?").all(limit)
      : this.db.query("SELECT time_ms, door, address, subject, outcome FROM auth_attempts WHERE subject = ? ORDER BY rowid DESC LIMIT ?").all(subject, limit);
    return (rows as { time_ms: number; door: string; address: string; subject: string; outcome: string }[]).map((r) => ({ timeMs: r.time_ms, door: r.door, address: r.address, subject: r.subject, outcome: r.outcome }));
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
