/**
 * Hand-worked examples for the reference matcher: each rule of docs/matching.md with its events
 * written out by hand (validation, the taker, market orders and the band). If the reference is wrong
 * here, the property test against the fast engine would be comparing against a wrong oracle.
 * The stops, cancel/amend/expiry and risk rules are in reference-matcher-lifecycle.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { CommandType, Flags, StpMode, type CommandInit } from "../../engine/commands.ts";
import { Reason } from "../../engine/reasons.ts";
import { accepted, BUY, cancelled, FOK, GTC, GTD, Harness, IOC, level, LIMIT, MARKET, rejectReason, SELL, STOP, STOP_LIMIT, T, trade, U } from "./reference-examples.ts";

describe("reference: NEW_ORDER validation order", () => {
  test("each rule in turn is the first failure", () => {
    const h = new Harness();
    const base: CommandInit = { type: CommandType.NEW_ORDER, symbol: T, orderId: 50, account: 1, side: BUY, orderType: LIMIT, tif: GTC, price: 100, qty: 1, stp: 0 };
    // All of these also carry later faults (bad qty), to show the earliest one wins.
    expect(rejectReason(h.run({ ...base, symbol: 9, orderId: 0, qty: 0 }))).toBe(Reason.UNKNOWN_SYMBOL);
    expect(rejectReason(h.run({ ...base, orderId: 0, account: -1 }))).toBe(Reason.INVALID_ORDER_ID);
    expect(rejectReason(h.run({ ...base, orderId: 1.5 }))).toBe(Reason.INVALID_ORDER_ID);
    h.order(7, 1, SELL, 110, 1);
    expect(rejectReason(h.run({ ...base, orderId: 7, account: -1 }))).toBe(Reason.DUPLICATE_ORDER_ID);
    expect(rejectReason(h.run({ ...base, account: -1, side: 5 }))).toBe(Reason.INVALID_ACCOUNT);
    expect(rejectReason(h.run({ ...base, side: 2, orderType: 9 }))).toBe(Reason.INVALID_SIDE);
    expect(rejectReason(h.run({ ...base, orderType: 4, tif: 9 }))).toBe(Reason.INVALID_ORDER_TYPE);
    expect(rejectReason(h.run({ ...base, tif: 5, stp: 7 }))).toBe(Reason.INVALID_TIME_IN_FORCE);
    expect(rejectReason(h.run({ ...base, orderType: MARKET, tif: GTC, stp: 7 }))).toBe(Reason.INVALID_TIME_IN_FORCE);
    expect(rejectReason(h.run({ ...base, stp: 5, qty: 0 }))).toBe(Reason.INVALID_STP_MODE);
    expect(rejectReason(h.run({ ...base, qty: 0, price: 0 }))).toBe(Reason.INVALID_QUANTITY);
    expect(rejectReason(h.run({ ...base, qty: 1e12 + 1 }))).toBe(Reason.INVALID_QUANTITY);
    expect(rejectReason(h.run({ ...base, price: 0, flags: Flags.POST_ONLY, tif: IOC }))).toBe(Reason.INVALID_PRICE);
    expect(rejectReason(h.run({ ...base, price: 1e11 + 1 }))).toBe(Reason.INVALID_PRICE);
    expect(rejectReason(h.run({ ...base, orderType: STOP_LIMIT, price: 0, stopPrice: 0 }))).toBe(Reason.INVALID_PRICE);
    expect(rejectReason(h.run({ ...base, orderType: STOP, price: 0, stopPrice: 0 }))).toBe(Reason.INVALID_STOP_PRICE);
    expect(rejectReason(h.run({ ...base, flags: Flags.POST_ONLY, tif: IOC, expireTime: 1 }))).toBe(Reason.INVALID_COMBINATION);
    expect(rejectReason(h.run({ ...base, orderType: STOP_LIMIT, stopPrice: 99, flags: Flags.POST_ONLY }))).toBe(Reason.INVALID_COMBINATION);
    expect(rejectReason(h.run({ ...base, tif: GTD, expireTime: h.time, price: 200, flags: Flags.POST_ONLY }))).toBe(Reason.GTD_IN_PAST);
    expect(rejectReason(h.run({ ...base, price: 110, flags: Flags.POST_ONLY }))).toBe(Reason.POST_ONLY_WOULD_TAKE);
    // MARKET and STOP: `price` is an optional cap, 0 for none, else a valid price.
    expect(rejectReason(h.run({ ...base, orderType: MARKET, tif: IOC, price: -3, stopPrice: 0 }))).toBe(Reason.INVALID_PRICE);
    expect(rejectReason(h.run({ ...base, orderType: STOP, price: 1.5, stopPrice: 0 }))).toBe(Reason.INVALID_PRICE);
    expect(h.run({ ...base, orderId: 51, orderType: MARKET, tif: IOC, price: 0 })[0]).toEqual(accepted(51, 1, BUY, 0, 1, MARKET, IOC));
    expect(h.run({ ...base, orderId: 52, orderType: STOP, tif: GTC, price: 0, stopPrice: 120 })[0]).toEqual(accepted(52, 1, BUY, 0, 1, STOP, GTC, 120));
    expect(h.run({ ...base, orderId: 53, orderType: STOP, tif: GTC, price: 125, stopPrice: 120 })[0]).toEqual(accepted(53, 1, BUY, 125, 1, STOP, GTC, 120));
  });

  test("STOP_WOULD_TRIGGER only once there is a last trade", () => {
    const h = new Harness();
    // No trade yet: any stop is accepted.
    expect(h.order(1, 1, SELL, 0, 1, { orderType: STOP, stopPrice: 500 })[0]!.type).toBe("accepted");
    h.order(2, 1, SELL, 100, 1);
    h.order(3, 2, BUY, 100, 1); // last = 100; sell stop 1 at 500 triggers (market sell, nothing to hit)
    expect(h.ref.lastPrice(T)).toBe(100);
    expect(rejectReason(h.order(4, 1, BUY, 0, 1, { orderType: STOP, stopPrice: 100 }))).toBe(Reason.STOP_WOULD_TRIGGER);
    expect(rejectReason(h.order(4, 1, SELL, 99, 1, { orderType: STOP_LIMIT, stopPrice: 100 }))).toBe(Reason.STOP_WOULD_TRIGGER);
    expect(h.order(4, 1, BUY, 0, 1, { orderType: STOP, stopPrice: 101 })[0]!.type).toBe("accepted");
    expect(h.order(5, 1, SELL, 98, 1, { orderType: STOP_LIMIT, stopPrice: 99 })[0]!.type).toBe("accepted");
  });

  test("a duplicate id is only one that is still open; a closed id can be reused", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 1);
    h.order(2, 2, BUY, 100, 1); // fills 1 and 2
    expect(h.order(1, 1, SELL, 100, 3)[0]).toEqual(accepted(1, 1, SELL, 100, 3));
    expect(rejectReason(h.order(1, 3, BUY, 90, 3))).toBe(Reason.DUPLICATE_ORDER_ID);
  });
});

describe("reference: the taker", () => {
  test("simple cross: trade at the maker's price, then LEVEL", () => {
    const h = new Harness();
    expect(h.order(1, 1, SELL, 100, 10)).toEqual([accepted(1, 1, SELL, 100, 10), level(SELL, 100, 10, 1)]);
    expect(h.order(2, 2, BUY, 101, 4)).toEqual([
      accepted(2, 2, BUY, 101, 4),
      trade(2, 2, BUY, 100, 4, 0, 1, 1, 6, 1),
      level(SELL, 100, 6, 1),
    ]);
    expect(h.ref.depth(T, SELL, 5)).toEqual([{ price: 100, qty: 6, count: 1 }]);
    expect(h.ref.depth(T, BUY, 5)).toEqual([]);
  });

  test("sweep two levels in price-time order, one LEVEL per level left, then rest", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 101, 2);
    h.order(2, 1, SELL, 100, 3);
    h.order(3, 3, SELL, 100, 1);
    h.order(4, 3, SELL, 102, 5);
    expect(h.order(5, 2, BUY, 101, 10)).toEqual([
      accepted(5, 2, BUY, 101, 10),
      trade(5, 2, BUY, 100, 3, 7, 2, 1, 0, 1),
      trade(5, 2, BUY, 100, 1, 6, 3, 3, 0, 2),
      level(SELL, 100, 0, 0),
      trade(5, 2, BUY, 101, 2, 4, 1, 1, 0, 3),
      level(SELL, 101, 0, 0),
      level(BUY, 101, 4, 1),
    ]);
    expect(h.ref.depth(T, BUY, 5)).toEqual([{ price: 101, qty: 4, count: 1 }]);
    expect(h.ref.depth(T, SELL, 5)).toEqual([{ price: 102, qty: 5, count: 1 }]);
    expect(h.ref.order(5)).toMatchObject({ filled: 6, leaves: 4, cancelled: 0, qty: 10, status: "resting" });
  });

  test("time priority: a later order at the same price waits", () => {
    const h = new Harness();
    h.order(1, 1, BUY, 100, 2);
    h.order(2, 2, BUY, 100, 2);
    h.order(3, 1, BUY, 101, 1);
    expect(h.ref.level(T, BUY, 100).map((o) => o.orderId)).toEqual([1, 2]);
    expect(h.order(4, 3, SELL, 100, 2, { tif: IOC })).toEqual([
      accepted(4, 3, SELL, 100, 2, LIMIT, IOC),
      trade(4, 3, SELL, 101, 1, 1, 3, 1, 0, 1),
      level(BUY, 101, 0, 0),
      trade(4, 3, SELL, 100, 1, 0, 1, 1, 1, 2),
      level(BUY, 100, 3, 2),
    ]);
  });

  test("IOC remainder", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 2);
    expect(h.order(2, 2, BUY, 100, 5, { tif: IOC })).toEqual([
      accepted(2, 2, BUY, 100, 5, LIMIT, IOC),
      trade(2, 2, BUY, 100, 2, 3, 1, 1, 0, 1),
      level(SELL, 100, 0, 0),
      cancelled(2, 2, BUY, 100, 3, 0, Reason.IOC_REMAINDER),
    ]);
    expect(h.ref.openOrders()).toEqual([]);
  });

  test("FOK: not fillable is cancelled before anything trades", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 2);
    h.order(2, 1, SELL, 101, 2);
    h.order(3, 1, SELL, 102, 2);
    expect(h.order(4, 2, BUY, 101, 5, { tif: FOK })).toEqual([
      accepted(4, 2, BUY, 101, 5, LIMIT, FOK),
      cancelled(4, 2, BUY, 101, 5, 0, Reason.FOK_NOT_FILLABLE),
    ]);
    expect(h.order(5, 2, BUY, 102, 5, { tif: FOK })).toEqual([
      accepted(5, 2, BUY, 102, 5, LIMIT, FOK),
      trade(5, 2, BUY, 100, 2, 3, 1, 1, 0, 1),
      level(SELL, 100, 0, 0),
      trade(5, 2, BUY, 101, 2, 1, 2, 1, 0, 2),
      level(SELL, 101, 0, 0),
      trade(5, 2, BUY, 102, 1, 0, 3, 1, 1, 3),
      level(SELL, 102, 1, 1),
    ]);
  });

  test("FOK walk with STP: CANCEL_OLDEST skips own makers, other modes stop the walk", () => {
    const h = new Harness();
    h.order(1, 2, SELL, 100, 2);
    h.order(2, 1, SELL, 100, 2); // own (account 1)
    h.order(3, 2, SELL, 101, 2);
    // CANCEL_NEWEST: walk stops at order 2, only 2 available < 3.
    expect(h.order(4, 1, BUY, 101, 3, { tif: FOK, stp: StpMode.CANCEL_NEWEST })).toEqual([
      accepted(4, 1, BUY, 101, 3, LIMIT, FOK),
      cancelled(4, 1, BUY, 101, 3, 0, Reason.FOK_NOT_FILLABLE),
    ]);
    // NONE: own orders count: 2 + 2 + 2.
    // CANCEL_OLDEST: skip order 2, 2 + 2 = 4 ≥ 3 → fills, cancelling order 2 on the way.
    expect(h.order(5, 1, BUY, 101, 3, { tif: FOK, stp: StpMode.CANCEL_OLDEST })).toEqual([
      accepted(5, 1, BUY, 101, 3, LIMIT, FOK),
      trade(5, 1, BUY, 100, 2, 1, 1, 2, 0, 1),
      cancelled(2, 1, SELL, 100, 2, 0, Reason.SELF_TRADE),
      level(SELL, 100, 0, 0),
      trade(5, 1, BUY, 101, 1, 0, 3, 2, 1, 2),
      level(SELL, 101, 1, 1),
    ]);
  });

  test("STP CANCEL_NEWEST: taker's leaves cancelled after LEVEL, maker untouched", () => {
    const h = new Harness();
    h.order(1, 2, SELL, 100, 1);
    h.order(2, 1, SELL, 100, 5);
    expect(h.order(3, 1, BUY, 100, 4, { stp: StpMode.CANCEL_NEWEST })).toEqual([
      accepted(3, 1, BUY, 100, 4),
      trade(3, 1, BUY, 100, 1, 3, 1, 2, 0, 1),
      level(SELL, 100, 5, 1),
      cancelled(3, 1, BUY, 100, 3, 0, Reason.SELF_TRADE),
    ]);
    // Own order first at the level: the level did not change → no LEVEL.
    expect(h.order(4, 1, BUY, 100, 4, { stp: StpMode.CANCEL_NEWEST })).toEqual([
      accepted(4, 1, BUY, 100, 4),
      cancelled(4, 1, BUY, 100, 4, 0, Reason.SELF_TRADE),
    ]);
  });

  test("STP CANCEL_OLDEST: own maker cancelled, matching continues and rests", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 5);
    h.order(2, 2, SELL, 100, 1);
    expect(h.order(3, 1, BUY, 100, 4, { stp: StpMode.CANCEL_OLDEST })).toEqual([
      accepted(3, 1, BUY, 100, 4),
      cancelled(1, 1, SELL, 100, 5, 0, Reason.SELF_TRADE),
      trade(3, 1, BUY, 100, 1, 3, 2, 2, 0, 1),
      level(SELL, 100, 0, 0),
      level(BUY, 100, 3, 1),
    ]);
  });

  test("STP CANCEL_BOTH", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 5);
    h.order(2, 1, SELL, 100, 1);
    expect(h.order(3, 1, BUY, 100, 4, { stp: StpMode.CANCEL_BOTH })).toEqual([
      accepted(3, 1, BUY, 100, 4),
      cancelled(1, 1, SELL, 100, 5, 0, Reason.SELF_TRADE),
      level(SELL, 100, 1, 1),
      cancelled(3, 1, BUY, 100, 4, 0, Reason.SELF_TRADE),
    ]);
  });

  test("STP DECREMENT_AND_CANCEL: both reduced by the smaller, maker keeps its place", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 5);
    h.order(2, 2, SELL, 100, 1);
    expect(h.order(3, 1, BUY, 100, 3, { stp: StpMode.DECREMENT_AND_CANCEL })).toEqual([
      accepted(3, 1, BUY, 100, 3),
      cancelled(1, 1, SELL, 100, 3, 2, Reason.SELF_TRADE),
      cancelled(3, 1, BUY, 100, 3, 0, Reason.SELF_TRADE),
      level(SELL, 100, 3, 2),
    ]);
    expect(h.ref.level(T, SELL, 100).map((o) => [o.orderId, o.leaves, o.cancelled])).toEqual([[1, 2, 3], [2, 1, 0]]);
    // Taker larger: maker gone, taker continues, trades with 2, rests.
    expect(h.order(4, 1, BUY, 100, 5, { stp: StpMode.DECREMENT_AND_CANCEL })).toEqual([
      accepted(4, 1, BUY, 100, 5),
      cancelled(1, 1, SELL, 100, 2, 0, Reason.SELF_TRADE),
      cancelled(4, 1, BUY, 100, 2, 3, Reason.SELF_TRADE),
      trade(4, 1, BUY, 100, 1, 2, 2, 2, 0, 1),
      level(SELL, 100, 0, 0),
      level(BUY, 100, 2, 1),
    ]);
    expect(h.ref.order(4)).toMatchObject({ qty: 5, filled: 1, cancelled: 2, leaves: 2 });
  });

  test("STP NONE: self-trades allowed", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 5);
    expect(h.order(2, 1, BUY, 100, 2, { stp: StpMode.NONE })).toEqual([
      accepted(2, 1, BUY, 100, 2),
      trade(2, 1, BUY, 100, 2, 0, 1, 1, 3, 1),
      level(SELL, 100, 3, 1),
    ]);
  });
});

describe("reference: market orders and the band", () => {
  test("no trade, no reference price: band around the best opposite price at arrival", () => {
    const h = new Harness(); // T: bandBps 500, no reference
    h.order(1, 1, SELL, 100, 1);
    h.order(2, 1, SELL, 105, 1);
    h.order(3, 1, SELL, 106, 1);
    // R = 100, b = floor(100*500/10000) = 5 → L = 105.
    expect(h.order(4, 2, BUY, 0, 5, { orderType: MARKET, tif: IOC })).toEqual([
      accepted(4, 2, BUY, 0, 5, MARKET, IOC),
      trade(4, 2, BUY, 100, 1, 4, 1, 1, 0, 1),
      level(SELL, 100, 0, 0),
      trade(4, 2, BUY, 105, 1, 3, 2, 1, 0, 2),
      level(SELL, 105, 0, 0),
      cancelled(4, 2, BUY, 0, 3, 0, Reason.PRICE_BAND),
    ]);
    // Now last = 105: b = floor(105*0.05) = 5, L = 110: takes 106, then nothing left.
    expect(h.order(5, 2, BUY, 0, 5, { orderType: MARKET, tif: IOC })).toEqual([
      accepted(5, 2, BUY, 0, 5, MARKET, IOC),
      trade(5, 2, BUY, 106, 1, 4, 3, 1, 0, 3),
      level(SELL, 106, 0, 0),
      cancelled(5, 2, BUY, 0, 4, 0, Reason.NO_LIQUIDITY),
    ]);
  });

  test("empty opposite side: NO_LIQUIDITY; configured reference price is used before the first trade", () => {
    const h = new Harness();
    expect(h.order(1, 1, SELL, 0, 3, { orderType: MARKET, tif: FOK })).toEqual([
      accepted(1, 1, SELL, 0, 3, MARKET, FOK),
      cancelled(1, 1, SELL, 0, 3, 0, Reason.FOK_NOT_FILLABLE),
    ]);
    expect(h.order(2, 1, SELL, 0, 3, { orderType: MARKET, tif: IOC })).toEqual([
      accepted(2, 1, SELL, 0, 3, MARKET, IOC),
      cancelled(2, 1, SELL, 0, 3, 0, Reason.NO_LIQUIDITY),
    ]);
    // U: reference 100, band 1000 bps → a sell may go down to 90.
    h.order(3, 1, BUY, 91, 1, { symbol: U });
    h.order(4, 1, BUY, 89, 1, { symbol: U });
    expect(h.order(5, 2, SELL, 0, 2, { symbol: U, orderType: MARKET, tif: IOC })).toEqual([
      accepted(5, 2, SELL, 0, 2, MARKET, IOC, 0, U),
      trade(5, 2, SELL, 91, 1, 1, 3, 1, 0, 1, U),
      level(BUY, 91, 0, 0, U),
      cancelled(5, 2, SELL, 0, 1, 0, Reason.PRICE_BAND, U),
    ]);
  });
});

describe("reference: the band limit is fixed at the start", () => {
  test("a market order's own fills do not move its band", () => {
    const h = new Harness(); // T: 5% band
    h.order(1, 1, SELL, 100, 1);
    h.order(2, 2, BUY, 100, 1); // last = 100 → L = 105 for the next market buy
    h.order(3, 1, SELL, 105, 1);
    h.order(4, 1, SELL, 106, 1);
    expect(h.order(5, 2, BUY, 0, 3, { orderType: MARKET, tif: IOC })).toEqual([
      accepted(5, 2, BUY, 0, 3, MARKET, IOC),
      trade(5, 2, BUY, 105, 1, 2, 3, 1, 0, 2),
      level(SELL, 105, 0, 0),
      // last is now 105 (its L would be 110), but L stays 105: 106 is out of band.
      cancelled(5, 2, BUY, 0, 2, 0, Reason.PRICE_BAND),
    ]);
  });
});
