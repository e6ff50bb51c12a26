/**
 * Account commands of docs/accounts.md through the Exchange: each takes effect with one ACCOUNT
 * event or is rejected with one REJECTED event and no change; marks and portfolio().
 */
import { describe, expect, test } from "bun:test";
import { portfolio } from "../../engine/pnl.ts";
import { readExchangeSnapshot, writeExchangeSnapshot } from "../../engine/exchange-snapshot.ts";
import { ABC, Access, CURRENCIES, ALICE, ALL_SYMBOLS, BOB, CommandType, DAY_US, type EngineEvent, EUR, expectAccount, expectRejected, FEE_ACCOUNT, FREE, HOUR_US, Harness, need, ofType, Reason, TIER, USD, XYZ } from "./exchange-harness.ts";

function rejectsWithoutChange(h: Harness, reason: number, fn: () => EngineEvent[]): void {
  const before = h.state();
  expectRejected(fn(), reason);
  expect(h.state()).toEqual(before);
}

describe("OPEN_ACCOUNT", () => {
  test("opens with a tier; the fee account exists from the start", () => {
    const h = new Harness();
    expect(h.ledger.accounts.has(FEE_ACCOUNT)).toBe(true);
    const ev = h.open(ALICE, FREE);
    expect(ev).toEqual([{ type: "account", symbol: 0, account: ALICE, commandType: CommandType.OPEN_ACCOUNT, subject: 0 }]);
    expect(h.ledger.accounts.get(ALICE)!.tier).toBe(FREE);
    expect(portfolio(h.ledger, ALICE)).toMatchObject({ account: ALICE, tier: FREE, cash: [], positions: [] });
  });

  test("ACCOUNT_EXISTS, UNKNOWN_TIER, INVALID_ACCOUNT", () => {
    const h = new Harness();
    h.open(ALICE);
    rejectsWithoutChange(h, Reason.ACCOUNT_EXISTS, () => h.open(ALICE, FREE));
    rejectsWithoutChange(h, Reason.ACCOUNT_EXISTS, () => h.open(FEE_ACCOUNT));
    rejectsWithoutChange(h, Reason.UNKNOWN_TIER, () => h.open(BOB, 99));
    rejectsWithoutChange(h, Reason.INVALID_ACCOUNT, () => h.open(-1));
    rejectsWithoutChange(h, Reason.INVALID_ACCOUNT, () => h.open(1.5));
  });

  test("a configurable fee account", () => {
    const h = new Harness({ feeAccount: 77 });
    expect(h.ledger.feeAccount).toBe(77);
    expect(h.ledger.accounts.has(77)).toBe(true);
    expect(h.ledger.accounts.has(0)).toBe(false);
    expectAccount(h.open(0));
  });
});

describe("DEPOSIT", () => {
  test("credits the balance exactly", () => {
    const h = new Harness();
    h.open(ALICE);
    const ev = h.deposit(ALICE, USD, 12_345n);
    expect(ev).toEqual([{ type: "account", symbol: 0, account: ALICE, commandType: CommandType.DEPOSIT, subject: USD }]);
    h.deposit(ALICE, USD, 2n ** 80n);
    expect(h.cash(ALICE, USD)).toEqual({ balance: 12_345n + 2n ** 80n, reserved: 0n, available: 12_345n + 2n ** 80n });
    expect(h.cash(ALICE, EUR).balance).toBe(0n);
  });

  test("UNKNOWN_ACCOUNT, UNKNOWN_CURRENCY, INVALID_AMOUNT", () => {
    const h = new Harness();
    h.open(ALICE);
    h.deposit(ALICE, USD, 100n);
    rejectsWithoutChange(h, Reason.UNKNOWN_ACCOUNT, () => h.deposit(BOB, USD, 100n));
    rejectsWithoutChange(h, Reason.UNKNOWN_CURRENCY, () => h.deposit(ALICE, 9, 100n));
    rejectsWithoutChange(h, Reason.INVALID_AMOUNT, () => h.deposit(ALICE, USD, 0n));
    rejectsWithoutChange(h, Reason.INVALID_AMOUNT, () => h.deposit(ALICE, USD, -1n));
    rejectsWithoutChange(h, Reason.INVALID_AMOUNT, () => h.deposit(ALICE, USD, 5 as unknown as bigint));
  });
});

