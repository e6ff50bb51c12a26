/**
 * Users' login sessions, in an embedded SQLite file (bun:sqlite, WAL), not the journal: a session
 * is touched on every request, which the journal need not carry, and losing them all costs users
 * a login, not money. The bearer token (32 random bytes, base64url) is handed out once and kept
 * only as its SHA-256: the file, its WAL and any backup of them let nobody in. A token is 256
 * random bits, so a fast unsalted hash is enough (nothing to guess). Each session also has a
 * public id, distinct from the token, by which its user lists and revokes it.
 *
 * A session ends when idle for `idleMs` (default 15 min), `lifetimeMs` after it started (default
 * 12 h) whatever its use, or when revoked (logout, password change, the user ending it from
 * another session). Ended sessions stay in the file with why they ended until prune() removes them.
 * Every time is the caller's (nowMs), so tests and the lead's clock decide.
 */
import { Database, type Statement } from "bun:sqlite";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { OperatorError, systemCode } from "../../actors/operator-error.ts";

export interface SessionStoreOptions {
  /** Idle time after which a session ends. Default 15 min. */
  idleMs?: number;
  /** Time after its start at which a session ends however used. Default 12 h. */
  lifetimeMs?: number;
}

/** A session as its user sees it in a list (no token: it exists only in the client). */
export interface SessionInfo {
  /** Public id: 16 base64url characters, for lists and revoke. */
  id: string;
  userId: number;
  user: string;
  address: string;
  agent: string;
  startedMs: number;
  lastSeenMs: number;
  /** When it ends if not used again: the earlier of idle and absolute expiry. */
  expiresMs: number;
}

export type TouchResult = { ok: true; session: SessionInfo } | { ok: false; reason: "unknown" | "idle" | "expired" | "revoked" };

/** Why a session ended: its idle time or lifetime ran out, or it was revoked (with the caller's reason). */
type Ended = "idle" | "expired" | "revoked";

