/**
 * Orders over REST through the order entry every door shares: placed, repeated (409, never a
 * second order), filled by a WebSocket order (each owner hears of it on its own door), listed,
 * cancelled one by one and all at once; bad input refused with the engine's reasons; another
 * account's orders out of reach; a read key cannot trade.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BourseClient } from "../../../client/client.ts";
import { demoConfig, type Harness, secret, startServer } from "../support/harness.ts";
import { expectErrorShape, signedRequest } from "../support/rest.ts";

let h: Harness;
const READ_SECRET = "alice-read-secret-0123456789";
beforeAll(async () => {
  h = await startServer(
    demoConfig((c) => {
      c.accounts!.find((a) => a.id === 1)!.apiKeys!.push({ id: "alice-read", secret: READ_SECRET, scopes: ["read"] });
    }),
  );
});
afterAll(() => h.close());

type Order = { orderId: number; clientOrderId: string; state: string; filledQty: string; leavesQty: string; averagePrice: string | null; price: string | null; side: string; symbol: string };

function as(key: string, keySecret: string) {
  return async (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(signedRequest(h.http, { keyId: key, secret: keySecret, method, path: `/api/v1${path}`, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }));
}
const alice = as("alice-demo", secret("alice"));
const bob = as("bob-demo", secret("bob"));
const aliceRead = as("alice-read", READ_SECRET);

describe("orders over REST", () => {
  test("placed, repeated without a second order, filled by a WebSocket order, answered as filled", async () => {
    const placed = await alice("POST", "/orders", { symbol: "ETH-USD", side: "sell", price: "2010", qty: "1", clientOrderId: "rest-1" });
    expect(placed.status).toBe(201);
    const o = (await placed.json()) as Order;
    expect(o).toMatchObject({ clientOrderId: "rest-1", state: "new", price: "2010.00", leavesQty: "1.00", side: "sell", symbol: "ETH-USD" });

    const again = await alice("POST", "/orders", { symbol: "ETH-USD", side: "sell", price: "2010", qty: "1", clientOrderId: "rest-1" });
    const dup = await expectErrorShape(again, 409);
    expect(dup).toMatchObject({ code: "DUPLICATE_CLIENT_ORDER_ID", details: { order: { orderId: o.orderId } } });

    // bob buys over WebSocket: he hears his fill there; alice asks REST and sees hers.
    const ws = await BourseClient.connect(h.url);
    await ws.login("bob-demo", secret("bob"));
    const bought = await ws.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2010", qty: "1", clientOrderId: "ws-1" });
    expect(bought).toMatchObject({ orderId: expect.any(Number) });
    ws.close();
    const after = (await (await alice("GET", `/orders/${o.orderId}`)).json()) as Order;
    expect(after).toMatchObject({ state: "filled", filledQty: "1.00", leavesQty: "0.00", averagePrice: "2010" });
    const open = (await (await alice("GET", "/orders")).json()) as { orders: Order[] };
    expect(open.orders.map((x) => x.orderId)).not.toContain(o.orderId);
  });

  test("cancel one, cancel all; another account's orders are unknown to bob, and he may not list them", async () => {
    const placed = async (body: unknown) => {
      const r = await alice("POST", "/orders", body);
      expect({ body, status: r.status, text: r.status === 201 ? "" : await r.clone().text() }).toEqual({ body, status: 201, text: "" });
      return (await r.json()) as Order;
    };
    const a = await placed({ symbol: "ETH-USD", side: "sell", price: "2040", qty: "1" });
    const b = await placed({ symbol: "BTC-USD", side: "sell", price: "30500", qty: "0.01" });
    const c = await placed({ symbol: "ETH-USD", side: "sell", price: "2050", qty: "1" });
    expect((await expectErrorShape(await bob("GET", `/orders/${a.orderId}`), 404)).code).toBe("UNKNOWN_ORDER");
    expect((await expectErrorShape(await bob("DELETE", `/orders/${a.orderId}`), 404)).code).toBe("UNKNOWN_ORDER");
    expect((await expectErrorShape(await bob("GET", "/orders?account=1"), 403)).code).toBe("NOT_PERMITTED");
    expect((await expectErrorShape(await bob("POST", "/orders", { account: 1, symbol: "ETH-USD", side: "sell", price: "2040", qty: "1" }), 403)).code).toBe("NOT_PERMITTED");

    const cancelled = await alice("DELETE", `/orders/${a.orderId}`);
    expect(((await cancelled.json()) as Order).state).toBe("cancelled");
    const open = (await (await alice("GET", "/orders?symbol=BTC-USD")).json()) as { orders: Order[] };
    expect(open.orders.map((x) => x.orderId)).toEqual([b.orderId]);
    const all = await alice("DELETE", "/orders");
    expect(((await all.json()) as { cancelled: number }).cancelled).toBe(2);
    expect(((await (await alice("GET", `/orders/${c.orderId}`)).json()) as Order).state).toBe("cancelled");
  });

  test("amend (cancel-replace): a new price and quantity through order entry, answered with the order after it; the engine's reasons; another account's order unknown", async () => {
    const placed = (await (await alice("POST", "/orders", { symbol: "ETH-USD", side: "sell", price: "2060", qty: "1", clientOrderId: "amend-1" })).json()) as Order & { qty: string };
    const amended = await alice("PATCH", `/orders/${placed.orderId}`, { price: "2070", qty: "2" });
    expect(amended.status).toBe(200);
    expect(await amended.json()).toMatchObject({ orderId: placed.orderId, clientOrderId: "amend-1", price: "2070.00", qty: "2.00", leavesQty: "2.00", state: "new" });
    // The read model agrees: the order stands amended.
    expect(await (await alice("GET", `/orders/${placed.orderId}`)).json()).toMatchObject({ price: "2070.00", qty: "2.00" });
    // Only the quantity: the price is kept.
    expect(await (await alice("PATCH", `/orders/${placed.orderId}`, { qty: "1.5" })).json()).toMatchObject({ price: "2070.00", qty: "1.50" });

    const refusals: [string, unknown, number, string][] = [
      [`/orders/${placed.orderId}`, { price: "2070.001" }, 400, "PRICE_OFF_TICK"],
      [`/orders/${placed.orderId}`, { qty: "0" }, 400, "INVALID_QUANTITY"],
      [`/orders/${placed.orderId}`, {}, 400, "INVALID_INPUT"],
      [`/orders/${placed.orderId}`, { price: 2070 }, 400, "INVALID_INPUT"],
      ["/orders/999999999", { price: "2070" }, 404, "UNKNOWN_ORDER"],
    ];
    for (const [path, body, status, code] of refusals) expect({ path, body, code: (await expectErrorShape(await alice("PATCH", path, body), status)).code }).toEqual({ path, body, code });
    expect((await expectErrorShape(await bob("PATCH", `/orders/${placed.orderId}`, { price: "2000" }), 404)).code).toBe("UNKNOWN_ORDER");
    expect((await expectErrorShape(await bob("PATCH", `/orders/${placed.orderId}?account=1`, { price: "2000" }), 403)).code).toBe("NOT_PERMITTED");
    expect((await expectErrorShape(await aliceRead("PATCH", `/orders/${placed.orderId}`, { price: "2000" }), 403)).code).toBe("NOT_PERMITTED");
    // None of the refusals touched it.
    expect(await (await alice("GET", `/orders/${placed.orderId}`)).json()).toMatchObject({ price: "2070.00", qty: "1.50", state: "new" });
    expect((await alice("DELETE", `/orders/${placed.orderId}`)).status).toBe(200);
  });

  test("bad orders: the engine's reasons, in the error shape; a read key cannot trade but can read", async () => {
    const cases: [unknown, number, string][] = [
      [{ symbol: "ETH-USD", side: "sell", price: "2010.01", qty: "1" }, 400, "PRICE_OFF_TICK"],
      [{ symbol: "NOPE-USD", side: "sell", price: "1", qty: "1" }, 400, "UNKNOWN_SYMBOL"],
      [{ symbol: "ETH-USD", side: "sell", price: "2010", qty: "abc" }, 400, "INVALID_QUANTITY"],
      [{ symbol: "ETH-USD", side: "buy", price: "2010", qty: "1000" }, 400, "INSUFFICIENT_FUNDS"],
      [{ symbol: "ETH-USD", side: "up", price: "2010", qty: "1" }, 400, "INVALID_INPUT"],
      [{ symbol: "ETH-USD", side: "sell", price: "2010", qty: "1", clientOrderId: "has space" }, 400, "INVALID_CLIENT_ORDER_ID"],
    ];
    for (const [body, status, code] of cases) expect({ body, code: (await expectErrorShape(await alice("POST", "/orders", body), status)).code }).toEqual({ body, code });
    expect((await expectErrorShape(await aliceRead("POST", "/orders", { symbol: "ETH-USD", side: "sell", price: "2010", qty: "1" }), 403)).code).toBe("NOT_PERMITTED");
    expect((await aliceRead("GET", "/orders")).status).toBe(200);
    expect((await expectErrorShape(await aliceRead("DELETE", "/orders"), 403)).code).toBe("NOT_PERMITTED");
  });

  test("balances and positions: the engine's state after the caller's own order; another account's refused", async () => {
    type Balance = { currency: string; total: string; reserved: string; available: string; equity: string };
    const before = ((await (await alice("GET", "/balances")).json()) as { balances: Balance[] }).balances.find((b) => b.currency === "USD")!;
    const placed = await alice("POST", "/orders", { symbol: "ETH-USD", side: "buy", price: "1990", qty: "1", clientOrderId: "reserve-1" });
    expect(placed.status).toBe(201);
    const after = ((await (await alice("GET", "/balances")).json()) as { balances: Balance[] }).balances.find((b) => b.currency === "USD")!;
    expect(after.total).toBe(before.total);
    // A resting buy of 1 at 1990 reserves at least its notional (plus the worst fee).
    expect(Number(after.reserved) - Number(before.reserved)).toBeGreaterThanOrEqual(1990);
    expect(Number(after.available)).toBeCloseTo(Number(after.total) - Number(after.reserved), 6);
    const positions = ((await (await alice("GET", "/positions")).json()) as { positions: { symbol: string; qty: string; averageCost: string }[] }).positions;
    expect(positions.find((p) => p.symbol === "BTC-USD")).toMatchObject({ qty: "10.000", averageCost: expect.stringMatching(/^29000(\.0+)?$/) });
    expect((await expectErrorShape(await bob("GET", "/balances?account=1"), 403)).code).toBe("NOT_PERMITTED");
    expect((await expectErrorShape(await bob("GET", "/positions?account=1"), 403)).code).toBe("NOT_PERMITTED");
    await alice("DELETE", "/orders?symbol=ETH-USD");
  });
});
