/**
 * docs/matching.md: "The taker" (price-time priority, trade at the maker's price, trade ids,
 * LEVEL events), "The remainder" (resting) and "Depth" (L2, L3, order views).
 */
import { describe, expect, test } from "bun:test";
import { BUY, GTC, IOC, LIMIT, SELL, SYM, SYM2, book, ev, expectAccounted, expectEvents, ofType } from "./helpers.ts";

describe("price-time priority", () => {
  test("a buy takes the lowest ask first, whatever the order of arrival", () => {
    const h = book();
    h.sell({ id: 1, price: 102, qty: 1 });
    h.sell({ id: 2, price: 101, qty: 1 });
    h.sell({ id: 3, price: 103, qty: 1 });
    const events = h.buy({ id: 4, price: 103, qty: 2 });
    expect(ofType(events, "trade").map((t) => [t.makerOrderId, t.price]), "the buy must fill at 101 (order 2) then 102 (order 1)").toEqual([
      [2, 101],
      [1, 102],
    ]);
    expect(h.asks(), "only the 103 ask is left").toEqual([{ price: 103, qty: 1, count: 1 }]);
  });

  test("a sell takes the highest bid first", () => {
    const h = book();
    h.buy({ id: 1, price: 98, qty: 1 });
    h.buy({ id: 2, price: 100, qty: 1 });
    h.buy({ id: 3, price: 99, qty: 1 });
    const events = h.sell({ id: 4, price: 98, qty: 2 });
    expect(ofType(events, "trade").map((t) => [t.makerOrderId, t.price]), "the sell must fill at 100 (order 2) then 99 (order 3)").toEqual([
      [2, 100],
      [3, 99],
    ]);
    expect(h.bids(), "only the 98 bid is left").toEqual([{ price: 98, qty: 1, count: 1 }]);
  });

  test("at one price, the earlier order fills first", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 1 });
    h.sell({ id: 2, price: 100, qty: 1 });
    h.sell({ id: 3, price: 100, qty: 1 });
    const events = h.buy({ id: 4, price: 100, qty: 2 });
    expect(ofType(events, "trade").map((t) => t.makerOrderId), "makers at one price must fill in arrival order").toEqual([1, 2]);
    expect(h.queue(SELL, 100), "order 3 is still waiting at 100").toEqual([3]);
  });

  test("a partially filled maker keeps its place at the front of its level", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 5 });
    h.sell({ id: 2, price: 100, qty: 5 });
    h.buy({ id: 3, price: 100, qty: 2 });
    expect(h.queue(SELL, 100), "order 1, partly filled, must still be first").toEqual([1, 2]);
    const events = h.buy({ id: 4, price: 100, qty: 4 });
    expect(ofType(events, "trade").map((t) => [t.makerOrderId, t.qty]), "the next buy takes order 1's last 3, then 1 of order 2").toEqual([
      [1, 3],
      [2, 1],
    ]);
  });

  test("a taker sweeps levels up to its limit and rests the rest at its limit", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 2 });
    h.sell({ id: 2, price: 101, qty: 2 });
    h.sell({ id: 3, price: 102, qty: 2 });
    const events = h.buy({ id: 4, price: 101, qty: 5 });
    expectEvents(
      events,
      [
        ev.accepted(4, { price: 101, qty: 5, leaves: 5 }),
        ev.trade(4, 1, 2, 100, { takerLeaves: 3, makerLeaves: 0 }),
        ev.level(SELL, 100, 0, 0),
        ev.trade(4, 2, 2, 101, { takerLeaves: 1, makerLeaves: 0 }),
        ev.level(SELL, 101, 0, 0),
        ev.level(BUY, 101, 1, 1),
      ],
      "a buy 5 @101 against asks 2@100, 2@101, 2@102",
    );
    expect(h.asks(), "the 102 ask is beyond the limit and untouched").toEqual([{ price: 102, qty: 2, count: 1 }]);
    expect(h.bids(), "the remaining 1 rests at the taker's limit").toEqual([{ price: 101, qty: 1, count: 1 }]);
  });
});