describe("withdrawals above the approval threshold", () => {
  /** USD withdrawals above 100.00 (10,000 cents) wait for an operator. */
  function held(): Harness {
    const h = new Harness({ destinationDelayUs: 0, currencies: CURRENCIES.map((c) => (c.id === USD ? { ...c, approveWithdrawalsAbove: "100.00" } : c)) });
    h.fund(ALICE, { [USD]: 100_000n });
    h.addDestination(ALICE, "bank");
    return h;
  }
  const settle = (h: Harness, type: number, id: number, amount: bigint, destination = "bank") => h.run({ type, account: ALICE, orderId: id, currency: USD, amount, destination });

  test("at the threshold paid at once; above it reserved and awaiting approval, then paid by an approval", () => {
    const h = held();
    expectAccount(h.withdraw(ALICE, USD, 10_000n, "bank"));
    expect(h.cash(ALICE, USD)).toEqual({ balance: 90_000n, reserved: 0n, available: 90_000n });
    expectAccount(h.withdraw(ALICE, USD, 30_000n, "bank"));
    expect(h.cash(ALICE, USD)).toEqual({ balance: 90_000n, reserved: 30_000n, available: 60_000n });
    const w = h.ledger.accounts.get(ALICE)!.pendingWithdrawals.get(1)!;
    expect([w.amount, w.destination]).toEqual([30_000n, "bank"]);
    // The reservation holds: what is left available is all that can leave or be spent.
    rejectsWithoutChange(h, Reason.INSUFFICIENT_FUNDS, () => h.withdraw(ALICE, USD, 60_001n, "bank"));
    expectAccount(settle(h, CommandType.APPROVE_WITHDRAWAL, 1, 30_000n));
    expect(h.cash(ALICE, USD)).toEqual({ balance: 60_000n, reserved: 0n, available: 60_000n });
    expect(h.ledger.accounts.get(ALICE)!.pendingWithdrawals.size).toBe(0);
  });

  test("a rejection releases the reservation; an approval must restate the withdrawal and name one that waits", () => {
    const h = held();
    h.withdraw(ALICE, USD, 20_000n, "bank");
    h.withdraw(ALICE, USD, 25_000n, "bank");
    rejectsWithoutChange(h, Reason.WITHDRAWAL_MISMATCH, () => settle(h, CommandType.APPROVE_WITHDRAWAL, 1, 20_001n));
    rejectsWithoutChange(h, Reason.WITHDRAWAL_MISMATCH, () => settle(h, CommandType.APPROVE_WITHDRAWAL, 1, 20_000n, "elsewhere"));
    rejectsWithoutChange(h, Reason.UNKNOWN_WITHDRAWAL, () => settle(h, CommandType.APPROVE_WITHDRAWAL, 9, 20_000n));
    expectAccount(settle(h, CommandType.REJECT_WITHDRAWAL, 1, 20_000n));
    expect(h.cash(ALICE, USD)).toEqual({ balance: 100_000n, reserved: 25_000n, available: 75_000n });
    rejectsWithoutChange(h, Reason.UNKNOWN_WITHDRAWAL, () => settle(h, CommandType.APPROVE_WITHDRAWAL, 1, 20_000n));
    const restored = readExchangeSnapshot(writeExchangeSnapshot(h.ex));
    expect([...restored.ledger.accounts.get(ALICE)!.pendingWithdrawals.values()]).toEqual([...h.ledger.accounts.get(ALICE)!.pendingWithdrawals.values()]);
    expect(restored.ledger.accounts.get(ALICE)!.nextWithdrawal).toBe(3);
  });
});

