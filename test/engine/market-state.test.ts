import { describe, expect, test } from "bun:test";
import { type CommandInit, CommandType, makeCommand, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import { EventBuffer, decodeEvents, type EngineEvent } from "../../engine/events.ts";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import { MatchingEngine } from "../../engine/matching.ts";
import { MarketState } from "../../engine/book.ts";
import { Reason } from "../../engine/reasons.ts";

const NEW = CommandType.NEW_ORDER;
const us = (iso: string) => Date.parse(iso) * 1000;

function harness(spec: Partial<InstrumentSpec> = {}) {
  const engine = new MatchingEngine([{ id: 1, symbol: "T", tickSize: "1", lotSize: "1", bandBps: 1000, ...spec }]);
  const out = new EventBuffer();
  let nextId = 1;
  let time = spec.calendar ? us("2026-11-25T15:00:00Z") : 1_000;
  const send = (init: CommandInit): EngineEvent[] => {
    const cmd = makeCommand({ symbol: 1, time, ...init });
    if (cmd.type === NEW && cmd.orderId === 0) cmd.orderId = nextId++;
    time = cmd.time + 1;
    out.reset();
    engine.execute(cmd, out);
    return decodeEvents(out);
  };
  return { engine, send, at: (t: number) => (time = t) };
}

const types = (events: EngineEvent[]) => events.map((e) => e.type);
const reject = (events: EngineEvent[]) => (events[0]?.type === "rejected" ? events[0].reason : Reason.OK);
const cancelReason = (events: EngineEvent[]) => {
  const c = events.find((e) => e.type === "cancelled");
  return c && c.type === "cancelled" ? c.reason : undefined;
};

describe("market order cap", () => {
  test("a market buy never trades above its price cap", () => {
    const h = harness();
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1 });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 102, qty: 1 });
    const ev = h.send({ type: NEW, account: 2, side: Side.BUY, orderType: OrderType.MARKET, tif: TimeInForce.IOC, price: 101, qty: 2 });
    expect(ev.filter((e) => e.type === "trade").map((e) => (e.type === "trade" ? e.price : 0))).toEqual([100]);
    expect(cancelReason(ev)).toBe(Reason.PRICE_BAND);
  });
});

describe("price band", () => {
  test("a limit priced beyond the band around the last trade is rejected", () => {
    const h = harness({ priceBandBps: 500, referencePrice: 100 });
    expect(reject(h.send({ type: NEW, account: 1, side: Side.BUY, price: 106, qty: 1 }))).toBe(Reason.PRICE_OUTSIDE_BAND);
    expect(reject(h.send({ type: NEW, account: 1, side: Side.BUY, price: 105, qty: 1 }))).toBe(Reason.OK);
    expect(reject(h.send({ type: NEW, account: 1, side: Side.SELL, price: 94, qty: 1 }))).toBe(Reason.PRICE_OUTSIDE_BAND);
  });
});

describe("trade band (bad ticks)", () => {
  test("the sweep stops before a print too far from the last trade and the remainder is cancelled", () => {
    const h = harness({ tradeBandBps: 200 });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1 });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 102, qty: 1 });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 110, qty: 1 });
    const ev = h.send({ type: NEW, account: 2, side: Side.BUY, price: 120, qty: 3, tif: TimeInForce.GTC });
    expect(ev.filter((e) => e.type === "trade").map((e) => (e.type === "trade" ? e.price : 0))).toEqual([100, 102]);
    expect(cancelReason(ev)).toBe(Reason.TRADE_BAND);
    expect(h.engine.depth(1, Side.SELL)).toEqual([{ price: 110, qty: 1, count: 1 }]);
    expect(h.engine.depth(1, Side.BUY)).toEqual([]);
  });
});

