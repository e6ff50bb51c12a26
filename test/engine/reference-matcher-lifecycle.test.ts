/**
 * Hand-worked examples for the reference matcher, continued from reference-matcher.test.ts: stops,
 * cancel, amend, mass cancel, end of day, expiry and symbol-side risk, events written out by hand.
 */
import { describe, expect, test } from "bun:test";
import { MarketState } from "../../engine/book.ts";
import { ALL_SYMBOLS, CommandType, Flags } from "../../engine/commands.ts";
import { type EngineEvent } from "../../engine/events.ts";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import { Reason } from "../../engine/reasons.ts";
import { accepted, amended, BUY, cancelled, DAY, expired, GTC, GTD, Harness, IOC, level, MARKET, rejectReason, SELL, SPECS, STOP, STOP_LIMIT, stopTriggered, T, trade, U } from "./reference-examples.ts";

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
