/**
 * Account A's callers (its signed key, its trader's session) against account B's resources on
 * every route: orders, balances, history, statements, keys, sessions, withdrawals, destinations,
 * and the operator's routes. Every attempt is denied — 403 NOT_PERMITTED when B is named, 404 when
 * B's resource is named by its id, as docs/rest.md says — and no answer carries B's data.
 *
 * Driven by the route table: every route the server answers must be either public (the allowlist
 * below), the caller's own and naming nobody else's (SELF), or have attempts here; a new route
 * that is none of these fails the test until it is added.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { expectErrorShape } from "../support/rest.ts";
import { type RestExchange, startRestExchange } from "../support/rest-exchange.ts";

let r: RestExchange;
/** B's (account 2's) open order, the key of B, and a session of B's trader. */
let bOrder = 0;
let bSession = "";
beforeAll(async () => {
  r = await startRestExchange();
  const placed = await r.call("keyB", "POST", "/api/v1/orders", JSON.stringify({ symbol: "ETH-USD", side: "buy", price: "1990", qty: "1", clientOrderId: "b-secret-order" }));
  expect(placed.status).toBe(201);
  bOrder = ((await placed.json()) as { orderId: number }).orderId;
  const sessions = (await (await r.call("traderB", "GET", "/api/v1/sessions")).json()) as { sessions: { id: string }[] };
  bSession = sessions.sessions[0]!.id;
});
afterAll(() => r.stop());

/** Routes anyone may call: they name no account. */
const PUBLIC = new Set([
  "GET /api/v1/time",
  "GET /api/v1/status",
  "GET /api/v1/instruments",
  "GET /api/v1/instruments/{symbol}",
  "GET /api/v1/instruments/{symbol}/book",
  "GET /api/v1/instruments/{symbol}/trades",
  "GET /api/v1/instruments/{symbol}/candles",
  "GET /api/v1/instruments/{symbol}/ticker",
  "GET /api/v1/openapi.json",
  "GET /api/v1/docs",
  "POST /api/v1/auth/login",
  "POST /api/v1/auth/mfa/enrol",
  "POST /api/v1/auth/mfa/confirm",
]);

/** Routes that act on the caller itself and can name no one else's resource (checked below that they answer only the caller's own). */
const SELF = new Set(["GET /api/v1/me", "POST /api/v1/auth/logout", "POST /api/v1/auth/password", "GET /api/v1/sessions"]);

type Who = "keyA" | "traderA";
type Attempt = { method: string; path: string; body?: (who: Who) => unknown; status: 403 | 404 };
const order = { symbol: "ETH-USD", side: "sell", price: "2010", qty: "1" };
const b = () => ({ order: bOrder, session: bSession });

