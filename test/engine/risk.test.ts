/**
 * Pre-trade risk (R1) of docs/accounts.md: one example per reject reason, each asserting the one
 * REJECTED event AND that nothing changed (balances, reserved, positions, open orders, rate
 * history, idempotency index, book depth and stops); then the edge cases of the issue. The
 * harness checks the contract's invariants after every command.
 */
import { describe, expect, test } from "bun:test";
import type { TierSpec } from "../../engine/tier.ts";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import { ABC, Access, ALICE, BOB, BUY, CAROL, CommandType, type EngineEvent, expectRejected, FEE_ACCOUNT, FOK, GTC, Harness, INSTRUMENTS, IOC, LIMIT, MARKET, need, ofType, OrderState, Reason, SELL, STOP, STOP_LIMIT, TIER, TIERS, USD, XYZ, EUR, transitions } from "./exchange-harness.ts";

/** No trade and no configured reference price: a market buy cannot be costed. */
const NOREF = 3;
const NOREF_SPEC: InstrumentSpec = { id: NOREF, symbol: "NOREF", tickSize: "0.01", lotSize: "1", bandBps: 500, quote: "USD" };

const LIMITED = 3; // size, notional and position limits
const FEW = 4; // at most 3 open orders
const RATED = 5; // at most 3 orders and amends per second
const TINY = 6; // 1 bps fees
const RISK_TIERS: TierSpec[] = [
  ...TIERS,
  { id: LIMITED, makerBps: 10, takerBps: 20, maxOrderQty: 100, maxNotional: { USD: "1000" }, positionLimit: 150, positionLimits: { [XYZ]: 20 } },
  { id: FEW, makerBps: 10, takerBps: 20, maxOpenOrders: 3 },
  { id: RATED, makerBps: 10, takerBps: 20, rateCount: 3, rateWindowUs: 1_000_000 },
  { id: TINY, makerBps: 1, takerBps: 1 },
];

const BIG = 10n ** 12n;

/** Alice (the account under test, in `tier`) and Bob with cash, positions and resting orders on both sides. */
function setup(tier = TIER, aliceCash = BIG): Harness {
  const h = new Harness({ tiers: RISK_TIERS, instruments: [...INSTRUMENTS, NOREF_SPEC] });
  h.fund(ALICE, { [USD]: aliceCash, [EUR]: BIG }, { [ABC]: [50, 9_000] }, tier);
  h.fund(BOB, { [USD]: BIG, [EUR]: BIG }, { [ABC]: [1_000, 9_000], [XYZ]: [1_000, 400], [NOREF]: [1_000, 100] });
  h.sell({ account: BOB, qty: 20, price: 10_100 });
  h.buy({ account: BOB, qty: 20, price: 9_900 });
  h.sell({ account: BOB, symbol: NOREF, qty: 20, price: 110 });
  return h;
}

/** Runs `fn`, expects exactly one REJECTED with `reason`, and that the exchange's state did not change. */
function rejectsWithoutChange(h: Harness, reason: number, fn: () => EngineEvent[] | { events: EngineEvent[] }): void {
  const before = h.state();
  const r = fn();
  expectRejected(Array.isArray(r) ? r : r.events, reason);
  expect(h.state()).toEqual(before);
}

