import { describe, expect, test } from "bun:test";
import { type CommandInit, CommandType, makeCommand, Side, TimeInForce } from "../../engine/commands.ts";
import { EventBuffer, decodeEvents, type EngineEvent } from "../../engine/events.ts";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import { MatchingEngine } from "../../engine/matching.ts";
import { MarketState } from "../../engine/book.ts";
import { Reason } from "../../engine/reasons.ts";
import { readSnapshot, writeSnapshot } from "../../engine/snapshot.ts";

const NEW = CommandType.NEW_ORDER;
const { GTC, DAY, GTD } = TimeInForce;
const us = (iso: string) => Date.parse(iso) * 1000;
/** 09:30–16:00 New York, weekdays: in late November the session is 14:30–21:00 UTC. */
const calendar = { timeZone: "America/New_York", sessions: [{ days: [1, 2, 3, 4, 5], open: "09:30", close: "16:00" }] };

function harness(specs: Partial<InstrumentSpec>[] = [{}]) {
  const engine = new MatchingEngine(specs.map((s, i) => ({ id: i + 1, symbol: `T${i + 1}`, tickSize: "1", lotSize: "1", bandBps: 1000, ...s })));
  const out = new EventBuffer();
  let nextId = 1;
  let time = 1_000;
  const send = (init: CommandInit): EngineEvent[] => {
    const cmd = makeCommand({ symbol: 1, time, ...init });
    if (cmd.type === NEW && cmd.orderId === 0) cmd.orderId = nextId++;
    out.reset();
    engine.execute(cmd, out);
    return decodeEvents(out);
  };
  return { engine, send, at: (t: number) => (time = t) };
}

/** The deadline and what is due then, as the runtime reads them. */
function due(engine: MatchingEngine): { time: number; endOfDay: number } {
  const time = engine.nextDeadline();
  return { time, endOfDay: engine.deadlineSymbol };
}

