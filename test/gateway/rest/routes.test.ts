/**
 * The REST door's routes and errors (docs/rest.md): the OpenAPI document and the routes answered
 * are the same set; every documented route answers on a started exchange; and every kind of
 * failure comes out as { code, message, details? } with its status.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRoute, z } from "@hono/zod-openapi";
import { ApiKeys } from "../../../gateway/auth/keys.ts";
import { LoginGuard } from "../../../gateway/auth/login-guard.ts";
import { answeredRoutes, buildRestApp, type RestApp, type RouteModule, SIGNED_SECURITY } from "../../../gateway/rest/app.ts";
import { requireEngine, requireScope } from "../../../gateway/rest/auth.ts";
import { ErrorCode, errorResponses, RestError } from "../../../gateway/rest/errors.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { demoConfig, type Harness, secret, startServer } from "../support/harness.ts";
import { expectErrorShape, signedRequest } from "../support/rest.ts";

let h: Harness;
beforeAll(async () => {
  h = await startServer(demoConfig());
});
afterAll(() => h.close());

type Doc = { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; parameters?: { name: string; in: string; example?: unknown }[] }>>; components: { securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }> } };
const documented = (doc: Doc) => Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));

describe("the OpenAPI document", () => {
  test("is OpenAPI 3.1 with the signature headers as security schemes, served at /api/v1/openapi.json", async () => {
    const res = await fetch(`${h.http}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.values(doc.components.securitySchemes).map((s) => (s.type === "http" ? `http:${s.scheme}` : `${s.in}:${s.name}`)).sort()).toEqual(["header:BOURSE-KEY", "header:BOURSE-SIGNATURE", "header:BOURSE-TIMESTAMP", "http:bearer"]);
    expect(doc.paths["/api/v1/me"]!.get!.security).toEqual(SIGNED_SECURITY);
    expect(doc.paths["/api/v1/time"]!.get!.security).toBeUndefined();
  });

  test("names every route the server answers, and only those", async () => {
    const doc = (await (await fetch(`${h.http}/api/v1/openapi.json`)).json()) as Doc;
    const answered = answeredRoutes(h.gateway.rest).map((r) => `${r.method} ${r.path}`);
    expect(answered.length).toBeGreaterThanOrEqual(7);
    expect(documented(doc).sort()).toEqual(answered.sort());
  });

  test("a route module's routes join the document, and a route hidden from it is seen", () => {
    const extra: RouteModule = (app) => {
      app.openapi(createRoute({ method: "get", path: "/extra", responses: { 200: { description: "ok" } } }), (c) => c.body(null, 200));
      app.openapi(createRoute({ method: "get", path: "/hidden", hide: true, responses: { 200: { description: "ok" } } }), (c) => c.body(null, 200));
    };
    const app = buildRestApp({ keys: new ApiKeys(), instruments: [], availability: { stopped: false, state: () => ({ state: "running", seq: 0 }) }, log: memoryLogger().log }, [extra]);
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } }) as unknown as Doc;
    const answered = answeredRoutes(app).map((r) => `${r.method} ${r.path}`);
    expect(documented(doc)).toContain("GET /api/v1/extra");
    // What the route test above would catch: answered but not documented.
    expect(answered.filter((r) => !documented(doc).includes(r))).toEqual(["GET /api/v1/hidden"]);
  });

  test("every documented route answers on a started exchange: GETs 2xx (signed ones signed), the rest reach their route", async () => {
    const doc = (await (await fetch(`${h.http}/api/v1/openapi.json`)).json()) as Doc;
    const examples: Record<string, string> = { symbol: "BTC-USD", name: "nobody", id: "unknown-id", account: "1", orderId: "999999" };
    let n = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const url = path.replace(/\{([^}]+)\}/g, (_, p: string) => examples[p]!);
        const signed = JSON.stringify(op.security ?? []).includes("BourseKey");
        const bearerOnly = op.security !== undefined && !signed;
        const body = method === "get" || method === "delete" ? undefined : "{}";
        const req = signed ? signedRequest(h.http, { keyId: "alice-demo", secret: secret("alice"), method: method.toUpperCase(), path: url, ...(body !== undefined ? { body } : {}) }) : new Request(h.http + url, { method: method.toUpperCase(), ...(body !== undefined ? { body, headers: { "content-type": "application/json" } } : {}) });
        const res = await fetch(req);
        const route = `${method} ${url}`;
        // A GET of a resource named in its path other than an instrument (an order id) may answer 404 for the example id.
        const resource = /\{(?!symbol\})/.test(path);
        if (method === "get" && !bearerOnly && !resource) expect({ route, status: res.status }).toEqual({ route, status: 200 });
        else {
          // Refused for its input or its credentials, in the error shape, by the route itself: never "no such route" or "method not allowed".
          const e = res.ok ? { code: "ok" } : await expectErrorShape(res);
          expect({ route, code: e.code }).not.toEqual({ route, code: "NOT_FOUND" });
          expect({ route, status: res.status }).not.toEqual({ route, status: 405 });
        }
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(25);
  });

  test("/api/v1/docs lists the routes as HTML", async () => {
    const res = await fetch(`${h.http}/api/v1/docs`);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    const html = await res.text();
    for (const p of ["/api/v1/me", "/api/v1/time", "/api/v1/instruments/{symbol}"]) expect(html).toContain(`<code>${p}</code>`);
  });
});

describe("the public routes", () => {
  test("time, status and instruments, with tick and lot sizes as decimal strings", async () => {
    const t = (await (await fetch(`${h.http}/api/v1/time`)).json()) as { iso: string; epochMs: number };
    expect(Math.abs(t.epochMs - Date.now())).toBeLessThan(2_000);
    expect(Date.parse(t.iso)).toBe(t.epochMs);
    expect(await (await fetch(`${h.http}/api/v1/status`)).json()).toMatchObject({ state: "running" });
    const all = (await (await fetch(`${h.http}/api/v1/instruments`)).json()) as Record<string, unknown>[];
    expect(all[0]).toEqual({ id: 1, symbol: "BTC-USD", base: "BTC", quote: "USD", tickSize: "0.5", lotSize: "0.001" });
    expect(all.map((i) => i.symbol).slice(0, 2)).toEqual(["BTC-USD", "ETH-USD"]);
    expect(((await (await fetch(`${h.http}/api/v1/instruments?base=ETH`)).json()) as { symbol: string }[]).map((i) => i.symbol)).toEqual(["ETH-USD"]);
    expect(await (await fetch(`${h.http}/api/v1/instruments/ETH-USD`)).json()).toMatchObject({ symbol: "ETH-USD", tickSize: "0.05" });
  });

  test("the WebSocket door's own paths are as they were", async () => {
    expect((await fetch(`${h.http}/health`)).status).toBe(200);
    expect((await fetch(`${h.http}/instruments`)).status).toBe(200);
    expect((await fetch(`${h.http}/nothing`)).status).toBe(404);
  });
});

describe("errors", () => {
  test("unknown route 404, wrong method 405 with Allow, unknown instrument 404", async () => {
    expect((await expectErrorShape(await fetch(`${h.http}/api/v1/nothing`), 404)).code).toBe("NOT_FOUND");
    expect((await expectErrorShape(await fetch(`${h.http}/api/v1`), 404)).code).toBe("NOT_FOUND");
    expect((await expectErrorShape(await fetch(`${h.http}/api/v1/time/`), 404)).code).toBe("NOT_FOUND");
    const post = await fetch(`${h.http}/api/v1/time`, { method: "POST" });
    expect(post.headers.get("allow")).toBe("GET");
    expect((await expectErrorShape(post, 405)).code).toBe("METHOD_NOT_ALLOWED");
    expect((await expectErrorShape(await fetch(`${h.http}/api/v1/instruments/NOPE-USD`), 404)).code).toBe("NOT_FOUND");
  });

  test("a query that fails its schema: 400 INVALID_INPUT naming the field", async () => {
    const b = await expectErrorShape(await fetch(`${h.http}/api/v1/instruments?base=b%20c`), 400);
    expect(b.code).toBe("INVALID_INPUT");
    expect(b.details).toEqual([{ in: "query", field: "base", message: expect.any(String) }]);
  });

  // The rest through a built app with routes of the kinds to come: a signed JSON body, a fault, a conflict, the engine stopped.
  const log = memoryLogger();
  let stopped = false;
  const testRoutes: RouteModule = (app: RestApp, deps) => {
    const Order = z.object({ symbol: z.string().min(1), qty: z.string().regex(/^\d+(\.\d+)?$/), legs: z.array(z.object({ price: z.number().positive() })).optional() });
    app.openapi(
      createRoute({ method: "post", path: "/test/orders", security: SIGNED_SECURITY, middleware: [deps.signed, requireScope("trade"), requireEngine({ get stopped() { return stopped; } })] as const, request: { body: { required: true, content: { "application/json": { schema: Order } } } }, responses: { 200: { description: "ok", content: { "application/json": { schema: Order } } }, ...errorResponses(400, 401, 409) } }),
      (c) => {
        const o = c.req.valid("json");
        if (o.symbol === "TAKEN") throw new RestError(409, ErrorCode.CONFLICT, "that one is taken");
        return c.json(o, 200);
      },
    );
    app.openapi(createRoute({ method: "get", path: "/test/boom", responses: { 200: { description: "never" } } }), () => {
      throw new TypeError("boom with hunter2 inside");
    });
  };
  const keys = new ApiKeys([{ id: "k", account: 9, secret: "k-secret-0123456789" }]);
  const app = buildRestApp({ keys, loginGuard: new LoginGuard(), instruments: [], availability: { stopped: false, state: () => ({ state: "running", seq: 0 }) }, log: log.log, config: { maxBodyBytes: 1024 } }, [testRoutes]);
  const post = (body: string, headers: Record<string, string> = {}) => app.request(signedRequest("http://x", { keyId: "k", secret: "k-secret-0123456789", method: "POST", path: "/api/v1/test/orders", body, headers }), undefined, { address: "10.0.0.1" });

  test("a signed JSON body: accepted as signed, refused when changed after signing", async () => {
    const ok = await post(JSON.stringify({ symbol: "BTC-USD", qty: "1.5" }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ symbol: "BTC-USD", qty: "1.5" });
    const signed = signedRequest("http://x", { keyId: "k", secret: "k-secret-0123456789", method: "POST", path: "/api/v1/test/orders", body: JSON.stringify({ symbol: "BTC-USD", qty: "1" }) });
    const changed = new Request(signed.url, { method: "POST", headers: signed.headers, body: JSON.stringify({ symbol: "BTC-USD", qty: "9" }) });
    expect((await expectErrorShape(await app.request(changed), 401)).code).toBe("AUTH_FAILED");
  });

  test("bad JSON 400 BAD_JSON; a field failing 400 INVALID_INPUT naming it; nested fields dotted", async () => {
    expect((await expectErrorShape(await post("{not json"), 400)).code).toBe("BAD_JSON");
    const b = await expectErrorShape(await post(JSON.stringify({ symbol: "BTC-USD", qty: "lots" })), 400);
    expect(b).toMatchObject({ code: "INVALID_INPUT", details: [{ in: "json", field: "qty" }] });
    expect(b.message).toStartWith("json.qty: ");
    const nested = await expectErrorShape(await post(JSON.stringify({ symbol: "X", qty: "1", legs: [{ price: 1 }, { price: -1 }] })), 400);
    expect(nested.details).toEqual([{ in: "json", field: "legs.1.price", message: expect.any(String) }]);
  });

  test("409 CONFLICT, 413 BODY_TOO_LARGE, 415 for a body that is not JSON, 503 ENGINE_STOPPED", async () => {
    expect((await expectErrorShape(await post(JSON.stringify({ symbol: "TAKEN", qty: "1" })), 409)).code).toBe("CONFLICT");
    expect((await expectErrorShape(await post(JSON.stringify({ symbol: "x".repeat(2000), qty: "1" })), 413)).code).toBe("BODY_TOO_LARGE");
    expect((await expectErrorShape(await post("symbol=x", { "content-type": "text/plain" }), 415)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    stopped = true;
    try {
      expect((await expectErrorShape(await post(JSON.stringify({ symbol: "BTC-USD", qty: "1" })), 503)).code).toBe("ENGINE_STOPPED");
    } finally {
      stopped = false;
    }
  });

  test("a fault: 500 INTERNAL with nothing of the error in the answer; logged with method and path, not query or headers", async () => {
    const res = await app.request("/api/v1/test/boom?token=sekrit-query", { headers: { authorization: "sekrit-header" } });
    const b = await expectErrorShape(res, 500);
    expect(b).toEqual({ code: "INTERNAL", message: "internal error" });
    const line = log.lines().find((l) => l.includes("rest handler threw"))!;
    expect(line).toContain("/api/v1/test/boom");
    expect(line).toContain("TypeError");
    expect(line).not.toContain("sekrit");
  });
});