describe("pre-trade risk: one reject per reason, nothing changes", () => {
  test("UNKNOWN_ACCOUNT", () => {
    const h = setup();
    rejectsWithoutChange(h, Reason.UNKNOWN_ACCOUNT, () => h.buy({ account: 99, qty: 1, price: 10_000 }));
    rejectsWithoutChange(h, Reason.UNKNOWN_ACCOUNT, () => h.sell({ account: 99, qty: 1, price: 10_000, clientOrderId: "x" }));
    // Cancel/amend of another account's order is UNKNOWN_ORDER; a mass cancel of no account is UNKNOWN_ACCOUNT.
    rejectsWithoutChange(h, Reason.UNKNOWN_ACCOUNT, () => h.massCancel(99));
  });

  test("INVALID_CLIENT_ORDER_ID: 1–36 printable ASCII", () => {
    const h = setup();
    for (const id of ["has space", "x".repeat(37), "é", "tab\t", "\x7f", "new\nline"]) {
      rejectsWithoutChange(h, Reason.INVALID_CLIENT_ORDER_ID, () => h.buy({ account: ALICE, qty: 1, price: 10_000, clientOrderId: id }));
    }
    // The boundaries are accepted.
    expect(ofType(h.buy({ account: ALICE, qty: 1, price: 9_000, clientOrderId: "x".repeat(36) }).events, "accepted")).toHaveLength(1);
    expect(ofType(h.buy({ account: ALICE, qty: 1, price: 9_000, clientOrderId: "!~" }).events, "accepted")).toHaveLength(1);
  });

  test("SYMBOL_NOT_ALLOWED: denied, or an allow list without the symbol", () => {
    const h = setup();
    h.setAccess(ALICE, ABC, Access.DENY);
    rejectsWithoutChange(h, Reason.SYMBOL_NOT_ALLOWED, () => h.buy({ account: ALICE, qty: 1, price: 10_000 }));
    rejectsWithoutChange(h, Reason.SYMBOL_NOT_ALLOWED, () => h.sell({ account: ALICE, qty: 1, price: 10_000 }));
    h.setAccess(ALICE, ABC, Access.CLEAR);
    h.setAccess(ALICE, XYZ, Access.ALLOW);
    rejectsWithoutChange(h, Reason.SYMBOL_NOT_ALLOWED, () => h.buy({ account: ALICE, qty: 1, price: 10_000 }));
    expect(ofType(h.buy({ account: ALICE, symbol: XYZ, qty: 1, price: 400 }).events, "accepted")).toHaveLength(1);
  });

  test("ORDER_TOO_LARGE: qty above the tier's max order size", () => {
    const h = setup(LIMITED);
    rejectsWithoutChange(h, Reason.ORDER_TOO_LARGE, () => h.buy({ account: ALICE, qty: 101, price: 1 }));
    rejectsWithoutChange(h, Reason.ORDER_TOO_LARGE, () => h.sell({ account: ALICE, qty: 101, price: 1 }));
    expect(ofType(h.buy({ account: ALICE, qty: 100, price: 1 }).events, "accepted")).toHaveLength(1);
  });

  test("NO_REFERENCE_PRICE: a market buy with no cap, no trade and no configured reference", () => {
    const h = setup();
    // Bob's ask is there, but R1 costs from the last trade or the configured reference only.
    rejectsWithoutChange(h, Reason.NO_REFERENCE_PRICE, () => h.buy({ account: ALICE, symbol: NOREF, type: MARKET, tif: IOC, qty: 1 }));
    rejectsWithoutChange(h, Reason.NO_REFERENCE_PRICE, () => h.buy({ account: ALICE, symbol: NOREF, type: MARKET, tif: FOK, qty: 1 }));
    // With a cap it is costed at the cap and trades.
    const capped = h.buy({ account: ALICE, symbol: NOREF, type: MARKET, tif: IOC, qty: 1, price: 110 });
    expect(ofType(capped.events, "trade").map((t) => t.price)).toEqual([110]);
    // A market sell needs no costing.
    h.buy({ account: ALICE, symbol: NOREF, qty: 1, price: 106 }); // within 5 % of the last trade (110)
    expect(ofType(h.sell({ account: BOB, symbol: NOREF, type: MARKET, qty: 1 }).events, "trade")).toHaveLength(1);
    // After the first trade the last price costs it.
    expect(ofType(h.buy({ account: ALICE, symbol: NOREF, type: MARKET, qty: 1 }).events, "accepted")).toHaveLength(1);
  });

  test("NOTIONAL_TOO_LARGE: at the costing price, above the tier's max notional", () => {
    const h = setup(LIMITED);
    // max 1000.00 USD = 100_000 units; K = 1.
    rejectsWithoutChange(h, Reason.NOTIONAL_TOO_LARGE, () => h.buy({ account: ALICE, qty: 11, price: 9_091 }));
    rejectsWithoutChange(h, Reason.NOTIONAL_TOO_LARGE, () => h.sell({ account: ALICE, qty: 10, price: 10_001 }));
    // A market buy is costed at the band's worst price: 10 × 10_500 > 100_000 although 10 × 10_000 is not.
    rejectsWithoutChange(h, Reason.NOTIONAL_TOO_LARGE, () => h.buy({ account: ALICE, type: MARKET, qty: 10 }));
    // A market sell without a cap at the reference price: 11 × 10_000.
    rejectsWithoutChange(h, Reason.NOTIONAL_TOO_LARGE, () => h.sell({ account: ALICE, type: MARKET, qty: 11 }));
    // Exactly at the limit is allowed.
    expect(ofType(h.buy({ account: ALICE, qty: 10, price: 10_000 }).events, "accepted")).toHaveLength(1);
  });

  test("POSITION_LIMIT for a buy: position + open buys + qty above the limit", () => {
    const h = setup(LIMITED);
    // Alice holds 50; limit 150.
    h.buy({ account: ALICE, qty: 60, price: 1 });
    rejectsWithoutChange(h, Reason.POSITION_LIMIT, () => h.buy({ account: ALICE, qty: 41, price: 1 }));
    expect(ofType(h.buy({ account: ALICE, qty: 40, price: 1 }).events, "accepted")).toHaveLength(1);
    rejectsWithoutChange(h, Reason.POSITION_LIMIT, () => h.buy({ account: ALICE, qty: 1, price: 1 }));
  });

  test("POSITION_LIMIT for a sell: position − open sells − qty below −limit", () => {
    const h = setup(LIMITED);
    h.cancel(2); // Bob's bid, so that the sells below rest
    h.setShortLimit(ALICE, ABC, 1_000); // only the position limit can bite
    // Alice holds 50; floor −150. Notional 100 × 1000 stays within the tier's 100_000.
    expect(ofType(h.sell({ account: ALICE, qty: 50, price: 1_000 }).events, "accepted")).toHaveLength(1); // 50 − 0 − 50 = 0
    expect(ofType(h.sell({ account: ALICE, qty: 100, price: 1_000 }).events, "accepted")).toHaveLength(1); // 50 − 50 − 100 = −100
    rejectsWithoutChange(h, Reason.POSITION_LIMIT, () => h.sell({ account: ALICE, qty: 51, price: 1_000 })); // −151
    expect(ofType(h.sell({ account: ALICE, qty: 50, price: 1_000 }).events, "accepted")).toHaveLength(1); // −150
    rejectsWithoutChange(h, Reason.POSITION_LIMIT, () => h.sell({ account: ALICE, type: MARKET, qty: 1 }));
  });

  test("POSITION_LIMIT per symbol overrides the default", () => {
    const h = setup(LIMITED);
    // XYZ limit 20 lots.
    h.buy({ account: ALICE, symbol: XYZ, qty: 15, price: 400 });
    rejectsWithoutChange(h, Reason.POSITION_LIMIT, () => h.buy({ account: ALICE, symbol: XYZ, qty: 6, price: 400 }));
    expect(ofType(h.buy({ account: ALICE, symbol: XYZ, qty: 5, price: 400 }).events, "accepted")).toHaveLength(1);
  });

  test("TOO_MANY_OPEN_ORDERS: the tier's max open orders reached", () => {
    const h = setup(FEW);
    h.buy({ account: ALICE, qty: 1, price: 9_000 });
    h.buy({ account: ALICE, qty: 1, price: 9_001 });
    const third = h.sell({ account: ALICE, qty: 1, price: 11_000 });
    rejectsWithoutChange(h, Reason.TOO_MANY_OPEN_ORDERS, () => h.buy({ account: ALICE, qty: 1, price: 9_002 }));
    rejectsWithoutChange(h, Reason.TOO_MANY_OPEN_ORDERS, () => h.sell({ account: ALICE, type: MARKET, qty: 1 }));
    // A cancel frees a slot; an amend is not a new order.
    h.amend(third.id, { qty: 2 });
    h.cancel(third.id);
    expect(ofType(h.buy({ account: ALICE, qty: 1, price: 9_002 }).events, "accepted")).toHaveLength(1);
  });

  test("RATE_LIMITED: rateCount orders and amends within rateWindow of engine time, sliding", () => {
    const h = setup(RATED);
    const t = h.time + 5_000_000;
    const at = (time: number, orderId: number, price: number) =>
      h.run({ type: CommandType.NEW_ORDER, orderId, account: ALICE, symbol: ABC, side: BUY, orderType: LIMIT, tif: GTC, price, qty: 1, time });
    const amendAt = (time: number, orderId: number, price: number, qty: number) => h.run({ type: CommandType.AMEND, orderId, account: ALICE, symbol: ABC, price, qty, time });
    // An order long before: outside every window below.
    expect(ofType(at(t - 1_000_000, 1000, 9_000), "accepted")).toHaveLength(1);
    expect(ofType(at(t, 1001, 9_001), "accepted")).toHaveLength(1);
    expect(ofType(at(t + 100, 1002, 9_002), "accepted")).toHaveLength(1);
    expect(ofType(amendAt(t + 200, 1001, 9_001, 2), "amended")).toHaveLength(1); // an amend counts
    // Within (now − 1 s, now] there are t, t + 100, t + 200: the fourth is refused.
    rejectsWithoutChange(h, Reason.RATE_LIMITED, () => at(t + 300, 1003, 9_003));
    // Amends are limited too; cancels are not.
    rejectsWithoutChange(h, Reason.RATE_LIMITED, () => amendAt(t + 400, 1002, 9_002, 3));
    expect(ofType(h.run({ type: CommandType.CANCEL, orderId: 1002, account: ALICE, symbol: ABC, time: t + 500 }), "cancelled")).toHaveLength(1);
    rejectsWithoutChange(h, Reason.RATE_LIMITED, () => at(t + 999_999, 1004, 9_004));
    // Rejected commands did not count: at exactly t + 1 s the order at t has left the window.
    expect(ofType(at(t + 1_000_000, 1005, 9_005), "accepted")).toHaveLength(1);
    // … and now t + 100, t + 200, t + 1 s are the last three.
    rejectsWithoutChange(h, Reason.RATE_LIMITED, () => at(t + 1_000_099, 1006, 9_006));
    expect(ofType(at(t + 1_000_100, 1007, 9_007), "accepted")).toHaveLength(1);
    // Other accounts have their own windows.
    expect(ofType(h.buy({ account: BOB, qty: 1, price: 9_000 }).events, "accepted")).toHaveLength(1);
  });

  test("INSUFFICIENT_FUNDS: available quote cash below the reservation", () => {
    const want = need(10_000, 10, 1n, 20);
    const h = setup(TIER, want - 1n);
    rejectsWithoutChange(h, Reason.INSUFFICIENT_FUNDS, () => h.buy({ account: ALICE, qty: 10, price: 10_000 }));
    // Other currencies do not help.
    expect(h.cash(ALICE, EUR).available).toBe(BIG);
    h.deposit(ALICE, USD, 1n);
    const ok = h.buy({ account: ALICE, qty: 10, price: 10_000 });
    expect(ofType(ok.events, "accepted")).toHaveLength(1);
    expect(h.cash(ALICE, USD)).toEqual({ balance: want, reserved: want, available: 0n });
    // Nothing left for even the smallest order.
    rejectsWithoutChange(h, Reason.INSUFFICIENT_FUNDS, () => h.buy({ account: ALICE, qty: 1, price: 1 }));
  });

  test("INSUFFICIENT_POSITION: position − open sells + short limit below qty", () => {
    const h = setup();
    // Alice holds 50 ABC.
    h.sell({ account: ALICE, qty: 44, price: 20_000 });
    rejectsWithoutChange(h, Reason.INSUFFICIENT_POSITION, () => h.sell({ account: ALICE, qty: 7, price: 20_000 }));
    rejectsWithoutChange(h, Reason.INSUFFICIENT_POSITION, () => h.sell({ account: ALICE, symbol: XYZ, qty: 1, price: 400 }));
    rejectsWithoutChange(h, Reason.INSUFFICIENT_POSITION, () => h.sell({ account: ALICE, type: MARKET, qty: 7 }));
    rejectsWithoutChange(h, Reason.INSUFFICIENT_POSITION, () => h.sell({ account: ALICE, type: STOP, stopPrice: 9_000, qty: 7 }));
    expect(ofType(h.sell({ account: ALICE, qty: 6, price: 20_000 }).events, "accepted")).toHaveLength(1);
    expect(h.pos(ALICE, ABC)).toMatchObject({ qty: 50, openSells: 50 });
  });

  test("a short limit allows a short, up to the limit", () => {
    const h = setup();
    rejectsWithoutChange(h, Reason.INSUFFICIENT_POSITION, () => h.sell({ account: ALICE, symbol: XYZ, qty: 1, price: 400 }));
    h.setShortLimit(ALICE, XYZ, 5);
    h.buy({ account: BOB, symbol: XYZ, qty: 3, price: 400 });
    const s = h.sell({ account: ALICE, symbol: XYZ, qty: 3, price: 400 });
    expect(ofType(s.events, "trade")).toHaveLength(1);
    expect(h.pos(ALICE, XYZ)).toMatchObject({ qty: -3, cost: -60_000n, openSells: 0 });
    // Proceeds credited: 3 lots × 400 ticks × K 50 = 60_000, less the taker fee of 20 bps.
    expect(h.cash(ALICE, EUR).balance).toBe(BIG + 60_000n - 120n);
    h.sell({ account: ALICE, symbol: XYZ, qty: 2, price: 500 });
    rejectsWithoutChange(h, Reason.INSUFFICIENT_POSITION, () => h.sell({ account: ALICE, symbol: XYZ, qty: 1, price: 500 }));
  });

  test("the first failing check is the reason (order of docs/accounts.md)", () => {
    const h = setup(LIMITED, 0n);
    h.setAccess(ALICE, ABC, Access.DENY);
    // Everything wrong at once: invalid client id comes before the symbol access …
    rejectsWithoutChange(h, Reason.INVALID_CLIENT_ORDER_ID, () => h.buy({ account: ALICE, qty: 1_000, price: 10_000, clientOrderId: " " }));
    rejectsWithoutChange(h, Reason.SYMBOL_NOT_ALLOWED, () => h.buy({ account: ALICE, qty: 1_000, price: 10_000 }));
    h.setAccess(ALICE, ABC, Access.CLEAR);
    rejectsWithoutChange(h, Reason.ORDER_TOO_LARGE, () => h.buy({ account: ALICE, qty: 1_000, price: 10_000 }));
    rejectsWithoutChange(h, Reason.NOTIONAL_TOO_LARGE, () => h.buy({ account: ALICE, qty: 100, price: 10_000 }));
    h.depositPosition(ALICE, ABC, 60, 9_000); // 110 held: + 100 is beyond 150
    rejectsWithoutChange(h, Reason.POSITION_LIMIT, () => h.buy({ account: ALICE, qty: 100, price: 1_000 }));
    rejectsWithoutChange(h, Reason.INSUFFICIENT_FUNDS, () => h.buy({ account: ALICE, qty: 40, price: 100 }));
    // The book's field checks come first of all.
    rejectsWithoutChange(h, Reason.INVALID_QUANTITY, () => h.buy({ account: 99, qty: 0, price: 100 }));
    rejectsWithoutChange(h, Reason.UNKNOWN_SYMBOL, () => h.buy({ account: 99, symbol: 77, qty: 1, price: 100 }));
    // The book's own symbol-side checks come after R1.
    rejectsWithoutChange(h, Reason.INSUFFICIENT_FUNDS, () => h.buy({ account: ALICE, qty: 1, price: 10_100, flags: 1 }));
  });
});