describe("nextDeadline: when the runtime must send a command for time alone", () => {
  test("none: an exchange with no GTD or DAY order, no timed halt and no calendar never needs a TICK", () => {
    const h = harness();
    expect(due(h.engine)).toEqual({ time: Infinity, endOfDay: -1 });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1, tif: GTC });
    h.send({ type: CommandType.HALT });
    expect(due(h.engine)).toEqual({ time: Infinity, endOfDay: -1 });
  });

  test("GTD: the earliest open order's expiry, a TICK; a cancelled order's entry no longer counts", () => {
    const h = harness();
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1, tif: GTD, expireTime: 9_000 });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 101, qty: 1, tif: GTD, expireTime: 5_000 });
    expect(due(h.engine)).toEqual({ time: 5_000, endOfDay: -1 });
    h.send({ type: CommandType.CANCEL, account: 1, orderId: 2 });
    expect(due(h.engine)).toEqual({ time: 9_000, endOfDay: -1 });
    h.at(9_000);
    const ev = h.send({ type: CommandType.TICK });
    expect(ev.map((e) => e.type)).toEqual(["expired", "level"]);
    expect(due(h.engine).time).toBe(Infinity);
  });

  test("halt end: a timed HALT and a volatility halt are due when they end", () => {
    const h = harness([{}, { volatilityBps: 500, volatilityWindowUs: 1_000_000, haltUs: 60_000_000 }]);
    h.send({ type: CommandType.HALT, expireTime: 50_000 });
    expect(due(h.engine)).toEqual({ time: 50_000, endOfDay: -1 });
    h.at(50_000);
    expect(h.send({ type: CommandType.TICK }).map((e) => e.type)).toEqual(["status"]);
    expect(due(h.engine).time).toBe(Infinity);

    h.at(1_000_000);
    h.send({ type: NEW, symbol: 2, account: 1, side: Side.SELL, price: 100, qty: 1 });
    h.send({ type: NEW, symbol: 2, account: 1, side: Side.SELL, price: 110, qty: 1 });
    h.send({ type: NEW, symbol: 2, account: 2, side: Side.BUY, price: 110, qty: 2, tif: TimeInForce.IOC });
    expect(h.engine.market(2)?.state).toBe(MarketState.HALTED);
    expect(due(h.engine)).toEqual({ time: 1_000_000 + 60_000_000, endOfDay: -1 });
  });

  test("calendar: first look-up at once, then the open as a TICK, then the close as an END_OF_DAY", () => {
    const h = harness([{ calendar }]);
    expect(due(h.engine)).toEqual({ time: -Infinity, endOfDay: -1 });
    h.at(us("2026-11-25T13:00:00Z"));
    h.send({ type: CommandType.TICK });
    expect(due(h.engine)).toEqual({ time: us("2026-11-25T14:30:00Z"), endOfDay: -1 });
    h.at(us("2026-11-25T14:30:00Z"));
    h.send({ type: CommandType.TICK });
    expect(h.engine.market(1)?.state).toBe(MarketState.OPEN);
    expect(due(h.engine)).toEqual({ time: us("2026-11-25T21:00:00Z"), endOfDay: 1 });
  });

  test("a GTD expiry at the close is served by the close's END_OF_DAY", () => {
    const h = harness([{ calendar }]);
    h.at(us("2026-11-25T15:00:00Z"));
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1, tif: GTD, expireTime: us("2026-11-25T21:00:00Z") });
    expect(due(h.engine)).toEqual({ time: us("2026-11-25T21:00:00Z"), endOfDay: 1 });
  });

  test("a close passed by another command stays due until its END_OF_DAY, which expires the DAY orders", () => {
    const h = harness([{ calendar }, { calendar }]);
    h.at(us("2026-11-25T15:00:00Z"));
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1, tif: DAY });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 101, qty: 1, tif: GTC });
    // Traffic on another symbol carries time past the close before the runtime's END_OF_DAY.
    h.at(us("2026-11-25T21:00:00.005Z"));
    const crossing = h.send({ type: NEW, symbol: 2, account: 2, side: Side.BUY, price: 90, qty: 1, tif: GTC });
    expect(crossing.filter((e) => e.type === "status")).toHaveLength(2);
    expect(h.engine.market(1)?.state).toBe(MarketState.CLOSED);
    expect(due(h.engine)).toEqual({ time: us("2026-11-25T21:00:00Z"), endOfDay: 1 });

    const eod = h.send({ type: CommandType.END_OF_DAY, symbol: 1 });
    expect(eod.filter((e) => e.type === "expired")).toEqual([expect.objectContaining({ orderId: 1, reason: Reason.DAY_EXPIRED })]);
    expect(due(h.engine)).toEqual({ time: us("2026-11-25T21:00:00Z"), endOfDay: 2 });
    h.send({ type: CommandType.END_OF_DAY, symbol: 2 });
    expect(due(h.engine)).toEqual({ time: us("2026-11-26T14:30:00Z"), endOfDay: -1 });
    expect(h.engine.openOrders().map((o) => o.orderId)).toEqual([2, 3]);
  });

  test("a pending END_OF_DAY survives a snapshot", () => {
    const h = harness([{ calendar }]);
    h.at(us("2026-11-25T15:00:00Z"));
    h.send({ type: CommandType.TICK });
    h.at(us("2026-11-25T21:00:01Z"));
    h.send({ type: CommandType.TICK });
    const restored = readSnapshot(writeSnapshot(h.engine));
    expect(due(restored)).toEqual({ time: us("2026-11-25T21:00:00Z"), endOfDay: 1 });
  });

  test("asking does not change the state: an engine that asks after every command snapshots the same as one that never does", () => {
    const a = harness([{}, { calendar }]);
    const b = harness([{}, { calendar }]);
    let t = us("2026-11-25T20:59:00Z");
    for (let i = 0; i < 60; i++) {
      const cmd: CommandInit =
        i % 5 === 4
          ? { type: CommandType.CANCEL, account: 1, orderId: i - 2 }
          : { type: NEW, symbol: 1 + (i % 2), account: 1 + (i % 3), side: i % 2, price: 100 + (i % 7), qty: 1, tif: i % 3 === 0 ? GTD : DAY, expireTime: t + 7_000_000 };
      t += 2_000_000;
      a.at(t);
      b.at(t);
      a.send(cmd);
      b.send(cmd);
      a.engine.nextDeadline();
    }
    expect(writeSnapshot(a.engine)).toEqual(writeSnapshot(b.engine));
  });
});

