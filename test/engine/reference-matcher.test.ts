/**
 * Hand-worked examples for the reference matcher: each rule of docs/matching.md with its events
 * written out by hand. If the reference is wrong here, the property test against the fast engine
 * would be comparing against a wrong oracle.
 */
import { describe, expect, test } from "bun:test";
import { MarketState } from "../../engine/book.ts";
import { ALL_SYMBOLS, CommandType, Flags, makeCommand, OrderType, Side, StpMode, TimeInForce, type CommandInit } from "../../engine/commands.ts";
import { decodeEvents, EventBuffer, type EngineEvent } from "../../engine/events.ts";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import { Reason } from "../../engine/reasons.ts";
import { ReferenceMatcher } from "./reference-matcher.ts";

const { BUY, SELL } = Side;
const { LIMIT, MARKET, STOP, STOP_LIMIT } = OrderType;
const { GTC, IOC, FOK, DAY, GTD } = TimeInForce;
const T = 1; // symbol id
const U = 2;

const SPECS: InstrumentSpec[] = [
  { id: T, symbol: "T", tickSize: "1", lotSize: "1", bandBps: 500, referencePrice: 0 },
  { id: U, symbol: "U", tickSize: "1", lotSize: "1", bandBps: 1000, referencePrice: 100 },
];

class Harness {
  ref: ReferenceMatcher;
  constructor(specs: InstrumentSpec[] = SPECS) {
    this.ref = new ReferenceMatcher(specs);
  }
  buf = new EventBuffer(4);
  time = 1000;
  run(init: CommandInit): EngineEvent[] {
    this.buf.reset();
    this.ref.execute(makeCommand({ time: this.time, ...init }), this.buf);
    return decodeEvents(this.buf);
  }
  /** A new order with defaults: LIMIT GTC, stp CANCEL_NEWEST, symbol T. */
  order(orderId: number, account: number, side: number, price: number, qty: number, more: Partial<CommandInit> = {}): EngineEvent[] {
    return this.run({ type: CommandType.NEW_ORDER, orderId, account, side, price, qty, symbol: T, orderType: LIMIT, tif: GTC, ...more });
  }
}

// ---- expected-event builders (full records, so every field is checked)
const accepted = (orderId: number, account: number, side: number, price: number, qty: number, orderType: number = LIMIT, tif: number = GTC, stopPrice = 0, symbol: number = T): EngineEvent => ({
  type: "accepted", symbol, orderId, account, side, price, qty, leaves: qty, orderType, tif, stopPrice,
});
const trade = (takerOrderId: number, takerAccount: number, takerSide: number, price: number, qty: number, takerLeaves: number, makerOrderId: number, makerAccount: number, makerLeaves: number, tradeId: number, symbol: number = T): EngineEvent => ({
  type: "trade", symbol, takerOrderId, takerAccount, takerSide, price, qty, takerLeaves, makerOrderId, makerAccount, makerLeaves, tradeId,
});
const level = (side: number, price: number, qty: number, count: number, symbol: number = T): EngineEvent => ({ type: "level", symbol, side, price, qty, count });
const cancelled = (orderId: number, account: number, side: number, price: number, qty: number, leaves: number, reason: number, symbol: number = T): EngineEvent => ({
  type: "cancelled", symbol, orderId, account, side, price, qty, leaves, reason,
});
const expired = (orderId: number, account: number, side: number, price: number, qty: number, reason: number, symbol: number = T): EngineEvent => ({
  type: "expired", symbol, orderId, account, side, price, qty, reason,
});
const stopTriggered = (orderId: number, account: number, side: number, stopPrice: number, qty: number, leaves: number, lastPrice: number, orderType: number, symbol: number = T): EngineEvent => ({
  type: "stopTriggered", symbol, orderId, account, side, stopPrice, qty, leaves, lastPrice, orderType,
});
const amended = (orderId: number, account: number, side: number, price: number, qty: number, leaves: number, keptPriority: boolean, oldPrice: number, oldQty: number, symbol: number = T): EngineEvent => ({
  type: "amended", symbol, orderId, account, side, price, qty, leaves, keptPriority, oldPrice, oldQty,
});
const rejectReason = (evs: EngineEvent[]) => {
  expect(evs.length).toBe(1);
  expect(evs[0]!.type).toBe("rejected");
  return (evs[0] as Extract<EngineEvent, { type: "rejected" }>).reason;
};

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