describe("WITHDRAW and destinations", () => {
  function funded(delay?: number): Harness {
    const h = new Harness(delay === undefined ? {} : { destinationDelayUs: delay });
    h.fund(ALICE, { [USD]: 100_000n, [EUR]: 5_000n });
    return h;
  }

  test("a destination becomes usable destinationDelay (default 24 h) of engine time after it was added", () => {
    const h = funded();
    const added = h.time + 1;
    expectAccount(h.run({ type: CommandType.ADD_DESTINATION, account: ALICE, destination: "IBAN-DE00-1234", time: added }));
    rejectsWithoutChange(h, Reason.DESTINATION_NOT_ACTIVE, () => h.withdraw(ALICE, USD, 1n, "IBAN-DE00-1234", added + HOUR_US));
    rejectsWithoutChange(h, Reason.DESTINATION_NOT_ACTIVE, () => h.withdraw(ALICE, USD, 1n, "IBAN-DE00-1234", added + DAY_US - 1));
    const ev = h.withdraw(ALICE, USD, 40_000n, "IBAN-DE00-1234", added + DAY_US);
    expect(ev).toEqual([{ type: "account", symbol: 0, account: ALICE, commandType: CommandType.WITHDRAW, subject: USD }]);
    expect(h.cash(ALICE, USD).balance).toBe(60_000n);
  });

  test("the delay is configurable, and adding a destination again does not restart it", () => {
    const h = funded(1_000);
    const added = h.time + 1;
    h.run({ type: CommandType.ADD_DESTINATION, account: ALICE, destination: "wallet", time: added });
    expectAccount(h.run({ type: CommandType.ADD_DESTINATION, account: ALICE, destination: "wallet", time: added + 999 }));
    rejectsWithoutChange(h, Reason.DESTINATION_NOT_ACTIVE, () => h.withdraw(ALICE, EUR, 1n, "wallet", added + 999));
    expectAccount(h.withdraw(ALICE, EUR, 5_000n, "wallet", added + 1_000));
    expect(h.cash(ALICE, EUR).balance).toBe(0n);
  });

  test("DESTINATION_NOT_WHITELISTED: per account", () => {
    const h = funded(0);
    h.fund(BOB, { [USD]: 10n });
    h.addDestination(BOB, "bob-bank");
    rejectsWithoutChange(h, Reason.DESTINATION_NOT_WHITELISTED, () => h.withdraw(ALICE, USD, 1n, "bob-bank"));
    rejectsWithoutChange(h, Reason.DESTINATION_NOT_WHITELISTED, () => h.withdraw(ALICE, USD, 1n, ""));
    expectAccount(h.withdraw(BOB, USD, 10n, "bob-bank"));
  });

  test("INSUFFICIENT_FUNDS: only available cash (balance − reserved) can leave", () => {
    const h = funded(0);
    h.addDestination(ALICE, "bank");
    const b = h.buy({ account: ALICE, qty: 5, price: 10_000 });
    const held = need(10_000, 5, 1n, 20);
    expect(h.cash(ALICE, USD).reserved).toBe(held);
    rejectsWithoutChange(h, Reason.INSUFFICIENT_FUNDS, () => h.withdraw(ALICE, USD, 100_000n - held + 1n, "bank"));
    expectAccount(h.withdraw(ALICE, USD, 100_000n - held, "bank"));
    expect(h.cash(ALICE, USD)).toEqual({ balance: held, reserved: held, available: 0n });
    h.cancel(b.id);
    expectAccount(h.withdraw(ALICE, USD, held, "bank"));
    expect(h.cash(ALICE, USD).balance).toBe(0n);
  });

  test("UNKNOWN_ACCOUNT, UNKNOWN_CURRENCY, INVALID_AMOUNT, INVALID_DESTINATION", () => {
    const h = funded(0);
    h.addDestination(ALICE, "bank");
    rejectsWithoutChange(h, Reason.UNKNOWN_ACCOUNT, () => h.withdraw(BOB, USD, 1n, "bank"));
    rejectsWithoutChange(h, Reason.UNKNOWN_CURRENCY, () => h.withdraw(ALICE, 9, 1n, "bank"));
    rejectsWithoutChange(h, Reason.INVALID_AMOUNT, () => h.withdraw(ALICE, USD, 0n, "bank"));
    rejectsWithoutChange(h, Reason.INVALID_AMOUNT, () => h.withdraw(ALICE, USD, -10n, "bank"));
    for (const d of ["", "has space", "x".repeat(97), "tab\t", "ünïcode"]) rejectsWithoutChange(h, Reason.INVALID_DESTINATION, () => h.addDestination(ALICE, d));
    rejectsWithoutChange(h, Reason.UNKNOWN_ACCOUNT, () => h.addDestination(BOB, "bank"));
    expectAccount(h.addDestination(ALICE, "x".repeat(96)));
  });
});