describe("day end of a symbol without a calendar (dayEndUtc, default midnight UTC)", () => {
  test("due only once a DAY order is open: at the next midnight UTC, as an END_OF_DAY for its symbol", () => {
    const h = harness([{}, {}]);
    h.at(us("2026-11-25T15:00:00Z"));
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1, tif: GTC });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 101, qty: 1, tif: GTD, expireTime: us("2026-11-27T00:00:00Z") });
    expect(due(h.engine)).toEqual({ time: us("2026-11-27T00:00:00Z"), endOfDay: -1 });
    // A DAY order that fills at once never opens: no day end for it.
    h.send({ type: NEW, symbol: 2, account: 1, side: Side.SELL, price: 100, qty: 1, tif: GTC });
    h.send({ type: NEW, symbol: 2, account: 2, side: Side.BUY, price: 100, qty: 1, tif: DAY });
    expect(due(h.engine)).toEqual({ time: us("2026-11-27T00:00:00Z"), endOfDay: -1 });
    h.send({ type: NEW, symbol: 2, account: 2, side: Side.BUY, price: 99, qty: 1, tif: DAY });
    expect(due(h.engine)).toEqual({ time: us("2026-11-26T00:00:00Z"), endOfDay: 2 });
  });

  test("dayEndUtc moves the boundary; an order entered exactly at it belongs to the next day", () => {
    const h = harness([{ dayEndUtc: "21:30" }]);
    h.at(us("2026-11-25T21:29:59.999999Z"));
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1, tif: DAY });
    expect(due(h.engine)).toEqual({ time: us("2026-11-25T21:30:00Z"), endOfDay: 1 });
    h.at(us("2026-11-25T21:30:00Z"));
    h.send({ type: CommandType.END_OF_DAY, symbol: 1 });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1, tif: DAY });
    expect(due(h.engine)).toEqual({ time: us("2026-11-26T21:30:00Z"), endOfDay: 1 });
    expect(() => new MatchingEngine([{ id: 1, symbol: "X", tickSize: "1", lotSize: "1", bandBps: 0, dayEndUtc: "24:00" }])).toThrow(/dayEndUtc/);
  });

  test("time passing the day end expires nothing by itself: the day end stays due until its END_OF_DAY, which expires the DAY orders and keeps GTC", () => {
    const h = harness([{}, {}]);
    h.at(us("2026-11-25T23:59:59Z"));
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1, tif: DAY });
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 101, qty: 1, tif: GTC });
    // Traffic carries time past midnight before the runtime's END_OF_DAY: a journal written before
    // day ends existed has exactly such commands, and must replay the same events.
    h.at(us("2026-11-26T00:00:00.005Z"));
    const crossing = h.send({ type: NEW, symbol: 2, account: 2, side: Side.BUY, price: 90, qty: 1, tif: GTC });
    expect(crossing.map((e) => e.type)).toEqual(["accepted", "level"]);
    expect(h.send({ type: CommandType.TICK })).toEqual([]);
    expect(h.engine.order(1)).toBeDefined();
    expect(due(h.engine)).toEqual({ time: us("2026-11-26T00:00:00Z"), endOfDay: 1 });

    const eod = h.send({ type: CommandType.END_OF_DAY, symbol: 1 });
    expect(eod.filter((e) => e.type === "expired")).toEqual([expect.objectContaining({ orderId: 1, reason: Reason.DAY_EXPIRED })]);
    expect(due(h.engine)).toEqual({ time: Infinity, endOfDay: -1 });
    expect(h.engine.openOrders().map((o) => o.orderId)).toEqual([2, 3]);
  });

  test("a pending day end survives a snapshot, ahead or already passed; a default instrument's spec is written as before", () => {
    const h = harness([{}, { dayEndUtc: "08:00" }]);
    h.at(us("2026-11-25T07:00:00Z"));
    h.send({ type: NEW, account: 1, side: Side.SELL, price: 100, qty: 1, tif: DAY });
    h.send({ type: NEW, symbol: 2, account: 1, side: Side.SELL, price: 100, qty: 1, tif: DAY });
    h.at(us("2026-11-25T09:00:00Z"));
    h.send({ type: CommandType.TICK });
    const bytes = writeSnapshot(h.engine);
    const restored = readSnapshot(bytes);
    expect(due(restored)).toEqual({ time: us("2026-11-25T08:00:00Z"), endOfDay: 2 });
    expect(writeSnapshot(restored)).toEqual(bytes);
    restored.execute(makeCommand({ type: CommandType.END_OF_DAY, symbol: 2, time: us("2026-11-25T09:00:01Z") }), new EventBuffer());
    expect(due(restored)).toEqual({ time: us("2026-11-26T00:00:00Z"), endOfDay: 1 });
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain('"dayEndUtc":"08:00"');
    expect(text.match(/dayEndUtc/g)).toHaveLength(1);
  });
});
