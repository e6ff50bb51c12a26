/**
 * The REST door's rate limits: per address on the routes that take no credentials, per caller
 * (key, session, host) once authenticated; 429 RATE_LIMITED with Retry-After in the error shape;
 * a caller's allowance cannot be spent by someone naming it without its secret; buckets refill.
 * The clock is the test's, so nothing here depends on how fast the requests go.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKeys } from "../../../gateway/auth/keys.ts";
import { LoginGuard } from "../../../gateway/auth/login-guard.ts";
import { buildRestApp } from "../../../gateway/rest/app.ts";
import { RateLimiter } from "../../../gateway/rest/rate-limit.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { expectErrorShape, signedRequest } from "../support/rest.ts";
import { type RestExchange, startRestExchange } from "../support/rest-exchange.ts";

describe("rate limits in a built app", () => {
  const clock = { now: 1_800_000_000_000 };
  const keys = new ApiKeys([
    { id: "k1", account: 1, secret: "k1-secret-0123456789" },
    { id: "k2", account: 2, secret: "k2-secret-0123456789" },
  ]);
  const app = buildRestApp({ keys, loginGuard: new LoginGuard({ keyFailures: 1e9, addressFailures: 1e9 }), instruments: [], availability: { stopped: false, state: () => ({ state: "running", seq: 0 }) }, log: memoryLogger().log, clock: () => clock.now, config: { rateLimit: { perCallerPerSecond: 2, perAddressPerSecond: 3, burstSeconds: 1 } } });
  let ts = clock.now;
  const anon = (path: string, address: string) => app.request(`http://x/api/v1${path}`, {}, { address });
  const signed = (key: "k1" | "k2", address: string, wrong = false) => app.request(signedRequest("http://x", { keyId: key, secret: wrong ? "not-the-secret-0123" : `${key}-secret-0123456789`, path: "/api/v1/me", timestamp: (ts = Math.max(clock.now, ts + 1)) }), undefined, { address });

  test("per address on open routes: the fourth request in the same instant is 429 with Retry-After; another address is not touched", async () => {
    for (let i = 0; i < 3; i++) expect((await anon("/time", "10.0.0.1")).status).toBe(200);
    const refused = await anon("/time", "10.0.0.1");
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await expectErrorShape(refused, 429)).code).toBe("RATE_LIMITED");
    // A route that does not exist is an open one too: probing is limited; so is a request with no credentials to a route that needs them.
    expect((await expectErrorShape(await anon("/nothing", "10.0.0.1"), 429)).code).toBe("RATE_LIMITED");
    expect((await expectErrorShape(await anon("/me", "10.0.0.1"), 429)).code).toBe("RATE_LIMITED");
    expect((await expectErrorShape(await anon("/me", "10.0.0.3"), 401)).code).toBe("MISSING_CREDENTIALS");
    expect((await anon("/time", "10.0.0.2")).status).toBe(200);
    // An authenticated caller from the limited address has its own allowance.
    expect((await signed("k1", "10.0.0.1")).status).toBe(200);
    clock.now += 1_000;
    expect((await anon("/time", "10.0.0.1")).status).toBe(200);
  });

  test("per caller once authenticated: wrong signatures naming a key spend nothing of it; another key is not touched; refills", async () => {
    clock.now += 10_000;
    for (let i = 0; i < 5; i++) expect((await expectErrorShape(await signed("k2", "10.0.1.1", true), 401)).code).toBe("AUTH_FAILED");
    expect((await signed("k2", "10.0.1.1")).status).toBe(200);
    expect((await signed("k2", "10.0.1.2")).status).toBe(200);
    // The limit is the key's, from whatever address.
    const refused = await signed("k2", "10.0.1.3");
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await expectErrorShape(refused, 429)).code).toBe("RATE_LIMITED");
    expect((await signed("k1", "10.0.1.1")).status).toBe(200);
    clock.now += 500;
    expect((await signed("k2", "10.0.1.1")).status).toBe(200);
    expect((await expectErrorShape(await signed("k2", "10.0.1.1"), 429)).code).toBe("RATE_LIMITED");
  });

  test("0 is no limit; a limiter's memory is bounded", () => {
    const off = new RateLimiter(0, 2, () => 0);
    for (let i = 0; i < 10_000; i++) expect(off.take("a")).toBe(0);
    const small = new RateLimiter(1, 1, () => 0, 100);
    for (let i = 0; i < 1_000; i++) small.take(`a${i}`);
    expect(small.tracked).toBeLessThanOrEqual(100);
  });
});

describe("rate limits on sessions", () => {
  let r: RestExchange;
  beforeAll(async () => {
    // One request per caller for the life of the test (a token every 1,000 s).
    r = await startRestExchange((c) => (c.gateway!.rest = { rateLimit: { perCallerPerSecond: 0.001 } }));
  });
  afterAll(() => r.stop());

  test("a trader's session and the host token each have their own allowance", async () => {
    expect((await r.call("traderA", "GET", "/api/v1/balances")).status).toBe(200);
    expect((await expectErrorShape(await r.call("traderA", "GET", "/api/v1/balances"), 429)).code).toBe("RATE_LIMITED");
    expect((await r.call("traderB", "GET", "/api/v1/balances")).status).toBe(200);
    expect((await r.call("host", "GET", "/api/v1/users")).status).toBe(200);
    expect((await expectErrorShape(await r.call("host", "GET", "/api/v1/users"), 429)).code).toBe("RATE_LIMITED");
    // Open routes are the address's, not limited by the callers' limit.
    for (let i = 0; i < 5; i++) expect((await r.call("anonymous", "GET", "/api/v1/time")).status).toBe(200);
  });
});