describe("DEPOSIT_POSITION and WITHDRAW_POSITION", () => {
  test("securities move in at a cost basis of price ticks per lot", () => {
    const h = new Harness();
    h.open(ALICE);
    const ev = h.depositPosition(ALICE, XYZ, 10, 400);
    expect(ev).toEqual([{ type: "account", symbol: XYZ, account: ALICE, commandType: CommandType.DEPOSIT_POSITION, subject: XYZ }]);
    h.depositPosition(ALICE, XYZ, 10, 420);
    // K = 50: 10 × 400 × 50 + 10 × 420 × 50.
    expect(h.pos(ALICE, XYZ)).toMatchObject({ qty: 20, cost: 410_000n, realized: 0n });
    expect(ofType(h.withdrawPosition(ALICE, XYZ, 5, 410), "account")).toHaveLength(1);
    // Average cost 410: withdrawing at 410 per lot realizes nothing and leaves the average.
    expect(h.pos(ALICE, XYZ)).toMatchObject({ qty: 15, cost: 307_500n, realized: 0n });
    h.withdrawPosition(ALICE, XYZ, 15, 410);
    expect(h.pos(ALICE, XYZ)).toMatchObject({ qty: 0, cost: 0n, realized: 0n });
  });

  test("INSUFFICIENT_POSITION: lots held by open sells cannot leave; a short limit does not help", () => {
    const h = new Harness();
    h.fund(ALICE, {}, { [ABC]: [10, 10_000] });
    h.setShortLimit(ALICE, ABC, 100);
    h.sell({ account: ALICE, qty: 4, price: 11_000 });
    rejectsWithoutChange(h, Reason.INSUFFICIENT_POSITION, () => h.withdrawPosition(ALICE, ABC, 7, 10_000));
    rejectsWithoutChange(h, Reason.INSUFFICIENT_POSITION, () => h.withdrawPosition(ALICE, XYZ, 1, 400));
    expectAccount(h.withdrawPosition(ALICE, ABC, 6, 10_000));
    expect(h.pos(ALICE, ABC)).toMatchObject({ qty: 4, openSells: 4 });
  });

  test("UNKNOWN_ACCOUNT, UNKNOWN_SYMBOL, INVALID_QUANTITY, INVALID_PRICE", () => {
    const h = new Harness();
    h.fund(ALICE, {}, { [ABC]: [10, 10_000] });
    for (const mv of [h.depositPosition.bind(h), h.withdrawPosition.bind(h)]) {
      rejectsWithoutChange(h, Reason.UNKNOWN_ACCOUNT, () => mv(BOB, ABC, 1, 10_000));
      rejectsWithoutChange(h, Reason.UNKNOWN_SYMBOL, () => mv(ALICE, 42, 1, 10_000));
      rejectsWithoutChange(h, Reason.INVALID_QUANTITY, () => mv(ALICE, ABC, 0, 10_000));
      rejectsWithoutChange(h, Reason.INVALID_QUANTITY, () => mv(ALICE, ABC, 1.5, 10_000));
      rejectsWithoutChange(h, Reason.INVALID_PRICE, () => mv(ALICE, ABC, 1, 0));
      rejectsWithoutChange(h, Reason.INVALID_PRICE, () => mv(ALICE, ABC, 1, 1e12));
    }
  });
});

