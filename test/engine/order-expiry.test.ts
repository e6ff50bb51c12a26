/**
 * docs/matching.md: orders that expire — DAY (END_OF_DAY) and GTD (Expiry, via TICK or any
 * command's time).
 */
import { describe, expect, test } from "bun:test";
import { ALL_SYMBOLS, BUY, DAY, GTC, GTD, IOC, Reason, SELL, STOP, STOP_LIMIT, SYM, SYM2, book, ev, expectEvents, ofType } from "./helpers.ts";

describe("DAY orders and END_OF_DAY", () => {
  test("END_OF_DAY expires every DAY order (EXPIRED DAY_EXPIRED, then LEVEL) in ascending order id", () => {
    const h = book();
    h.buy({ id: 3, price: 100, qty: 1, tif: DAY });
    h.buy({ id: 1, price: 100, qty: 2, tif: DAY });
    h.buy({ id: 2, price: 100, qty: 4, tif: GTC });
    h.sell({ id: 5, price: 110, qty: 3, tif: DAY });
    h.buy({ id: 6, price: 110, qty: 1, tif: IOC }); // order 5 has 2 left
    expectEvents(h.endOfDay(SYM), [
      ev.expired(1, Reason.DAY_EXPIRED, { price: 100, qty: 2, side: BUY }),
      ev.level(BUY, 100, 5, 2),
      ev.expired(3, Reason.DAY_EXPIRED, { price: 100, qty: 1 }),
      ev.level(BUY, 100, 4, 1),
      ev.expired(5, Reason.DAY_EXPIRED, { price: 110, qty: 2, side: SELL }),
      ev.level(SELL, 110, 0, 0),
    ]);
    expect(h.eng.openOrders().map((o) => o.orderId), "the GTC order survives the end of day").toEqual([2]);
  });

  test("END_OF_DAY also expires pending DAY stops, which have no level", () => {
    const h = book();
    h.buy({ id: 1, type: STOP, stopPrice: 120, qty: 2, tif: DAY });
    h.buy({ id: 2, type: STOP, stopPrice: 121, qty: 2, tif: GTC });
    expectEvents(h.endOfDay(SYM), [ev.expired(1, Reason.DAY_EXPIRED, { qty: 2 })]);
    expect(h.view(2)?.status, "the GTC stop is still pending").toBe("stop");
  });

  test("END_OF_DAY for one symbol leaves other symbols alone; ALL_SYMBOLS expires everywhere", () => {
    const h = book();
    h.buy({ id: 1, price: 100, qty: 1, tif: DAY });
    h.buy({ id: 2, symbol: SYM2, price: 100, qty: 1, tif: DAY });
    expectEvents(h.endOfDay(SYM2), [ev.expired(2, Reason.DAY_EXPIRED, { symbol: SYM2 }), ev.level(BUY, 100, 0, 0, SYM2)]);
    expect(h.view(1), "symbol 1's DAY order is still open").toBeDefined();
    h.buy({ id: 3, symbol: SYM2, price: 101, qty: 1, tif: DAY });
    h.buy({ id: 4, price: 99, qty: 1, tif: DAY });
    expectEvents(h.endOfDay(ALL_SYMBOLS), [
      ev.expired(1, Reason.DAY_EXPIRED, { symbol: SYM }),
      ev.level(BUY, 100, 0, 0, SYM),
      ev.expired(3, Reason.DAY_EXPIRED, { symbol: SYM2 }),
      ev.level(BUY, 101, 0, 0, SYM2),
      ev.expired(4, Reason.DAY_EXPIRED, { symbol: SYM }),
      ev.level(BUY, 99, 0, 0, SYM),
    ]);
  });

  test("a triggered DAY stop-limit that rests expires at END_OF_DAY with its LEVEL", () => {
    const h = book();
    h.printTrade(100);
    h.sell({ id: 1, type: STOP_LIMIT, price: 101, stopPrice: 99, qty: 2, tif: DAY });
    h.printTrade(99);
    expect(h.open(1).status, "the triggered stop-limit rests").toBe("resting");
    expectEvents(h.endOfDay(SYM), [ev.expired(1, Reason.DAY_EXPIRED, { qty: 2 }), ev.level(SELL, 101, 0, 0)]);
  });

  test("a DAY order that left the book is not expired, even when its id was reused by a GTC order", () => {
    const h = book();
    h.buy({ id: 1, price: 100, qty: 1, tif: DAY });
    h.cancel(1);
    h.buy({ id: 1, price: 99, qty: 1, tif: GTC });
    h.sell({ id: 2, price: 105, qty: 1, tif: DAY });
    h.buy({ id: 3, price: 105, qty: 1 }); // fills DAY order 2
    h.sell({ id: 2, price: 106, qty: 1, tif: GTC });
    expectEvents(h.endOfDay(SYM), [], "orders 1 and 2 are GTC now");
    expect(h.eng.openOrders().map((o) => o.orderId).sort(), "both GTC orders are still open").toEqual([1, 2]);
  });

  test("END_OF_DAY with no DAY orders writes no events", () => {
    const h = book();
    h.buy({ id: 1, price: 100, qty: 1, tif: GTC });
    expectEvents(h.endOfDay(SYM), [], "no DAY orders");
  });
});

