/**
 * docs/matching.md, "Stops": STOP and STOP_LIMIT orders, trigger direction, STOP_WOULD_TRIGGER,
 * the trigger queue (entry order within a trade, first in first out across trades) and cascades.
 */
import { describe, expect, test } from "bun:test";
import { BUY, FOK, GTC, IOC, Reason, SELL, STOP, STOP_LIMIT, SYM, SYM2, book, ev, expectEvents, expectRejected, ofType } from "./helpers.ts";

describe("parking a stop", () => {
  test("a stop is accepted and parked: ACCEPTED and nothing else", () => {
    const h = book();
    expectEvents(h.buy({ id: 1, type: STOP, stopPrice: 105, qty: 2 }), [
      ev.accepted(1, { price: 0, stopPrice: 105, qty: 2, leaves: 2, orderType: STOP, tif: GTC }),
    ]);
    expectEvents(h.sell({ id: 2, type: STOP_LIMIT, price: 94, stopPrice: 95, qty: 3 }), [
      ev.accepted(2, { price: 94, stopPrice: 95, qty: 3, leaves: 3, orderType: STOP_LIMIT }),
    ]);
    expect(h.open(1), "a pending stop's view").toMatchObject({ status: "stop", stopPrice: 105, qty: 2, leaves: 2, filled: 0, cancelled: 0 });
    expect(h.open(2), "a pending stop-limit's view").toMatchObject({ status: "stop", price: 94, stopPrice: 95 });
  });

  test("a pending stop is invisible in depth and never trades as a maker", () => {
    const h = book();
    h.sell({ id: 1, type: STOP_LIMIT, price: 90, stopPrice: 95, qty: 5 });
    expect(h.asks(), "no ask levels from a pending stop").toEqual([]);
    expect(h.eng.level(SYM, SELL, 90), "no L3 entry at its limit").toEqual([]);
    expectEvents(h.buy({ id: 2, price: 90, qty: 1 }), [ev.accepted(2), ev.level(BUY, 90, 1, 1)], "a buy at the stop's limit rests");
  });

  test("with no trade yet in the book, any stop is accepted", () => {
    const h = book();
    h.printTrade(100, SYM2); // a trade on another symbol does not count
    expect(h.buy({ id: 1, type: STOP, stopPrice: 1, qty: 1 })[0], "buy stop at 1").toMatchObject(ev.accepted(1));
    expect(h.sell({ id: 2, type: STOP, stopPrice: 1e11, qty: 1 })[0], "sell stop at 1e11").toMatchObject(ev.accepted(2));
  });

  test("STOP_WOULD_TRIGGER: a buy stop at or below the last trade price is rejected; above is accepted", () => {
    const h = book();
    h.printTrade(100);
    expectRejected(h.buy({ id: 1, type: STOP, stopPrice: 100, qty: 1 }), Reason.STOP_WOULD_TRIGGER, "buy stop at last 100");
    expectRejected(h.buy({ id: 2, type: STOP_LIMIT, price: 120, stopPrice: 99, qty: 1 }), Reason.STOP_WOULD_TRIGGER, "buy stop-limit below last 100");
    expect(h.buy({ id: 3, type: STOP, stopPrice: 101, qty: 1 })[0], "buy stop at 101").toMatchObject(ev.accepted(3));
  });

  test("STOP_WOULD_TRIGGER: a sell stop at or above the last trade price is rejected; below is accepted", () => {
    const h = book();
    h.printTrade(100);
    expectRejected(h.sell({ id: 1, type: STOP, stopPrice: 100, qty: 1 }), Reason.STOP_WOULD_TRIGGER, "sell stop at last 100");
    expectRejected(h.sell({ id: 2, type: STOP, stopPrice: 101, qty: 1 }), Reason.STOP_WOULD_TRIGGER, "sell stop above last 100");
    expect(h.sell({ id: 3, type: STOP, stopPrice: 99, qty: 1 })[0], "sell stop at 99").toMatchObject(ev.accepted(3));
  });
});