describe("trade price and trade events", () => {
  test("a buy trades at the resting ask's price, not at its own higher limit", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 1 });
    const [trade] = ofType(h.buy({ id: 2, price: 105, qty: 1 }), "trade");
    expect(trade?.price, "trade price must be the maker's 100, not the taker's 105").toBe(100);
  });

  test("a sell trades at the resting bid's price, not at its own lower limit", () => {
    const h = book();
    h.buy({ id: 1, price: 100, qty: 1 });
    const [trade] = ofType(h.sell({ id: 2, price: 95, qty: 1 }), "trade");
    expect(trade?.price, "trade price must be the maker's 100, not the taker's 95").toBe(100);
  });

  test("TRADE carries both orders, both accounts and both sides' leaves after the fill", () => {
    const h = book();
    h.sell({ id: 1, account: 7, price: 100, qty: 5 });
    const events = h.buy({ id: 2, account: 8, price: 100, qty: 3 });
    expectEvents(events, [
      ev.accepted(2, { account: 8, side: BUY }),
      {
        type: "trade",
        symbol: SYM,
        takerOrderId: 2,
        takerAccount: 8,
        takerSide: BUY,
        price: 100,
        qty: 3,
        takerLeaves: 0,
        makerOrderId: 1,
        makerAccount: 7,
        makerLeaves: 2,
        tradeId: 1,
      },
      ev.level(SELL, 100, 2, 1),
    ]);
  });

  test("trade ids count up from 1 per engine, across symbols", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 2 });
    h.sell({ id: 2, price: 101, qty: 1 });
    h.sell({ id: 3, symbol: SYM2, price: 300, qty: 1 });
    const ids = [
      ...ofType(h.buy({ id: 4, price: 101, qty: 3 }), "trade"),
      ...ofType(h.buy({ id: 5, symbol: SYM2, price: 300, qty: 1 }), "trade"),
    ].map((t) => t.tradeId);
    expect(ids, "trade ids must be 1, 2, 3 in order across both symbols").toEqual([1, 2, 3]);
    const other = book();
    other.sell({ id: 1, price: 100, qty: 1 });
    expect(ofType(other.buy({ id: 2, price: 100, qty: 1 }), "trade")[0]?.tradeId, "a new engine starts again at trade id 1").toBe(1);
  });

  test("a fully filled maker leaves the book with maker leaves 0 and no separate event", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 2 });
    const events = h.buy({ id: 2, price: 100, qty: 2 });
    expectEvents(events, [ev.accepted(2), ev.trade(2, 1, 2, 100, { makerLeaves: 0, takerLeaves: 0 }), ev.level(SELL, 100, 0, 0)]);
    expect(h.view(1), "a filled maker is no longer an open order").toBeUndefined();
    expect(h.view(2), "a filled taker is not an open order").toBeUndefined();
  });

  test("the last trade price is the price of the latest trade", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 1 });
    h.sell({ id: 2, price: 102, qty: 1 });
    h.buy({ id: 3, price: 102, qty: 2 });
    expect(h.eng.lastPrice(SYM), "after a sweep through 100 and 102 the last price is 102").toBe(102);
    h.buy({ id: 4, price: 90, qty: 1 });
    h.sell({ id: 5, price: 90, qty: 1 });
    expect(h.eng.lastPrice(SYM), "a sell into the 90 bid prints at 90").toBe(90);
  });
});