describe("reference: stops", () => {
  test("trigger queue: per trade, entry order, processed FIFO after the taker", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 1);
    h.order(2, 1, SELL, 101, 1);
    h.order(3, 1, SELL, 103, 5);
    // Buy stops: 10 (stop 101, parked first), 11 (stop 100), 12 (stop 101).
    expect(h.order(10, 2, BUY, 0, 1, { orderType: STOP, stopPrice: 101 })).toEqual([accepted(10, 2, BUY, 0, 1, STOP, GTC, 101)]);
    h.order(11, 3, BUY, 103, 2, { orderType: STOP_LIMIT, stopPrice: 100 });
    h.order(12, 2, BUY, 0, 1, { orderType: STOP, stopPrice: 101, tif: DAY });
    expect(h.ref.depth(T, BUY, 5)).toEqual([]);
    // Taker buys 2: trade @100 triggers 11; trade @101 triggers 10 then 12. Each STOP_TRIGGERED
    // carries the price of the trade that triggered it (101 for 10 and 12), not the last price at
    // the time it is worked (103 by then).
    expect(h.order(20, 4, BUY, 101, 2)).toEqual([
      accepted(20, 4, BUY, 101, 2),
      trade(20, 4, BUY, 100, 1, 1, 1, 1, 0, 1),
      level(SELL, 100, 0, 0),
      trade(20, 4, BUY, 101, 1, 0, 2, 1, 0, 2),
      level(SELL, 101, 0, 0),
      stopTriggered(11, 3, BUY, 100, 2, 2, 100, STOP_LIMIT),
      trade(11, 3, BUY, 103, 2, 0, 3, 1, 3, 3),
      level(SELL, 103, 3, 1),
      stopTriggered(10, 2, BUY, 101, 1, 1, 101, STOP),
      trade(10, 2, BUY, 103, 1, 0, 3, 1, 2, 4),
      level(SELL, 103, 2, 1),
      stopTriggered(12, 2, BUY, 101, 1, 1, 101, STOP),
      trade(12, 2, BUY, 103, 1, 0, 3, 1, 1, 5),
      level(SELL, 103, 1, 1),
    ]);
  });

  test("cascade: stops triggered by a triggered stop join the back; STOP_LIMIT rests at its price", () => {
    const h = new Harness();
    h.order(1, 1, BUY, 100, 1);
    h.order(2, 1, BUY, 99, 1);
    h.order(3, 1, BUY, 97, 1);
    h.order(10, 2, SELL, 0, 1, { orderType: STOP, stopPrice: 100 }); // triggers at 100, sells into 99
    h.order(11, 3, SELL, 98, 3, { orderType: STOP_LIMIT, stopPrice: 99 }); // triggers at 99, takes nothing ≥ 98, rests
    expect(h.order(20, 4, SELL, 100, 1)).toEqual([
      accepted(20, 4, SELL, 100, 1),
      trade(20, 4, SELL, 100, 1, 0, 1, 1, 0, 1),
      level(BUY, 100, 0, 0),
      stopTriggered(10, 2, SELL, 100, 1, 1, 100, STOP),
      trade(10, 2, SELL, 99, 1, 0, 2, 1, 0, 2),
      level(BUY, 99, 0, 0),
      stopTriggered(11, 3, SELL, 99, 3, 3, 99, STOP_LIMIT),
      level(SELL, 98, 3, 1),
    ]);
    expect(h.ref.order(11)).toMatchObject({ status: "resting", price: 98, leaves: 3 });
  });

  test("a triggered STOP uses the last trade price as its band reference", () => {
    const h = new Harness(); // band 5% on T
    h.order(1, 1, BUY, 100, 1);
    h.order(2, 1, BUY, 90, 1);
    h.order(10, 2, SELL, 0, 2, { orderType: STOP, stopPrice: 100 });
    // Trade @100 → stop: L = 100 - 5 = 95 → bid 90 out of band.
    expect(h.order(20, 3, SELL, 100, 1)).toEqual([
      accepted(20, 3, SELL, 100, 1),
      trade(20, 3, SELL, 100, 1, 0, 1, 1, 0, 1),
      level(BUY, 100, 0, 0),
      stopTriggered(10, 2, SELL, 100, 2, 2, 100, STOP),
      cancelled(10, 2, SELL, 0, 2, 0, Reason.PRICE_BAND),
    ]);
  });

  test("a triggered STOP_LIMIT that rests is a limit order: amend changes price and size, stop price ignored", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 1);
    h.order(10, 2, BUY, 99, 2, { orderType: STOP_LIMIT, stopPrice: 100 });
    h.order(2, 3, BUY, 100, 1); // trade @100 triggers 10, which rests at 99
    expect(h.ref.order(10)).toMatchObject({ status: "resting", orderType: STOP_LIMIT, price: 99, stopPrice: 100 });
    // stopPrice 0 would be INVALID_STOP_PRICE for a pending stop; here it does not matter.
    expect(h.run({ type: CommandType.AMEND, symbol: T, orderId: 10, account: 2, price: 98, qty: 3, stopPrice: 0 })).toEqual([
      amended(10, 2, BUY, 98, 3, 3, false, 99, 2),
      level(BUY, 99, 0, 0),
      level(BUY, 98, 3, 1),
    ]);
    expect(rejectReason(h.run({ type: CommandType.AMEND, symbol: T, orderId: 10, account: 2, price: 0, qty: 3, stopPrice: 100 }))).toBe(Reason.INVALID_PRICE);
  });

  test("pending stops: cancel without LEVEL, invisible in depth", () => {
    const h = new Harness();
    h.order(1, 1, BUY, 0, 3, { orderType: STOP_LIMIT, price: 101, stopPrice: 100 });
    expect(h.ref.depth(T, BUY, 5)).toEqual([]);
    expect(h.ref.openOrders()).toMatchObject([{ orderId: 1, status: "stop", entrySeq: 1 }]);
    expect(h.run({ type: CommandType.CANCEL, symbol: T, orderId: 1, account: 1 })).toEqual([
      cancelled(1, 1, BUY, 101, 3, 0, Reason.USER_CANCEL),
    ]);
  });
});

