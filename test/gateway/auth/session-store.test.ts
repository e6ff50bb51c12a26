/**
 * gateway/auth/session-store.ts with an injected clock: a session lives while used within its idle
 * time and until its lifetime, is ended (and stays ended) when either runs out, can be revoked by
 * its own user only, and a new one tells of the user's others. The token is handed out once and
 * the file (WAL and shared memory included) never holds it, only its hash.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SEEN_EVERY_MS, SessionStore } from "../../../gateway/auth/session-store.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-sessions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = (o: { idleMs?: number; lifetimeMs?: number } = {}) => new SessionStore(join(dir, `sessions-${++n}.db`), o);

const MIN = 60_000;
const T0 = 1_800_000_000_000;
const alice = (nowMs: number, agent = "firefox") => ({ userId: 7, user: "alice", address: "10.0.0.1", agent, nowMs });

describe("SessionStore", () => {
  test("a new session: a 43-character token once, a public id that is not the token, and its details", () => {
    const s = open();
    const { token, session, others } = s.create(alice(T0));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).toEqual({ id: session.id, userId: 7, user: "alice", address: "10.0.0.1", agent: "firefox", startedMs: T0, lastSeenMs: T0, expiresMs: T0 + 15 * MIN });
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(token).not.toContain(session.id);
    expect(others).toEqual([]);
    expect(s.touch(token, T0 + 1)).toEqual({ ok: true, session: { ...session, lastSeenMs: T0 + 1, expiresMs: T0 + 1 + 15 * MIN } });
    s.close();
  });

  test("ends after its idle time without use, and stays ended", () => {
    const s = open({ idleMs: 10 * MIN });
    const { token } = s.create(alice(T0));
    // Each use moves the idle deadline.
    expect(s.touch(token, T0 + 9 * MIN).ok).toBe(true);
    expect(s.touch(token, T0 + 18 * MIN).ok).toBe(true);
    expect(s.touch(token, T0 + 28 * MIN - 1).ok).toBe(true);
    expect(s.touch(token, T0 + 38 * MIN - 1)).toEqual({ ok: false, reason: "idle" });
    // A clock that went back does not bring it back.
    expect(s.touch(token, T0 + 29 * MIN)).toEqual({ ok: false, reason: "idle" });
    expect(s.list(7, T0 + 29 * MIN)).toEqual([]);
    s.close();
  });

  test("its last use is written at most once a second: the idle clock trails a busy session by under a second", () => {
    const s = open({ idleMs: 10 * MIN });
    const { token } = s.create(alice(T0));
    // Uses within a second of the one on file are answered, not written.
    expect(s.touch(token, T0 + SEEN_EVERY_MS - 1)).toMatchObject({ ok: true, session: { lastSeenMs: T0 + SEEN_EVERY_MS - 1 } });
    expect(s.list(7, T0 + SEEN_EVERY_MS - 1).map((x) => x.lastSeenMs)).toEqual([T0]);
    // A second after it, the use is written and the idle deadline moves with it.
    expect(s.touch(token, T0 + SEEN_EVERY_MS).ok).toBe(true);
    expect(s.list(7, T0 + SEEN_EVERY_MS).map((x) => x.lastSeenMs)).toEqual([T0 + SEEN_EVERY_MS]);
    expect(s.touch(token, T0 + SEEN_EVERY_MS + 10 * MIN - 1).ok).toBe(true);
    s.close();
  });

  test("ends at its lifetime however often used", () => {
    const s = open({ idleMs: 10 * MIN, lifetimeMs: 60 * MIN });
    const { token, session } = s.create(alice(T0));
    for (let t = T0 + 5 * MIN; t < T0 + 60 * MIN; t += 5 * MIN) expect(s.touch(token, t).ok).toBe(true);
    const last = s.touch(token, T0 + 59 * MIN);
    expect(last.ok && last.session.expiresMs).toBe(T0 + 60 * MIN);
    expect(s.touch(token, T0 + 60 * MIN)).toEqual({ ok: false, reason: "expired" });
    expect(s.touch(token, T0 + 61 * MIN)).toEqual({ ok: false, reason: "expired" });
    expect(s.revoke(7, session.id, "logout")).toBe(false);
    s.close();
  });

  test("an unknown or malformed token is unknown", () => {
    const s = open();
    const { token } = s.create(alice(T0));
    const other = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    for (const bad of [other, "", token.slice(1), `${token}A`, `Bearer ${token}`, "' OR 1=1 --"]) expect({ bad, r: s.touch(bad, T0) }).toEqual({ bad, r: { ok: false, reason: "unknown" } });
    expect(s.touch(token, T0).ok).toBe(true);
    s.close();
  });

  test("a new session tells of the user's other live sessions, and only the user's", () => {
    const s = open({ idleMs: 10 * MIN });
    const a1 = s.create(alice(T0, "firefox"));
    s.create({ userId: 8, user: "bob", address: "10.0.0.2", agent: "curl", nowMs: T0 });
    const a2 = s.create(alice(T0 + MIN, "phone"));
    expect(a2.others.map((o) => o.id)).toEqual([a1.session.id]);
    const a3 = s.create(alice(T0 + 2 * MIN, "laptop"));
    expect(a3.others.map((o) => o.agent)).toEqual(["firefox", "phone"]);
    // After the first went idle, it is not an other.
    const a4 = s.create(alice(T0 + 10 * MIN, "tablet"));
    expect(a4.others.map((o) => o.agent)).toEqual(["phone", "laptop"]);
    expect(s.list(7, T0 + 10 * MIN).map((o) => o.agent)).toEqual(["phone", "laptop", "tablet"]);
    expect(s.list(8, T0 + 10 * MIN)).toEqual([]);
    s.close();
  });

  test("revoke ends one session of the user's own; revokeOthers keeps one; revokeAll ends all", () => {
    const s = open();
    const a = s.create(alice(T0, "a"));
    const b = s.create(alice(T0, "b"));
    const c = s.create(alice(T0, "c"));
    const bob = s.create({ userId: 8, user: "bob", address: "10.0.0.2", agent: "curl", nowMs: T0 });
    // Bob cannot end alice's session, even knowing its id.
    expect(s.revoke(8, a.session.id, "logout")).toBe(false);
    expect(s.touch(a.token, T0).ok).toBe(true);
    expect(s.revoke(7, a.session.id, "logout")).toBe(true);
    expect(s.revoke(7, a.session.id, "logout")).toBe(false);
    expect(s.touch(a.token, T0)).toEqual({ ok: false, reason: "revoked" });
    const d = s.create(alice(T0, "d"));
    expect(s.revokeOthers(7, d.session.id, "password changed")).toBe(2);
    expect(s.touch(b.token, T0)).toEqual({ ok: false, reason: "revoked" });
    expect(s.touch(c.token, T0)).toEqual({ ok: false, reason: "revoked" });
    expect(s.touch(d.token, T0).ok).toBe(true);
    expect(s.revokeAll(7, "disabled")).toBe(1);
    expect(s.touch(d.token, T0)).toEqual({ ok: false, reason: "revoked" });
    expect(s.list(7, T0)).toEqual([]);
    expect(s.touch(bob.token, T0).ok).toBe(true);
    s.close();
  });

  test("sessions outlive a reopen of the file; prune drops the long-ended ones", () => {
    const file = join(dir, "reopen.db");
    const s1 = new SessionStore(file, { idleMs: 10 * MIN });
    const kept = s1.create(alice(T0));
    const gone = s1.create(alice(T0));
    s1.revoke(7, gone.session.id, "logout");
    s1.close();
    const s2 = new SessionStore(file, { idleMs: 10 * MIN });
    expect(s2.touch(kept.token, T0 + MIN).ok).toBe(true);
    expect(s2.touch(gone.token, T0 + MIN)).toEqual({ ok: false, reason: "revoked" });
    expect(s2.prune(T0 + MIN)).toBe(1);
    expect(s2.touch(gone.token, T0 + MIN)).toEqual({ ok: false, reason: "unknown" });
    // kept was seen at T0 + 1 min: live until T0 + 11 min.
    expect(s2.prune(T0 + 11 * MIN - 1)).toBe(0);
    expect(s2.prune(T0 + 11 * MIN)).toBe(1);
    s2.close();
  });

  test("the file, its WAL and shared memory hold the token's hash, never the token (0600)", () => {
    const file = join(dir, "grep.db");
    const s = new SessionStore(file);
    const tokens: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { token } = s.create(alice(T0 + i));
      tokens.push(token);
      s.touch(token, T0 + i + 1);
    }
    const files = [file, `${file}-wal`, `${file}-shm`].filter(existsSync);
    expect(files).toContain(`${file}-wal`);
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    for (const t of tokens) {
      expect(bytes.includes(Buffer.from(t))).toBe(false);
      expect(bytes.includes(Buffer.from(t, "base64url"))).toBe(false);
      // The search can find what is there: the hash is.
      expect(bytes.includes(createHash("sha256").update(t).digest())).toBe(true);
    }
    expect(bytes.includes(Buffer.from("alice"))).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    s.close();
  });
});

test("a session file that cannot be opened is an operator's error naming it", () => {
  expect(() => new SessionStore(join(dir, "no-such-dir", "sessions.db"))).toThrow(/cannot open the session store .*no-such-dir\/sessions\.db \(ENOENT\)/);
});
