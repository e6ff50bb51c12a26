/**
 * Users and keys end to end on a running exchange, with the wall clock injected: enrolment,
 * sign-in with password and TOTP, replayed codes, lockout and its end, recovery codes, session
 * expiry, keys issued and revoked (a live WebSocket session of a revoked key is closed), operator
 * actions and their denials, withdrawals to whitelisted destinations, and a restart that keeps it all.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret, TOTP } from "otpauth";
import { recover } from "../../../actors/recovery.ts";
import { BourseExchange } from "../../../app/exchange.ts";
import { BourseClient } from "../../../client/client.ts";
import type { Caller } from "../../../gateway/auth/caller.ts";
import type { Origin, SignedIn } from "../../../gateway/auth/sign-in.ts";
import type { Outcome } from "../../../gateway/auth/outcome.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { demoConfig } from "../support/harness.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const here: Origin = { door: "test", address: "10.1.1.1", agent: "bun:test" };
const HOST: Caller = { kind: "host" };

function config() {
  return demoConfig((c) => {
    c.users = [
      { name: "olga", role: "operator", password: "olga-demo-password" },
      { name: "tom", role: "trader", accounts: [1], password: "tom-demo-password" },
      { name: "ann", role: "auditor", password: "ann-demo-password" },
    ];
    // Cheap argon2id for tests: the cost is the hasher's business (bench/login.ts measures the real one).
    c.identity = { passwordHashing: { memoryCost: 1024, timeCost: 1, concurrency: 2 } };
    c.login = { keyFailures: 3, baseLockMs: 60_000 };
    c.exchange.destinationDelayUs = 0;
    // USD withdrawals above 50 wait for an operator.
    c.exchange.currencies = c.exchange.currencies.map((x) => (x.code === "USD" ? { ...x, approveWithdrawalsAbove: "50" } : x));
  });
}

async function start(dir: string, clock: { now: number }) {
  const mem = memoryLogger();
  const ex = await new BourseExchange({ dataDir: dir, config: config(), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: mem.log, clock: () => clock.now }).start();
  return { ex, mem, id: ex.identity! };
}

const code = (secret: string, at: number) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`expected success, got ${o.code}: ${o.message}`);
  return o.value;
}

function session(s: SignedIn): Extract<SignedIn, { kind: "session" }> {
  if (s.kind !== "session") throw new Error("expected a session");
  return s;
}

/** Enrols a user who has only a password; returns the TOTP secret and the recovery codes. */
async function enrol(id: NonNullable<BourseExchange["identity"]>, name: string, password: string, clock: { now: number }) {
  const t = value(await id.signIn.signIn(name, password, {}, here));
  expect(t.kind).toBe("enrol");
  if (t.kind !== "enrol") throw new Error("unreachable");
  const e = value(await id.signIn.enrolStart(t.ticket));
  const done = value(await id.signIn.enrolConfirm(t.ticket, code(e.secret, clock.now), here));
  return { secret: e.secret, uri: e.uri, qr: e.qrSvg, recovery: done.recoveryCodes, first: session(done.signedIn) };
}

