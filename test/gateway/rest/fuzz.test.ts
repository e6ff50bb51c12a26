/**
 * The REST door under arbitrary input (fast-check): paths under /api/v1 sent as raw bytes (no
 * client-side URL normalization), query strings, methods, signature headers and JSON bodies.
 * Whatever comes in, no 500, and every answer that is not a success is in the error shape.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createRoute, z } from "@hono/zod-openapi";
import { ApiKeys } from "../../../gateway/auth/keys.ts";
import { LoginGuard } from "../../../gateway/auth/login-guard.ts";
import { buildRestApp, type RouteModule, SIGNED_SECURITY } from "../../../gateway/rest/app.ts";
import { REST_HEADERS, signRequest } from "../../../protocol/rest-signature.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { demoConfig, failureLines, type Harness, secret, startServer } from "../support/harness.ts";
import { expectErrorShape } from "../support/rest.ts";

let h: Harness;
beforeAll(async () => {
  // A lock would turn most answers into 429 after a few guesses: keep the guard out of the way (its own tests are elsewhere).
  h = await startServer(demoConfig((c) => (c.login = { keyFailures: 1_000_000, addressFailures: 1_000_000 })));
});
afterAll(() => h.close());

/** One HTTP/1.1 exchange over a plain socket, the request line exactly as given. */
async function raw(port: number, head: string, body = ""): Promise<{ status: number; headers: Headers; body: string }> {
  const chunks: Uint8Array[] = [];
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, d) => void chunks.push(new Uint8Array(d)),
      close: () => resolve(),
      error: () => resolve(),
    },
  });
  const bytes = Buffer.from(body);
  sock.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${bytes.length}\r\n\r\n`);
  if (bytes.length) sock.write(bytes);
  sock.flush();
  await closed;
  const text = Buffer.concat(chunks).toString("latin1");
  const [top, ...rest] = text.split("\r\n\r\n");
  const lines = top!.split("\r\n");
  const status = Number(lines[0]!.split(" ")[1]);
  const headers = new Headers();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) headers.append(l.slice(0, i).trim(), l.slice(i + 1).trim());
  }
  let b = rest.join("\r\n\r\n");
  if (headers.get("transfer-encoding") === "chunked") b = dechunk(b);
  return { status, headers, body: Buffer.from(b, "latin1").toString("utf8") };
}

function dechunk(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; ) {
    const eol = s.indexOf("\r\n", i);
    const n = parseInt(s.slice(i, eol), 16);
    if (!n) break;
    out += s.slice(eol + 2, eol + 2 + n);
    i = eol + 2 + n + 2;
  }
  return out;
}

const asResponse = (r: { status: number; headers: Headers; body: string }) => new Response(r.body, { status: r.status, headers: r.headers });

// Path segments: the real ones, and anything printable (percent signs, dots, encoded bytes, unicode escapes).
const printable = fc.stringMatching(/^[\x21-\x7e]{0,12}$/).map((s) => s.replace(/[?#]/g, "%3F"));
const segment = fc.oneof(fc.constantFrom("me", "time", "status", "instruments", "BTC-USD", "openapi.json", "docs", "..", ".", "", "%", "%zz", "%00", "%2F", "%C3%28", "%ED%A0%80"), printable);
const known = fc.constantFrom("/api/v1/me", "/api/v1/time", "/api/v1/status", "/api/v1/instruments", "/api/v1/instruments/BTC-USD", "/api/v1/instruments/ETH-USD", "/api/v1/openapi.json", "/api/v1/docs");
const path = fc.oneof(
  { arbitrary: known, weight: 3 },
  { arbitrary: fc.tuple(known, segment).map(([k, s]) => `${k}/${s}`), weight: 1 },
  { arbitrary: fc.array(segment, { maxLength: 4 }).map((segs) => "/api/v1" + segs.map((s) => `/${s}`).join("")), weight: 2 },
);
const queryPart = fc.oneof(fc.constantFrom("base=BTC", "base=", "quote=USD&quote=EUR", "base=%", "base=%zz", "base[]=1", "=", "&&", "base=%E2%82%AC", "x=" + "a".repeat(300)), fc.tuple(printable, printable).map(([k, v]) => `${k}=${v}`.replace(/[&#]/g, "")));
const query = fc.oneof(fc.constant(""), fc.array(queryPart, { minLength: 1, maxLength: 3 }).map((q) => `?${q.join("&")}`));
const method = fc.constantFrom("GET", "GET", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");
const order = fc.record({ symbol: fc.string({ minLength: 1, maxLength: 40 }), qty: fc.oneof(fc.stringMatching(/^\d{1,20}(\.\d{1,20})?$/), fc.string()), tags: fc.option(fc.array(fc.string(), { maxLength: 6 }), { nil: undefined }) }, { requiredKeys: ["symbol", "qty"] });
const jsonBody = fc.oneof(fc.json(), fc.string(), fc.constant(""), fc.constant("{"), fc.constant('{"a":'), fc.jsonValue().map((v) => JSON.stringify({ symbol: v, qty: v })), order.map((o) => JSON.stringify(o)), order.map((o) => JSON.stringify(o)));

describe("fuzzing the REST door", () => {
  test("raw paths and queries, any method, signed right, wrong or not at all: never a 500, errors in shape", async () => {
    const port = h.gateway.server.port!;
    await fc.assert(
      fc.asyncProperty(method, path, query, fc.constantFrom("none", "right", "wrong", "garbage"), fc.option(jsonBody), async (m, p, q, auth, body) => {
        const target = p + q;
        const headers: string[] = [];
        if (auth !== "none") {
          // Bun, like fetch(), gives a GET or HEAD no body, whatever was sent: such a request is signed over none (docs/rest.md).
          const signedBody = body != null && m !== "GET" && m !== "HEAD" ? { body } : {};
          const sig = signRequest({ keyId: "alice-demo", secret: auth === "wrong" ? "not-the-secret-at-all" : secret("alice"), method: m, path: target, ...signedBody });
          if (auth === "garbage") sig[REST_HEADERS.signature] = "zz" + sig[REST_HEADERS.signature].slice(2);
          for (const [k, v] of Object.entries(sig)) headers.push(`${k}: ${v}`);
        }
        if (body != null) headers.push("Content-Type: application/json");
        const r = await raw(port, [`${m} ${target} HTTP/1.1`, ...headers].join("\r\n"), body ?? "");
        const where = `${m} ${target} auth=${auth} → ${r.status} ${r.body.slice(0, 120)}`;
        expect({ where, server: r.status < 500 || r.status === 503 }).toEqual({ where, server: true });
        // A path whose dot segments climb out of /api/v1 (/api/v1/..) is the WebSocket door's, which answers in text.
        const ours = new URL(target, "http://x").pathname.startsWith("/api/v1");
        if (r.status >= 300 && m !== "HEAD" && ours) {
          const e = await expectErrorShape(asResponse(r));
          // 405 only for a method the path does not have.
          if (r.status === 405) expect({ where, allow: r.headers.get("allow")?.split(", ").includes(m) }).toEqual({ where, allow: false });
          // A right signature is never refused as wrong or stale, however odd the path or query (a replay in the same millisecond may be).
          if (auth === "right") expect({ where, code: ["AUTH_FAILED", "STALE_TIMESTAMP"].includes(e.code) }).toEqual({ where, code: false });
        }
      }),
      { numRuns: 400, seed: 20261207 },
    );
    expect(failureLines(h.logs)).toEqual([]);
  });

  test("signed JSON bodies of any shape to a route that takes a body: never a 500, errors in shape", async () => {
    const log = memoryLogger();
    const Order = z.object({ symbol: z.string().min(1).max(32), qty: z.string().regex(/^\d{1,18}(\.\d{1,18})?$/), tags: z.array(z.string()).max(4).optional() });
    const routes: RouteModule = (app, deps) => {
      app.openapi(createRoute({ method: "post", path: "/orders", security: SIGNED_SECURITY, middleware: [deps.signed] as const, request: { body: { required: true, content: { "application/json": { schema: Order } } }, query: z.object({ dryRun: z.enum(["true", "false"]).optional() }) }, responses: { 200: { description: "ok" } } }), (c) => c.json(c.req.valid("json"), 200));
    };
    const app = buildRestApp({ keys: new ApiKeys([{ id: "k", account: 1, secret: "k-secret-0123456789" }]), loginGuard: new LoginGuard({ keyFailures: 1e9, addressFailures: 1e9 }), instruments: [], availability: { stopped: false, state: () => ({ state: "running", seq: 0 }) }, log: log.log }, [routes]);
    const contentType = fc.constantFrom("application/json", "application/json", "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "", "application/vnd.x+json");
    await fc.assert(
      fc.asyncProperty(jsonBody, query, contentType, async (body, q, ct) => {
        const target = `/api/v1/orders${q}`;
        const headers: Record<string, string> = signRequest({ keyId: "k", secret: "k-secret-0123456789", method: "POST", path: target, body });
        if (ct) headers["content-type"] = ct;
        const res = await app.request(`http://x${target}`, { method: "POST", headers, body }, { address: "10.0.0.1" });
        const where = `${ct} ${target} ${body.slice(0, 80)} → ${res.status}`;
        expect({ where, server: res.status < 500 }).toEqual({ where, server: true });
        if (res.status !== 200) await expectErrorShape(res);
      }),
      { numRuns: 500, seed: 7 },
    );
    expect(failureLines(log.lines())).toEqual([]);
  });
});