describe("halts", () => {
  test("a halted symbol rejects market orders, queues limits and enters them in arrival order on resume", () => {
    const h = harness();
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 5 });
    const halted = h.send({ type: CommandType.HALT });
    expect(halted).toEqual([{ type: "status", symbol: 1, state: MarketState.HALTED, until: Infinity, reason: Reason.SYMBOL_HALTED }]);
    expect(reject(h.send({ type: NEW, account: 2, side: Side.BUY, orderType: OrderType.MARKET, tif: TimeInForce.IOC, qty: 1 }))).toBe(Reason.SYMBOL_HALTED);
    expect(reject(h.send({ type: NEW, account: 2, side: Side.BUY, price: 100, qty: 1, tif: TimeInForce.IOC }))).toBe(Reason.SYMBOL_HALTED);
    expect(types(h.send({ type: NEW, account: 2, side: Side.BUY, price: 100, qty: 2 }))).toEqual(["accepted"]);
    expect(types(h.send({ type: NEW, account: 3, side: Side.BUY, price: 101, qty: 2 }))).toEqual(["accepted"]);
    expect(h.engine.queued(1).map((o) => o.orderId)).toEqual([4, 5]);
    expect(h.engine.depth(1, Side.BUY)).toEqual([]);

    const resumed = h.send({ type: CommandType.RESUME });
    expect(resumed[0]).toMatchObject({ type: "status", state: MarketState.OPEN });
    const trades = resumed.filter((e) => e.type === "trade");
    // Arrival order, not price: order 4 enters first even though 5 bids higher.
    expect(trades.map((e) => (e.type === "trade" ? e.takerOrderId : 0))).toEqual([4, 5]);
    expect(h.engine.queued(1)).toEqual([]);
  });

  test("a timed halt ends by itself at the first command after its end", () => {
    const h = harness();
    h.at(1_000);
    h.send({ type: CommandType.HALT, expireTime: 5_000 });
    h.at(4_999);
    expect(types(h.send({ type: CommandType.TICK }))).toEqual([]);
    h.at(5_000);
    expect(h.send({ type: CommandType.TICK })).toEqual([{ type: "status", symbol: 1, state: MarketState.OPEN, until: Infinity, reason: Reason.OK }]);
  });

  test("a cancel works while halted and removes a queued order", () => {
    const h = harness();
    h.send({ type: CommandType.HALT });
    h.send({ type: NEW, account: 2, side: Side.BUY, price: 100, qty: 2 });
    expect(types(h.send({ type: CommandType.CANCEL, orderId: 1, account: 2 }))).toEqual(["cancelled"]);
    expect(h.engine.queued(1)).toEqual([]);
  });

  test("an amend that would lose priority is refused while halted; a size decrease is not", () => {
    const h = harness();
    h.send({ type: NEW, account: 2, side: Side.BUY, price: 100, qty: 5 });
    h.send({ type: CommandType.HALT });
    expect(reject(h.send({ type: CommandType.AMEND, orderId: 1, account: 2, price: 101, qty: 5 }))).toBe(Reason.SYMBOL_HALTED);
    expect(types(h.send({ type: CommandType.AMEND, orderId: 1, account: 2, price: 100, qty: 3 }))).toEqual(["amended", "level"]);
  });
});

describe("volatility halt", () => {
  test("a move beyond the limit within the window halts the symbol before the print, then it reopens", () => {
    const h = harness({ volatilityBps: 500, volatilityWindowUs: 1_000_000, haltUs: 60_000_000 });
    h.at(1_000_000);
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1 });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 104, qty: 1 });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 106, qty: 1 });
    const ev = h.send({ type: NEW, account: 2, side: Side.BUY, price: 110, qty: 3 });
    expect(ev.filter((e) => e.type === "trade").map((e) => (e.type === "trade" ? e.price : 0))).toEqual([100, 104]);
    const status = ev.find((e) => e.type === "status");
    expect(status).toMatchObject({ state: MarketState.HALTED, reason: Reason.VOLATILITY_HALT });
    expect(cancelReason(ev)).toBe(Reason.VOLATILITY_HALT);
    expect(h.engine.market(1)?.state).toBe(MarketState.HALTED);

    h.at(1_000_000 + 60_000_000 + 10);
    expect(types(h.send({ type: CommandType.TICK }))).toEqual(["status"]);
    expect(h.engine.market(1)?.state).toBe(MarketState.OPEN);
  });

  test("the same move spread over more than the window does not halt", () => {
    const h = harness({ volatilityBps: 500, volatilityWindowUs: 1_000_000, haltUs: 60_000_000 });
    h.at(1_000_000);
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1 });
    h.send({ type: NEW, account: 2, side: Side.BUY, price: 100, qty: 1 });
    h.at(3_000_000);
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 106, qty: 1 });
    const ev = h.send({ type: NEW, account: 2, side: Side.BUY, price: 106, qty: 1 });
    expect(types(ev)).toContain("trade");
    expect(h.engine.market(1)?.state).toBe(MarketState.OPEN);
  });
});

describe("trading calendar", () => {
  const calendar = { timeZone: "America/New_York", sessions: [{ days: [1, 2, 3, 4, 5], open: "09:30", close: "16:00" }], holidays: ["2026-12-25"] };

  test("outside the session a market order is rejected and a GTC limit queues until the open", () => {
    const h = harness({ calendar });
    h.at(us("2026-11-25T13:00:00Z")); // 08:00 New York
    const first = h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1 });
    expect(types(first)).toEqual(["accepted"]);
    expect(reject(h.send({ type: NEW, account: 2, side: Side.BUY, orderType: OrderType.MARKET, tif: TimeInForce.IOC, qty: 1 }))).toBe(Reason.MARKET_CLOSED);
    h.send({ type: NEW, account: 2, side: Side.BUY, price: 100, qty: 1 });
    h.at(us("2026-11-25T14:30:00Z")); // 09:30 New York: the open
    const open = h.send({ type: CommandType.TICK });
    expect(types(open)).toEqual(["status", "level", "trade", "level"]);
    expect(open[0]).toMatchObject({ state: MarketState.OPEN, until: us("2026-11-25T21:00:00Z") });
  });

  test("a holiday keeps the market closed all day", () => {
    const h = harness({ calendar });
    h.at(us("2026-12-25T16:00:00Z"));
    expect(reject(h.send({ type: NEW, account: 2, side: Side.BUY, price: 100, qty: 1, tif: TimeInForce.IOC }))).toBe(Reason.MARKET_CLOSED);
    expect(h.engine.market(1)).toMatchObject({ state: MarketState.CLOSED, until: us("2026-12-28T14:30:00Z") });
  });
});