describe("reference: cancel, amend, mass cancel, end of day, expiry", () => {
  test("cancel: UNKNOWN_ORDER for another account or symbol", () => {
    const h = new Harness();
    h.order(1, 1, BUY, 100, 3);
    h.order(2, 2, BUY, 100, 2);
    expect(rejectReason(h.run({ type: CommandType.CANCEL, symbol: 9, orderId: 1, account: 1 }))).toBe(Reason.UNKNOWN_SYMBOL);
    expect(rejectReason(h.run({ type: CommandType.CANCEL, symbol: T, orderId: 1, account: 2 }))).toBe(Reason.UNKNOWN_ORDER);
    expect(rejectReason(h.run({ type: CommandType.CANCEL, symbol: U, orderId: 1, account: 1 }))).toBe(Reason.UNKNOWN_ORDER);
    expect(h.run({ type: CommandType.CANCEL, symbol: T, orderId: 1, account: 1 })).toEqual([
      cancelled(1, 1, BUY, 100, 3, 0, Reason.USER_CANCEL),
      level(BUY, 100, 2, 1),
    ]);
  });

  test("amend: keep priority (same price, not larger), else lose it and re-enter as a taker", () => {
    const h = new Harness();
    h.order(1, 1, BUY, 100, 5);
    h.order(2, 2, BUY, 100, 5);
    const amend = (orderId: number, account: number, price: number, qty: number, stopPrice = 0) =>
      h.run({ type: CommandType.AMEND, symbol: T, orderId, account, price, qty, stopPrice });
    expect(amend(1, 1, 100, 3)).toEqual([amended(1, 1, BUY, 100, 3, 3, true, 100, 5), level(BUY, 100, 8, 2)]);
    expect(amend(1, 1, 100, 3)).toEqual([amended(1, 1, BUY, 100, 3, 3, true, 100, 3)]);
    expect(h.ref.level(T, BUY, 100).map((o) => o.orderId)).toEqual([1, 2]);
    // Larger: loses priority: LEVEL for leaving, then rests at the back.
    expect(amend(1, 1, 100, 4)).toEqual([
      amended(1, 1, BUY, 100, 4, 4, false, 100, 3),
      level(BUY, 100, 5, 1),
      level(BUY, 100, 9, 2),
    ]);
    expect(h.ref.level(T, BUY, 100).map((o) => o.orderId)).toEqual([2, 1]);
    // A partly filled order: new leaves = qty - filled.
    h.order(3, 3, SELL, 100, 2); // fills 2 of order 2
    expect(rejectReason(amend(2, 2, 100, 2))).toBe(Reason.AMEND_BELOW_FILLED);
    expect(rejectReason(amend(2, 2, 0, 3))).toBe(Reason.INVALID_PRICE);
    expect(rejectReason(amend(2, 2, 100, 0))).toBe(Reason.INVALID_QUANTITY);
    // Reprice through the book: trades at once.
    h.order(4, 3, SELL, 102, 1);
    expect(amend(2, 2, 102, 6)).toEqual([
      amended(2, 2, BUY, 102, 6, 4, false, 100, 5),
      level(BUY, 100, 4, 1),
      trade(2, 2, BUY, 102, 1, 3, 4, 3, 0, 2),
      level(SELL, 102, 0, 0),
      level(BUY, 102, 3, 1),
    ]);
    expect(h.ref.order(2)).toMatchObject({ qty: 6, filled: 3, leaves: 3, price: 102 });
  });

  test("amend a pending stop: AMENDED only, priority by stopPrice and size", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 1);
    h.order(2, 2, BUY, 100, 1); // last = 100
    h.order(3, 1, BUY, 0, 2, { orderType: STOP, stopPrice: 105 });
    const amend = (price: number, qty: number, stopPrice: number) =>
      h.run({ type: CommandType.AMEND, symbol: T, orderId: 3, account: 1, price, qty, stopPrice });
    expect(rejectReason(amend(0, 2, 0))).toBe(Reason.INVALID_STOP_PRICE);
    expect(rejectReason(amend(0, 2, 100))).toBe(Reason.STOP_WOULD_TRIGGER);
    const seq = h.ref.order(3)!.entrySeq;
    expect(amend(0, 1, 105)).toEqual([amended(3, 1, BUY, 0, 1, 1, true, 0, 2)]);
    expect(h.ref.order(3)!.entrySeq).toBe(seq);
    expect(amend(0, 1, 104)).toEqual([amended(3, 1, BUY, 0, 1, 1, false, 0, 1)]);
    expect(h.ref.order(3)!.entrySeq).toBeGreaterThan(seq);
  });

  test("amend of a pending STOP: `price` is its cap — a new one replaces it, 0 keeps it, a bad one is rejected", () => {
    const h = new Harness();
    h.order(1, 1, BUY, 110, 2, { orderType: STOP, stopPrice: 105 }); // cap 110
    const amend = (price: number) => h.run({ type: CommandType.AMEND, symbol: T, orderId: 1, account: 1, price, qty: 2, stopPrice: 105 });
    expect(rejectReason(amend(-1))).toBe(Reason.INVALID_PRICE);
    expect(amend(0)).toEqual([amended(1, 1, BUY, 110, 2, 2, true, 110, 2)]);
    expect(amend(120)).toEqual([amended(1, 1, BUY, 120, 2, 2, true, 110, 2)]);
    expect(h.ref.order(1)).toMatchObject({ price: 120 });
  });

  test("while halted, a pending stop may still be amended, even losing priority: it cannot trade until a print", () => {
    const h = new Harness();
    h.order(1, 1, BUY, 0, 2, { orderType: STOP, stopPrice: 105 });
    h.run({ type: CommandType.HALT, symbol: T });
    const amend = (qty: number, stopPrice: number) => h.run({ type: CommandType.AMEND, symbol: T, orderId: 1, account: 1, qty, stopPrice });
    expect(amend(2, 106)).toEqual([amended(1, 1, BUY, 0, 2, 2, false, 0, 2)]);
    expect(amend(3, 106)).toEqual([amended(1, 1, BUY, 0, 3, 3, false, 0, 2)]);
    expect(amend(1, 106)).toEqual([amended(1, 1, BUY, 0, 1, 1, true, 0, 3)]);
  });

  test("post-only amend that would cross is rejected", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 102, 1);
    h.order(2, 2, BUY, 100, 1, { flags: Flags.POST_ONLY });
    expect(rejectReason(h.run({ type: CommandType.AMEND, symbol: T, orderId: 2, account: 2, price: 102, qty: 1 }))).toBe(Reason.POST_ONLY_WOULD_TAKE);
  });

  test("mass cancel: ascending order id, stops included, LEVEL after each resting one", () => {
    const h = new Harness();
    h.order(3, 1, BUY, 100, 1);
    h.order(1, 1, BUY, 100, 2);
    h.order(2, 1, SELL, 0, 4, { orderType: STOP, stopPrice: 90 });
    h.order(4, 2, BUY, 100, 7);
    h.order(5, 1, BUY, 100, 1, { symbol: U });
    expect(h.run({ type: CommandType.MASS_CANCEL, symbol: T, account: 1 })).toEqual([
      cancelled(1, 1, BUY, 100, 2, 0, Reason.MASS_CANCEL),
      level(BUY, 100, 8, 2),
      cancelled(2, 1, SELL, 0, 4, 0, Reason.MASS_CANCEL),
      cancelled(3, 1, BUY, 100, 1, 0, Reason.MASS_CANCEL),
      level(BUY, 100, 7, 1),
    ]);
    expect(h.run({ type: CommandType.MASS_CANCEL, symbol: T, account: 1 })).toEqual([]);
    expect(h.run({ type: CommandType.MASS_CANCEL, symbol: ALL_SYMBOLS, account: 1 })).toEqual([
      cancelled(5, 1, BUY, 100, 1, 0, Reason.MASS_CANCEL, U),
      level(BUY, 100, 0, 0, U),
    ]);
    expect(rejectReason(h.run({ type: CommandType.MASS_CANCEL, symbol: 9, account: 1 }))).toBe(Reason.UNKNOWN_SYMBOL);
  });

  test("end of day: DAY orders only, resting and stops, ascending id", () => {
    const h = new Harness();
    h.order(2, 1, BUY, 100, 2, { tif: DAY });
    h.order(1, 2, BUY, 99, 1, { tif: DAY, symbol: U });
    h.order(3, 1, BUY, 100, 3);
    h.order(4, 1, SELL, 0, 3, { orderType: STOP, stopPrice: 90, tif: DAY });
    expect(h.run({ type: CommandType.END_OF_DAY, symbol: T })).toEqual([
      expired(2, 1, BUY, 100, 2, Reason.DAY_EXPIRED),
      level(BUY, 100, 3, 1),
      expired(4, 1, SELL, 0, 3, Reason.DAY_EXPIRED),
    ]);
    expect(h.run({ type: CommandType.END_OF_DAY, symbol: ALL_SYMBOLS })).toEqual([
      expired(1, 2, BUY, 99, 1, Reason.DAY_EXPIRED, U),
      level(BUY, 99, 0, 0, U),
    ]);
  });

  test("GTD expiry before every command's own work, in (expireTime, orderId) order", () => {
    const h = new Harness();
    h.order(5, 1, BUY, 100, 1, { tif: GTD, expireTime: 1010 });
    h.order(4, 1, BUY, 100, 2, { tif: GTD, expireTime: 1020 });
    h.order(3, 1, BUY, 0, 2, { tif: GTD, expireTime: 1010, orderType: STOP, stopPrice: 200 });
    h.order(6, 2, BUY, 100, 4, { tif: GTD, expireTime: 1030 });
    h.time = 1009;
    expect(h.run({ type: CommandType.TICK })).toEqual([]);
    h.time = 1020;
    // A rejected command still expires first.
    expect(h.run({ type: CommandType.CANCEL, symbol: T, orderId: 99, account: 1 })).toEqual([
      expired(3, 1, BUY, 0, 2, Reason.GTD_EXPIRED),
      expired(5, 1, BUY, 100, 1, Reason.GTD_EXPIRED),
      level(BUY, 100, 6, 2),
      expired(4, 1, BUY, 100, 2, Reason.GTD_EXPIRED),
      level(BUY, 100, 4, 1),
      { type: "rejected", symbol: T, orderId: 99, account: 1, side: 0, price: 0, qty: 0, reason: Reason.UNKNOWN_ORDER, commandType: CommandType.CANCEL },
    ]);
    // Expiry frees the id for the same command.
    h.time = 1030;
    expect(h.order(6, 3, SELL, 100, 1)).toEqual([
      expired(6, 2, BUY, 100, 4, Reason.GTD_EXPIRED),
      level(BUY, 100, 0, 0),
      accepted(6, 3, SELL, 100, 1),
      level(SELL, 100, 1, 1),
    ]);
  });

  test("unknown command type", () => {
    const h = new Harness();
    expect(rejectReason(h.run({ type: 42 }))).toBe(Reason.UNKNOWN_COMMAND);
  });
});

