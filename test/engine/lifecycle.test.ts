/**
 * The order lifecycle of docs/accounts.md: ORDER_STATE events for every path, the table of legal
 * transitions, and idempotency on (account, clientOrderId).
 */
import { describe, expect, test } from "bun:test";
import { makeCommand } from "../../engine/commands.ts";
import { decodeEvents, EventBuffer } from "../../engine/events.ts";
import { readExchangeSnapshot, writeExchangeSnapshot } from "../../engine/exchange-snapshot.ts";
import { isDone, isLegal, OmsOrder, STATE_NAMES } from "../../engine/orders.ts";
import { ABC, Actor, ALICE, BOB, BUY, CommandType, DAY, DAY_US, type EngineEvent, EUR, FOK, GTC, GTD, Harness, IOC, LIMIT, MARKET, need, ofType, OrderState, Reason, SELL, STOP, StpMode, transitions, USD, XYZ } from "./exchange-harness.ts";

const { NONE, PENDING, NEW, PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED, REJECTED } = OrderState;

function market(over: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  const h = new Harness(over);
  h.fund(ALICE, { [USD]: 10n ** 9n, [EUR]: 10n ** 9n }, { [ABC]: [1_000, 10_000] });
  h.fund(BOB, { [USD]: 10n ** 9n, [EUR]: 10n ** 9n }, { [ABC]: [1_000, 10_000], [XYZ]: [100, 400] });
  return h;
}

/** The event types of a command in order, ORDER_STATE shown as its transition. */
function shape(events: EngineEvent[]): string[] {
  return events.map((e) => (e.type === "orderState" ? `${e.orderId}:${STATE_NAMES[e.from]}→${STATE_NAMES[e.to]}` : e.type));
}

