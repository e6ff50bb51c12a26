/**
 * Brute force held off at the one authenticate() (gateway/auth/login-guard.ts): after N wrong
 * proofs a key (or an address) is refused unchecked for a lock that doubles with each lockout; a
 * good login clears it; a refused attempt during a lock does not extend it. Through the doors: the
 * WebSocket answers RATE_LIMITED, FIX a Logout that says when to try again, and failures on one
 * door count on the other.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AuthRefusal, authenticate } from "../../../gateway/auth/authenticate.ts";
import { ApiKeys } from "../../../gateway/auth/keys.ts";
import { LoginGuard } from "../../../gateway/auth/login-guard.ts";
import { FixInitiator } from "../../../gateway/fix/initiator.ts";
import { BourseClient } from "../../../client/client.ts";
import { ErrorCode } from "../../../protocol/index.ts";
import { demoConfig, type Harness, secret, sleep, startServer } from "../support/harness.ts";

const keys = new ApiKeys([
  { id: "alice", account: 1, secret: "alice-secret-0123456789" },
  { id: "bob", account: 2, secret: "bob-secret-0123456789abc" },
]);

describe("LoginGuard", () => {
  const attempt = (guard: LoginGuard, keyId: string, pass: string, nowMs: number, address = "10.0.0.1") =>
    authenticate(keys, { keyId, proof: { kind: "secret", secret: pass }, guard, address, nowMs });

  test("locks a key after N wrong proofs, refuses it unchecked, doubles the next lock, and a good login clears it", () => {
    const g = new LoginGuard({ keyFailures: 3, baseLockMs: 1000 });
    for (let i = 0; i < 3; i++) expect(attempt(g, "alice", "wrong", 0)).toEqual({ ok: false, refusal: AuthRefusal.BAD_CREDENTIALS });
    // Locked: even the right secret is not looked at.
    expect(attempt(g, "alice", "alice-secret-0123456789", 10)).toEqual({ ok: false, refusal: AuthRefusal.LOCKED, retryAfterMs: 990 });
    // A refused attempt does not extend the lock.
    expect(attempt(g, "alice", "wrong", 500)).toMatchObject({ refusal: AuthRefusal.LOCKED, retryAfterMs: 500 });
    // Bob is not alice.
    expect(attempt(g, "bob", "bob-secret-0123456789abc", 10).ok).toBe(true);
    // After the lock, one more wrong proof locks it again, for twice as long.
    expect(attempt(g, "alice", "wrong", 1000)).toEqual({ ok: false, refusal: AuthRefusal.BAD_CREDENTIALS });
    expect(attempt(g, "alice", "alice-secret-0123456789", 1001)).toMatchObject({ refusal: AuthRefusal.LOCKED, retryAfterMs: 1999 });
    expect(attempt(g, "alice", "alice-secret-0123456789", 3000)).toMatchObject({ ok: true, account: 1 });
    // Cleared: three more failures are needed to lock it again.
    for (let i = 0; i < 2; i++) attempt(g, "alice", "wrong", 3001);
    expect(attempt(g, "alice", "alice-secret-0123456789", 3002).ok).toBe(true);
  });

  test("an address guessing many keys locks itself, not the keys; unknown key ids count against the address only", () => {
    const g = new LoginGuard({ keyFailures: 3, addressFailures: 5, baseLockMs: 1000 });
    for (let i = 0; i < 5; i++) attempt(g, `nobody-${i}`, "x", 0, "10.6.6.6");
    expect(attempt(g, "alice", "alice-secret-0123456789", 1, "10.6.6.6")).toMatchObject({ refusal: AuthRefusal.LOCKED });
    expect(attempt(g, "alice", "alice-secret-0123456789", 1, "10.0.0.2")).toMatchObject({ ok: true });
  });

  test("memory is bounded: past maxAddresses the oldest address is forgotten", () => {
    const g = new LoginGuard({ addressFailures: 2, maxAddresses: 3 });
    for (const a of ["a", "b", "c", "d"]) attempt(g, "x", "x", 0, a);
    attempt(g, "x", "x", 0, "a");
    // "a" was forgotten when "d" came, so one more failure does not lock it yet.
    expect(g.check("x", "a", 1)).toEqual({ ok: true });
    attempt(g, "x", "x", 0, "d");
    expect(g.check("x", "d", 1).ok).toBe(false);
  });
});

describe("through the doors", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startServer(demoConfig((c) => (c.login = { keyFailures: 4, baseLockMs: 300 })));
  });
  afterAll(() => h.close());

  test("WebSocket and FIX share the count: wrong logins on one door lock the key on both; the lock ends", async () => {
    const ws = await BourseClient.connect(h.url);
    for (let i = 0; i < 2; i++) await expect(ws.login("dave-demo", `wrong-secret-number-${i}`)).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
    ws.close();
    for (let i = 0; i < 2; i++) {
      const f = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: `DAVE-G${i}` });
      await expect(f.logon("dave-demo", "wrong-secret-wrong-secret")).rejects.toThrow("invalid Username (553) or Password (554)");
    }
    // Four failures across the doors: the right secret is refused unchecked on both.
    const ws2 = await BourseClient.connect(h.url);
    await expect(ws2.login("dave-demo", secret("dave"))).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
    const f = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "DAVE-OK" });
    await expect(f.logon("dave-demo", secret("dave"))).rejects.toThrow(/too many failed logons for this key or address; try again in 1 s/);
    expect(h.logs.some((l) => /login failed .*key=dave-demo.*reason=RATE_LIMITED.*retryAfterMs=/.test(l))).toBe(true);
    await sleep(350);
    await ws2.login("dave-demo", secret("dave"));
    ws2.close();
  });
});