describe("trigger direction", () => {
  test("a buy stop triggers when a trade prints at its stopPrice, then trades as a market order", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, account: 1, type: STOP, stopPrice: 105, qty: 2 });
    h.sell({ id: 2, price: 105, qty: 1 });
    h.sell({ id: 3, price: 106, qty: 5 });
    expectEvents(
      h.buy({ id: 4, price: 105, qty: 1 }),
      [
        ev.accepted(4),
        ev.trade(4, 2, 1, 105),
        ev.level(SELL, 105, 0, 0),
        { type: "stopTriggered", orderId: 1, account: 1, side: BUY, stopPrice: 105, qty: 2, leaves: 2, lastPrice: 105, orderType: STOP },
        ev.trade(1, 3, 2, 106, { takerLeaves: 0, makerLeaves: 3 }),
        ev.level(SELL, 106, 3, 1),
      ],
      "a trade at 105 triggers the buy stop at 105",
    );
    expect(h.view(1), "the triggered stop is filled and gone").toBeUndefined();
  });

  test("a buy stop triggers on a trade above its stopPrice", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 102, qty: 1 });
    h.sell({ id: 2, price: 104, qty: 2 });
    const events = h.buy({ id: 3, price: 104, qty: 1 });
    expect(ofType(events, "stopTriggered"), "a trade at 104 reaches the buy stop at 102").toMatchObject([{ orderId: 1, lastPrice: 104 }]);
  });

  test("a buy stop does not trigger on a trade below its stopPrice", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 102, qty: 1 });
    h.sell({ id: 2, price: 101, qty: 1 });
    expect(ofType(h.buy({ id: 3, price: 101, qty: 1 }), "stopTriggered"), "a trade at 101 does not reach 102").toEqual([]);
    expect(h.view(1)?.status, "the stop is still pending").toBe("stop");
  });

  test("a sell stop triggers at or below its stopPrice, not above", () => {
    const h = book();
    h.printTrade(100);
    h.sell({ id: 1, type: STOP, stopPrice: 97, qty: 1 });
    h.sell({ id: 2, type: STOP, stopPrice: 95, qty: 1 });
    h.buy({ id: 3, price: 98, qty: 1 });
    expect(ofType(h.sell({ id: 4, price: 98, qty: 1 }), "stopTriggered"), "a trade at 98 is above both sell stops").toEqual([]);
    h.buy({ id: 5, price: 97, qty: 1 });
    h.buy({ id: 6, price: 90, qty: 5 });
    const events = h.sell({ id: 7, price: 97, qty: 1 });
    expect(ofType(events, "stopTriggered"), "a trade at 97 triggers only the sell stop at 97").toMatchObject([{ orderId: 1, side: SELL, lastPrice: 97 }]);
    expect(h.view(2)?.status, "the sell stop at 95 is still pending").toBe("stop");
  });

  test("stops are per book: a trade on another symbol does not trigger them", () => {
    const h = book();
    h.buy({ id: 1, type: STOP, stopPrice: 105, qty: 1 });
    h.printTrade(200, SYM2);
    expect(h.view(1)?.status, "a trade at 200 on symbol 2 leaves symbol 1's stop pending").toBe("stop");
  });
});

