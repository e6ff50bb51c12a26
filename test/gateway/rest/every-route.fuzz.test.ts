/**
 * Every route of the OpenAPI document under random input (fast-check), as an anonymous caller, a
 * signed key (account 1) and a trader's session (account 1): path parameters, query strings, JSON
 * bodies of the route's own fields with values of any type, bodies that are not JSON, and wrong or
 * missing content types. Whatever comes in: never a 500; every answer that is not a success is in
 * the error shape with a status the document gives the route (or one every route may give: 413,
 * 415, 429, and 400/401/403 where the route takes input or credentials); and a refused request
 * changed nothing: the journal did not move and accounts 1 and 2 are as they were.
 *
 * Left out, for the session only: POST /auth/logout and /auth/password, which end the very
 * session the fuzz goes on with (their refusals are in identity-routes.test.ts).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { expectErrorShape } from "../support/rest.ts";
import { type CallerName, type RestExchange, startRestExchange } from "../support/rest-exchange.ts";

type Param = { name: string; in: string; schema?: Prop };
type Prop = { type?: string | string[]; enum?: unknown[]; items?: Prop; anyOf?: Prop[]; example?: unknown };
type Op = { parameters?: Param[]; requestBody?: { content: Record<string, { schema: Schema }> }; responses: Record<string, unknown>; security?: unknown[] };
type Schema = { $ref?: string; properties?: Record<string, Prop>; allOf?: Schema[] };
type Doc = { paths: Record<string, Record<string, Op>>; components?: { schemas?: Record<string, Schema> } };

let r: RestExchange;
let doc: Doc;
beforeAll(async () => {
  r = await startRestExchange();
  doc = (await (await fetch(`${r.root}/api/v1/openapi.json`)).json()) as Doc;
});
afterAll(() => r.stop());

const SESSION_ENDING = new Set(["post /api/v1/auth/logout", "post /api/v1/auth/password"]);
const CALLERS: CallerName[] = ["anonymous", "keyA", "traderA"];

// Values that mean something somewhere (ids, symbols, names, times) and plenty that do not.
const word = fc.constantFrom("1", "2", "3", "0", "-1", "1.5", "1e3", "999999999", "99999999999999999999999", "BTC-USD", "ETH-USD", "NOPE-USD", "nobody", "olga", "carol-demo", "buy", "sell", "open", "limit", "read", "allow", "USD", "2026-12-01T00:00:00Z", "", " ", "x".repeat(300), "null", "true");
/** The few that most often make a request valid: a small amount, a currency, a symbol. */
const likely = fc.constantFrom("1", "2", "0.5", "USD", "BTC-USD", "ETH-USD");
const junk = fc.string({ maxLength: 24 });
const text = fc.oneof({ arbitrary: word, weight: 3 }, { arbitrary: junk, weight: 1 });
const pathParam = fc.oneof({ arbitrary: word.filter((w) => w !== "" && w !== " "), weight: 3 }, { arbitrary: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s !== "." && s !== ".."), weight: 1 });
/** A value of the type the document gives the field (an enum's own values), and now and then anything at all. */
function typed(p: Prop | undefined): fc.Arbitrary<unknown> {
  const t = [p?.type, ...(p?.anyOf ?? []).map((a) => a.type)].flat().find((x) => x && x !== "null");
  const right: fc.Arbitrary<unknown> = p?.enum?.length
    ? fc.constantFrom(...p.enum)
    : t === "integer" || t === "number"
      ? fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 }), weight: 4 }, { arbitrary: fc.integer(), weight: 1 })
      : t === "boolean"
        ? fc.boolean()
        : t === "array"
          ? fc.array(typed(p?.items), { maxLength: 3 })
          : fc.oneof(...(typeof p?.example === "string" ? [{ arbitrary: fc.constant(p.example), weight: 3 }] : []), { arbitrary: likely, weight: 3 }, { arbitrary: word, weight: 2 });
  return fc.oneof({ arbitrary: right, weight: 6 }, { arbitrary: anyValue, weight: 1 });
}
/** As a query string's text. */
const typedText = (p: Prop | undefined) => fc.oneof({ arbitrary: typed(p).map((v) => (typeof v === "string" ? v : JSON.stringify(v))), weight: 6 }, { arbitrary: text, weight: 1 });
const anyValue = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }));

function schemaOf(s: Schema | undefined): Schema | undefined {
  if (!s) return undefined;
  if (s.$ref) return schemaOf(doc.components?.schemas?.[s.$ref.split("/").pop()!]);
  return s;
}

