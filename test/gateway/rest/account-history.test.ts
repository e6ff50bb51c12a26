/**
 * An account's history over REST from the history store: orders with their state, one order's
 * audit trail and fills, executions and cash movements with running balances; pages; another
 * account's order unknown; a cursor the store did not give refused as bad input.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../../app/exchange.ts";
import { BourseClient } from "../../../client/client.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { demoConfig, secret } from "../support/harness.ts";
import { expectErrorShape, signedRequest } from "../support/rest.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-rest-history-"));
let ex: BourseExchange;
let http: string;
let sold = 0;

beforeAll(async () => {
  ex = await new BourseExchange({ dataDir: dir, config: demoConfig(), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: memoryLogger().log }).start();
  http = `http://127.0.0.1:${ex.gateway!.server.port}`;
  // alice sells 1 ETH to bob at 2005 over REST; bob buys over WebSocket; then a resting order and its cancel.
  const placed = (await (await alice("POST", "/orders", { symbol: "ETH-USD", side: "sell", price: "2005", qty: "1", clientOrderId: "h-1" })).json()) as { orderId: number };
  sold = placed.orderId;
  const bob = await BourseClient.connect(ex.gateway!.url);
  await bob.login("bob-demo", secret("bob"));
  await bob.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2005", qty: "1", clientOrderId: "h-b" });
  bob.close();
  const rest = (await (await alice("POST", "/orders", { symbol: "ETH-USD", side: "sell", price: "2050", qty: "2", clientOrderId: "h-2" })).json()) as { orderId: number };
  await alice("DELETE", `/orders/${rest.orderId}`);
  expect(await ex.historyWriter!.reach(ex.engine.host.lastSeq)).toBe(true);
});
afterAll(async () => {
  await ex.stop();
  rmSync(dir, { recursive: true, force: true });
});

function alice(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(signedRequest(http, { keyId: "alice-demo", secret: secret("alice"), method, path: `/api/v1${path}`, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }));
}
function bobRest(method: string, path: string): Promise<Response> {
  return fetch(signedRequest(http, { keyId: "bob-demo", secret: secret("bob"), method, path: `/api/v1${path}` }));
}

test("order history: newest first with states, in pages; open and closed filters", async () => {
  const all = (await (await alice("GET", "/order-history?limit=1")).json()) as { historySeq: number; orders: { clientOrderId: string; state: string }[]; next: string };
  expect(all.historySeq).toBeGreaterThan(0);
  expect(all.orders.map((o) => [o.clientOrderId, o.state])).toEqual([["h-2", "cancelled"]]);
  const second = (await (await alice("GET", `/order-history?limit=1&cursor=${all.next}`)).json()) as { orders: { clientOrderId: string; state: string; filledQty: string }[] };
  expect(second.orders).toMatchObject([{ clientOrderId: "h-1", state: "filled", filledQty: "1.00" }]);
  const open = (await (await alice("GET", "/order-history?state=open")).json()) as { orders: unknown[] };
  expect(open.orders).toEqual([]);
  expect((await expectErrorShape(await alice("GET", "/order-history?cursor=bm90LWEtY3Vyc29y"), 400)).code).toBe("INVALID_INPUT");
});

test("one order's trail and fills; bob cannot read alice's", async () => {
  const r = (await (await alice("GET", `/orders/${sold}/trail`)).json()) as { order: { state: string }; trail: { from: string; to: string; reason: string }[]; fills: { price: string; qty: string; liquidity: string; fee: string }[] };
  expect(r.order.state).toBe("filled");
  expect(r.trail.map((t) => `${t.from}>${t.to}`)).toEqual(["none>pending", "pending>new", "new>filled"]);
  expect(r.fills).toMatchObject([{ price: "2005.00", qty: "1.00", liquidity: "maker" }]);
  expect((await expectErrorShape(await bobRest("GET", `/orders/${sold}/trail`), 404)).code).toBe("UNKNOWN_ORDER");
  expect((await expectErrorShape(await bobRest("GET", "/executions?account=1"), 403)).code).toBe("NOT_PERMITTED");
});

test("executions and cash movements: the sale, its fee, and the balance after each", async () => {
  const e = (await (await alice("GET", "/executions")).json()) as { executions: { orderId: number; notional: string; fee: string; feeCurrency: string }[] };
  expect(e.executions).toMatchObject([{ orderId: sold, notional: "2005.000000", feeCurrency: "USD" }]);
  const m = (await (await alice("GET", "/cash-movements?currency=USD")).json()) as { movements: { kind: string; amount: string; balance: string }[] };
  const kinds = m.movements.map((x) => x.kind);
  expect(kinds.slice(0, 2).sort()).toEqual(["fee", "trade"]);
  expect(kinds.at(-1)).toBe("deposit");
  // Newest first: each balance is the next older one plus its own amount.
  for (let i = 0; i + 1 < m.movements.length; i++) expect(Number(m.movements[i]!.balance)).toBeCloseTo(Number(m.movements[i + 1]!.balance) + Number(m.movements[i]!.amount), 6);
  expect((await expectErrorShape(await alice("GET", "/cash-movements?currency=XXX"), 400)).code).toBe("UNKNOWN_CURRENCY");
});

test("the statement as streamed CSV: opening balances, the sale with its fee, closing balances that add up; another account's refused", async () => {
  const r = await alice("GET", "/statement?from=0");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toStartWith("text/csv");
  expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="statement-1-1970-01-01-\d{4}-\d{2}-\d{2}\.csv"$/);
  // Streamed: sent in chunks as read, never with a length known up front.
  expect(r.headers.get("content-length")).toBeNull();
  const lines = (await r.text()).split("\r\n").filter((l) => l !== "");
  expect(lines[0]).toBe("time,type,currency,amount,balance,symbol,side,quantity,price,liquidity,fee,order_id,trade_id,reference");
  const rows = lines.slice(1).map((l) => l.split(","));
  const trade = rows.find((x) => x[1] === "trade" && x[2] === "USD")!;
  expect(trade.slice(3, 12)).toEqual(["2005.000000", trade[4]!, "ETH-USD", "sell", "1.00", "2005.00", "maker", trade[10]!, String(sold)]);
  // Per currency: opening + Σ amounts = closing.
  const currencies = rows.filter((x) => x[1] === "opening_balance").map((x) => x[2]!);
  expect(currencies).toContain("USD");
  for (const cur of currencies) {
    const opening = Number(rows.find((x) => x[1] === "opening_balance" && x[2] === cur)![4]);
    const moved = rows.filter((x) => x[2] === cur && !["opening_balance", "closing_balance", "realized_pnl"].includes(x[1]!)).reduce((a, x) => a + Number(x[3]), 0);
    expect(Number(rows.find((x) => x[1] === "closing_balance" && x[2] === cur)![4])).toBeCloseTo(opening + moved, 6);
  }
  // A range before anything happened: the balances only.
  const empty = (await (await alice("GET", "/statement?from=0&to=1000")).text()).split("\r\n").filter((l) => l !== "");
  expect(empty.slice(1).every((l) => /,(opening|closing)_balance,/.test(l))).toBe(true);

  expect((await expectErrorShape(await bobRest("GET", "/statement?from=0&account=1"), 403)).code).toBe("NOT_PERMITTED");
  // No range: from the beginning to now.
  expect((await alice("GET", "/statement")).status).toBe(200);
  expect((await expectErrorShape(await alice("GET", "/statement?from=2000&to=1000"), 400)).code).toBe("INVALID_INPUT");
  expect((await expectErrorShape(await alice("GET", "/statement?from=yesterday"), 400)).code).toBe("INVALID_INPUT");
});
