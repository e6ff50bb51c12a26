/**
 * An amend of a pending STOP (stop-market) through the whole Exchange keeps what its cap means
 * (docs/matching.md, AMEND): price 0 keeps it. A sell without a cap stays without one, so once
 * triggered it sells as a market order would, down to its protection band and not only to its
 * stop; a buy's cap that risk derived from its trigger is derived again from the amended trigger;
 * a cap the client gave stays the client's.
 *
 * ABC: reference 100.00 (10_000 ticks), band 5 %, K = 1. Each scenario triggers the stop with a
 * trade between Bob and Carol, then compares the stop's fills with those of a twin that was placed
 * with the amended size from the start and never amended.
 */
import { describe, expect, test } from "bun:test";
import { ABC, ALICE, BOB, CAROL, type EngineEvent, Harness, K, Reason, STOP, TIERS, USD, need, ofType } from "./exchange-harness.ts";

const BIG = 10n ** 12n;
const WORST_BPS = 20; // TIER: maker 10, taker 20
/** A tier whose orders may not exceed 100.00 USD of notional. */
const CAPPED = 9;

/** stop + floor(stop × 5 %): the cap risk gives a buy stop without one (docs/accounts.md). */
const bandCap = (stop: number) => stop + Math.floor((stop * 500) / 10_000);

function setup(): Harness {
  const h = new Harness();
  h.fund(ALICE, { [USD]: BIG }, { [ABC]: [50, 10_000] });
  h.fund(BOB, { [USD]: BIG }, { [ABC]: [1_000, 10_000] });
  h.fund(CAROL, { [USD]: BIG }, { [ABC]: [1_000, 10_000] });
  return h;
}

/** What the stop did once triggered: its fills as [price, qty] and why its remainder was cancelled. */
function outcome(events: EngineEvent[], orderId: number): { fills: [number, number][]; cancelled: number[] } {
  return {
    fills: ofType(events, "trade")
      .filter((e) => e.takerOrderId === orderId)
      .map((e) => [e.price, e.qty]),
    cancelled: ofType(events, "cancelled")
      .filter((e) => e.orderId === orderId)
      .map((e) => e.reason),
  };
}