describe("ORDER_STATE paths", () => {
  test("PENDING → NEW → PARTIALLY_FILLED → PARTIALLY_FILLED → FILLED", () => {
    const h = market();
    const a = h.buy({ account: ALICE, qty: 10, price: 10_000, actor: Actor.SESSION, session: 7 });
    expect(shape(a.events)).toEqual([`${a.id}:NONE→PENDING`, "accepted", `${a.id}:PENDING→NEW`, "level"]);
    const [pending, accepted] = ofType(a.events, "orderState");
    expect(pending).toEqual({ type: "orderState", symbol: ABC, orderId: a.id, account: ALICE, side: BUY, price: 10_000, filled: 0, leaves: 10, from: NONE, to: PENDING, reason: Reason.OK, time: h.time, actor: Actor.SESSION, session: 7 });
    expect(accepted).toMatchObject({ from: PENDING, to: NEW, filled: 0, leaves: 10, actor: Actor.SESSION, session: 7 });

    const b1 = h.sell({ account: BOB, qty: 3, price: 10_000 });
    // Taker's transitions first, then the maker's, after the TRADE they come from.
    expect(shape(b1.events)).toEqual([`${b1.id}:NONE→PENDING`, "accepted", `${b1.id}:PENDING→NEW`, "trade", `${b1.id}:NEW→FILLED`, `${a.id}:NEW→PARTIALLY_FILLED`, "level"]);
    expect(ofType(b1.events, "orderState").at(-1)).toMatchObject({ orderId: a.id, filled: 3, leaves: 7, reason: Reason.OK });

    const b2 = h.sell({ account: BOB, qty: 2, price: 10_000 });
    expect(transitions(b2.events, a.id)).toEqual([[PARTIALLY_FILLED, PARTIALLY_FILLED, Reason.OK]]);
    const b3 = h.sell({ account: BOB, qty: 9, price: 10_000 });
    expect(transitions(b3.events, a.id)).toEqual([[PARTIALLY_FILLED, FILLED, Reason.OK]]);
    expect(transitions(b3.events, b3.id)).toEqual([
      [NONE, PENDING, Reason.OK],
      [PENDING, NEW, Reason.OK],
      [NEW, PARTIALLY_FILLED, Reason.OK],
    ]);
    expect(h.ex.open.has(a.id)).toBe(false);
    expect(h.paths.get(a.id)).toEqual([PENDING, NEW, PARTIALLY_FILLED, PARTIALLY_FILLED, FILLED]);
    expect(h.cash(ALICE, USD).reserved).toBe(0n);
  });

  test("an order that fills at once: PENDING → NEW → FILLED in one command", () => {
    const h = market();
    h.sell({ account: BOB, qty: 5, price: 10_000 });
    const a = h.buy({ account: ALICE, qty: 5, price: 10_000 });
    expect(h.paths.get(a.id)).toEqual([PENDING, NEW, FILLED]);
    expect(h.ex.open.size).toBe(0);
  });

  test("→ CANCELLED: by request, by mass cancel, as an IOC or FOK or market remainder, by self-trade prevention", () => {
    const h = market();
    const a = h.buy({ account: ALICE, qty: 10, price: 9_000 });
    expect(transitions(h.cancel(a.id), a.id)).toEqual([[NEW, CANCELLED, Reason.USER_CANCEL]]);

    const b = h.buy({ account: ALICE, qty: 10, price: 9_000 });
    h.sell({ account: BOB, qty: 4, price: 9_000 });
    const c = h.buy({ account: ALICE, qty: 1, price: 8_000, symbol: ABC });
    const mc = h.massCancel(ALICE);
    expect(transitions(mc, b.id)).toEqual([[PARTIALLY_FILLED, CANCELLED, Reason.MASS_CANCEL]]);
    expect(transitions(mc, c.id)).toEqual([[NEW, CANCELLED, Reason.MASS_CANCEL]]);

    h.sell({ account: BOB, qty: 2, price: 10_000 });
    const ioc = h.buy({ account: ALICE, qty: 5, price: 10_000, tif: IOC });
    expect(h.paths.get(ioc.id)).toEqual([PENDING, NEW, PARTIALLY_FILLED, CANCELLED]);
    expect(transitions(ioc.events, ioc.id).at(-1)).toEqual([PARTIALLY_FILLED, CANCELLED, Reason.IOC_REMAINDER]);

    const fok = h.buy({ account: ALICE, qty: 5, price: 10_000, tif: FOK });
    expect(transitions(fok.events, fok.id)).toEqual([
      [NONE, PENDING, Reason.OK],
      [PENDING, NEW, Reason.OK],
      [NEW, CANCELLED, Reason.FOK_NOT_FILLABLE],
    ]);
    const mkt = h.buy({ account: ALICE, type: MARKET, qty: 5 });
    expect(transitions(mkt.events, mkt.id).at(-1)).toEqual([NEW, CANCELLED, Reason.NO_LIQUIDITY]);

    h.sell({ account: ALICE, qty: 1, price: 10_500 });
    const stp = h.buy({ account: ALICE, qty: 1, price: 10_500, stp: StpMode.CANCEL_NEWEST });
    expect(transitions(stp.events, stp.id).at(-1)).toEqual([NEW, CANCELLED, Reason.SELF_TRADE]);
    expect(h.cash(ALICE, USD).reserved).toBe(0n);
  });

  test("decrement-and-cancel: a partial reduction keeps the state, the last one cancels", () => {
    const h = market();
    const rest = h.sell({ account: ALICE, qty: 10, price: 10_000 });
    const t = h.buy({ account: ALICE, qty: 4, price: 10_000, stp: StpMode.DECREMENT_AND_CANCEL });
    // The resting sell is reduced by 4 and stays NEW; the taker is cancelled whole.
    expect(transitions(t.events, rest.id)).toEqual([]);
    expect(transitions(t.events, t.id).at(-1)).toEqual([NEW, CANCELLED, Reason.SELF_TRADE]);
    expect(h.ex.open.get(rest.id)).toMatchObject({ state: NEW, leaves: 6, cancelled: 4 });
    expect(h.pos(ALICE, ABC).openSells).toBe(6);
  });

  test("→ EXPIRED: GTD by engine time, DAY at END_OF_DAY; the reservation is released", () => {
    const h = market();
    const t0 = h.time;
    const gtd = h.buy({ account: ALICE, qty: 10, price: 9_000, tif: GTD, expireTime: t0 + 1_000 });
    const day = h.buy({ account: ALICE, symbol: XYZ, qty: 3, price: 390, tif: DAY });
    const gtc = h.buy({ account: ALICE, qty: 1, price: 9_000, tif: GTC });
    expect(h.cash(ALICE, USD).reserved).toBe(need(9_000, 10, 1n, 20) + need(9_000, 1, 1n, 20));
    expect(transitions(h.run({ type: CommandType.TICK, time: t0 + 999 }), gtd.id)).toEqual([]);
    const tick = h.run({ type: CommandType.TICK, time: t0 + 1_000 });
    expect(transitions(tick, gtd.id)).toEqual([[NEW, EXPIRED, Reason.GTD_EXPIRED]]);
    expect(h.cash(ALICE, USD).reserved).toBe(need(9_000, 1, 1n, 20));
    const eod = h.endOfDay();
    expect(transitions(eod, day.id)).toEqual([[NEW, EXPIRED, Reason.DAY_EXPIRED]]);
    expect(transitions(eod, gtc.id)).toEqual([]);
    expect(h.cash(ALICE, EUR).reserved).toBe(0n);
  });

  test("a GTD order that expires at a command's time frees its reservation for that command", () => {
    const h = new Harness();
    const held = need(10_000, 10, 1n, 20);
    h.fund(ALICE, { [USD]: held });
    const t0 = h.time;
    const gtd = h.buy({ account: ALICE, qty: 10, price: 10_000, tif: GTD, expireTime: t0 + 50 });
    expect(h.cash(ALICE, USD).available).toBe(0n);
    // At t0 + 50 the expiry comes first, then the new order finds the cash free.
    const ev = h.run({ type: CommandType.NEW_ORDER, orderId: 99, account: ALICE, symbol: ABC, side: BUY, orderType: LIMIT, tif: GTC, price: 10_000, qty: 10, time: t0 + 50 });
    expect(transitions(ev, gtd.id)).toEqual([[NEW, EXPIRED, Reason.GTD_EXPIRED]]);
    expect(ofType(ev, "accepted")).toMatchObject([{ orderId: 99 }]);
    // The expiry's events come before the new order's.
    const firstNew = ev.findIndex((e) => e.type === "orderState" && e.orderId === 99);
    const expiry = ev.findIndex((e) => e.type === "expired");
    expect(expiry).toBeGreaterThanOrEqual(0);
    expect(expiry).toBeLessThan(firstNew);
  });

  test("a pending stop: NEW while parked; triggers, fills or is cancelled", () => {
    const h = market();
    const st = h.sell({ account: ALICE, type: STOP, stopPrice: 9_900, qty: 5 });
    expect(h.paths.get(st.id)).toEqual([PENDING, NEW]);
    h.buy({ account: BOB, qty: 20, price: 9_800 });
    // A trade at 9_900 triggers it; it sells into Bob's 9_800 bid (within the 5 % band).
    h.buy({ account: ALICE, qty: 1, price: 9_900 });
    const trig = h.sell({ account: BOB, qty: 1, price: 9_900 });
    expect(ofType(trig.events, "stopTriggered")).toHaveLength(1);
    expect(transitions(trig.events, st.id)).toEqual([[NEW, FILLED, Reason.OK]]);
  });

  test("PENDING → REJECTED by the book (POST_ONLY_WOULD_TAKE): the reservation is released", () => {
    const h = market();
    h.sell({ account: BOB, qty: 5, price: 10_000 });
    const before = h.cash(ALICE, USD);
    const a = h.buy({ account: ALICE, qty: 5, price: 10_000, flags: 1 });
    expect(shape(a.events)).toEqual([`${a.id}:NONE→PENDING`, "rejected", `${a.id}:PENDING→REJECTED`]);
    expect(ofType(a.events, "rejected")[0]).toMatchObject({ orderId: a.id, reason: Reason.POST_ONLY_WOULD_TAKE, commandType: CommandType.NEW_ORDER });
    expect(ofType(a.events, "orderState")[1]).toMatchObject({ from: PENDING, to: REJECTED, reason: Reason.POST_ONLY_WOULD_TAKE, leaves: 0 });
    expect(h.cash(ALICE, USD)).toEqual(before);
    expect(h.pos(ALICE, ABC).openBuys).toBe(0);
    expect(h.ex.open.has(a.id)).toBe(false);
    expect(h.ledger.accounts.get(ALICE)!.openOrders).toBe(0);
  });

  test("PENDING → REJECTED for the book's other symbol-side reasons", () => {
    const h = market({
      instruments: [
        { id: ABC, symbol: "ABC", tickSize: "0.01", lotSize: "1", bandBps: 500, referencePrice: 10_000, priceBandBps: 1_000, quote: "USD" },
        { id: XYZ, symbol: "XYZ", tickSize: "0.05", lotSize: "10", bandBps: 1000, referencePrice: 400, quote: "EUR" },
      ],
    });
    const outside = h.buy({ account: ALICE, qty: 1, price: 11_001 });
    expect(transitions(outside.events, outside.id).at(-1)).toEqual([PENDING, REJECTED, Reason.PRICE_OUTSIDE_BAND]);
    h.sell({ account: BOB, qty: 1, price: 10_000 });
    h.buy({ account: ALICE, qty: 1, price: 10_000 });
    const stop = h.sell({ account: ALICE, type: STOP, stopPrice: 10_000, qty: 1 });
    expect(transitions(stop.events, stop.id).at(-1)).toEqual([PENDING, REJECTED, Reason.STOP_WOULD_TRIGGER]);
    h.run({ type: CommandType.HALT, symbol: ABC });
    const mkt = h.sell({ account: ALICE, type: MARKET, qty: 1 });
    expect(transitions(mkt.events, mkt.id).at(-1)).toEqual([PENDING, REJECTED, Reason.SYMBOL_HALTED]);
    expect(h.pos(ALICE, ABC).openSells).toBe(0);
    expect(h.cash(ALICE, USD).reserved).toBe(0n);
  });

  test("an amend keeps the state and writes no ORDER_STATE", () => {
    const h = market();
    const a = h.buy({ account: ALICE, qty: 10, price: 9_000 });
    h.sell({ account: BOB, qty: 2, price: 9_000 });
    const am = h.amend(a.id, { qty: 12, price: 9_100 });
    expect(ofType(am, "amended")).toHaveLength(1);
    expect(ofType(am, "orderState")).toEqual([]);
    expect(h.ex.open.get(a.id)).toMatchObject({ state: PARTIALLY_FILLED, price: 9_100, qty: 12, leaves: 10 });
    expect(h.cash(ALICE, USD).reserved).toBe(need(9_100, 10, 1n, 20));
  });
});