/** Per route: attempts on B's resources, each denied with the status given. */
const ATTEMPTS: Record<string, Attempt[]> = {
  "POST /api/v1/orders": [{ method: "POST", path: "/orders", body: () => ({ ...order, account: 2 }), status: 403 }],
  "GET /api/v1/orders": [{ method: "GET", path: "/orders?account=2", status: 403 }],
  "DELETE /api/v1/orders": [{ method: "DELETE", path: "/orders?account=2", status: 403 }, { method: "DELETE", path: "/orders?account=2&symbol=ETH-USD", status: 403 }],
  "GET /api/v1/orders/{orderId}": [{ method: "GET", path: "/orders/{order}", status: 404 }, { method: "GET", path: "/orders/{order}?account=2", status: 403 }],
  "DELETE /api/v1/orders/{orderId}": [{ method: "DELETE", path: "/orders/{order}", status: 404 }, { method: "DELETE", path: "/orders/{order}?account=2", status: 403 }],
  "PATCH /api/v1/orders/{orderId}": [{ method: "PATCH", path: "/orders/{order}", body: () => ({ price: "1980" }), status: 404 }, { method: "PATCH", path: "/orders/{order}?account=2", body: () => ({ qty: "5" }), status: 403 }],
  "GET /api/v1/orders/{orderId}/trail": [{ method: "GET", path: "/orders/{order}/trail", status: 404 }, { method: "GET", path: "/orders/{order}/trail?account=2", status: 403 }],
  "GET /api/v1/balances": [{ method: "GET", path: "/balances?account=2", status: 403 }],
  "GET /api/v1/positions": [{ method: "GET", path: "/positions?account=2", status: 403 }],
  "GET /api/v1/order-history": [{ method: "GET", path: "/order-history?account=2", status: 403 }],
  "GET /api/v1/executions": [{ method: "GET", path: "/executions?account=2", status: 403 }, { method: "GET", path: "/executions?account=2&orderId={order}", status: 403 }],
  "GET /api/v1/cash-movements": [{ method: "GET", path: "/cash-movements?account=2", status: 403 }],
  "GET /api/v1/statement": [{ method: "GET", path: "/statement?account=2", status: 403 }],
  "GET /api/v1/keys": [{ method: "GET", path: "/keys?account=2", status: 403 }],
  "POST /api/v1/keys": [{ method: "POST", path: "/keys", body: (who) => ({ account: 2, scopes: ["read"], ...(who === "traderA" ? { totp: r.totp("traderA") } : {}) }), status: 403 }],
  "DELETE /api/v1/keys/{id}": [{ method: "DELETE", path: "/keys/bob-demo", status: 404 }],
  "DELETE /api/v1/sessions/{id}": [{ method: "DELETE", path: "/sessions/{session}", status: 404 }],
  "GET /api/v1/withdrawals": [{ method: "GET", path: "/withdrawals?account=2", status: 403 }],
  "POST /api/v1/accounts/{account}/withdrawals": [{ method: "POST", path: "/accounts/2/withdrawals", body: (who) => ({ currency: "USD", amount: "1", destination: "bank-b", ...(who === "traderA" ? { totp: r.totp("traderA") } : {}) }), status: 403 }],
  "POST /api/v1/accounts/{account}/destinations": [{ method: "POST", path: "/accounts/2/destinations", body: (who) => ({ destination: "mallory-bank", ...(who === "traderA" ? { totp: r.totp("traderA") } : {}) }), status: 403 }],
  // The operator's: neither a key nor a trader may, for B or anyone.
  "POST /api/v1/accounts/{account}/withdrawals/{id}/approve": [{ method: "POST", path: "/accounts/2/withdrawals/1/approve", status: 403 }],
  "POST /api/v1/accounts/{account}/withdrawals/{id}/reject": [{ method: "POST", path: "/accounts/2/withdrawals/1/reject", status: 403 }],
  "POST /api/v1/accounts": [{ method: "POST", path: "/accounts", body: () => ({ account: 2, tier: 0 }), status: 403 }],
  "PUT /api/v1/accounts/{account}/tier": [{ method: "PUT", path: "/accounts/2/tier", body: () => ({ tier: 0 }), status: 403 }],
  "PUT /api/v1/accounts/{account}/symbols/{symbol}": [{ method: "PUT", path: "/accounts/2/symbols/ETH-USD", body: () => ({ access: "deny" }), status: 403 }],
  "POST /api/v1/accounts/{account}/deposits": [{ method: "POST", path: "/accounts/2/deposits", body: () => ({ currency: "USD", amount: "1" }), status: 403 }],
  "GET /api/v1/users": [{ method: "GET", path: "/users", status: 403 }],
  "POST /api/v1/users": [{ method: "POST", path: "/users", body: () => ({ name: "mallory", role: "trader", accounts: [2] }), status: 403 }],
  "POST /api/v1/users/{name}/lock": [{ method: "POST", path: "/users/bea/lock", body: () => ({ locked: true }), status: 403 }],
  "POST /api/v1/users/{name}/reset-mfa": [{ method: "POST", path: "/users/bea/reset-mfa", status: 403 }],
  "PUT /api/v1/users/{name}/accounts/{account}": [{ method: "PUT", path: "/users/tom/accounts/2", body: () => ({ grant: true }), status: 403 }],
  "GET /api/v1/audit/sign-ins": [{ method: "GET", path: "/audit/sign-ins?subject=user:bea", status: 403 }],
  "POST /api/v1/instruments/{symbol}/halt": [{ method: "POST", path: "/instruments/ETH-USD/halt", status: 403 }],
  "POST /api/v1/instruments/{symbol}/resume": [{ method: "POST", path: "/instruments/ETH-USD/resume", status: 403 }],
  "PUT /api/v1/instruments/{symbol}/market-data": [{ method: "PUT", path: "/instruments/ETH-USD/market-data", body: () => ({ status: "stale" }), status: 403 }],
  // An operator's correction of a venue's record: a key or trader may not, whoever's order it names.
  "POST /api/v1/venues/{venue}/orders/{orderId}/fills": [{ method: "POST", path: "/venues/V/orders/{order}/fills", body: () => ({ symbol: "ETH-USD", execId: "X-1", qty: "1", price: "1990" }), status: 403 }],
  "POST /api/v1/venues/{venue}/orders/{orderId}/done": [{ method: "POST", path: "/venues/V/orders/{order}/done", body: () => ({ symbol: "ETH-USD", how: "cancelled", cumQty: "0" }), status: 403 }],
  // Alerts are operators' and auditors': no key or trader reads or acknowledges any, B's included.
  "GET /api/v1/alerts": [{ method: "GET", path: "/alerts?account=2", status: 403 }],
  "POST /api/v1/alerts/{id}/ack": [{ method: "POST", path: "/alerts/1/ack", body: () => ({ note: "seen" }), status: 403 }],
};