interface Row {
  id: string;
  user_id: number;
  user: string;
  address: string;
  agent: string;
  started: number;
  last_seen: number;
  idle_ms: number;
  lifetime_ms: number;
  ended: Ended | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE,
  user_id INTEGER NOT NULL,
  user TEXT NOT NULL,
  address TEXT NOT NULL,
  agent TEXT NOT NULL,
  started INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  idle_ms INTEGER NOT NULL,
  lifetime_ms INTEGER NOT NULL,
  ended TEXT,
  ended_reason TEXT
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id) WHERE ended IS NULL;
`;

const COLUMNS = "id, user_id, user, address, agent, started, last_seen, idle_ms, lifetime_ms, ended";
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** How stale a session's stored last-seen time may get before a request writes it again. */
export const TOUCH_EVERY_MS = 1_000;

/** Live sessions kept in memory at most; past it the oldest cached is dropped (not ended). */
const MAX_CACHED = 100_000;

export class SessionStore {
  private readonly db: Database;
  /**
   * The live sessions used lately, by token hash, so a request reads no SQLite: this process is
   * the file's one writer (the data directory's lock), so every end and revocation passes here
   * and drops its row from the cache.
   */
  private readonly live = new Map<string, Row>();
  private readonly idleMs: number;
  private readonly lifetimeMs: number;
  private readonly insert: Statement;
  private readonly byToken: Statement<Row, [Uint8Array]>;
  private readonly byUser: Statement<Row, [number]>;
  private readonly seen: Statement;
  private readonly end: Statement;

  constructor(
    readonly file: string,
    o: SessionStoreOptions = {},
  ) {
    this.idleMs = o.idleMs ?? 15 * 60_000;
    this.lifetimeMs = o.lifetimeMs ?? 12 * 3_600_000;
    // Made 0600 before SQLite opens it (its -wal and -shm take the same mode): addresses and
    // user agents are the users' business.
    try {
      closeSync(openSync(file, "a", 0o600));
      this.db = new Database(file, { create: true });
    } catch (e) {
      throw new OperatorError(`cannot open the session store ${file} (${systemCode(e) || (e as Error).message})`, { cause: e });
    }
    this.db.exec("PRAGMA busy_timeout = 5000");
    this.db.exec("PRAGMA journal_mode = WAL");
    // NORMAL: a power cut may lose the last touches and logins (users log in again). Revocations
    // are written with FULL (durably): a logout or password change must not come undone.
    this.db.exec("PRAGMA synchronous = NORMAL");
    this.db.exec(SCHEMA);
    this.insert = this.db.prepare("INSERT INTO sessions (id, token_hash, user_id, user, address, agent, started, last_seen, idle_ms, lifetime_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    this.byToken = this.db.prepare(`SELECT ${COLUMNS} FROM sessions WHERE token_hash = ?`);
    this.byUser = this.db.prepare(`SELECT ${COLUMNS} FROM sessions WHERE user_id = ? AND ended IS NULL ORDER BY started, id`);
    this.seen = this.db.prepare("UPDATE sessions SET last_seen = max(last_seen, ?) WHERE id = ?");
    this.end = this.db.prepare("UPDATE sessions SET ended = ?, ended_reason = ? WHERE id = ? AND ended IS NULL");
  }

  /**
   * A new session. `token` is the bearer token, returned this once; `others` are the user's other
   * live sessions, so the caller can tell the user (and them) that another session started.
   */
  create(c: { userId: number; user: string; address: string; agent: string; nowMs: number }): { token: string; session: SessionInfo; others: SessionInfo[] } {
    const others = this.list(c.userId, c.nowMs);
    const token = randomBytes(32).toString("base64url");
    const id = randomBytes(12).toString("base64url");
    this.insert.run(id, hashToken(token), c.userId, c.user, c.address, c.agent, c.nowMs, c.nowMs, this.idleMs, this.lifetimeMs);
    const session = info({ id, user_id: c.userId, user: c.user, address: c.address, agent: c.agent, started: c.nowMs, last_seen: c.nowMs, idle_ms: this.idleMs, lifetime_ms: this.lifetimeMs, ended: null });
    return { token, session, others };
  }

  /**
   * The session `token` names, if it is live at `nowMs`, and marks it seen. A session found idle
   * or past its lifetime is ended here, so it stays ended whatever the clock says next.
   */
  touch(token: string, nowMs: number): TouchResult {
    if (!TOKEN.test(token)) return { ok: false, reason: "unknown" };
    const hash = hashToken(token);
    const key = hash.toString("latin1");
    let row = this.live.get(key) ?? null;
    if (row === null) {
      row = this.byToken.get(hash);
      if (row === null) return { ok: false, reason: "unknown" };
      if (row.ended !== null) return { ok: false, reason: row.ended };
      this.remember(key, row);
    }
    const ended = endedBy(row, nowMs);
    if (ended !== null) {
      this.end.run(ended, null, row.id);
      this.live.delete(key);
      return { ok: false, reason: ended };
    }
    // A write per request would cost every REST call a SQLite UPDATE; the idle timeout is
    // minutes, so a last-seen time a second stale changes nothing anyone can observe.
    if (nowMs - row.last_seen >= TOUCH_EVERY_MS) {
      this.seen.run(nowMs, row.id);
      row.last_seen = nowMs;
    }
    return { ok: true, session: info(row) };
  }

  /** The user's live sessions at `nowMs`, oldest first (those found idle or expired are ended). */
  list(userId: number, nowMs: number): SessionInfo[] {
    const live: SessionInfo[] = [];
    for (const row of this.byUser.all(userId)) {
      const ended = endedBy(row, nowMs);
      if (ended === null) live.push(info(row));
      else this.end.run(ended, null, row.id);
    }
    return live;
  }

  /** Ends the user's session `sessionId`; false when it is not the user's or already ended. */
  revoke(userId: number, sessionId: string, reason: string): boolean {
    this.forget((r) => r.id === sessionId && r.user_id === userId);
    return this.durably(() => this.db.query("UPDATE sessions SET ended = 'revoked', ended_reason = ? WHERE id = ? AND user_id = ? AND ended IS NULL").run(reason, sessionId, userId).changes) > 0;
  }

  /** Ends every session of the user but `keepSessionId` (a password change keeps the session that made it); how many. */
  revokeOthers(userId: number, keepSessionId: string, reason: string): number {
    this.forget((r) => r.user_id === userId && r.id !== keepSessionId);
    return this.durably(() => this.db.query("UPDATE sessions SET ended = 'revoked', ended_reason = ? WHERE user_id = ? AND id != ? AND ended IS NULL").run(reason, userId, keepSessionId).changes);
  }

  /** Ends every session of the user (the user is disabled, or logs out everywhere); how many. */
  revokeAll(userId: number, reason: string): number {
    this.forget((r) => r.user_id === userId);
    return this.durably(() => this.db.query("UPDATE sessions SET ended = 'revoked', ended_reason = ? WHERE user_id = ? AND ended IS NULL").run(reason, userId).changes);
  }

  /**
   * Deletes the sessions that ended, or could no longer be used, before `beforeMs` (by their
   * last use): the file keeps what a user or operator may ask about recent logins, not forever.
   */
  prune(beforeMs: number): number {
    return this.db.query("DELETE FROM sessions WHERE last_seen < ? AND (ended IS NOT NULL OR last_seen + idle_ms <= ? OR started + lifetime_ms <= ?)").run(beforeMs, beforeMs, beforeMs).changes;
  }

  close(): void {
    this.live.clear();
    this.db.close();
  }

  private remember(key: string, row: Row): void {
    // Oldest first out past the bound: a forgotten session is read from the file again when used.
    if (this.live.size >= MAX_CACHED) this.live.delete(this.live.keys().next().value!);
    this.live.set(key, row);
  }

  /** Drops the cached rows a revocation ends (revocations are rare: a scan is fine). */
  private forget(match: (r: Row) => boolean): void {
    for (const [k, r] of this.live) if (match(r)) this.live.delete(k);
  }

  /** `write` with every commit synced to disk (synchronous = FULL), then back to NORMAL. */
  private durably(write: () => number): number {
    this.db.exec("PRAGMA synchronous = FULL");
    try {
      return write();
    } finally {
      this.db.exec("PRAGMA synchronous = NORMAL");
    }
  }
}

/** Only the hash is stored or looked up: the token itself never reaches the file. */
function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** Why a live row can no longer be used at `nowMs`, or null. The absolute lifetime is checked first: it is the firmer of the two. */
function endedBy(r: Row, nowMs: number): Ended | null {
  if (nowMs >= r.started + r.lifetime_ms) return "expired";
  if (nowMs >= r.last_seen + r.idle_ms) return "idle";
  return null;
}

function info(r: Row): SessionInfo {
  return {
    id: r.id,
    userId: r.user_id,
    user: r.user,
    address: r.address,
    agent: r.agent,
    startedMs: r.started,
    lastSeenMs: r.last_seen,
    expiresMs: Math.min(r.last_seen + r.idle_ms, r.started + r.lifetime_ms),
  };
}