describe("reference: symbol-side risk", () => {
  const guarded = (more: Partial<InstrumentSpec>): InstrumentSpec[] => [{ ...SPECS[0]!, ...more }];
  const status = (state: number, until: number, reason: number, symbol: number = T): EngineEvent => ({ type: "status", symbol, state, until, reason });

  test("market cap tightens the band; with no reference at all the cap is the limit", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 1);
    h.order(2, 1, SELL, 102, 1);
    // R = 100 (best ask), L = min(105, 101) = 101.
    expect(h.order(3, 2, BUY, 101, 2, { orderType: MARKET, tif: IOC })).toEqual([
      accepted(3, 2, BUY, 101, 2, MARKET, IOC),
      trade(3, 2, BUY, 100, 1, 1, 1, 1, 0, 1),
      level(SELL, 100, 0, 0),
      cancelled(3, 2, BUY, 101, 1, 0, Reason.PRICE_BAND),
    ]);
    // A capped STOP keeps its cap when triggered.
    const g = new Harness();
    g.order(1, 1, BUY, 100, 1);
    g.order(2, 1, BUY, 98, 1);
    g.order(10, 2, SELL, 99, 2, { orderType: STOP, stopPrice: 100 }); // cap 99: never sells below 99
    expect(g.order(20, 3, SELL, 100, 1)).toEqual([
      accepted(20, 3, SELL, 100, 1),
      trade(20, 3, SELL, 100, 1, 0, 1, 1, 0, 1),
      level(BUY, 100, 0, 0),
      stopTriggered(10, 2, SELL, 100, 2, 2, 100, STOP),
      cancelled(10, 2, SELL, 99, 2, 0, Reason.PRICE_BAND),
    ]);
  });

  test("PRICE_OUTSIDE_BAND: limit further than floor(R × priceBandBps / 10000) from R; after STOP_WOULD_TRIGGER, before POST_ONLY", () => {
    const h = new Harness(guarded({ priceBandBps: 500, referencePrice: 100 }));
    expect(rejectReason(h.order(1, 1, BUY, 106, 1))).toBe(Reason.PRICE_OUTSIDE_BAND);
    expect(rejectReason(h.order(1, 1, SELL, 94, 1, { orderType: STOP_LIMIT, stopPrice: 90 }))).toBe(Reason.PRICE_OUTSIDE_BAND);
    expect(h.order(1, 1, SELL, 105, 1)[0]!.type).toBe("accepted");
    expect(rejectReason(h.order(2, 2, BUY, 106, 1, { flags: Flags.POST_ONLY }))).toBe(Reason.PRICE_OUTSIDE_BAND);
    // MARKET orders have no price band check (only their protection band).
    expect(h.order(3, 2, BUY, 0, 1, { orderType: MARKET, tif: IOC })[1]!.type).toBe("trade");
    // R is now the last trade (105): 110 is inside (offset 5).
    expect(h.order(4, 2, BUY, 110, 1)[0]!.type).toBe("accepted");
    // An amend to a changed limit is checked; the same limit is not.
    expect(rejectReason(h.run({ type: CommandType.AMEND, symbol: T, orderId: 4, account: 2, price: 111, qty: 1 }))).toBe(Reason.PRICE_OUTSIDE_BAND);
  });

  test("trade band: the taker stops before a print too far from the last trade, LEVEL then TRADE_BAND", () => {
    const h = new Harness(guarded({ tradeBandBps: 200 }));
    h.order(1, 1, SELL, 100, 1);
    h.order(2, 1, SELL, 102, 2);
    h.order(3, 1, SELL, 105, 1);
    // No reference before the first trade: the first print is free; then R = 100, offset 2.
    expect(h.order(4, 2, BUY, 110, 5)).toEqual([
      accepted(4, 2, BUY, 110, 5),
      trade(4, 2, BUY, 100, 1, 4, 1, 1, 0, 1),
      level(SELL, 100, 0, 0),
      trade(4, 2, BUY, 102, 2, 2, 2, 1, 0, 2),
      level(SELL, 102, 0, 0),
      // R = 102, offset 2: 105 refused; the GTC remainder is cancelled, not rested.
      cancelled(4, 2, BUY, 110, 2, 0, Reason.TRADE_BAND),
    ]);
  });

  test("volatility halt: STATUS at the refused print, taker and triggered stops cancelled, timed reopen releases the queue", () => {
    const h = new Harness(guarded({ volatilityBps: 300, volatilityWindowUs: 100, haltUs: 50 }));
    h.order(1, 1, SELL, 100, 1);
    h.order(2, 1, SELL, 104, 1);
    h.order(10, 3, BUY, 0, 1, { orderType: STOP, stopPrice: 100 });
    // 100 then 104: 104 − 100 = 4 > floor(100 × 3%) = 3 → halt before the second print.
    expect(h.order(3, 2, BUY, 104, 2)).toEqual([
      accepted(3, 2, BUY, 104, 2),
      trade(3, 2, BUY, 100, 1, 1, 1, 1, 0, 1),
      level(SELL, 100, 0, 0),
      status(MarketState.HALTED, h.time + 50, Reason.VOLATILITY_HALT),
      cancelled(3, 2, BUY, 104, 1, 0, Reason.VOLATILITY_HALT),
      stopTriggered(10, 3, BUY, 100, 1, 1, 100, STOP),
      cancelled(10, 3, BUY, 0, 1, 0, Reason.VOLATILITY_HALT),
    ]);
    expect(rejectReason(h.order(4, 2, BUY, 104, 1, { tif: IOC }))).toBe(Reason.SYMBOL_HALTED);
    expect(h.order(4, 2, BUY, 104, 1)).toEqual([accepted(4, 2, BUY, 104, 1)]); // queued
    expect(h.ref.queued(T).map((o) => o.orderId)).toEqual([4]);
    h.time += 50;
    // The window started empty after the halt: 104 alone is fine.
    expect(h.run({ type: CommandType.TICK })).toEqual([
      status(MarketState.OPEN, Infinity, Reason.OK),
      trade(4, 2, BUY, 104, 1, 0, 2, 1, 0, 2),
      level(SELL, 104, 0, 0),
    ]);
  });

  test("HALT / RESUME: queue in arrival order, post-only that would now cross is cancelled", () => {
    const h = new Harness();
    h.order(1, 1, SELL, 100, 5);
    expect(h.run({ type: CommandType.HALT, symbol: T })).toEqual([status(MarketState.HALTED, Infinity, Reason.SYMBOL_HALTED)]);
    expect(rejectReason(h.run({ type: CommandType.HALT, symbol: 9 }))).toBe(Reason.UNKNOWN_SYMBOL);
    expect(rejectReason(h.order(2, 2, BUY, 0, 1, { orderType: MARKET, tif: IOC }))).toBe(Reason.SYMBOL_HALTED);
    expect(h.order(2, 2, BUY, 0, 1, { orderType: STOP, stopPrice: 150 })).toEqual([accepted(2, 2, BUY, 0, 1, STOP, GTC, 150)]);
    h.order(3, 2, BUY, 100, 2);
    h.order(4, 3, BUY, 101, 2);
    h.order(5, 3, SELL, 99, 1); // queued too: bids are not in the book yet
    h.order(6, 3, BUY, 99, 1, { flags: Flags.POST_ONLY }); // does not cross the book now (ask 100)
    expect(h.ref.depth(T, BUY, 5)).toEqual([]);
    expect(h.ref.queued(T).map((o) => o.orderId)).toEqual([3, 4, 5, 6]);
    // A queued order takes a new size in place (kept 1); a resting one may not lose priority.
    expect(h.run({ type: CommandType.AMEND, symbol: T, orderId: 6, account: 3, price: 99, qty: 3 })).toEqual([
      amended(6, 3, BUY, 99, 3, 3, true, 99, 1),
    ]);
    expect(rejectReason(h.run({ type: CommandType.AMEND, symbol: T, orderId: 1, account: 1, price: 100, qty: 6 }))).toBe(Reason.SYMBOL_HALTED);
    expect(h.run({ type: CommandType.AMEND, symbol: T, orderId: 1, account: 1, price: 100, qty: 4 })).toEqual([
      amended(1, 1, SELL, 100, 4, 4, true, 100, 5),
      level(SELL, 100, 4, 1),
    ]);
    expect(h.run({ type: CommandType.RESUME, symbol: U })).toEqual([]);
    expect(h.run({ type: CommandType.RESUME, symbol: T })).toEqual([
      status(MarketState.OPEN, Infinity, Reason.OK),
      trade(3, 2, BUY, 100, 2, 0, 1, 1, 2, 1),
      level(SELL, 100, 2, 1),
      trade(4, 3, BUY, 100, 2, 0, 1, 1, 0, 2),
      level(SELL, 100, 0, 0),
      level(SELL, 99, 1, 1),
      cancelled(6, 3, BUY, 99, 3, 0, Reason.POST_ONLY_WOULD_TAKE),
    ]);
    expect(h.ref.queued(T)).toEqual([]);
    expect(h.ref.openOrders().map((o) => [o.orderId, o.status])).toEqual([[2, "stop"], [5, "resting"]]);
  });
});