describe("a sell stop-market without a cap", () => {
  /**
   * Bob bids 99.40 (1), 99.00 (2) and 90.00 (5). Carol's sale at 99.40 triggers Alice's stop at
   * 99.50; from the last trade 99.40 the band reaches down to 94.43, so 99.00 fills and 90.00 does not.
   */
  function sellScenario(amend: (h: Harness, id: number) => EngineEvent[] | undefined, qty: number) {
    const h = setup();
    h.buy({ account: BOB, price: 9_940, qty: 1 });
    h.buy({ account: BOB, price: 9_900, qty: 2 });
    h.buy({ account: BOB, price: 9_000, qty: 5 });
    const stop = h.sell({ account: ALICE, type: STOP, stopPrice: 9_950, qty });
    const amended = amend(h, stop.id);
    const view = h.ex.book.order(stop.id);
    const triggered = h.sell({ account: CAROL, price: 9_940, qty: 1 }).events;
    return { h, id: stop.id, amended, view, triggered, outcome: outcome(triggered, stop.id) };
  }

  test("an amend of its size only keeps it uncapped: triggered, it fills below its stop, within its band", () => {
    const twin = sellScenario(() => undefined, 3);
    expect(twin.outcome, "the never-amended twin sells as a market order").toEqual({ fills: [[9_900, 2]], cancelled: [Reason.PRICE_BAND] });

    const s = sellScenario((h, id) => h.amend(id, { qty: 3, price: 0 }), 2);
    expect(ofType(s.amended!, "amended").map((e) => [e.price, e.qty, e.leaves]), "AMENDED keeps price 0: no cap").toEqual([[0, 3, 3]]);
    expect(s.view?.price, "the book holds no cap for the amended stop").toBe(0);
    expect(ofType(s.triggered, "stopTriggered").map((e) => e.orderId), "Carol's trade at 99.40 triggers the stop").toEqual([s.id]);
    expect(s.outcome, "the amended stop fills at 99.00, below its stop 99.50, and not at 90.00, outside its band").toEqual(twin.outcome);
  });

  test("an amend of its trigger keeps it uncapped too", () => {
    const s = sellScenario((h, id) => h.amend(id, { qty: 3, price: 0, stopPrice: 9_945 }), 2);
    expect(ofType(s.amended!, "amended").map((e) => e.price), "no cap after a new trigger").toEqual([0]);
    expect(s.outcome, "triggered at 99.40, it fills at 99.00 within its band").toEqual({ fills: [[9_900, 2]], cancelled: [Reason.PRICE_BAND] });
  });

  test("the account side costs the amended sell at its new trigger, as at entry", () => {
    const h = setup();
    const stop = h.sell({ account: ALICE, type: STOP, stopPrice: 9_950, qty: 2 });
    expect(h.ex.open.get(stop.id)?.price, "entry: costed at its stop").toBe(9_950);
    h.amend(stop.id, { qty: 3, price: 0, stopPrice: 9_800 });
    expect(h.ex.open.get(stop.id)?.price, "after the amend: costed at its new stop").toBe(9_800);
    expect(h.ex.book.order(stop.id)?.price, "and still no cap in the book").toBe(0);
  });

  test("the notional limit applies at the new trigger", () => {
    const h = new Harness({ tiers: [...TIERS, { id: CAPPED, makerBps: 10, takerBps: 20, maxNotional: { USD: "100" } }] });
    h.fund(ALICE, { [USD]: BIG }, { [ABC]: [50, 10_000] }, CAPPED);
    const stop = h.sell({ account: ALICE, type: STOP, stopPrice: 9_000, qty: 1 });
    expect(ofType(h.amend(stop.id, { qty: 1, price: 0, stopPrice: 10_000 }), "amended"), "100.00 × 1 is at the limit").toHaveLength(1);
    const before = h.state();
    const r = h.amend(stop.id, { qty: 1, price: 0, stopPrice: 10_001 });
    expect(r.map((e) => (e.type === "rejected" ? e.reason : e.type)), "100.01 × 1 is over it").toEqual([Reason.NOTIONAL_TOO_LARGE]);
    expect(h.state()).toEqual(before);
  });

  test("a sell stop's own cap stays when the amend's price is 0", () => {
    const h = setup();
    h.buy({ account: BOB, price: 9_940, qty: 1 });
    h.buy({ account: BOB, price: 9_900, qty: 2 });
    const capped = h.sell({ account: ALICE, type: STOP, price: 9_920, stopPrice: 9_950, qty: 2 });
    h.amend(capped.id, { qty: 3, price: 0, stopPrice: 9_945 });
    expect(h.ex.book.order(capped.id)?.price, "the client's cap 99.20 stays").toBe(9_920);
    const out = outcome(h.sell({ account: CAROL, price: 9_940, qty: 1 }).events, capped.id);
    expect(out, "capped at 99.20, it does not sell at 99.00").toEqual({ fills: [], cancelled: [Reason.PRICE_BAND] });
  });
});