describe("edge cases", () => {
  test("a reservation may take available to exactly zero; the fill releases it exactly", () => {
    const want = need(10_000, 10, 1n, 20);
    const h = setup(TIER, want);
    const b = h.buy({ account: ALICE, qty: 10, price: 9_950 });
    expect(h.cash(ALICE, USD).available).toBe(want - need(9_950, 10, 1n, 20));
    h.cancel(b.id);
    const a = h.buy({ account: ALICE, qty: 10, price: 10_000 });
    expect(h.cash(ALICE, USD)).toEqual({ balance: want, reserved: want, available: 0n });
    // Bob takes Alice's bid: she is the maker, 10 bps = 100 units on 100_000.
    h.sell({ account: BOB, qty: 10, price: 10_000, id: 500 });
    expect(transitions(h.history, a.id).map(([, to]) => to)).toEqual([OrderState.PENDING, OrderState.NEW, OrderState.FILLED]);
    expect(h.cash(ALICE, USD)).toEqual({ balance: want - 100_000n - 100n, reserved: 0n, available: want - 100_100n });
    // What is left is exactly the fee slack and the per-lot unit: withdraw it all to reach zero.
    h.addDestination(ALICE, "bank");
    h.tick(86_400_000_000);
    expect(ofType(h.withdraw(ALICE, USD, want - 100_100n, "bank"), "account")).toHaveLength(1);
    expect(h.cash(ALICE, USD)).toEqual({ balance: 0n, reserved: 0n, available: 0n });
    expect(h.pos(ALICE, ABC)).toMatchObject({ qty: 60, cost: 450_000n + 100_000n });
  });

  test("partial fill then cancel releases the exact rest", () => {
    const h = setup(TIER, 1_000_000n);
    const a = h.buy({ account: ALICE, qty: 10, price: 10_000 });
    expect(h.cash(ALICE, USD).reserved).toBe(100_210n);
    h.sell({ account: BOB, qty: 3, price: 10_000 });
    // Maker fee ceil(30_000 × 10 / 10_000) = 30; the rest holds need(10_000, 7).
    expect(h.cash(ALICE, USD)).toEqual({ balance: 1_000_000n - 30_030n, reserved: need(10_000, 7, 1n, 20), available: 1_000_000n - 30_030n - 70_147n });
    expect(h.ex.open.get(a.id)).toMatchObject({ state: OrderState.PARTIALLY_FILLED, leaves: 7, filled: 3, reserved: 70_147n });
    const ev = h.cancel(a.id);
    expect(transitions(ev, a.id)).toEqual([[OrderState.PARTIALLY_FILLED, OrderState.CANCELLED, Reason.USER_CANCEL]]);
    expect(h.cash(ALICE, USD)).toEqual({ balance: 1_000_000n - 30_030n, reserved: 0n, available: 1_000_000n - 30_030n });
    expect(h.pos(ALICE, ABC)).toMatchObject({ qty: 53, openBuys: 0 });
  });

  test("fee rounding on tiny fills: 1 unit of notional at 1 bps costs 1 unit each side", () => {
    const h = setup();
    h.fund(CAROL, { [USD]: 100n }, {}, TINY);
    h.setTier(ALICE, TINY);
    h.cancel(2); // Bob's bid, so that Alice's sell meets Carol's
    h.buy({ account: CAROL, qty: 1, price: 1 });
    expect(h.cash(CAROL, USD).reserved).toBe(1n + 1n + 1n); // notional 1, fee ceil(0.0001) = 1, one unit per lot
    const feesBefore = h.cash(FEE_ACCOUNT, USD).balance;
    const aliceBefore = h.cash(ALICE, USD).balance;
    h.sell({ account: ALICE, qty: 1, price: 1 });
    // Buyer pays 1 + 1, seller receives 1 − 1, the fee account collects 2.
    expect(h.cash(CAROL, USD)).toEqual({ balance: 98n, reserved: 0n, available: 98n });
    expect(h.cash(ALICE, USD).balance).toBe(aliceBefore);
    expect(h.cash(FEE_ACCOUNT, USD).balance - feesBefore).toBe(2n);
  });

  test("an amend that raises the reservation beyond buying power is rejected and leaves the order intact", () => {
    const held = need(10_000, 10, 1n, 20);
    const h = setup(TIER, held + 50n);
    const a = h.buy({ account: ALICE, qty: 10, price: 10_000 });
    const level = h.ex.book.level(ABC, BUY, 10_000);
    // One more lot needs 10_000 + 20 + 1 more units; a higher price 10 × 100 + fees.
    rejectsWithoutChange(h, Reason.INSUFFICIENT_FUNDS, () => h.amend(a.id, { qty: 11 }));
    rejectsWithoutChange(h, Reason.INSUFFICIENT_FUNDS, () => h.amend(a.id, { price: 10_010 }));
    expect(h.ex.book.level(ABC, BUY, 10_000)).toEqual(level);
    expect(h.ex.open.get(a.id)).toMatchObject({ state: OrderState.NEW, price: 10_000, qty: 10, leaves: 10, reserved: held });
    // An amend within buying power goes through and re-trues the reservation.
    const ok = h.amend(a.id, { price: 10_004 });
    expect(ofType(ok, "amended")).toHaveLength(1);
    expect(h.cash(ALICE, USD)).toEqual({ balance: held + 50n, reserved: need(10_004, 10, 1n, 20), available: held + 50n - need(10_004, 10, 1n, 20) });
    // Lowering the quantity releases.
    h.amend(a.id, { qty: 4 });
    expect(h.cash(ALICE, USD).reserved).toBe(need(10_004, 4, 1n, 20));
  });

  test("a sell amend beyond the position is rejected and leaves the order intact", () => {
    const h = setup();
    const s = h.sell({ account: ALICE, qty: 50, price: 20_000 });
    rejectsWithoutChange(h, Reason.INSUFFICIENT_POSITION, () => h.amend(s.id, { qty: 51 }));
    expect(ofType(h.amend(s.id, { qty: 30 }), "amended")).toHaveLength(1);
    expect(h.pos(ALICE, ABC).openSells).toBe(30);
  });

  test("a market buy is costed at the band's worst price and never trades above it", () => {
    // Reference 10_000 ticks, band 5 % → costing price 10_500.
    const want = need(10_500, 10, 1n, 20);
    const h = setup(TIER, want - 1n);
    h.cancel(1); // Bob's 10_100 ask
    h.sell({ account: BOB, qty: 3, price: 10_400 });
    h.sell({ account: BOB, qty: 3, price: 10_500 });
    h.sell({ account: BOB, qty: 5, price: 10_501 });
    rejectsWithoutChange(h, Reason.INSUFFICIENT_FUNDS, () => h.buy({ account: ALICE, type: MARKET, qty: 10 }));
    h.deposit(ALICE, USD, 1n);
    const m = h.buy({ account: ALICE, type: MARKET, qty: 10 });
    const accepted = ofType(m.events, "accepted")[0]!;
    expect(accepted.price).toBe(10_500); // the cap R1 wrote
    expect(ofType(m.events, "trade").map((t) => [t.price, t.qty])).toEqual([
      [10_400, 3],
      [10_500, 3],
    ]);
    const cancelled = ofType(m.events, "cancelled");
    expect(cancelled).toMatchObject([{ orderId: m.id, qty: 4, reason: Reason.PRICE_BAND }]);
    const paid = 31_200n + 31_500n;
    expect(h.cash(ALICE, USD)).toEqual({ balance: want - paid - 126n, reserved: 0n, available: want - paid - 126n });
    expect(h.ex.book.depth(ABC, SELL)).toEqual([{ price: 10_501, qty: 5, count: 1 }]);
  });

  test("a market buy's own cap is its costing price", () => {
    const h = setup(TIER, need(10_100, 5, 1n, 20));
    const m = h.buy({ account: ALICE, type: MARKET, qty: 5, price: 10_100 });
    expect(ofType(m.events, "trade").map((t) => [t.price, t.qty])).toEqual([[10_100, 5]]);
    expect(h.cash(ALICE, USD).reserved).toBe(0n);
  });

  test("a market buy after a trade is costed from the last trade price", () => {
    const h = setup(TIER);
    h.buy({ account: ALICE, qty: 1, price: 10_100 }); // prints at 10_100
    const m = h.buy({ account: ALICE, type: MARKET, qty: 1, tif: FOK });
    expect(ofType(m.events, "accepted")[0]!.price).toBe(10_100 + 505);
  });

  test("a buy stop's reservation covers its triggered execution", () => {
    // Stop at 10_100, band 5 % → cap 10_100 + 505 = 10_605.
    const cap = 10_605;
    const want = need(cap, 10, 1n, 20);
    const h = setup(TIER, want);
    h.fund(CAROL, { [USD]: BIG });
    const st = h.buy({ account: ALICE, type: STOP, stopPrice: 10_100, qty: 10 });
    expect(ofType(st.events, "accepted")[0]).toMatchObject({ price: cap, stopPrice: 10_100 });
    expect(h.cash(ALICE, USD)).toEqual({ balance: want, reserved: want, available: 0n });
    // Asks: Bob's 20 at 10_100 (order 1), then 5 at 10_300, 4 at 10_600, 5 at 10_700.
    h.sell({ account: BOB, qty: 5, price: 10_300 });
    h.sell({ account: BOB, qty: 4, price: 10_600 });
    h.sell({ account: BOB, qty: 5, price: 10_700 });
    // Carol lifts 20 at 10_100 and 1 at 10_300: the last trade 10_300 is above the stop, so the
    // book's band would allow 10_300 + 515 = 10_815; the cap holds it at 10_605.
    const trig = h.buy({ account: CAROL, qty: 21, price: 10_300 });
    expect(ofType(trig.events, "stopTriggered")).toMatchObject([{ orderId: st.id, stopPrice: 10_100 }]);
    const fills = ofType(trig.events, "trade").filter((t) => t.takerOrderId === st.id);
    expect(fills.map((t) => [t.price, t.qty])).toEqual([
      [10_300, 4],
      [10_600, 4],
    ]);
    expect(fills.every((t) => t.price <= cap)).toBe(true);
    expect(ofType(trig.events, "cancelled")).toMatchObject([{ orderId: st.id, qty: 2, reason: Reason.PRICE_BAND }]);
    const paid = 41_200n + 42_400n;
    const fees = (paid * 20n + 9_999n) / 10_000n;
    expect(h.cash(ALICE, USD)).toEqual({ balance: want - paid - fees, reserved: 0n, available: want - paid - fees });
    expect(transitions(h.history, st.id).map(([, to]) => to)).toEqual([OrderState.PENDING, OrderState.NEW, OrderState.PARTIALLY_FILLED, OrderState.PARTIALLY_FILLED, OrderState.CANCELLED]);
  });

  test("a buy stop-limit is costed at its limit", () => {
    const h = setup(TIER, need(10_200, 3, 1n, 20));
    rejectsWithoutChange(h, Reason.INSUFFICIENT_FUNDS, () => h.buy({ account: ALICE, type: STOP_LIMIT, stopPrice: 10_150, price: 10_201, qty: 3 }));
    h.buy({ account: ALICE, type: STOP_LIMIT, stopPrice: 10_150, price: 10_200, qty: 3 });
    expect(h.cash(ALICE, USD).available).toBe(0n);
  });

  test("sells hold lots, not cash; a filled sell credits proceeds less fees", () => {
    const h = setup(TIER, 0n);
    const s = h.sell({ account: ALICE, qty: 10, price: 10_050 });
    expect(h.cash(ALICE, USD)).toEqual({ balance: 0n, reserved: 0n, available: 0n });
    expect(h.pos(ALICE, ABC)).toMatchObject({ qty: 50, openSells: 10 });
    h.buy({ account: BOB, qty: 10, price: 10_050 });
    expect(h.ex.open.has(s.id)).toBe(false);
    expect(h.cash(ALICE, USD).balance).toBe(100_500n - 101n);
    expect(h.pos(ALICE, ABC)).toMatchObject({ qty: 40, openSells: 0, cost: 360_000n, realized: 100_500n - 90_000n });
  });
});