describe("what a triggered stop does", () => {
  test("a triggered STOP's remainder is cancelled as a market order's (NO_LIQUIDITY)", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 101, qty: 5, tif: GTC });
    h.sell({ id: 2, price: 101, qty: 2 });
    expectEvents(h.buy({ id: 3, price: 101, qty: 1 }), [
      ev.accepted(3),
      ev.trade(3, 2, 1, 101),
      ev.level(SELL, 101, 1, 1),
      ev.stopTriggered(1, { lastPrice: 101, qty: 5, leaves: 5 }),
      ev.trade(1, 2, 1, 101, { takerLeaves: 4 }),
      ev.level(SELL, 101, 0, 0),
      ev.cancelled(1, Reason.NO_LIQUIDITY, { qty: 4, leaves: 0 }),
    ]);
    expect(h.view(1), "a triggered STOP never rests, even with tif GTC").toBeUndefined();
  });

  test("a triggered STOP's band is measured from the last trade price when it triggers", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 110, qty: 3 });
    h.sell({ id: 2, price: 110, qty: 1 });
    h.sell({ id: 3, price: 115, qty: 1 }); // inside 110 + 5, outside 100 + 5
    h.sell({ id: 4, price: 116, qty: 1 }); // outside 110 + 5
    const events = h.buy({ id: 5, price: 110, qty: 1 });
    expect(ofType(events, "trade").map((t) => [t.takerOrderId, t.price]), "the stop trades at 115 (band 110 ± 5) but not 116").toEqual([
      [5, 110],
      [1, 115],
    ]);
    expect(events.at(-1), "the rest is cancelled PRICE_BAND").toMatchObject(ev.cancelled(1, Reason.PRICE_BAND, { qty: 2 }));
  });

  test("a triggered STOP's band uses the last trade price when it runs, not the price that triggered it", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 101, qty: 1 });
    h.sell({ id: 2, price: 101, qty: 1 });
    h.sell({ id: 3, price: 110, qty: 1 });
    h.sell({ id: 4, price: 113, qty: 1 });
    const events = h.buy({ id: 5, price: 110, qty: 2 }); // trades at 101 (triggers the stop), then 110
    expect(events.slice(5), "the stop runs with last = 110, so its band reaches 115 and it takes the 113 ask").toMatchObject([
      ev.stopTriggered(1, { lastPrice: 101 }),
      ev.trade(1, 4, 1, 113),
      ev.level(SELL, 113, 0, 0),
    ]);
  });

  test("a STOP's price is a cap: ACCEPTED carries it and the triggered order never trades beyond it", () => {
    const h = book();
    h.printTrade(100);
    expect(h.buy({ id: 1, type: STOP, stopPrice: 101, price: 102, qty: 3 })[0], "ACCEPTED price = cap 102").toMatchObject(
      ev.accepted(1, { price: 102, stopPrice: 101, orderType: STOP }),
    );
    h.sell({ id: 2, price: 101, qty: 1 });
    h.sell({ id: 3, price: 102, qty: 1 });
    h.sell({ id: 4, price: 103, qty: 1 });
    const events = h.buy({ id: 5, price: 101, qty: 1 });
    expect(ofType(events, "trade").map((t) => [t.takerOrderId, t.price]), "band 101 + 5 = 106, cap 102: the stop takes 102 only").toEqual([
      [5, 101],
      [1, 102],
    ]);
    expect(events.at(-1), "the rest is cancelled PRICE_BAND").toMatchObject(ev.cancelled(1, Reason.PRICE_BAND, { qty: 2 }));
  });

  test("a triggered STOP with tif FOK is a market FOK: it fills completely or not at all", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 101, qty: 5, tif: FOK });
    h.sell({ id: 2, price: 101, qty: 3 });
    const events = h.buy({ id: 3, price: 101, qty: 1 });
    expect(events.slice(3), "2 lots left inside the band cannot fill 5").toMatchObject([
      ev.stopTriggered(1, { qty: 5, leaves: 5, orderType: STOP }),
      ev.cancelled(1, Reason.FOK_NOT_FILLABLE, { qty: 5, leaves: 0 }),
    ]);
    expect(h.asks(), "the FOK took nothing").toEqual([{ price: 101, qty: 2, count: 1 }]);
  });

  test("a triggered STOP_LIMIT becomes a limit at its price and rests its remainder (GTC)", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP_LIMIT, price: 102, stopPrice: 101, qty: 5, tif: GTC });
    h.sell({ id: 2, price: 101, qty: 1 });
    h.sell({ id: 3, price: 102, qty: 2 });
    h.sell({ id: 4, price: 103, qty: 2 });
    expect(h.buy({ id: 5, price: 101, qty: 1 }).slice(3), "after the trade at 101 the stop-limit buys up to 102 and rests 3").toMatchObject([
      ev.stopTriggered(1, { stopPrice: 101, lastPrice: 101, orderType: STOP_LIMIT, qty: 5, leaves: 5 }),
      ev.trade(1, 3, 2, 102, { takerLeaves: 3 }),
      ev.level(SELL, 102, 0, 0),
      ev.level(BUY, 102, 3, 1),
    ]);
    expect(h.open(1), "the triggered stop-limit rests like a limit order").toMatchObject({ status: "resting", price: 102, leaves: 3, filled: 2 });
    expect(h.asks(), "the 103 ask is above its limit").toEqual([{ price: 103, qty: 2, count: 1 }]);
  });

  test("a triggered STOP_LIMIT that does not cross rests at the back of its level", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP_LIMIT, price: 99, stopPrice: 101, qty: 2 });
    h.buy({ id: 2, price: 99, qty: 3 });
    expect(h.printTrade(101).slice(-2), "STOP_TRIGGERED, then the stop-limit rests behind order 2").toMatchObject([
      ev.stopTriggered(1, { orderType: STOP_LIMIT }),
      ev.level(BUY, 99, 5, 2),
    ]);
    expect(h.queue(BUY, 99), "order 2 was resting first").toEqual([2, 1]);
  });

  test("a triggered STOP_LIMIT with tif FOK is a limit FOK", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP_LIMIT, price: 102, stopPrice: 101, qty: 3, tif: FOK });
    h.sell({ id: 2, price: 101, qty: 2 });
    h.sell({ id: 3, price: 103, qty: 5 });
    expect(h.buy({ id: 4, price: 101, qty: 1 }).slice(3), "1 lot at ≤ 102 left cannot fill 3").toMatchObject([
      ev.stopTriggered(1, { orderType: STOP_LIMIT }),
      ev.cancelled(1, Reason.FOK_NOT_FILLABLE, { qty: 3, leaves: 0 }),
    ]);
  });

  test("a triggered STOP_LIMIT with tif IOC cancels its remainder IOC_REMAINDER", () => {
    const h = book();
    h.printTrade(100);
    h.sell({ id: 1, type: STOP_LIMIT, price: 98, stopPrice: 99, qty: 4, tif: IOC });
    h.buy({ id: 2, price: 99, qty: 2 });
    expect(h.sell({ id: 3, price: 99, qty: 1 }).slice(3), "after the trade at 99 the sell stop-limit takes 1 at 99 and cancels 3").toMatchObject([
      ev.stopTriggered(1, { side: SELL, lastPrice: 99 }),
      ev.trade(1, 2, 1, 99, { takerLeaves: 3 }),
      ev.level(BUY, 99, 0, 0),
      ev.cancelled(1, Reason.IOC_REMAINDER, { qty: 3, leaves: 0 }),
    ]);
  });

  test("triggered stops wait until the current taker is completely done", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 101, qty: 1 });
    h.sell({ id: 2, price: 101, qty: 1 });
    h.sell({ id: 3, price: 102, qty: 1 });
    h.sell({ id: 4, price: 104, qty: 1 });
    expectEvents(
      h.buy({ id: 5, price: 102, qty: 3 }),
      [
        ev.accepted(5),
        ev.trade(5, 2, 1, 101),
        ev.level(SELL, 101, 0, 0),
        ev.trade(5, 3, 1, 102),
        ev.level(SELL, 102, 0, 0),
        ev.level(BUY, 102, 1, 1), // the taker rests ...
        ev.stopTriggered(1, { lastPrice: 101 }), // ... before the stop triggered at its first trade runs
        ev.trade(1, 4, 1, 104),
        ev.level(SELL, 104, 0, 0),
      ],
      "the stop is queued by the trade at 101 and runs after the taker rested",
    );
  });
});