describe("resting", () => {
  test("a limit order that does not cross rests: ACCEPTED then LEVEL", () => {
    const h = book();
    const events = h.buy({ id: 1, account: 5, price: 100, qty: 10 });
    expectEvents(events, [
      { type: "accepted", symbol: SYM, orderId: 1, account: 5, side: BUY, price: 100, qty: 10, leaves: 10, orderType: LIMIT, tif: GTC, stopPrice: 0 },
      { type: "level", symbol: SYM, side: BUY, price: 100, qty: 10, count: 1 },
    ]);
    expect(h.open(1), "the order view of a resting order").toMatchObject({
      orderId: 1,
      account: 5,
      symbol: SYM,
      side: BUY,
      orderType: LIMIT,
      tif: GTC,
      price: 100,
      qty: 10,
      leaves: 10,
      filled: 0,
      cancelled: 0,
      status: "resting",
    });
  });

  test("a new order joins the back of its level", () => {
    const h = book();
    h.buy({ id: 1, price: 100, qty: 1 });
    h.buy({ id: 2, price: 100, qty: 2 });
    const events = h.buy({ id: 3, price: 100, qty: 3 });
    expectEvents(events, [ev.accepted(3), ev.level(BUY, 100, 6, 3)], "the third order at 100 reports the level's new total");
    expect(h.queue(BUY, 100), "queue order is arrival order").toEqual([1, 2, 3]);
  });

  test("entering the book gives the next entry sequence number", () => {
    const h = book();
    h.buy({ id: 9, price: 100, qty: 1 });
    h.sell({ id: 4, price: 105, qty: 1 });
    h.buy({ id: 6, price: 99, qty: 1 });
    const seq = [9, 4, 6].map((id) => h.open(id).entrySeq);
    expect(seq[0]! < seq[1]! && seq[1]! < seq[2]!, `entry sequence must increase in arrival order, got ${seq.join(", ")}`).toBe(true);
  });

  test("a partly filled taker rests its remainder at its own limit and the book is not crossed", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 3 });
    h.buy({ id: 2, price: 100, qty: 5 });
    expect(h.open(2), "the taker rests with 2 left, 3 filled").toMatchObject({ price: 100, qty: 5, leaves: 2, filled: 3, status: "resting" });
    expectAccounted(h.view(2), "the resting taker");
    expect(h.asks(), "the ask side is empty").toEqual([]);
    expect(h.bids(), "the remainder is the best bid").toEqual([{ price: 100, qty: 2, count: 1 }]);
  });
});

describe("depth", () => {
  test("depth lists bids highest first and asks lowest first, n levels", () => {
    const h = book();
    for (const [id, price, qty] of [
      [1, 98, 1],
      [2, 100, 2],
      [3, 99, 3],
      [4, 100, 4],
    ] as const) {
      h.buy({ id, price, qty });
    }
    for (const [id, price, qty] of [
      [5, 103, 1],
      [6, 101, 2],
      [7, 102, 3],
      [8, 101, 5],
    ] as const) {
      h.sell({ id, price, qty });
    }
    expect(h.eng.depth(SYM, BUY, 10), "bids best (highest) first, aggregated per price").toEqual([
      { price: 100, qty: 6, count: 2 },
      { price: 99, qty: 3, count: 1 },
      { price: 98, qty: 1, count: 1 },
    ]);
    expect(h.eng.depth(SYM, SELL, 10), "asks best (lowest) first, aggregated per price").toEqual([
      { price: 101, qty: 7, count: 2 },
      { price: 102, qty: 3, count: 1 },
      { price: 103, qty: 1, count: 1 },
    ]);
    expect(h.eng.depth(SYM, BUY, 2), "depth n=2 gives the best two bid levels").toEqual([
      { price: 100, qty: 6, count: 2 },
      { price: 99, qty: 3, count: 1 },
    ]);
    expect(h.eng.depth(SYM, SELL, 1), "depth n=1 gives the best ask").toEqual([{ price: 101, qty: 7, count: 2 }]);
  });

  test("L3 level lists the orders of one price in queue order with their leaves", () => {
    const h = book();
    h.sell({ id: 3, price: 101, qty: 4 });
    h.sell({ id: 1, price: 101, qty: 2 });
    h.sell({ id: 2, price: 101, qty: 6 });
    h.buy({ id: 4, price: 101, qty: 1 });
    expect(
      h.eng.level(SYM, SELL, 101).map((o) => ({ orderId: o.orderId, leaves: o.leaves, filled: o.filled })),
      "L3 at 101: order 3 (partly filled), then 1, then 2",
    ).toEqual([
      { orderId: 3, leaves: 3, filled: 1 },
      { orderId: 1, leaves: 2, filled: 0 },
      { orderId: 2, leaves: 6, filled: 0 },
    ]);
    for (const o of h.eng.level(SYM, SELL, 101)) expectAccounted(o, "an order in L3");
  });

  test("an empty side has no depth and a price with no orders has an empty L3 level", () => {
    const h = book();
    expect(h.eng.depth(SYM, BUY, 5), "no bids").toEqual([]);
    expect(h.eng.depth(SYM, SELL, 5), "no asks").toEqual([]);
    h.buy({ id: 1, price: 100, qty: 1 });
    expect(h.eng.level(SYM, BUY, 99), "no orders at 99").toEqual([]);
    expect(h.eng.level(SYM, SELL, 100), "no asks at 100").toEqual([]);
  });

  test("depth is per symbol", () => {
    const h = book();
    h.buy({ id: 1, price: 100, qty: 1 });
    h.buy({ id: 2, symbol: SYM2, price: 200, qty: 7 });
    expect(h.bids(SYM), "symbol 1 sees only its own bid").toEqual([{ price: 100, qty: 1, count: 1 }]);
    expect(h.bids(SYM2), "symbol 2 sees only its own bid").toEqual([{ price: 200, qty: 7, count: 1 }]);
    h.sell({ id: 3, symbol: SYM2, price: 100, qty: 1 });
    expect(h.view(1)?.leaves, "a sell on symbol 2 never trades with symbol 1's bid").toBe(1);
  });

  test("order() shows open orders only; openOrders() lists every open order", () => {
    const h = book();
    h.buy({ id: 1, price: 100, qty: 1 });
    h.sell({ id: 2, price: 105, qty: 1 });
    h.sell({ id: 3, price: 100, qty: 1 });
    expect(h.view(1), "order 1 was filled: not open").toBeUndefined();
    expect(h.view(3), "order 3 was filled: not open").toBeUndefined();
    expect(h.view(99), "no such order").toBeUndefined();
    expect(h.eng.openOrders().map((o) => o.orderId), "only order 2 is open").toEqual([2]);
  });
});