describe("a buy stop-market without a cap (risk caps it at its trigger's band)", () => {
  /**
   * Bob asks 100.60 (1), 103.00 (2) and 110.00 (5). Carol's purchase at 100.60 triggers Alice's stop
   * at 100.50, whose risk cap is 100.50 + 5 % = 105.52: 103.00 fills and 110.00 does not.
   */
  function buyScenario(amend: (h: Harness, id: number) => EngineEvent[] | undefined, qty: number) {
    const h = setup();
    h.sell({ account: BOB, price: 10_060, qty: 1 });
    h.sell({ account: BOB, price: 10_300, qty: 2 });
    h.sell({ account: BOB, price: 11_000, qty: 5 });
    const stop = h.buy({ account: ALICE, type: STOP, stopPrice: 10_050, qty });
    const amended = amend(h, stop.id);
    const view = h.ex.book.order(stop.id);
    const reserved = h.ex.open.get(stop.id)?.reserved;
    const triggered = h.buy({ account: CAROL, price: 10_060, qty: 1 }).events;
    return { h, id: stop.id, amended, view, reserved, triggered, outcome: outcome(triggered, stop.id) };
  }

  test("an amend of its size only keeps the cap risk derived, and reserves for the new size", () => {
    const twin = buyScenario(() => undefined, 3);
    expect(twin.view?.price, "entry: the risk cap").toBe(bandCap(10_050));
    expect(twin.outcome, "the never-amended twin").toEqual({ fills: [[10_300, 2]], cancelled: [Reason.PRICE_BAND] });

    const s = buyScenario((h, id) => h.amend(id, { qty: 3, price: 0 }), 2);
    expect(ofType(s.amended!, "amended").map((e) => [e.price, e.qty]), "AMENDED with the risk cap, not a reject").toEqual([[bandCap(10_050), 3]]);
    expect(s.reserved, "reserved for 3 lots at the cap").toBe(need(bandCap(10_050), 3, K[ABC]!, WORST_BPS));
    expect(s.outcome, "the amended stop fills as its twin does").toEqual(twin.outcome);
  });

  test("an amend that raises its trigger derives the cap again: it is not stranded under the old one", () => {
    const h = setup();
    h.sell({ account: BOB, price: 10_500, qty: 1 });
    h.sell({ account: BOB, price: 11_000, qty: 2 });
    h.sell({ account: BOB, price: 12_000, qty: 5 });
    const stop = h.buy({ account: ALICE, type: STOP, stopPrice: 10_050, qty: 2 });
    const am = h.amend(stop.id, { qty: 2, price: 0, stopPrice: 10_500 });
    expect(ofType(am, "amended").map((e) => [e.price, e.oldPrice]), "the cap follows the trigger").toEqual([[bandCap(10_500), bandCap(10_050)]]);
    expect(h.ex.open.get(stop.id)?.reserved, "reserved at the new cap").toBe(need(bandCap(10_500), 2, K[ABC]!, WORST_BPS));
    const out = outcome(h.buy({ account: CAROL, price: 10_500, qty: 1 }).events, stop.id);
    expect(out, "fills at 110.00, above the old cap 105.52, within the new 110.25").toEqual({ fills: [[11_000, 2]], cancelled: [] });
  });

  test("a cap the client gave stays when the amend's price is 0, even when the trigger moves", () => {
    const h = setup();
    const stop = h.buy({ account: ALICE, type: STOP, price: 10_200, stopPrice: 10_050, qty: 2 });
    h.amend(stop.id, { qty: 3, price: 0, stopPrice: 10_100 });
    expect(h.ex.book.order(stop.id)?.price, "the client's cap").toBe(10_200);
    expect(h.ex.open.get(stop.id)?.reserved).toBe(need(10_200, 3, K[ABC]!, WORST_BPS));
  });

  test("a cap given in an amend becomes the client's: a later price 0 keeps it rather than deriving one", () => {
    const h = setup();
    const stop = h.buy({ account: ALICE, type: STOP, stopPrice: 10_050, qty: 2 });
    h.amend(stop.id, { qty: 2, price: 10_400, stopPrice: 10_050 });
    expect(h.ex.book.order(stop.id)?.price, "the amend's cap").toBe(10_400);
    const am = h.amend(stop.id, { qty: 2, price: 0, stopPrice: 10_300 });
    expect(ofType(am, "amended").map((e) => e.price), "kept, not derived from 103.00").toEqual([10_400]);
    expect(h.ex.open.get(stop.id)?.reserved).toBe(need(10_400, 2, K[ABC]!, WORST_BPS));
  });

  test("an amend that cannot afford the re-derived cap is rejected and changes nothing", () => {
    const h = new Harness();
    const cash = need(bandCap(10_050), 2, K[ABC]!, WORST_BPS);
    h.fund(ALICE, { [USD]: cash }, {});
    const stop = h.buy({ account: ALICE, type: STOP, stopPrice: 10_050, qty: 2 });
    const before = h.state();
    const r = h.amend(stop.id, { qty: 2, price: 0, stopPrice: 10_500 });
    expect(r.map((e) => (e.type === "rejected" ? e.reason : e.type)), "the higher cap costs more than Alice holds").toEqual([Reason.INSUFFICIENT_FUNDS]);
    expect(h.state()).toEqual(before);
  });
});

test("a malformed cap or trigger gets the book's reject, before any costing (a fractional cap used to throw in risk)", () => {
  const h = new Harness({ tiers: [...TIERS, { id: CAPPED, makerBps: 10, takerBps: 20, maxNotional: { USD: "100" } }] });
  h.fund(ALICE, { [USD]: BIG }, { [ABC]: [50, 10_000] }, CAPPED);
  const stop = h.sell({ account: ALICE, type: STOP, stopPrice: 9_000, qty: 1 });
  const before = h.state();
  const reasons = (events: EngineEvent[]) => events.map((e) => (e.type === "rejected" ? e.reason : e.type));
  expect(reasons(h.amend(stop.id, { qty: 1, price: 2.5 })), "a fractional cap").toEqual([Reason.INVALID_PRICE]);
  expect(reasons(h.amend(stop.id, { qty: 1, price: 0, stopPrice: 2.5 })), "a fractional trigger").toEqual([Reason.INVALID_STOP_PRICE]);
  expect(reasons(h.amend(stop.id, { qty: 1, price: 0, stopPrice: 0 })), "no trigger").toEqual([Reason.INVALID_STOP_PRICE]);
  expect(h.state()).toEqual(before);
});