describe("SET_TIER", () => {
  test("UNKNOWN_TIER, UNKNOWN_ACCOUNT", () => {
    const h = new Harness();
    h.open(ALICE);
    rejectsWithoutChange(h, Reason.UNKNOWN_TIER, () => h.setTier(ALICE, 99));
    rejectsWithoutChange(h, Reason.UNKNOWN_ACCOUNT, () => h.setTier(BOB, FREE));
  });

  test("new orders are reserved and charged at the new tier's fees", () => {
    const h = new Harness();
    h.fund(ALICE, { [USD]: 1_000_000n });
    h.fund(BOB, {}, { [ABC]: [100, 10_000] }, FREE);
    expectAccount(h.setTier(ALICE, FREE));
    expect(h.ledger.accounts.get(ALICE)!.tier).toBe(FREE);
    h.buy({ account: ALICE, qty: 10, price: 10_000 });
    expect(h.cash(ALICE, USD).reserved).toBe(need(10_000, 10, 1n, 0));
    h.sell({ account: BOB, qty: 10, price: 10_000 });
    expect(h.cash(ALICE, USD).balance).toBe(1_000_000n - 100_000n);
    expect(h.cash(FEE_ACCOUNT, USD).balance).toBe(0n);
  });

  test("raising an account's fees while a buy is open never takes its cash below zero", () => {
    // docs/accounts.md: available never below zero; the reservation (with the tier's worst fee at
    // submission) covers every fill. Here the tier changes between reservation and fill.
    const h = new Harness();
    const held = need(10_000, 10, 1n, 0);
    h.fund(ALICE, { [USD]: held }, {}, FREE);
    h.fund(BOB, {}, { [ABC]: [100, 10_000] }, FREE);
    h.buy({ account: ALICE, qty: 10, price: 10_000 });
    expect(h.cash(ALICE, USD)).toEqual({ balance: held, reserved: held, available: 0n });
    h.setTier(ALICE, TIER); // maker 10 bps, taker 20 bps
    h.checks = false; // look at the outcome rather than stop at the first broken invariant
    h.sell({ account: BOB, qty: 10, price: 10_000 });
    // Maker fee at the new tier: ceil(100_000 × 10 / 10_000) = 100, but only 10 units were held
    // beyond the notional (the fee-free reservation's one unit per lot).
    const c = h.cash(ALICE, USD);
    expect(c.balance).toBeGreaterThanOrEqual(0n);
    expect(c.available).toBeGreaterThanOrEqual(0n);
  });
});

describe("SET_SYMBOL_ACCESS", () => {
  const canBuy = (h: Harness, symbol: number) => ofType(h.buy({ account: ALICE, symbol, qty: 1, price: symbol === ABC ? 9_000 : 300 }).events, "accepted").length === 1;

  test("deny, allow list, clear", () => {
    const h = new Harness();
    h.fund(ALICE, { [USD]: 10n ** 9n, [EUR]: 10n ** 9n });
    expect(canBuy(h, ABC) && canBuy(h, XYZ)).toBe(true);
    expectAccount(h.setAccess(ALICE, ABC, Access.DENY));
    expect([canBuy(h, ABC), canBuy(h, XYZ)]).toEqual([false, true]);
    h.setAccess(ALICE, ABC, Access.CLEAR);
    expect([canBuy(h, ABC), canBuy(h, XYZ)]).toEqual([true, true]);
    // An allow list admits only its symbols.
    h.setAccess(ALICE, XYZ, Access.ALLOW);
    expect([canBuy(h, ABC), canBuy(h, XYZ)]).toEqual([false, true]);
    // Allowing a denied symbol lifts the deny; denying an allowed one removes it from the list.
    h.setAccess(ALICE, ABC, Access.DENY);
    h.setAccess(ALICE, ABC, Access.ALLOW);
    expect([canBuy(h, ABC), canBuy(h, XYZ)]).toEqual([true, true]);
    h.setAccess(ALICE, XYZ, Access.DENY);
    expect([canBuy(h, ABC), canBuy(h, XYZ)]).toEqual([true, false]);
    // Clearing every symbol drops both lists.
    expectAccount(h.setAccess(ALICE, ALL_SYMBOLS, Access.CLEAR));
    expect([canBuy(h, ABC), canBuy(h, XYZ)]).toEqual([true, true]);
  });

  test("denying a symbol does not touch open orders (cancels still work)", () => {
    const h = new Harness();
    h.fund(ALICE, { [USD]: 10n ** 9n });
    const b = h.buy({ account: ALICE, qty: 1, price: 9_000 });
    h.setAccess(ALICE, ABC, Access.DENY);
    expect(h.ex.open.has(b.id)).toBe(true);
    expect(ofType(h.cancel(b.id), "cancelled")).toHaveLength(1);
  });

  test("UNKNOWN_SYMBOL, UNKNOWN_ACCOUNT", () => {
    const h = new Harness();
    h.open(ALICE);
    rejectsWithoutChange(h, Reason.UNKNOWN_SYMBOL, () => h.setAccess(ALICE, 42, Access.DENY));
    rejectsWithoutChange(h, Reason.UNKNOWN_SYMBOL, () => h.setAccess(ALICE, ALL_SYMBOLS, Access.ALLOW));
    rejectsWithoutChange(h, Reason.UNKNOWN_ACCOUNT, () => h.setAccess(BOB, ABC, Access.DENY));
  });
});