describe("level events", () => {
  test("a partial fill of a maker reports the level's new total, count unchanged", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 5 });
    h.sell({ id: 2, price: 100, qty: 5 });
    const events = h.buy({ id: 3, price: 100, qty: 3 });
    expectEvents(events, [ev.accepted(3), ev.trade(3, 1, 3, 100), ev.level(SELL, 100, 7, 2)]);
  });

  test("an emptied level reports qty 0 and count 0", () => {
    const h = book();
    h.buy({ id: 1, price: 100, qty: 5 });
    const events = h.sell({ id: 2, price: 100, qty: 5 });
    expectEvents(events, [ev.accepted(2), ev.trade(2, 1, 5, 100), ev.level(BUY, 100, 0, 0)]);
  });

  test("one LEVEL per level touched, written after that level's trades", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 1 });
    h.sell({ id: 2, price: 100, qty: 1 });
    h.sell({ id: 3, price: 100, qty: 1 });
    h.sell({ id: 4, price: 101, qty: 2 });
    const events = h.buy({ id: 5, price: 101, qty: 4 });
    expectEvents(
      events,
      [
        ev.accepted(5),
        ev.trade(5, 1, 1, 100),
        ev.trade(5, 2, 1, 100),
        ev.trade(5, 3, 1, 100),
        ev.level(SELL, 100, 0, 0),
        ev.trade(5, 4, 1, 101, { makerLeaves: 1, takerLeaves: 0 }),
        ev.level(SELL, 101, 1, 1),
      ],
      "three trades at 100 give a single LEVEL for 100; the filled taker has no closing event",
    );
  });

  test("ACCEPTED comes first, then trades and levels, then the taker's closing event", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 1 });
    const events = h.buy({ id: 2, price: 100, qty: 3, tif: IOC });
    expect(events.map((e) => e.type), "event order for an IOC that partly fills").toEqual(["accepted", "trade", "level", "cancelled"]);
  });
});