describe("trigger order and cascades", () => {
  test("stops reached by the same trade trigger in entry order, not in stopPrice order", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 103, qty: 1 });
    h.buy({ id: 2, type: STOP, stopPrice: 101, qty: 1 });
    h.buy({ id: 3, type: STOP, stopPrice: 102, qty: 1 });
    h.sell({ id: 4, price: 103, qty: 1 });
    h.sell({ id: 5, price: 104, qty: 3 });
    const events = h.buy({ id: 6, price: 103, qty: 1 });
    expect(ofType(events, "stopTriggered").map((e) => e.orderId), "one trade at 103 reaches all three: entry order 1, 2, 3").toEqual([1, 2, 3]);
    expect(ofType(events, "trade").map((t) => t.takerOrderId), "each stop trades right after its STOP_TRIGGERED").toEqual([6, 1, 2, 3]);
  });

  test("buy and sell stops reached by the same trade trigger in entry order", () => {
    const h = book();
    // No trade yet, so both are accepted; a trade at exactly 100 reaches both.
    h.sell({ id: 1, type: STOP, stopPrice: 100, qty: 1 });
    h.buy({ id: 2, type: STOP, stopPrice: 100, qty: 1 });
    h.sell({ id: 3, price: 100, qty: 1 });
    const events = h.buy({ id: 4, price: 100, qty: 1 });
    expect(ofType(events, "stopTriggered").map((e) => [e.orderId, e.side]), "sell stop 1 (entered first), then buy stop 2").toEqual([
      [1, SELL],
      [2, BUY],
    ]);
  });

  test("stops reached by an earlier trade of a sweep trigger before stops reached by a later one", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 103, qty: 1 }); // entered first, reached by the later trade
    h.buy({ id: 2, type: STOP, stopPrice: 101, qty: 1 }); // reached by the first trade
    h.sell({ id: 3, price: 101, qty: 1 });
    h.sell({ id: 4, price: 103, qty: 1 });
    h.sell({ id: 5, price: 104, qty: 2 });
    const events = h.buy({ id: 6, price: 103, qty: 2 });
    expect(ofType(events, "stopTriggered").map((e) => [e.orderId, e.lastPrice]), "stop 2 (trade at 101) before stop 1 (trade at 103)").toEqual([
      [2, 101],
      [1, 103],
    ]);
  });

  test("a cascade: a triggered stop's trade triggers the next stop, and so on", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 101, qty: 1 });
    h.buy({ id: 2, type: STOP, stopPrice: 102, qty: 1 });
    h.buy({ id: 3, type: STOP, stopPrice: 103, qty: 1 });
    h.sell({ id: 4, price: 101, qty: 1 });
    h.sell({ id: 5, price: 102, qty: 1 });
    h.sell({ id: 6, price: 103, qty: 1 });
    h.sell({ id: 7, price: 104, qty: 5 });
    expectEvents(h.buy({ id: 8, price: 101, qty: 1 }), [
      ev.accepted(8),
      ev.trade(8, 4, 1, 101),
      ev.level(SELL, 101, 0, 0),
      ev.stopTriggered(1, { lastPrice: 101 }),
      ev.trade(1, 5, 1, 102),
      ev.level(SELL, 102, 0, 0),
      ev.stopTriggered(2, { lastPrice: 102 }),
      ev.trade(2, 6, 1, 103),
      ev.level(SELL, 103, 0, 0),
      ev.stopTriggered(3, { lastPrice: 103 }),
      ev.trade(3, 7, 1, 104),
      ev.level(SELL, 104, 4, 1),
    ]);
    expect(h.eng.lastPrice(SYM), "the cascade ends with the last price at 104").toBe(104);
  });

  test("stops triggered during a cascade join the back of the queue", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 102, qty: 1 }); // Z: entered first, reached only by X's trade
    h.buy({ id: 2, type: STOP, stopPrice: 101, qty: 1 }); // X
    h.buy({ id: 3, type: STOP, stopPrice: 101, qty: 1 }); // Y
    h.sell({ id: 4, price: 101, qty: 1 });
    h.sell({ id: 5, price: 102, qty: 1 });
    h.sell({ id: 6, price: 103, qty: 1 });
    h.sell({ id: 7, price: 104, qty: 1 });
    const events = h.buy({ id: 8, price: 101, qty: 1 });
    expect(
      ofType(events, "stopTriggered").map((e) => [e.orderId, e.lastPrice]),
      "X and Y are queued by the trade at 101; Z, reached by X's trade at 102, runs after Y",
    ).toEqual([
      [2, 101],
      [3, 101],
      [1, 102],
    ]);
    expect(ofType(events, "trade").map((t) => [t.takerOrderId, t.price]), "X takes 102, Y 103, Z 104").toEqual([
      [8, 101],
      [2, 102],
      [3, 103],
      [1, 104],
    ]);
  });

  test("a sell-stop cascade runs downwards the same way", () => {
    const h = book();
    h.printTrade(100);
    h.sell({ id: 1, type: STOP, stopPrice: 99, qty: 1 });
    h.sell({ id: 2, type: STOP, stopPrice: 98, qty: 1 });
    h.buy({ id: 3, price: 99, qty: 1 });
    h.buy({ id: 4, price: 98, qty: 1 });
    h.buy({ id: 5, price: 97, qty: 1 });
    const events = h.sell({ id: 6, price: 99, qty: 1 });
    expect(ofType(events, "trade").map((t) => [t.takerOrderId, t.price]), "99 triggers stop 1, whose trade at 98 triggers stop 2").toEqual([
      [6, 99],
      [1, 98],
      [2, 97],
    ]);
  });
});

describe("pending stops behave like orders", () => {
  test("a pending stop is cancelled like any order, with no LEVEL", () => {
    const h = book();
    h.buy({ id: 1, type: STOP, stopPrice: 105, qty: 2 });
    expectEvents(h.cancel(1), [ev.cancelled(1, Reason.USER_CANCEL, { qty: 2, leaves: 0 })]);
    h.printTrade(110);
    expect(h.view(1), "a cancelled stop never triggers").toBeUndefined();
  });
});