describe("SET_SHORT_LIMIT", () => {
  test("sets and clears the lots an account may sell beyond its position", () => {
    const h = new Harness();
    h.fund(ALICE, {});
    const sell = (qty: number) => ofType(h.sell({ account: ALICE, qty, price: 20_000 }).events, "accepted").length === 1;
    expect(sell(1)).toBe(false);
    expectAccount(h.setShortLimit(ALICE, ABC, 3));
    expect(h.ledger.accounts.get(ALICE)!.shortLimits.get(ABC)).toBe(3);
    expect(sell(4)).toBe(false);
    expect(sell(3)).toBe(true);
    expect(sell(1)).toBe(false);
    // Lowering the limit does not touch open orders, and 0 clears it.
    expectAccount(h.setShortLimit(ALICE, ABC, 0));
    expect(h.ledger.accounts.get(ALICE)!.shortLimits.has(ABC)).toBe(false);
    expect(h.pos(ALICE, ABC).openSells).toBe(3);
  });

  test("INVALID_QUANTITY, UNKNOWN_SYMBOL, UNKNOWN_ACCOUNT", () => {
    const h = new Harness();
    h.open(ALICE);
    rejectsWithoutChange(h, Reason.INVALID_QUANTITY, () => h.setShortLimit(ALICE, ABC, -1));
    rejectsWithoutChange(h, Reason.INVALID_QUANTITY, () => h.setShortLimit(ALICE, ABC, 2.5));
    rejectsWithoutChange(h, Reason.INVALID_QUANTITY, () => h.setShortLimit(ALICE, ABC, Number.NaN));
    rejectsWithoutChange(h, Reason.UNKNOWN_SYMBOL, () => h.setShortLimit(ALICE, 42, 1));
    rejectsWithoutChange(h, Reason.UNKNOWN_ACCOUNT, () => h.setShortLimit(BOB, ABC, 1));
  });
});