describe("GTD orders and expiry", () => {
  test("a TICK before expireTime changes nothing; a TICK at expireTime expires the order (GTD_EXPIRED, LEVEL)", () => {
    const h = book();
    const t0 = h.now;
    expectEvents(h.sell({ id: 1, price: 100, qty: 3, tif: GTD, expireTime: t0 + 1000 }), [ev.accepted(1, { tif: GTD }), ev.level(SELL, 100, 3, 1)]);
    expectEvents(h.tick(t0 + 999), [], "one nanosecond before expiry");
    expect(h.view(1), "still open before its expireTime").toBeDefined();
    expectEvents(h.tick(t0 + 1000), [ev.expired(1, Reason.GTD_EXPIRED, { qty: 3, price: 100 }), ev.level(SELL, 100, 0, 0)], "at expireTime");
    expect(h.view(1), "expired orders are not open").toBeUndefined();
  });

  test("any command's time expires due GTD orders before its own work", () => {
    const h = book();
    const t0 = h.now;
    h.sell({ id: 1, price: 100, qty: 3, tif: GTD, expireTime: t0 + 1000 });
    h.now = t0 + 1000;
    expectEvents(
      h.buy({ id: 2, price: 100, qty: 1 }),
      [ev.expired(1, Reason.GTD_EXPIRED), ev.level(SELL, 100, 0, 0), ev.accepted(2), ev.level(BUY, 100, 1, 1)],
      "the buy arrives as the ask expires: the ask goes first, the buy rests without trading",
    );
  });

  test("expiry covers every symbol, whatever symbol the command is for", () => {
    const h = book();
    const t0 = h.now;
    h.buy({ id: 1, price: 100, qty: 1, tif: GTD, expireTime: t0 + 10 });
    h.now = t0 + 20;
    expectEvents(h.buy({ id: 2, symbol: SYM2, price: 150, qty: 1 }), [
      ev.expired(1, Reason.GTD_EXPIRED, { symbol: SYM }),
      ev.level(BUY, 100, 0, 0, SYM),
      ev.accepted(2, { symbol: SYM2 }),
      ev.level(BUY, 150, 1, 1, SYM2),
    ]);
  });

  test("due orders expire in ascending (expireTime, orderId)", () => {
    const h = book();
    const t0 = h.now;
    h.buy({ id: 5, price: 95, qty: 1, tif: GTD, expireTime: t0 + 300 });
    h.buy({ id: 2, price: 92, qty: 1, tif: GTD, expireTime: t0 + 300 });
    h.buy({ id: 3, price: 93, qty: 1, tif: GTD, expireTime: t0 + 200 });
    h.buy({ id: 4, price: 94, qty: 1, tif: GTD, expireTime: t0 + 500 });
    expectEvents(h.tick(t0 + 400), [
      ev.expired(3, Reason.GTD_EXPIRED),
      ev.level(BUY, 93, 0, 0),
      ev.expired(2, Reason.GTD_EXPIRED),
      ev.level(BUY, 92, 0, 0),
      ev.expired(5, Reason.GTD_EXPIRED),
      ev.level(BUY, 95, 0, 0),
    ]);
    expect(h.view(4), "order 4 expires later").toBeDefined();
  });

  test("a partly filled GTD order expires its leaves", () => {
    const h = book();
    const t0 = h.now;
    h.sell({ id: 1, price: 100, qty: 5, tif: GTD, expireTime: t0 + 50 });
    h.buy({ id: 2, price: 100, qty: 2 });
    expectEvents(h.tick(t0 + 50), [ev.expired(1, Reason.GTD_EXPIRED, { qty: 3 }), ev.level(SELL, 100, 0, 0)]);
  });

  test("expiry runs before the command's trades: an expired stop never triggers", () => {
    const h = book();
    const t0 = h.now;
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 101, qty: 1, tif: GTD, expireTime: t0 + 10 });
    h.sell({ id: 2, price: 101, qty: 1 });
    h.sell({ id: 3, price: 102, qty: 1 });
    h.now = t0 + 10;
    const events = h.buy({ id: 4, price: 101, qty: 1 });
    expect(events[0], "the stop expires first").toMatchObject(ev.expired(1, Reason.GTD_EXPIRED));
    expect(ofType(events, "stopTriggered"), "the trade at 101 finds no stop to trigger").toEqual([]);
  });

  test("an amended GTD order keeps its expiry", () => {
    const h = book();
    const t0 = h.now;
    h.buy({ id: 1, price: 100, qty: 5, tif: GTD, expireTime: t0 + 100 });
    h.amend(1, { price: 101, qty: 6 });
    expectEvents(h.tick(t0 + 100), [ev.expired(1, Reason.GTD_EXPIRED, { qty: 6, price: 101 }), ev.level(BUY, 101, 0, 0)]);
  });

  test("a triggered GTD stop-limit that rests still expires at its expireTime", () => {
    const h = book();
    const t0 = h.now;
    h.printTrade(100);
    h.buy({ id: 1, type: STOP_LIMIT, price: 99, stopPrice: 101, qty: 2, tif: GTD, expireTime: t0 + 100 });
    h.printTrade(101);
    expect(h.open(1).status, "the triggered stop-limit rests").toBe("resting");
    expectEvents(h.tick(t0 + 100), [ev.expired(1, Reason.GTD_EXPIRED, { qty: 2 }), ev.level(BUY, 99, 0, 0)]);
  });

  test("a GTD order that left the book never expires later, even when its id was reused", () => {
    const h = book();
    const t0 = h.now;
    h.buy({ id: 1, price: 100, qty: 1, tif: GTD, expireTime: t0 + 10 });
    h.cancel(1);
    h.buy({ id: 1, price: 99, qty: 1, tif: GTC });
    h.sell({ id: 2, price: 105, qty: 1, tif: GTD, expireTime: t0 + 20 });
    h.buy({ id: 3, price: 105, qty: 1 }); // fills GTD order 2
    h.sell({ id: 2, price: 106, qty: 1, tif: GTD, expireTime: t0 + 50 });
    expectEvents(h.tick(t0 + 30), [], "neither old expiry applies to the new orders 1 and 2");
    expectEvents(h.tick(t0 + 50), [ev.expired(2, Reason.GTD_EXPIRED, { price: 106 }), ev.level(SELL, 106, 0, 0)], "the new order 2 expires at its own time");
    expect(h.open(1).tif, "order 1 is GTC").toBe(GTC);
  });

  test("an amended pending GTD stop still expires", () => {
    const h = book();
    const t0 = h.now;
    h.buy({ id: 1, type: STOP, stopPrice: 120, qty: 1, tif: GTD, expireTime: t0 + 10 });
    h.amend(1, { stopPrice: 125, qty: 2 });
    expectEvents(h.tick(t0 + 10), [ev.expired(1, Reason.GTD_EXPIRED, { qty: 2 })]);
  });

  test("a pending GTD stop expires with no LEVEL", () => {
    const h = book();
    const t0 = h.now;
    h.sell({ id: 1, type: STOP, stopPrice: 90, qty: 2, tif: GTD, expireTime: t0 + 50 });
    expectEvents(h.tick(t0 + 60), [ev.expired(1, Reason.GTD_EXPIRED, { qty: 2 })]);
    expect(h.view(1), "the stop is gone").toBeUndefined();
  });
});
