/**
 * What the SDK hands back and what an amend keeps, against a real server: answers, reports and
 * books carry prices and quantities as the instrument's decimal strings with ticks and lots beside
 * them; an amend without a price or stop price keeps the order's own (as FIX G does).
 */
import { describe, expect, test } from "bun:test";
import { Side } from "../../engine/commands.ts";
import { OrderState } from "../../engine/orders.ts";
import { Reason } from "../../engine/reasons.ts";
import { BourseClient, type Report } from "../../client/client.ts";
import type { LocalL3Book } from "../../client/local-book.ts";
import { encodeClient, FrameWriter, MessageType } from "../../protocol/index.ts";
import { RawSocket, waitFor } from "../gateway/support/harness.ts";
import { sdkServerPerFile } from "../gateway/support/sdk-server.ts";

const server = sdkServerPerFile();
const login = (name: string): Promise<BourseClient> => server.client(name);

const engine = () => server.h.runtime.exchange.book;
const resting = (symbol: number, side: number, orderId: number) => engine().orders(symbol, side).find((o) => o.orderId === orderId);

describe("amend keeps what it is not given", () => {
  test("an amend without a price changes the quantity and keeps the order's price (and its queue place)", async () => {
    const alice = await login("alice");
    const ack = await alice.placeOrder({ symbol: "BTC-USD", side: "buy", price: "29000.5", qty: "0.05" });
    const amended = await alice.amend("BTC-USD", { orderId: ack.orderId }, { qty: "0.03" });
    expect(amended).toMatchObject({ type: MessageType.AMENDED, price: "29000.5", priceTicks: 58_001, qty: "0.030", qtyLots: 30, keptPriority: true, oldPrice: "29000.5", oldQty: "0.050" });
    expect(resting(1, Side.BUY, ack.orderId)).toMatchObject({ price: 58_001, qty: 30, leaves: 30 });
    // By client order id too, and growing (which loses priority but still keeps the price).
    const byCid = await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2100.05", qty: "1", clientOrderId: "keep-price-1" });
    const grown = await alice.amend("ETH-USD", { clientOrderId: "keep-price-1" }, { qty: "2" });
    expect(grown).toMatchObject({ price: "2100.05", qty: "2.00", keptPriority: false });
    expect(resting(2, Side.SELL, byCid.orderId)).toMatchObject({ price: 42_001, qty: 200 });
    await alice.massCancel();
  });

  test("a stop-limit amended without price or stopPrice keeps both; with a new price keeps the stop", async () => {
    const dave = await login("dave");
    const stop = await dave.placeOrder({ symbol: "ETH-USD", side: "buy", type: "stop-limit", stopPrice: "2300", price: "2310", qty: "0.5" });
    const pending = () => engine().stops(2, Side.BUY).find((o) => o.orderId === stop.orderId);
    await dave.amend("ETH-USD", { orderId: stop.orderId }, { qty: "0.4" });
    expect(pending()).toMatchObject({ price: 46_200, stopPrice: 46_000, qty: 40 });
    await dave.amend("ETH-USD", { orderId: stop.orderId }, { qty: "0.4", price: "2320" });
    expect(pending()).toMatchObject({ price: 46_400, stopPrice: 46_000, qty: 40 });
    // A moved trigger is the one kept by the next amend, and ORDER_STATUS shows it.
    await dave.amend("ETH-USD", { orderId: stop.orderId }, { qty: "0.4", stopPrice: "2305" });
    await dave.amend("ETH-USD", { orderId: stop.orderId }, { qty: "0.3" });
    expect(pending()).toMatchObject({ price: 46_400, stopPrice: 46_100, qty: 30 });
    expect(await dave.orderStatus("ETH-USD", { orderId: stop.orderId })).toMatchObject({ price: "2320.00", stopPrice: "2305.00", qty: "0.30" });
    await dave.massCancel();
    // A stop market order keeps its stop price. (Its cap is the engine's to keep: docs/matching.md.)
    const bob = await login("bob");
    const market = await bob.placeOrder({ symbol: "ETH-USD", side: "sell", type: "stop", stopPrice: "1700", qty: "0.2" });
    expect(await bob.amend("ETH-USD", { orderId: market.orderId }, { qty: "0.1" })).toMatchObject({ qtyLots: 10 });
    expect(engine().stops(2, Side.SELL).find((o) => o.orderId === market.orderId)).toMatchObject({ stopPrice: 34_000, qty: 10 });
    await bob.massCancel();
  });

  test("a stop market order amended without a price keeps its cap's meaning: none for a sell, the trigger's band for a buy", async () => {
    // ETH-USD: tick 0.05, band 3 %. A buy stop without a cap is capped by risk at stop + 3 %.
    const bob = await login("bob");
    const pending = (side: number, orderId: number) => engine().stops(2, side).find((o) => o.orderId === orderId);
    const sell = await bob.placeOrder({ symbol: "ETH-USD", side: "sell", type: "stop", stopPrice: "1700", qty: "0.2" });
    await bob.amend("ETH-USD", { orderId: sell.orderId }, { qty: "0.3" });
    expect(pending(Side.SELL, sell.orderId), "still no cap: once triggered it sells as a market order").toMatchObject({ price: 0, stopPrice: 34_000, qty: 30 });
    const buy = await bob.placeOrder({ symbol: "ETH-USD", side: "buy", type: "stop", stopPrice: "2500", qty: "0.2" });
    expect(pending(Side.BUY, buy.orderId)).toMatchObject({ price: 51_500, stopPrice: 50_000 });
    expect(await bob.amend("ETH-USD", { orderId: buy.orderId }, { qty: "0.3" }), "amended, with the same risk cap").toMatchObject({ type: MessageType.AMENDED, priceTicks: 51_500, qtyLots: 30 });
    await bob.amend("ETH-USD", { orderId: buy.orderId }, { qty: "0.3", stopPrice: "2600" });
    expect(pending(Side.BUY, buy.orderId), "the risk cap follows the trigger").toMatchObject({ price: 53_560, stopPrice: 52_000, qty: 30 });
    await bob.massCancel();
  });

  test("over the wire: AMEND with price 0 keeps a limit order's price (docs/protocol.md)", async () => {
    const bob = await login("bob");
    const ack = await bob.placeOrder({ symbol: "BTC-USD", side: "sell", price: "31500", qty: "0.02" });
    const raw = await RawSocket.open(server.h.url);
    await raw.login("bob", 1);
    const w = new FrameWriter();
    raw.send(w.bytes.slice(0, encodeClient(w, { type: MessageType.AMEND, requestId: 2, symbol: 1, orderId: ack.orderId, clientOrderId: "", price: 0, stopPrice: 0, qty: 10 })));
    expect(await waitFor(() => raw.session.some((m) => m.type === MessageType.AMENDED || m.type === MessageType.REJECT), 5000)).toBe(true);
    const answer = raw.session.find((m) => m.type === MessageType.AMENDED || m.type === MessageType.REJECT)!;
    expect(answer).toMatchObject({ type: MessageType.AMENDED, price: 63_000, qty: 10 });
    expect(resting(1, Side.SELL, ack.orderId)).toMatchObject({ price: 63_000, leaves: 10 });
    raw.close();
  });
});