describe("SET_MARK_PRICE and portfolio()", () => {
  function traded(): Harness {
    const h = new Harness();
    h.fund(ALICE, { [USD]: 1_000_000n, [EUR]: 1_000_000n }, {}, FREE);
    h.fund(BOB, {}, { [ABC]: [100, 9_000], [XYZ]: [100, 400] }, FREE);
    return h;
  }

  test("UNKNOWN_SYMBOL, INVALID_PRICE", () => {
    const h = traded();
    rejectsWithoutChange(h, Reason.UNKNOWN_SYMBOL, () => h.setMark(42, 100));
    rejectsWithoutChange(h, Reason.INVALID_PRICE, () => h.setMark(ABC, 0));
    rejectsWithoutChange(h, Reason.INVALID_PRICE, () => h.setMark(ABC, 1.5));
    rejectsWithoutChange(h, Reason.INVALID_PRICE, () => h.setMark(ABC, 1e11 + 1));
  });

  test("without a mark or a trade nothing is unrealized; a position is valued at cost", () => {
    const h = traded();
    const p = portfolio(h.ledger, BOB)!;
    expect(p.positions.map((x) => [x.symbol, x.mark, x.unrealized])).toEqual([
      [ABC, 0, 0n],
      [XYZ, 0, 0n],
    ]);
    expect(portfolio(h.ledger, 99)).toBeUndefined();
  });

  test("mark = the last SET_MARK_PRICE since the last trade, else the last trade", () => {
    const h = traded();
    h.sell({ account: BOB, qty: 10, price: 10_000 });
    h.buy({ account: ALICE, qty: 10, price: 10_000 });
    let p = portfolio(h.ledger, ALICE)!.positions[0]!;
    expect(p).toMatchObject({ symbol: ABC, qty: 10, cost: 100_000n, mark: 10_000, unrealized: 0n });
    expect(p.text).toMatchObject({ qty: "10", averageCost: "100", mark: "100.00", unrealized: "0.00" });

    expect(h.setMark(ABC, 10_250)).toEqual([{ type: "account", symbol: ABC, account: 0, commandType: CommandType.SET_MARK_PRICE, subject: ABC }]);
    p = portfolio(h.ledger, ALICE)!.positions[0]!;
    expect(p).toMatchObject({ mark: 10_250, unrealized: 2_500n });
    expect(p.text.unrealized).toBe("25.00");
    expect(portfolio(h.ledger, BOB)!.positions[0]).toMatchObject({ qty: 90, mark: 10_250, unrealized: 90n * 10_250n - 810_000n });

    // A trade replaces the mark …
    h.sell({ account: BOB, qty: 1, price: 9_900 });
    h.buy({ account: ALICE, qty: 1, price: 9_900 });
    p = portfolio(h.ledger, ALICE)!.positions[0]!;
    expect(p).toMatchObject({ qty: 11, cost: 109_900n, mark: 9_900, unrealized: 11n * 9_900n - 109_900n });
    // … and a later mark replaces the trade.
    h.setMark(ABC, 9_800);
    expect(portfolio(h.ledger, ALICE)!.positions[0]!.mark).toBe(9_800);
    expect(h.ledger.mark(ABC)).toBe(9_800);
  });

  test("equity per currency = balance + Σ Q × M × K of the positions quoted in it", () => {
    const h = traded();
    h.sell({ account: BOB, symbol: XYZ, qty: 4, price: 400 });
    h.buy({ account: ALICE, symbol: XYZ, qty: 4, price: 400 });
    h.setMark(XYZ, 410);
    const p = portfolio(h.ledger, ALICE)!;
    const eur = p.cash.find((c) => c.currency === "EUR")!;
    // Alice paid 4 × 400 × 50 = 80_000 cents; marked at 410 the lots are worth 82_000.
    expect(eur).toMatchObject({ balance: 920_000n, reserved: 0n, available: 920_000n, equity: 920_000n + 82_000n });
    expect(eur.text).toEqual({ balance: "9200.00", reserved: "0.00", available: "9200.00", equity: "10020.00" });
    expect(p.positions[0]).toMatchObject({ symbol: XYZ, name: "XYZ", qty: 4, unrealized: 2_000n });
    expect(p.positions[0]!.text.qty).toBe("40");
    expect(p.positions[0]!.text.averageCost).toBe("20");
    const usd = p.cash.find((c) => c.currency === "USD")!;
    expect(usd.equity).toBe(1_000_000n);
    // A short is marked negative.
    const bob = portfolio(h.ledger, BOB)!.positions.find((x) => x.symbol === XYZ)!;
    expect(bob).toMatchObject({ qty: 96, unrealized: 96n * 410n * 50n - 96n * 400n * 50n });
  });

  test("a short position's unrealized P&L", () => {
    const h = traded();
    h.setShortLimit(ALICE, ABC, 10);
    h.deposit(BOB, USD, 1_000_000n);
    h.buy({ account: BOB, qty: 5, price: 10_000 });
    h.sell({ account: ALICE, qty: 5, price: 10_000 });
    h.setMark(ABC, 9_000);
    const p = portfolio(h.ledger, ALICE)!.positions[0]!;
    expect(p).toMatchObject({ qty: -5, cost: -50_000n, mark: 9_000, unrealized: -45_000n + 50_000n });
  });
});