describe("the table of legal transitions", () => {
  const ALL = [NONE, PENDING, NEW, PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED, REJECTED];
  const LEGAL: [number, number][] = [
    [NONE, PENDING],
    [PENDING, NEW],
    [PENDING, REJECTED],
    [NEW, PARTIALLY_FILLED],
    [NEW, FILLED],
    [NEW, CANCELLED],
    [NEW, EXPIRED],
    [PARTIALLY_FILLED, PARTIALLY_FILLED],
    [PARTIALLY_FILLED, FILLED],
    [PARTIALLY_FILLED, CANCELLED],
    [PARTIALLY_FILLED, EXPIRED],
  ];

  test("isLegal is exactly the table of docs/accounts.md (plus the creation NONE → PENDING)", () => {
    for (const from of ALL) {
      for (const to of ALL) {
        const want = LEGAL.some(([f, t]) => f === from && t === to);
        expect([STATE_NAMES[from], STATE_NAMES[to], isLegal(from, to)]).toEqual([STATE_NAMES[from], STATE_NAMES[to], want]);
      }
    }
  });

  test("done states are terminal", () => {
    expect(ALL.filter(isDone)).toEqual([FILLED, CANCELLED, EXPIRED, REJECTED]);
    for (const from of ALL.filter(isDone)) for (const to of ALL) expect(isLegal(from, to)).toBe(false);
  });

  test("an illegal transition throws", () => {
    const o = new OmsOrder(1, ALICE, ABC, BUY, LIMIT, GTC, "", 0, 10, 20);
    expect(() => o.transition(NEW)).toThrow(/illegal transition NONE → NEW/);
    expect(o.transition(PENDING)).toBe(NONE);
    expect(o.transition(NEW)).toBe(PENDING);
    expect(() => o.transition(REJECTED)).toThrow(/NEW → REJECTED/);
    expect(o.transition(FILLED)).toBe(NEW);
    expect(() => o.transition(CANCELLED)).toThrow(/FILLED → CANCELLED/);
    expect(o.state).toBe(FILLED);
  });
});

