/**
 * Signed REST requests against a started exchange (docs/rest.md, Signing): the one authenticate()
 * of every door, with a third proof — HMAC-SHA256 over timestamp, method, path with query and
 * body — a receive window, a memory of accepted signatures, and the shared login guard.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BourseClient } from "../../../client/client.ts";
import { ErrorCode as WsErrorCode } from "../../../protocol/index.ts";
import { REST_HEADERS } from "../../../protocol/rest-signature.ts";
import { demoConfig, type Harness, secret, startServer } from "../support/harness.ts";
import { expectErrorShape, signedRequest } from "../support/rest.ts";

let h: Harness;
beforeAll(async () => {
  h = await startServer(
    demoConfig((c) => {
      c.login = { keyFailures: 5, baseLockMs: 2_000 };
      const bob = c.accounts!.find((a) => a.id === 2)!;
      bob.apiKeys = [...(bob.apiKeys ?? []), { id: "bob-trade-only", secret: "bob-trade-only-secret-123", scopes: ["trade"] }, { id: "bob-elsewhere", secret: "bob-elsewhere-secret-1234", allowIps: ["10.9.9.9"] }];
    }),
  );
});
afterAll(() => h.close());

const me = (init: Partial<Parameters<typeof signedRequest>[1]> = {}) => fetch(signedRequest(h.http, { keyId: "alice-demo", secret: secret("alice"), path: "/api/v1/me", ...init }));

describe("signed GET /api/v1/me", () => {
  test("a right signature: the account, key id and scopes", async () => {
    const res = await me();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ account: 1, keyId: "alice-demo", scopes: ["read", "trade"] });
  });

  test("the query is signed too, as the server's URL parser reads it", async () => {
    const res = await me({ path: "/api/v1/me?x=1&y=%7e" });
    expect(res.status).toBe(200);
    // Signed without the query, sent with it.
    const sig = signedRequest(h.http, { keyId: "alice-demo", secret: secret("alice"), path: "/api/v1/me" });
    const moved = await fetch(new Request(`${h.http}/api/v1/me?x=2`, { headers: sig.headers }));
    expect((await expectErrorShape(moved, 401)).code).toBe("AUTH_FAILED");
  });

  test("a wrong signature and an unknown key get the same 401 AUTH_FAILED", async () => {
    const wrong = await expectErrorShape(await me({ secret: "not-alices-secret-at-all" }), 401);
    const unknown = await expectErrorShape(await me({ keyId: "nobody-demo", secret: "whatever-secret-0000" }), 401);
    expect(wrong).toEqual({ code: "AUTH_FAILED", message: "unknown API key or wrong signature" });
    expect(unknown).toEqual(wrong);
    // Logged as every door's failed logins are, with the peer's address; no secret or signature in any line.
    const failed = h.logs.filter((l) => l.includes("login failed") && l.includes("door=rest") && l.includes("key=nobody-demo"));
    expect(failed.length).toBe(1);
    expect(failed[0]).toContain("reason=AUTH_FAILED");
    expect(failed[0]).toMatch(/remote=(::ffff:)?127\.0\.0\.1/);
    expect(h.logs.filter((l) => l.includes(secret("alice")) || l.includes("not-alices-secret"))).toEqual([]);
    // One hex digit off.
    const req = signedRequest(h.http, { keyId: "alice-demo", secret: secret("alice"), path: "/api/v1/me" });
    const s = req.headers.get(REST_HEADERS.signature)!;
    const headers = new Headers(req.headers);
    headers.set(REST_HEADERS.signature, (s[0] === "0" ? "1" : "0") + s.slice(1));
    expect((await expectErrorShape(await fetch(new Request(req.url, { headers })), 401)).code).toBe("AUTH_FAILED");
  });

  test("a timestamp outside the window, either way: 401 STALE_TIMESTAMP with the server's clock", async () => {
    for (const skew of [-6_000, 6_000, -60_000_000]) {
      const b = await expectErrorShape(await me({ timestamp: Date.now() + skew }), 401);
      expect(b.code).toBe("STALE_TIMESTAMP");
      expect(Math.abs((b.details as { serverTime: number }).serverTime - Date.now())).toBeLessThan(2_000);
    }
    // Inside it, either way: accepted.
    for (const skew of [-3_000, 3_000]) expect((await me({ timestamp: Date.now() + skew })).status).toBe(200);
  });

  test("the same signed request twice: the second is 401 REPLAYED", async () => {
    const init = { keyId: "alice-demo", secret: secret("alice"), path: "/api/v1/me?replay=1", timestamp: Date.now() };
    const req = signedRequest(h.http, init);
    const again = signedRequest(h.http, init);
    expect((await fetch(req)).status).toBe(200);
    expect((await expectErrorShape(await fetch(again), 401)).code).toBe("REPLAYED");
    // Its signature in upper case is the same signature.
    const headers = new Headers(again.headers);
    headers.set(REST_HEADERS.signature, headers.get(REST_HEADERS.signature)!.toUpperCase());
    expect((await expectErrorShape(await fetch(new Request(again.url, { headers })), 401)).code).toBe("REPLAYED");
  });

  test("a missing or malformed header: 401 MISSING_CREDENTIALS naming it", async () => {
    for (const header of [REST_HEADERS.key, REST_HEADERS.timestamp, REST_HEADERS.signature]) {
      const req = signedRequest(h.http, { keyId: "alice-demo", secret: secret("alice"), path: "/api/v1/me" });
      const headers = new Headers(req.headers);
      headers.delete(header);
      const b = await expectErrorShape(await fetch(new Request(req.url, { headers })), 401);
      expect(b).toMatchObject({ code: "MISSING_CREDENTIALS", details: { header } });
    }
    for (const ts of ["", "12.5", "-1", "1e12", "soon"]) {
      const b = await expectErrorShape(await me({ headers: { [REST_HEADERS.timestamp]: ts } }), 401);
      expect(b).toMatchObject({ code: "MISSING_CREDENTIALS", details: { header: REST_HEADERS.timestamp } });
    }
    expect((await expectErrorShape(await fetch(`${h.http}/api/v1/me`), 401)).code).toBe("MISSING_CREDENTIALS");
  });

  test("a key without the read scope: 403 NOT_PERMITTED; from outside its allowlist: 403 too", async () => {
    expect(await expectErrorShape(await me({ keyId: "bob-trade-only", secret: "bob-trade-only-secret-123" }), 403)).toMatchObject({ code: "NOT_PERMITTED", details: { scope: "read" } });
    expect((await expectErrorShape(await me({ keyId: "bob-elsewhere", secret: "bob-elsewhere-secret-1234" }), 403)).code).toBe("NOT_PERMITTED");
  });
});

describe("the login guard, shared with the other doors", () => {
  test("wrong signatures lock the key: 429 RATE_LIMITED with Retry-After, even for a right one; the WebSocket door is locked too", async () => {
    const carol = (s = secret("carol")) => me({ keyId: "carol-demo", secret: s });
    for (let i = 0; i < 5; i++) expect((await expectErrorShape(await carol("wrong-carol-secret-000"), 401)).code).toBe("AUTH_FAILED");
    const locked = await carol();
    const retry = Number(locked.headers.get("retry-after"));
    expect((await expectErrorShape(locked, 429)).code).toBe("RATE_LIMITED");
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(2);
    const ws = await BourseClient.connect(h.url);
    await expect(ws.login("carol-demo", secret("carol"))).rejects.toMatchObject({ code: WsErrorCode.RATE_LIMITED });
    ws.close();
    // Other keys are not locked.
    expect((await me()).status).toBe(200);
  });

  test("a replay neither counts as a failure nor clears the count", async () => {
    const dave = (s = secret("dave"), path = "/api/v1/me", timestamp = Date.now()) => signedRequest(h.http, { keyId: "dave-demo", secret: s, path, timestamp });
    const at = Date.now();
    const good = dave(secret("dave"), "/api/v1/me?once", at);
    const replay = dave(secret("dave"), "/api/v1/me?once", at);
    // keyFailures is 5. Four wrong, a right one (clears the count), four wrong.
    for (let i = 0; i < 4; i++) await fetch(dave("wrong-dave-secret-0000"));
    expect((await fetch(good)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await fetch(dave("wrong-dave-secret-0000"))).status).toBe(401);
    expect((await expectErrorShape(await fetch(replay), 401)).code).toBe("REPLAYED");
    // Not counted: the fifth wrong one is still checked (and locks the key) ...
    expect((await expectErrorShape(await fetch(dave("wrong-dave-secret-0000")), 401)).code).toBe("AUTH_FAILED");
    // ... and not cleared: the count stood at four, so the key is locked now.
    expect((await expectErrorShape(await fetch(dave()), 429)).code).toBe("RATE_LIMITED");
  });
});
