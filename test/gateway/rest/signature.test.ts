/**
 * The REST signature's bytes, pinned by vectors computed outside Bourse (openssl dgst -sha256
 * -hmac), so the SDK, the CLI and the gateway cannot drift together; and the replay memory's
 * bounds (gateway/rest/signature.ts).
 */
import { describe, expect, test } from "bun:test";
import { ApiKeys } from "../../../gateway/auth/keys.ts";
import { buildRestApp } from "../../../gateway/rest/app.ts";
import { RecentSignatures } from "../../../gateway/rest/signature.ts";
import { REST_HEADERS, restSignature, signedTarget, signRequest, verifyRestSignature } from "../../../protocol/rest-signature.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { expectErrorShape, signedRequest } from "../support/rest.ts";

const SECRET = "k-secret-0123456789";

describe("protocol/rest-signature.ts", () => {
  test("matches openssl's HMAC-SHA256 over timestamp + METHOD + path with query + body, in lower-case hex", () => {
    // printf '%s' '1700000000000GET/api/v1/me' | openssl dgst -sha256 -hmac 'k-secret-0123456789'
    expect(signRequest({ keyId: "k", secret: SECRET, method: "get", path: "/api/v1/me", timestamp: 1_700_000_000_000 })).toEqual({
      [REST_HEADERS.key]: "k",
      [REST_HEADERS.timestamp]: "1700000000000",
      [REST_HEADERS.signature]: "12d0abeca74bc662e742d5a937b9406a4a442ba6854857a1244ac69caab7e721",
    });
    const body = '{"symbol":"BTC-USD","qty":"1"}';
    const s = signRequest({ keyId: "k", secret: SECRET, method: "POST", path: "http://host:1/api/v1/orders?dryRun=true", body, timestamp: 1_700_000_000_000 });
    expect(s[REST_HEADERS.signature]).toBe("b985374cd425107e2afa5180436995454e1160c324c54ac314c8a30dd2c9241f");
    // The body's bytes, as a string or as bytes.
    expect(restSignature(SECRET, "1700000000000", "POST", "/api/v1/orders?dryRun=true", new TextEncoder().encode(body))).toBe(s[REST_HEADERS.signature]);
  });

  test("signs the target as the server reads it: dot segments resolved, what must be percent-encoded encoded", () => {
    expect(signedTarget("/api/v1/x/../me?a=<b>")).toBe("/api/v1/me?a=%3Cb%3E");
    expect(signedTarget("https://example.com/api/v1/me")).toBe("/api/v1/me");
  });

  test("verifies the right signature only, and only in its one spelling", () => {
    const sig = restSignature(SECRET, "1", "GET", "/p", "");
    expect(verifyRestSignature(SECRET, "1", "GET", "/p", new Uint8Array(), sig)).toBe(true);
    for (const bad of [sig.toUpperCase(), sig.slice(1), `${sig}0`, Buffer.from(sig, "hex").toString("base64"), "", "0".repeat(64)]) {
      expect(verifyRestSignature(SECRET, "1", "GET", "/p", new Uint8Array(), bad)).toBe(false);
    }
    expect(verifyRestSignature(SECRET, "2", "GET", "/p", new Uint8Array(), sig)).toBe(false);
    expect(verifyRestSignature(SECRET, "1", "PUT", "/p", new Uint8Array(), sig)).toBe(false);
  });
});

describe("RecentSignatures", () => {
  test("refuses a signature seen before, forgets it once its window has passed", () => {
    const r = new RecentSignatures(10);
    expect(r.remember("a", 1_000, 0)).toBe(true);
    expect(r.remember("a", 1_000, 500)).toBe(false);
    expect(r.remember("a", 1_000, 1_001)).toBe(true);
    expect(r.size).toBe(1);
  });

  test("is bounded: full of live signatures it refuses new ones rather than forget one still replayable", () => {
    const r = new RecentSignatures(3);
    for (const s of ["a", "b", "c"]) expect(r.remember(s, 1_000, 0)).toBe(true);
    expect(r.full(10)).toBe(true);
    expect(r.remember("d", 1_000, 10)).toBe(false);
    expect(r.remember("a", 1_000, 10)).toBe(false);
    expect(r.full(1_001)).toBe(false);
    expect(r.size).toBe(0);
  });

  test("the door answers 503 BUSY with Retry-After while it is full", async () => {
    const app = buildRestApp({ keys: new ApiKeys([{ id: "k", account: 1, secret: SECRET }]), instruments: [], availability: { stopped: false, state: () => ({ state: "running", seq: 0 }) }, log: memoryLogger().log, config: { maxRememberedSignatures: 2 } });
    const me = (q: string) => app.request(signedRequest("http://x", { keyId: "k", secret: SECRET, path: `/api/v1/me?${q}` }));
    expect((await me("1")).status).toBe(200);
    expect((await me("2")).status).toBe(200);
    const busy = await me("3");
    expect(busy.headers.get("retry-after")).toBe("5");
    expect((await expectErrorShape(busy, 503)).code).toBe("BUSY");
  });
});