describe("idempotency on (account, clientOrderId)", () => {
  function dupOf(h: Harness, account: number, clientOrderId: string, over: { price?: number; qty?: number; side?: number; time?: number } = {}): EngineEvent[] {
    const before = h.state();
    const ev = h.run({
      type: CommandType.NEW_ORDER,
      orderId: h.nextId++,
      account,
      symbol: ABC,
      side: over.side ?? BUY,
      orderType: LIMIT,
      tif: GTC,
      price: over.price ?? 9_500,
      qty: over.qty ?? 1,
      clientOrderId,
      ...(over.time !== undefined ? { time: over.time } : {}),
    });
    expect(ev.map((e) => e.type)).toEqual(["duplicate"]);
    expect(h.state()).toEqual(before);
    return ev;
  }

  test("a duplicate of an open order returns it and creates nothing", () => {
    const h = market();
    const a = h.buy({ account: ALICE, qty: 10, price: 9_000, clientOrderId: "abc-1" });
    h.sell({ account: BOB, qty: 4, price: 9_000 });
    const ev = dupOf(h, ALICE, "abc-1", { price: 12_345, qty: 99 });
    expect(ev).toEqual([{ type: "duplicate", symbol: ABC, orderId: a.id, account: ALICE, side: BUY, price: 9_000, filled: 4, leaves: 6, state: PARTIALLY_FILLED }]);
    expect(h.byClientId.get(`${ALICE}/abc-1`)).toHaveLength(1);
  });

  test("… and of filled, cancelled, expired and book-rejected orders", () => {
    const h = market();
    h.sell({ account: BOB, qty: 5, price: 10_000 });
    const filled = h.buy({ account: ALICE, qty: 5, price: 10_000, clientOrderId: "filled" });
    const cancelled = h.buy({ account: ALICE, qty: 5, price: 9_000, clientOrderId: "cancelled" });
    h.cancel(cancelled.id);
    const expired = h.buy({ account: ALICE, qty: 5, price: 9_000, tif: DAY, clientOrderId: "expired" });
    h.endOfDay();
    h.sell({ account: BOB, qty: 1, price: 10_100 });
    const rejected = h.buy({ account: ALICE, qty: 1, price: 10_100, flags: 1, clientOrderId: "rejected" });
    expect(dupOf(h, ALICE, "filled")[0]).toMatchObject({ orderId: filled.id, state: FILLED, filled: 5, leaves: 0 });
    expect(dupOf(h, ALICE, "cancelled")[0]).toMatchObject({ orderId: cancelled.id, state: CANCELLED, filled: 0, leaves: 0 });
    expect(dupOf(h, ALICE, "expired")[0]).toMatchObject({ orderId: expired.id, state: EXPIRED });
    expect(dupOf(h, ALICE, "rejected")[0]).toMatchObject({ orderId: rejected.id, state: REJECTED });
    expect(h.byClientId.get(`${ALICE}/filled`)).toHaveLength(1);
  });

  test("the duplicate check comes before the risk checks, after UNKNOWN_ACCOUNT and the id's syntax", () => {
    const h = market();
    const a = h.buy({ account: ALICE, qty: 1, price: 9_000, clientOrderId: "x" });
    // Would be INSUFFICIENT_FUNDS and INSUFFICIENT_POSITION; it is a duplicate first.
    expect(dupOf(h, ALICE, "x", { qty: 10 ** 9, price: 10 ** 9 })[0]).toMatchObject({ orderId: a.id });
    expect(dupOf(h, ALICE, "x", { side: SELL, qty: 10 ** 6 })[0]).toMatchObject({ orderId: a.id });
  });

  test("another account may use the same clientOrderId; an order R1 rejected does not hold it", () => {
    const h = market();
    const a = h.buy({ account: ALICE, qty: 1, price: 9_000, clientOrderId: "same" });
    const b = h.buy({ account: BOB, qty: 1, price: 9_000, clientOrderId: "same" });
    expect(ofType(b.events, "accepted")).toHaveLength(1);
    expect(a.id).not.toBe(b.id);
    const poor = h.buy({ account: ALICE, qty: 10 ** 9, price: 10 ** 6, clientOrderId: "retry" });
    expect(ofType(poor.events, "rejected")[0]!.reason).toBe(Reason.INSUFFICIENT_FUNDS);
    expect(ofType(h.buy({ account: ALICE, qty: 1, price: 9_000, clientOrderId: "retry" }).events, "accepted")).toHaveLength(1);
  });

  test("a done order's clientOrderId is free again after the window (24 h by default) from its submission", () => {
    const h = market();
    const t0 = h.time + 1;
    const a = h.order({ account: ALICE, qty: 1, price: 9_000, clientOrderId: "day" });
    expect(h.time).toBe(t0);
    h.cancel(a.id);
    dupOf(h, ALICE, "day", { time: t0 + DAY_US - 1 });
    const again = h.run({ type: CommandType.NEW_ORDER, orderId: 500, account: ALICE, symbol: ABC, side: BUY, orderType: LIMIT, tif: GTC, price: 9_000, qty: 1, clientOrderId: "day", time: t0 + DAY_US });
    expect(ofType(again, "accepted")).toMatchObject([{ orderId: 500 }]);
    // The new order holds it now.
    expect(dupOf(h, ALICE, "day")[0]).toMatchObject({ orderId: 500, state: NEW });
  });

  test("an open order keeps its clientOrderId past the window until it is done", () => {
    const h = market({ idempotencyWindowUs: 1_000 });
    const t0 = h.time + 1;
    const a = h.order({ account: ALICE, qty: 1, price: 9_000, clientOrderId: "long" });
    dupOf(h, ALICE, "long", { time: t0 + 5_000 });
    h.run({ type: CommandType.CANCEL, orderId: a.id, account: ALICE, symbol: ABC, time: t0 + 6_000 });
    const again = h.run({ type: CommandType.NEW_ORDER, orderId: 600, account: ALICE, symbol: ABC, side: BUY, orderType: LIMIT, tif: GTC, price: 9_000, qty: 1, clientOrderId: "long", time: t0 + 6_001 });
    expect(ofType(again, "accepted")).toMatchObject([{ orderId: 600 }]);
  });

  test("an open order past its window still holds its clientOrderId after a snapshot round trip", () => {
    const h = market({ idempotencyWindowUs: 1_000 });
    const t0 = h.time + 1;
    const a = h.order({ account: ALICE, qty: 1, price: 9_000, clientOrderId: "kept" });
    // Time passes beyond the window; the order is still open, so the id is still taken …
    h.tick(5_000);
    expect(h.ex.byClientId(ALICE, "kept")?.orderId).toBe(a.id);
    // … and a restored exchange must agree.
    const restored = readExchangeSnapshot(writeExchangeSnapshot(h.ex));
    expect(restored.byClientId(ALICE, "kept")?.orderId).toBe(a.id);
    const out = new EventBuffer();
    restored.execute(makeCommand({ type: CommandType.NEW_ORDER, orderId: 800, account: ALICE, symbol: ABC, side: BUY, orderType: LIMIT, tif: GTC, price: 9_000, qty: 1, clientOrderId: "kept", time: t0 + 5_001 }), out);
    expect(decodeEvents(out).map((e) => e.type)).toEqual(["duplicate"]);
  });

  test("the window is configurable", () => {
    const h = market({ idempotencyWindowUs: 1_000 });
    const t0 = h.time + 1;
    const a = h.order({ account: ALICE, qty: 1, price: 9_000, clientOrderId: "short", tif: IOC });
    expect(h.paths.get(a.id)).toEqual([PENDING, NEW, CANCELLED]);
    dupOf(h, ALICE, "short", { time: t0 + 999 });
    const again = h.run({ type: CommandType.NEW_ORDER, orderId: 700, account: ALICE, symbol: ABC, side: BUY, orderType: LIMIT, tif: GTC, price: 9_000, qty: 1, clientOrderId: "short", time: t0 + 1_000 });
    expect(ofType(again, "accepted")).toMatchObject([{ orderId: 700 }]);
  });

  test("an order without a clientOrderId is never a duplicate", () => {
    const h = market();
    h.buy({ account: ALICE, qty: 1, price: 9_000 });
    expect(ofType(h.buy({ account: ALICE, qty: 1, price: 9_000 }).events, "accepted")).toHaveLength(1);
  });
});