function arbitraries(method: string, op: Op) {
  const params = (op.parameters ?? []).filter((p) => p.in === "path");
  const documentedQuery = (op.parameters ?? []).filter((p) => p.in === "query");
  const queryParams: Param[] = [...documentedQuery, ...[{ name: "x", in: "query" }, { name: "account", in: "query" }].filter((p) => !documentedQuery.some((d) => d.name === p.name))];
  const props = schemaOf(op.requestBody?.content["application/json"]?.schema)?.properties ?? {};
  const fields = Object.keys(props);
  const path = fc.tuple(...params.map((p) => fc.oneof({ arbitrary: typedText(p.schema).filter((v) => v !== "" && v !== "." && v !== ".."), weight: 4 }, { arbitrary: pathParam, weight: 1 })));
  // Mostly each name once (a repeated one is an array, refused as such); now and then repeated.
  const names = fc.oneof({ arbitrary: fc.uniqueArray(fc.constantFrom(...queryParams), { maxLength: 4, selector: (p) => p.name }), weight: 4 }, { arbitrary: fc.array(fc.constantFrom(...queryParams), { maxLength: 4 }), weight: 1 });
  const query = names.chain((ps) => fc.tuple(...ps.map((p) => fc.tuple(fc.constant(p.name), typedText(p.schema))))).map((kv) => (kv.length ? `?${kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}` : ""));
  const fieldsBody = fields.length ? fc.dictionary(fc.constantFrom(...fields), anyValue, { maxKeys: fields.length }).map((o) => JSON.stringify(o)) : fc.json();
  // Every field, mostly plausible values: some get past validation to the handler.
  const fullBody = fields.length ? fc.record(Object.fromEntries(fields.map((f) => [f, typed(props[f])])), { requiredKeys: [] }).map((o) => JSON.stringify(o)) : fc.json();
  const body = fc.oneof(
    { arbitrary: fieldsBody, weight: 2 },
    { arbitrary: fullBody, weight: 6 },
    { arbitrary: fc.json(), weight: 1 },
    { arbitrary: fc.constantFrom("", "{", '{"a":', "null", "[]", "not json", "{}"), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: method === "get" || method === "delete" ? 4 : 1 },
  );
  const contentType = fc.oneof({ arbitrary: fc.constant("application/json"), weight: 6 }, { arbitrary: fc.constantFrom("application/json; charset=utf-8", "", "text/plain", "application/x-www-form-urlencoded"), weight: 2 });
  return fc.record({ who: fc.constantFrom(...CALLERS), path, query, body, contentType });
}

async function state(): Promise<string> {
  const [a, b] = await Promise.all([r.ex.engine.host.portfolio(1), r.ex.engine.host.portfolio(2)]);
  return JSON.stringify({ seq: r.ex.engine.host.lastSeq, a, b }, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

test("every documented route, any input, any caller: no 500, errors in shape with a documented status, refusals change nothing", async () => {
  let requests = 0;
  const seen = new Map<string, Set<number>>();
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const route = `${method} ${template}`;
      const credentialed = (op.security?.length ?? 0) > 0;
      const takesInput = (op.parameters?.length ?? 0) > 0 || op.requestBody !== undefined;
      const allowed = new Set([...Object.keys(op.responses).map(Number), 413, 415, 429, ...(credentialed ? [401, 403] : []), ...(takesInput ? [400] : [])]);
      await fc.assert(
        fc.asyncProperty(arbitraries(method, op), async ({ who, path, query, body, contentType }) => {
          if (who === "traderA" && SESSION_ENDING.has(route)) return;
          let i = 0;
          const url = template.replace(/\{[^}]+\}/g, () => encodeURIComponent(path[i++]!)) + query;
          const before = await state();
          const res = await r.call(who, method.toUpperCase(), url, body, contentType);
          requests++;
          const where = `${who} ${method.toUpperCase()} ${url} ${contentType} ${String(body).slice(0, 80)} → ${res.status}`;
          if (!seen.has(route)) seen.set(route, new Set());
          seen.get(route)!.add(res.status);
          expect({ where, server: res.status < 500 || res.status === 503 }).toEqual({ where, server: true });
          if (res.status < 300) return void (await res.arrayBuffer());
          expect({ where, documented: allowed.has(res.status) }).toEqual({ where, documented: true });
          await expectErrorShape(res);
          expect({ where, unchanged: await state() }).toEqual({ where, unchanged: before });
        }),
        { numRuns: 60, seed: 20261207 },
      );
    }
  }
  // Enough of it reached past validation to mean something: most routes answered more than one way.
  expect(requests).toBeGreaterThan(1000);
  expect([...seen.values()].filter((s) => s.size > 1).length).toBeGreaterThan(seen.size / 2);
  expect(r.errors()).toEqual([]);
});

test("malformed JSON and a missing or wrong content type are answered in the error shape, not plain text", async () => {
  for (const who of ["keyA", "traderA"] as const) {
    const bad = await r.call(who, "POST", "/api/v1/orders", '{"symbol": "ETH-USD", "side": ', "application/json");
    expect((await expectErrorShape(bad, 400)).code).toBe("BAD_JSON");
    const none = await r.call(who, "POST", "/api/v1/orders", JSON.stringify({ symbol: "ETH-USD", side: "buy", price: "2000", qty: "1" }), "");
    expect(["UNSUPPORTED_MEDIA_TYPE", "INVALID_INPUT"]).toContain((await expectErrorShape(none)).code);
    const plain = await r.call(who, "POST", "/api/v1/orders", JSON.stringify({ symbol: "ETH-USD", side: "buy", price: "2000", qty: "1" }), "text/plain");
    expect((await expectErrorShape(plain, 415)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  }
  const login = await r.call("anonymous", "POST", "/api/v1/auth/login", "{nope", "application/json");
  expect((await expectErrorShape(login, 400)).code).toBe("BAD_JSON");
  const loginNoType = await r.call("anonymous", "POST", "/api/v1/auth/login", JSON.stringify({ user: "tom", password: "x" }), "");
  await expectErrorShape(loginNoType);
});