describe("identity on a running exchange", () => {
  test("enrolment, sign-in, replay, lockout, recovery codes, expiry, keys, operators, withdrawals, restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bourse-identity-"));
    dirs.push(dir);
    const clock = { now: T0 };
    let { ex, mem, id } = await start(dir, clock);
    try {
      // Enrolment: an otpauth URI and an SVG QR code; ten recovery codes, shown once.
      const tom = await enrol(id, "tom", "tom-demo-password", clock);
      expect(tom.uri).toStartWith("otpauth://totp/");
      expect(tom.qr).toContain("<svg");
      expect(tom.recovery).toHaveLength(10);

      // The enrolment's code is spent: the same code cannot start a second session.
      const replay = await id.signIn.signIn("tom", "tom-demo-password", { code: code(tom.secret, clock.now) }, here);
      expect(replay).toMatchObject({ ok: false, code: "MFA_REPLAYED" });
      // No code: refused; a wrong code: refused and counted.
      expect(await id.signIn.signIn("tom", "tom-demo-password", {}, here)).toMatchObject({ ok: false, code: "MFA_REQUIRED" });

      // The next step's code works; the first session is told of the second.
      clock.now += 30_000;
      const told: string[] = [];
      id.signIn.onConcurrent = (u, s, others) => told.push(`${u.name}:${s.id}:${others.map((o) => o.id).join(",")}`);
      const second = session(value(await id.signIn.signIn("tom", "tom-demo-password", { code: code(tom.secret, clock.now) }, here)));
      expect(second.others.map((s) => s.id)).toEqual([tom.first.session.id]);
      expect(told).toEqual([`tom:${second.session.id}:${tom.first.session.id}`]);
      expect(value(id.signIn.session(second.token)).user.name).toBe("tom");

      // Wrong password and unknown user: one answer. Three failures lock tom, even for the right password.
      const wrong = await id.signIn.signIn("tom", "not-the-password", { code: "000000" }, here);
      const nobody = await id.signIn.signIn("nobody", "not-the-password", { code: "000000" }, here);
      expect(wrong).toMatchObject({ ok: false, code: "AUTH_FAILED" });
      expect(nobody).toMatchObject({ ok: false, code: "AUTH_FAILED", message: (wrong as { message: string }).message });
      await id.signIn.signIn("tom", "not-the-password", {}, here);
      await id.signIn.signIn("tom", "not-the-password", {}, here);
      clock.now += 30_000;
      const locked = await id.signIn.signIn("tom", "tom-demo-password", { code: code(tom.secret, clock.now) }, here);
      expect(locked).toMatchObject({ ok: false, code: "RATE_LIMITED" });
      expect((locked as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
      // The lock ends.
      clock.now += 61_000;
      const afterLock = await id.signIn.signIn("tom", "tom-demo-password", { code: code(tom.secret, clock.now) }, here);
      expect(afterLock.ok).toBe(true);

      // A recovery code works once.
      clock.now += 1_000;
      expect((await id.signIn.signIn("tom", "tom-demo-password", { recoveryCode: tom.recovery[3]! }, here)).ok).toBe(true);
      expect(await id.signIn.signIn("tom", "tom-demo-password", { recoveryCode: tom.recovery[3]! }, here)).toMatchObject({ ok: false, code: "AUTH_FAILED" });

      // Idle expiry (15 min) and the session list.
      const caller = value(id.signIn.session(second.token));
      expect(id.signIn.listSessions(caller).length).toBeGreaterThanOrEqual(2);
      clock.now += 16 * 60_000;
      expect(id.signIn.session(second.token)).toMatchObject({ ok: false, code: "SESSION_IDLE" });

      // Keys: a fresh code is required; only for tom's own account; the secret logs in once issued.
      clock.now += 30_000;
      const tomNow = session(value(await id.signIn.signIn("tom", "tom-demo-password", { code: code(tom.secret, clock.now) }, here)));
      const tc = value(id.signIn.session(tomNow.token));
      expect(await id.administration.createKey(tc, { account: 1, scopes: ["read", "trade"] }, here)).toMatchObject({ ok: false, code: "MFA_REQUIRED" });
      clock.now += 30_000;
      expect(await id.administration.createKey(tc, { account: 2, scopes: ["read"], code: code(tom.secret, clock.now) }, here)).toMatchObject({ ok: false, code: "NOT_PERMITTED" });
      const issued = value(await id.administration.createKey(tc, { account: 1, scopes: ["read", "trade"], label: "my bot", code: code(tom.secret, clock.now) }, here));
      expect(issued.key).toMatchObject({ account: 1, scopes: ["read", "trade"], label: "my bot", revoked: 0 });
      expect(value(id.administration.listKeys(tc)).map((k) => k.id)).toContain(issued.key.id);
      // Another trader's account's keys are not listed for tom.
      expect(value(id.administration.listKeys(tc)).every((k) => k.account === 1)).toBe(true);

      const client = await BourseClient.connect(ex.gateway!.url);
      await client.login(issued.key.id, issued.secret);
      // Revoked: the live session is told and closed; the key no longer logs in.
      const beforeRevoke = ex.engine.host.lastSeq;
      value(await id.administration.revokeKey(tc, issued.key.id));
      const revokedAt = ex.engine.host.lastSeq;
      expect(await client.ended).toEqual({ code: 1008, reason: "API key revoked" });
      const again = await BourseClient.connect(ex.gateway!.url);
      await expect(again.login(issued.key.id, issued.secret)).rejects.toThrow();
      again.close();

      // Operators: a trader cannot add users; an operator (here the host) can, with a one-time password.
      expect(await id.administration.addUser(tc, { name: "eve", role: "trader" })).toMatchObject({ ok: false, code: "NOT_PERMITTED" });
      const ann = await enrol(id, "ann", "ann-demo-password", clock);
      const auditor = value(id.signIn.session(ann.first.token));
      expect(value(id.administration.listUsers(auditor)).map((u) => u.name)).toEqual(["olga", "tom", "ann"]);
      expect(await id.administration.deposit(auditor, { account: 1, currency: "USD", amount: "5" })).toMatchObject({ ok: false, code: "NOT_PERMITTED" });
      const eve = value(await id.administration.addUser(HOST, { name: "eve", role: "trader", accounts: [2] }));
      expect(eve.initialPassword.length).toBeGreaterThanOrEqual(24);
      expect(value(await id.signIn.signIn("eve", eve.initialPassword, {}, here)).kind).toBe("enrol");
      // Locking ends the user's sessions at once.
      value(await id.administration.lockUser(HOST, "tom", true));
      expect(id.signIn.session(tomNow.token).ok).toBe(false);
      value(await id.administration.lockUser(HOST, "tom", false));

      // Withdrawals: only to a whitelisted destination, only with a fresh code or a withdraw key.
      value(await id.administration.deposit(HOST, { account: 1, currency: "USD", amount: "100" }));
      clock.now += 30_000;
      const tom2 = session(value(await id.signIn.signIn("tom", "tom-demo-password", { code: code(tom.secret, clock.now) }, here)));
      const tc2 = value(id.signIn.session(tom2.token));
      clock.now += 30_000;
      expect(await id.administration.withdraw(tc2, { account: 1, currency: "USD", amount: "10", destination: "bank-tom", code: code(tom.secret, clock.now) }, here)).toMatchObject({ ok: false, code: "DESTINATION_NOT_WHITELISTED" });
      value(await id.administration.addDestination(HOST, { account: 1, destination: "bank-tom" }, here));
      clock.now += 30_000;
      expect(value(await id.administration.withdraw(tc2, { account: 1, currency: "USD", amount: "10", destination: "bank-tom", code: code(tom.secret, clock.now) }, here)).amount).toBe("10");
      // Above 50 USD: held (reserved) until an operator approves; a trader cannot approve; a rejection releases.
      clock.now += 30_000;
      const big = value(await id.administration.withdraw(tc2, { account: 1, currency: "USD", amount: "60", destination: "bank-tom", code: code(tom.secret, clock.now) }, here));
      expect(big).toMatchObject({ status: "awaiting-approval", withdrawal: 1 });
      clock.now += 30_000;
      const other = value(await id.administration.withdraw(tc2, { account: 1, currency: "USD", amount: "70", destination: "bank-tom", code: code(tom.secret, clock.now) }, here));
      expect(value(id.administration.listWithdrawals(tc2)).map((w) => [w.id, w.amount])).toEqual([[1, "60.000000"], [2, "70.000000"]]);
      expect(await id.administration.settleWithdrawal(tc2, 1, 1, true)).toMatchObject({ ok: false, code: "NOT_PERMITTED" });
      expect(value(await id.administration.settleWithdrawal(HOST, 1, 1, true))).toMatchObject({ status: "paid", amount: "60.000000" });
      expect(await id.administration.settleWithdrawal(HOST, 1, 1, true)).toMatchObject({ ok: false, code: "UNKNOWN_WITHDRAWAL" });
      expect(value(await id.administration.settleWithdrawal(HOST, 1, other.withdrawal!, false))).toMatchObject({ status: "rejected" });
      clock.now += 30_000;
      const third = value(await id.administration.withdraw(tc2, { account: 1, currency: "USD", amount: "55", destination: "bank-tom", code: code(tom.secret, clock.now) }, here));
      expect(third.withdrawal).toBe(3);
      const readKey: Caller = { kind: "key", keyId: "alice-demo", account: 1, scopes: ["read", "trade"] };
      expect(await id.administration.withdraw(readKey, { account: 1, currency: "USD", amount: "1", destination: "bank-tom" }, here)).toMatchObject({ ok: false, code: "NOT_PERMITTED" });

      // No password, code or secret in the log.
      const logs = mem.lines().join("\n");
      for (const s of ["tom-demo-password", "not-the-password", tom.secret, issued.secret, eve.initialPassword, tom.recovery[3]!]) expect(logs).not.toContain(s);

      // A restart keeps users, keys, the revocation and the spent TOTP step.
      const spent = code(tom.secret, clock.now);
      await ex.stop();
      ({ ex, mem, id } = await start(dir, clock));
      expect(id.directory.identity.users.get("eve")).toBeDefined();
      expect(id.directory.identity.keys.get(issued.key.id)!.revoked).toBeGreaterThan(0);
      expect(id.directory.keys.get(issued.key.id)).toBeUndefined();
      expect(await id.signIn.signIn("tom", "tom-demo-password", { code: spent }, here)).toMatchObject({ ok: false, code: "MFA_REPLAYED" });
      // The withdrawal still awaiting approval is still there, and still reserved.
      expect(value(id.administration.listWithdrawals(HOST)).map((w) => w.id)).toEqual([3]);
      await ex.stop();
      const cash = recover({ dataDir: dir, config: config().exchange, readOnly: true }).exchange.ledger.accounts.get(1)!.cash.get(1)!;
      expect(cash.reserved).toBe(55_000_000n);

      // A point-in-time recovery has the identity of that point: the key live before its revocation, revoked at it.
      const at = (untilSeq: number) => recover({ dataDir: dir, config: config().exchange, untilSeq, readOnly: true }).exchange.identity;
      expect(at(beforeRevoke).keys.get(issued.key.id)!.revoked).toBe(0);
      expect(at(revokedAt).keys.get(issued.key.id)!.revoked).toBeGreaterThan(0);
      expect(at(beforeRevoke).users.has("eve")).toBe(false);
      ({ ex, mem, id } = await start(dir, clock));
    } finally {
      await ex.stop();
    }
  }, 60_000);
});
