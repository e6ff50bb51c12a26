/**
 * The SDK refuses what it does not understand: every call checks every field before anything is
 * sent, and throws InvalidArgument naming the field and what it accepts. Each case asserts that
 * no frame left the client and that the exchange holds no new order.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Reason } from "../../engine/reasons.ts";
import { BourseClient, InvalidArgument, type OrderRequest } from "../../client/client.ts";
import { demoConfig, type Harness, secret, startServer } from "../gateway/support/harness.ts";

let h: Harness;
let alice: BourseClient;

beforeAll(async () => {
  h = await startServer(demoConfig());
  alice = await BourseClient.connect(h.url);
  await alice.login("alice-demo", secret("alice"));
});
afterAll(async () => {
  alice.close();
  await h.close();
});

const openOrders = () => h.runtime.exchange.open.size;
const good: OrderRequest = { symbol: "BTC-USD", side: "buy", price: "29000", qty: "0.01" };

/** Runs `call`, expects InvalidArgument on `field` whose message contains `says`, and that nothing was sent. */
async function refused(call: () => Promise<unknown>, field: string, says: string, reason?: number): Promise<InvalidArgument> {
  const sent = alice.framesSent;
  const orders = openOrders();
  const err = await call().then(
    (r) => new Error(`expected InvalidArgument on ${field}, got an answer: ${JSON.stringify(r)}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidArgument);
  const e = err as InvalidArgument;
  expect(e.field).toBe(field);
  expect(e.message).toContain(says);
  if (reason !== undefined) expect(e.reason).toBe(reason);
  expect(alice.framesSent).toBe(sent);
  expect(openOrders()).toBe(orders);
  return e;
}

// Casts: these are the calls a JavaScript caller (or a cast) can make that the types would refuse.
const place = (o: Record<string, unknown>) => () => alice.placeOrder({ ...good, ...o } as unknown as OrderRequest);

describe("placeOrder", () => {
  test('side "BUY" is refused and sends nothing (it used to place a SELL)', async () => {
    const e = await refused(place({ side: "BUY" }), "side", 'side must be "buy" or "sell" (got "BUY")');
    expect(e.accepted).toBe('"buy" or "sell"');
    expect(e.value).toBe("BUY");
    await refused(place({ side: undefined }), "side", 'must be "buy" or "sell"');
    await refused(place({ side: 0 }), "side", 'must be "buy" or "sell" (got 0)');
  });

  test("tif, type and stp take exactly their names", async () => {
    await refused(place({ tif: "gtc" }), "tif", "tif must be one of GTC, IOC, FOK, DAY, GTD");
    await refused(place({ type: "LIMIT" }), "type", "type must be one of limit, market, stop, stop-limit");
    await refused(place({ type: "stop_limit", stopPrice: "29000" }), "type", "one of limit, market, stop, stop-limit");
    await refused(place({ stp: "cancel_newest" }), "stp", "stp must be one of cancel-newest, cancel-oldest, cancel-both, decrement, none");
    await refused(place({ type: "market", price: undefined, tif: "GTC" }), "tif", "IOC or FOK for a market order", Reason.INVALID_TIME_IN_FORCE);
  });

  test("price and qty are positive decimal strings on the instrument's grid", async () => {
    await refused(place({ price: 29000 }), "price", 'price must be a positive decimal string such as "30010.5" (got 29000)', Reason.INVALID_PRICE);
    for (const bad of ["1e4", "-1", "0", "0.0", " 29000", "29,000", "29000.", ".5", "0x10", ""]) await refused(place({ price: bad }), "price", "positive decimal string");
    await refused(place({ price: "29000.25" }), "price", "a multiple of BTC-USD's tick 0.5", Reason.PRICE_OFF_TICK);
    await refused(place({ qty: 0.01 }), "qty", "positive decimal string", Reason.INVALID_QUANTITY);
    await refused(place({ qty: "0.0005" }), "qty", "a multiple of BTC-USD's lot 0.001", Reason.QUANTITY_OFF_LOT);
    await refused(place({ qty: undefined }), "qty", "positive decimal string");
    await refused(place({ price: "1" + "0".repeat(20) }), "price", "a price of at most", Reason.INVALID_PRICE);
  });

  test("a limit needs a price; a stop needs a stopPrice, and only stops take one", async () => {
    await refused(place({ price: undefined }), "price", "a limit order needs a price", Reason.INVALID_PRICE);
    await refused(place({ type: "stop-limit", stopPrice: "29500", price: undefined }), "price", "a stop-limit order needs a price");
    await refused(place({ type: "stop", price: undefined }), "stopPrice", "a stop order needs a stopPrice", Reason.INVALID_STOP_PRICE);
    await refused(place({ type: "stop-limit" }), "stopPrice", "a stop-limit order needs a stopPrice");
    await refused(place({ stopPrice: "29500" }), "stopPrice", "absent unless type is stop or stop-limit");
    await refused(place({ type: "stop", price: undefined, stopPrice: "29500.1" }), "stopPrice", "a multiple of BTC-USD's tick 0.5", Reason.PRICE_OFF_TICK);
  });

  test("GTD needs an expireTime in µs, and only GTD takes one", async () => {
    await refused(place({ tif: "GTD" }), "expireTime", "tif GTD needs an expireTime");
    await refused(place({ expireTime: Date.now() * 1000 + 60e6 }), "expireTime", 'absent unless tif is "GTD"');
    await refused(place({ tif: "GTD", expireTime: Date.now() + 60_000 }), "expireTime", "µs since the epoch"); // milliseconds
    await refused(place({ tif: "GTD", expireTime: "tomorrow" }), "expireTime", "µs since the epoch");
  });

  test("an unknown symbol lists the known ones", async () => {
    await refused(place({ symbol: "BTC-EUR" }), "symbol", 'symbol must be one of BTC-USD, ETH-USD (got "BTC-EUR")', Reason.UNKNOWN_SYMBOL);
    await refused(place({ symbol: "btc-usd" }), "symbol", "one of BTC-USD, ETH-USD");
  });

  test("clientOrderId is 1-36 printable ASCII; postOnly a boolean for a resting limit; no unknown fields", async () => {
    await refused(place({ clientOrderId: "" }), "clientOrderId", "1-36 printable ASCII", Reason.INVALID_CLIENT_ORDER_ID);
    await refused(place({ clientOrderId: "a b" }), "clientOrderId", "1-36 printable ASCII");
    await refused(place({ clientOrderId: "x".repeat(37) }), "clientOrderId", "1-36 printable ASCII");
    await refused(place({ clientOrderId: "café" }), "clientOrderId", "1-36 printable ASCII");
    await refused(place({ postOnly: "yes" }), "postOnly", "true or false");
    await refused(place({ postOnly: true, tif: "IOC" }), "postOnly", "limit order that is not IOC or FOK", Reason.INVALID_COMBINATION);
    await refused(place({ orderType: "market" }), "order.orderType", "order has no field orderType: the fields are symbol, side, type");
    await refused(() => alice.placeOrder(null as unknown as OrderRequest), "order", "an object");
  });

  test("a good order after all that is placed, as a buy", async () => {
    const before = openOrders();
    const ack = await alice.placeOrder({ ...good, clientOrderId: "valid-1" });
    expect(openOrders()).toBe(before + 1);
    expect(h.runtime.exchange.open.get(ack.orderId)?.side).toBe(0);
  });
});

describe("the other calls", () => {
  test("cancel, orderStatus and amend name an order by exactly one of orderId and clientOrderId", async () => {
    const ref = (r: unknown) => r as { orderId: number };
    await refused(() => alice.cancel("BTC-USD", ref({})), "ref", "{ orderId } or { clientOrderId }");
    await refused(() => alice.cancel("BTC-USD", ref({ orderId: 1, clientOrderId: "x" })), "ref", "one of the two");
    await refused(() => alice.cancel("BTC-USD", ref({ orderId: "7" })), "ref.orderId", "a positive whole number", Reason.INVALID_ORDER_ID);
    await refused(() => alice.cancel("BTC-USD", ref({ orderId: 1.5 })), "ref.orderId", "a positive whole number");
    await refused(() => alice.cancel("BTC-USD", ref({ id: 7 })), "ref.id", "ref has no field id");
    await refused(() => alice.cancel("XRP-USD", { orderId: 1 }), "symbol", "one of BTC-USD, ETH-USD");
    await refused(() => alice.orderStatus("BTC-USD", ref({ clientOrderId: "" })), "ref.clientOrderId", "1-36 printable ASCII");
  });

  test("amend checks its change like an order's fields", async () => {
    const change = (c: unknown) => c as { qty: string };
    await refused(() => alice.amend("BTC-USD", { orderId: 1 }, change({ price: "29000" })), "qty", "the new total quantity");
    await refused(() => alice.amend("BTC-USD", { orderId: 1 }, change({ qty: "0.01", price: 29000 })), "price", "positive decimal string");
    await refused(() => alice.amend("BTC-USD", { orderId: 1 }, change({ qty: "0.01", stopPrice: "1.25" })), "stopPrice", "tick 0.5");
    await refused(() => alice.amend("BTC-USD", { orderId: 1 }, change({ qty: "0.01", side: "sell" })), "change.side", "change has no field side");
  });

  test("massCancel, market data and login refuse unknown symbols and bad options", async () => {
    await refused(() => alice.massCancel("DOGE-USD"), "symbol", "one of BTC-USD, ETH-USD");
    for (const stream of [alice.book("NOPE"), alice.l3Book("NOPE"), alice.trades("NOPE"), alice.bbo("NOPE"), alice.marketStatus("NOPE"), alice.candles("NOPE", "1m")]) {
      await refused(() => stream.next(), "symbol", "one of BTC-USD, ETH-USD");
    }
    await refused(() => alice.candles("BTC-USD", "1min" as "1m").next(), "interval", "interval must be one of 1s, 1m, 5m, 1h, 1d");
    await refused(() => alice.reports({ idleMs: -1 }).next(), "opts.idleMs", "milliseconds");
    await refused(() => alice.login("", "x"), "apiKeyId", "a non-empty string");
    await refused(() => alice.login("alice-demo", secret("alice"), { cancelOnDisconect: true } as never), "opts.cancelOnDisconect", "opts has no field cancelOnDisconect");
    await expect(BourseClient.connect("127.0.0.1:7070")).rejects.toBeInstanceOf(InvalidArgument);
  });
});