describe("decimal strings with ticks and lots beside them", () => {
  test("ACK, EXECUTION, CANCELLED and ORDER_STATUS: prices in ticks of 0.5, quantities in lots of 0.001", async () => {
    const alice = await login("alice");
    const bob = await login("bob");
    const ack = await alice.placeOrder({ symbol: "BTC-USD", side: "sell", price: "30010.5", qty: "0.25", clientOrderId: "dec-1" });
    expect(ack).toMatchObject({ symbol: "BTC-USD", symbolId: 1, price: "30010.5", priceTicks: 60_021, stopPrice: "", stopPriceTicks: 0, qty: "0.250", qtyLots: 250, leaves: "0.250", leavesLots: 250 });
    const fill = alice.nextReport((r) => r.type === MessageType.EXECUTION);
    await bob.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30010.5", qty: "0.1", tif: "IOC" });
    expect(await fill).toMatchObject({ symbol: "BTC-USD", price: "30010.5", priceTicks: 60_021, qty: "0.100", qtyLots: 100, leaves: "0.150", leavesLots: 150, cumQty: "0.100", cumQtyLots: 100, state: OrderState.PARTIALLY_FILLED });
    const status = await alice.orderStatus("BTC-USD", { clientOrderId: "dec-1" });
    expect(status).toMatchObject({ price: "30010.5", qty: "0.250", filled: "0.100", filledLots: 100, leaves: "0.150" });
    const cancelled = await alice.cancel("BTC-USD", { clientOrderId: "dec-1" });
    expect(cancelled).toMatchObject({ symbol: "BTC-USD", price: "30010.5", cancelledQty: "0.150", cancelledQtyLots: 150, leaves: "0.000", leavesLots: 0, reason: Reason.USER_CANCEL });
  });

  test("a TRIGGERED report and an unsolicited CANCELLED (IOC remainder) from reports()", async () => {
    const bob = await login("bob");
    const dave = await login("dave");
    await bob.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2200", qty: "0.3" });
    await dave.placeOrder({ symbol: "ETH-USD", side: "buy", type: "stop", stopPrice: "2199.95", qty: "0.1" });
    await dave.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2200", qty: "0.5", tif: "IOC" });
    // reports() is one queue: read it in one place.
    const got: Report[] = [];
    for await (const r of dave.reports()) if (got.push(r) && got.some((x) => x.type === MessageType.TRIGGERED) && got.some((x) => x.type === MessageType.CANCELLED)) break;
    const seen = got.find((r) => r.type === MessageType.TRIGGERED);
    const rest = got.find((r) => r.type === MessageType.CANCELLED);
    expect(seen).toMatchObject({ symbol: "ETH-USD", stopPrice: "2199.95", stopPriceTicks: 43_999, lastPrice: "2200.00", lastPriceTicks: 44_000 });
    expect(rest).toMatchObject({ reason: Reason.IOC_REMAINDER, cancelledQty: "0.20", cancelledQtyLots: 20, cumQty: "0.30" });
    await bob.massCancel("ETH-USD");
  });

  test("LocalBook and LocalL3Book: bestBid, bestAsk, levels and orders in decimals, ticks and lots kept", async () => {
    const alice = await login("alice");
    await alice.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1999.95", qty: "0.5" });
    await alice.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1999.95", qty: "0.25" });
    await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2000.05", qty: "1.5" });
    const viewer = server.closeLater(await BourseClient.connect(server.h.url));
    const book = (await viewer.book("ETH-USD").next()).value!;
    expect(book.bestBid()).toEqual({ price: "1999.95", priceTicks: 39_999, qty: "0.75", qtyLots: 75, orders: 2 });
    expect(book.bestAsk()).toEqual({ price: "2000.05", priceTicks: 40_001, qty: "1.50", qtyLots: 150, orders: 1 });
    expect(book.levels("bid", 1)).toEqual([book.bestBid()!]);
    // Market by order too: the queue at a price named in decimals, and the one-off snapshot.
    const l3 = (await viewer.l3Book("ETH-USD").next()).value as LocalL3Book;
    expect(l3.ordersAt("bid", "1999.95").map((o) => [o.price, o.priceTicks, o.qty, o.qtyLots])).toEqual([
      ["1999.95", 39_999, "0.50", 50],
      ["1999.95", 39_999, "0.25", 25],
    ]);
    expect(l3.levels("ask")).toEqual([book.bestAsk()!]);
    expect((await viewer.ordersAt("ETH-USD")).map((o) => `${o.side} ${o.qty}@${o.price}`)).toEqual(["0 0.50@1999.95", "0 0.25@1999.95", "1 1.50@2000.05"]);
    await alice.massCancel("ETH-USD");
  });
});