/** What B's data looks like in a body: its order's ids, its key, its session, its trader. */
const leaks = (text: string) => [String(bOrder), "b-secret-order", "bob-demo", bSession, "\"bea\""].filter((s) => text.includes(s) && !(s === String(bOrder) && !text.includes(`"orderId":${bOrder}`)));

async function state(): Promise<string> {
  return JSON.stringify({ b: await r.ex.engine.host.portfolio(2), open: (await (await r.call("keyB", "GET", "/api/v1/orders")).json()) as unknown }, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

test("every route is public, the caller's own, or has cross-account attempts here", async () => {
  const doc = (await (await fetch(`${r.root}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
  const uncovered = routes.filter((k) => !PUBLIC.has(k) && !SELF.has(k) && !ATTEMPTS[k]);
  expect(uncovered).toEqual([]);
  // And nothing listed here that the server no longer has.
  expect([...PUBLIC, ...SELF, ...Object.keys(ATTEMPTS)].filter((k) => !routes.includes(k))).toEqual([]);
});

test("account A's key and trader are denied every one of account B's resources, and B is unchanged", async () => {
  const before = await state();
  let attempts = 0;
  for (const [route, list] of Object.entries(ATTEMPTS)) {
    for (const a of list) {
      for (const who of ["keyA", "traderA"] as const) {
        const path = "/api/v1" + a.path.replace("{order}", String(b().order)).replace("{session}", b().session);
        const body = a.body?.(who);
        const res = await r.call(who, a.method, path, body === undefined ? (a.method === "GET" || a.method === "DELETE" ? undefined : "{}") : JSON.stringify(body));
        const text = await res.clone().text();
        const where = `${route}: ${who} ${a.method} ${path} → ${res.status} ${text.slice(0, 160)}`;
        // Sessions belong to users: a key is refused there before any session is looked at.
        const expected = route.includes("/sessions/") && who === "keyA" ? 403 : a.status;
        expect({ where, status: res.status }).toEqual({ where, status: expected });
        await expectErrorShape(res);
        expect({ where, leaks: leaks(text) }).toEqual({ where, leaks: [] });
        attempts++;
      }
    }
  }
  expect(attempts).toBe(Object.values(ATTEMPTS).flat().length * 2);
  expect(await state()).toBe(before);
  expect(r.errors()).toEqual([]);
});

test("the caller's own routes answer only the caller's own", async () => {
  expect(await (await r.call("keyA", "GET", "/api/v1/me")).json()).toMatchObject({ account: 1, keyId: "alice-demo" });
  const sessions = await (await r.call("traderA", "GET", "/api/v1/sessions")).text();
  expect(sessions).not.toContain(bSession);
  expect((await expectErrorShape(await r.call("keyA", "GET", "/api/v1/sessions"), 403)).code).toBe("NOT_PERMITTED");
  // Keys a caller may see are its account's only; withdrawals likewise.
  const keys = (await (await r.call("traderA", "GET", "/api/v1/keys")).json()) as { keys: { account: number }[] };
  expect(keys.keys.every((k) => k.account === 1)).toBe(true);
  const keyKeys = (await (await r.call("keyA", "GET", "/api/v1/keys")).json()) as { keys: { account: number }[] };
  expect(keyKeys.keys.every((k) => k.account === 1)).toBe(true);
  // B's session still works: nothing above ended it.
  expect((await r.call("traderB", "GET", "/api/v1/sessions")).status).toBe(200);
});
