/**
 * Random multi-account streams through the whole Exchange (R1 → book → R2), checked after EVERY
 * command by the invariants of test/engine/exchange-harness.ts:
 *
 *   - total cash per currency over all accounts (fee account included) changes only by
 *     deposits − withdrawals, and each account's balance equals what its deposits, withdrawals,
 *     fills and fees (recomputed from the events) say;
 *   - total position per symbol changes only by position deposits − withdrawals; per account,
 *     realized − cost = Σ sell notionals − Σ buy notionals;
 *   - for every account and currency, reserved = Σ need(L, leaves) over its open buys, available ≥ 0;
 *     openBuys / openSells = Σ leaves of its open buys / sells;
 *   - every ORDER_STATE is a legal transition from the order's last state (so every order's states
 *     form a legal path), ACCEPTED only for the order the command created;
 *   - a duplicate (account, clientOrderId) never creates an order (an order is created for it only
 *     when the earlier one is done and was submitted a window ago), and DUPLICATE names the holder;
 *   - the book's open orders equal the account side's (ids, owners, leaves, filled, cancelled).
 *
 * Three or four accounts with cash and positions, two symbols in different currencies, a narrow
 * price range so orders meet, every order type and time in force, cancels, amends, mass cancels,
 * deposits and withdrawals, halts, marks, and a small pool of clientOrderIds with a short
 * idempotency window so that ids are both repeated and reused.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { ExchangeConfig } from "../../engine/exchange.ts";
import { reasonName } from "../../engine/reasons.ts";
import { ALL_SYMBOLS, BUY, CommandType, CURRENCIES, DAY, EUR, FOK, GTC, GTD, Harness, InvariantError, IOC, LIMIT, MARKET, OrderState, SELL, STOP, STOP_LIMIT, T0, USD } from "./exchange-harness.ts";

const P1 = 1; // USD, K = 1
const P2 = 2; // EUR, K = 50
const CONFIG: ExchangeConfig = {
  currencies: CURRENCIES,
  instruments: [
    // P1 refuses prints more than 6 ticks from the last trade (TRADE_BAND cancels); P2 halts when
    // prices move more than 6 % within 200 µs (VOLATILITY_HALT), for 100 µs.
    { id: P1, symbol: "P1", tickSize: "0.01", lotSize: "1", bandBps: 500, referencePrice: 100, tradeBandBps: 600, quote: "USD" },
    { id: P2, symbol: "P2", tickSize: "0.05", lotSize: "10", bandBps: 1000, volatilityBps: 600, volatilityWindowUs: 200, haltUs: 100, quote: "EUR" },
  ],
  tiers: [
    { id: 1, makerBps: 10, takerBps: 20 },
    { id: 2, makerBps: 0, takerBps: 5 },
    { id: 3, makerBps: 25, takerBps: 7, maxOrderQty: 15, maxNotional: { USD: "15", EUR: "600" }, positionLimit: 60, maxOpenOrders: 5, rateCount: 6, rateWindowUs: 40 },
  ],
  feeAccount: 0,
  idempotencyWindowUs: 300,
  destinationDelayUs: 20,
};

const account = fc.integer({ min: 1, max: 4 });
const price = fc.integer({ min: 95, max: 105 });

const step = fc.record({
  kind: fc.integer({ min: 0, max: 99 }),
  account,
  symbol: fc.constantFrom(P1, P2),
  side: fc.constantFrom(BUY, SELL),
  type: fc.constantFrom(LIMIT, LIMIT, LIMIT, LIMIT, LIMIT, MARKET, STOP, STOP_LIMIT),
  tif: fc.constantFrom(GTC, GTC, GTC, GTC, IOC, FOK, DAY, GTD),
  price,
  cap: fc.constantFrom(0, 0, 1, 2),
  stopPrice: price,
  qty: fc.integer({ min: 1, max: 20 }),
  stp: fc.integer({ min: 0, max: 4 }),
  postOnly: fc.integer({ min: 0, max: 9 }),
  cid: fc.integer({ min: 0, max: 13 }),
  dt: fc.integer({ min: 0, max: 40 }),
  target: fc.nat(),
  amount: fc.bigInt({ min: 1n, max: 400_000n }),
  expireIn: fc.integer({ min: 1, max: 2_000 }),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

const funding = fc.array(
  fc.record({
    usd: fc.bigInt({ min: 5_000n, max: 50_000n }),
    eur: fc.bigInt({ min: 100_000n, max: 1_000_000n }),
    p1: fc.integer({ min: 5, max: 60 }),
    p2: fc.integer({ min: 5, max: 60 }),
    short: fc.integer({ min: 0, max: 8 }),
  }),
  { minLength: 3, maxLength: 4 },
);

/** fc.assert, but the failure names the broken invariant and the shrunk stream, compactly. */
function check<Ts extends [unknown, ...unknown[]]>(prop: fc.IProperty<Ts>, params: fc.Parameters<Ts>): void {
  const out = fc.check(prop, params);
  if (!out.failed) return;
  const err = out.errorInstance;
  const why = err instanceof Error ? err.message : String(err);
  const example = JSON.stringify(out.counterexample, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
  throw new Error(`property failed (seed ${out.seed}, path ${out.counterexamplePath}) after ${out.numRuns} runs:\n${why}\ncounterexample: ${example}`);
}

/** Runs one step; the harness checks every invariant after the command. */
function apply(h: Harness, s: Step, accounts: number): void {
  const acct = ((s.account - 1) % accounts) + 1;
  const time = h.time + s.dt;
  const open = [...h.ex.open.values()];
  const pick = () => (open.length > 0 && s.target % 5 !== 0 ? open[s.target % open.length]! : undefined);
  const k = s.kind;
  if (k < 68) {
    const type = s.type;
    const isStop = type === STOP || type === STOP_LIMIT;
    const hasLimit = type === LIMIT || type === STOP_LIMIT;
    // Market orders mostly get a valid tif; sometimes not, to see the reject.
    const tif = type === MARKET && s.postOnly > 0 ? (s.tif === FOK ? FOK : IOC) : s.tif;
    const capPrice = s.cap === 0 ? 0 : s.side === BUY ? s.price + 2 : s.price - 2;
    // Now and then a repeated order id (DUPLICATE_ORDER_ID), else a fresh one.
    const reuse = s.target % 40 === 0 ? pick() : undefined;
    const orderId = reuse ? reuse.orderId : h.nextId++;
    h.run({
      type: CommandType.NEW_ORDER,
      time,
      orderId,
      account: acct,
      symbol: s.symbol,
      side: s.side,
      orderType: type,
      tif,
      // Buyers lean up, sellers down, so that orders meet.
      price: hasLimit ? s.price + (s.side === BUY ? 1 : -1) : capPrice,
      stopPrice: isStop ? s.stopPrice : 0,
      qty: s.qty,
      stp: s.stp,
      flags: s.postOnly === 0 ? 1 : 0,
      expireTime: tif === GTD ? time + s.expireIn : 0,
      clientOrderId: s.cid < 7 ? "" : `c${s.cid - 7}`,
    });
  } else if (k < 72) {
    const o = pick();
    h.run({ type: CommandType.CANCEL, time, orderId: o?.orderId ?? s.target % (h.nextId + 1), account: o && s.cid > 0 ? o.account : acct, symbol: o?.symbol ?? s.symbol });
  } else if (k < 81) {
    const o = pick();
    const v = o ? h.ex.book.order(o.orderId) : undefined;
    h.run({
      type: CommandType.AMEND,
      time,
      orderId: o?.orderId ?? s.target % (h.nextId + 1),
      account: o ? o.account : acct,
      symbol: o?.symbol ?? s.symbol,
      qty: v && s.cid < 3 ? v.filled + v.cancelled + s.qty : s.qty,
      // A STOP's 0 keeps its cap (or its lack of one); 6 echoes what the book holds, a cap for a buy.
      price: v && v.orderType === STOP && s.cid % 3 === 1 ? 0 : s.cid === 6 && v ? v.price : s.price,
      stopPrice: v && v.stopPrice > 0 && s.cid % 2 === 0 ? v.stopPrice : s.stopPrice,
    });
  } else if (k < 82) {
    h.run({ type: CommandType.MASS_CANCEL, time, account: acct, symbol: s.cid < 3 ? ALL_SYMBOLS : s.symbol });
  } else if (k < 85) {
    h.run({ type: CommandType.DEPOSIT, time, account: acct, currency: s.side === BUY ? USD : EUR, amount: s.amount });
  } else if (k < 88) {
    h.run({ type: CommandType.WITHDRAW, time, account: acct, currency: s.side === BUY ? USD : EUR, amount: s.amount / 4n + 1n, destination: s.cid === 6 ? "elsewhere" : "bank" });
  } else if (k < 91) {
    h.run({ type: CommandType.DEPOSIT_POSITION, time, account: acct, symbol: s.symbol, qty: s.qty, price: s.price });
  } else if (k < 93) {
    h.run({ type: CommandType.WITHDRAW_POSITION, time, account: acct, symbol: s.symbol, qty: s.qty, price: s.price });
  } else if (k < 94) {
    h.run({ type: CommandType.END_OF_DAY, time, symbol: s.cid < 3 ? ALL_SYMBOLS : s.symbol });
  } else if (k < 96) {
    h.run({ type: CommandType.TICK, time: time + (s.expireIn >> 3) });
  } else if (k < 97) {
    h.run({ type: CommandType.SET_MARK_PRICE, time, symbol: s.symbol, price: s.price });
  } else if (k < 98) {
    h.run({ type: CommandType.HALT, time, symbol: s.symbol, expireTime: s.cid < 13 ? time + (s.expireIn >> 2) : 0 });
  } else if (k < 99) {
    h.run({ type: CommandType.RESUME, time, symbol: s.symbol });
  } else if (s.cid % 2 === 0) {
    h.run({ type: CommandType.SET_SHORT_LIMIT, time, account: acct, symbol: s.symbol, qty: s.qty % 10 });
  } else {
    // Tier changes with orders open: fills must still never cost more than their reservation.
    h.run({ type: CommandType.SET_TIER, time, account: acct, tier: (s.qty % 3) + 1 });
  }
}

function setup(fund: { usd: bigint; eur: bigint; p1: number; p2: number; short: number }[]): Harness {
  const h = new Harness(CONFIG);
  h.time = T0;
  fund.forEach((f, i) => {
    const id = i + 1;
    h.fund(id, { [USD]: f.usd, [EUR]: f.eur }, { ...(f.p1 > 0 ? { [P1]: [f.p1, 100] as [number, number] } : {}), ...(f.p2 > 0 ? { [P2]: [f.p2, 100] as [number, number] } : {}) }, (i % 3) + 1);
    if (f.short > 0) h.setShortLimit(id, i % 2 === 0 ? P1 : P2, f.short);
    h.addDestination(id, "bank");
  });
  return h;
}

/** Runs the stream, then cancels everything: every reservation and held lot must come back to zero. */
function runStream(fund: Parameters<typeof setup>[0], steps: Step[]): Harness {
  const h = setup(fund);
  for (const s of steps) apply(h, s, fund.length);
  // Wind down: resume both symbols, cancel every account's orders.
  h.run({ type: CommandType.RESUME, time: h.time + 1, symbol: P1 });
  h.run({ type: CommandType.RESUME, time: h.time + 1, symbol: P2 });
  for (let a = 1; a <= fund.length; a++) h.run({ type: CommandType.MASS_CANCEL, time: h.time + 1, account: a, symbol: ALL_SYMBOLS });
  expect(h.ex.open.size).toBe(0);
  expect(h.ex.book.openOrders()).toEqual([]);
  for (const a of h.ledger.accounts.values()) {
    for (const c of a.cash.values()) expect(c.reserved).toBe(0n);
    for (const p of a.positions.values()) expect([p.openBuys, p.openSells]).toEqual([0, 0]);
    expect(a.openOrders).toBe(0);
  }
  // Every order's path ends in a done state.
  for (const [id, path] of h.paths) {
    const last = path[path.length - 1]!;
    if (!(last === OrderState.FILLED || last === OrderState.CANCELLED || last === OrderState.EXPIRED || last === OrderState.REJECTED)) {
      throw new InvariantError(`order ${id} ended in state ${last}`);
    }
  }
  return h;
}

describe("exchange properties", () => {
  test("random multi-account streams keep every account-side invariant after every command", () => {
    let trades = 0;
    let duplicates = 0;
    let reused = 0;
    let rejects = 0;
    let commands = 0;
    const stats = new Map<string, number>();
    check(
      fc.property(funding, fc.array(step, { minLength: 20, maxLength: 120, size: "max" }), (fund, steps) => {
        const h = runStream(fund, steps);
        trades += h.history.filter((e) => e.type === "trade").length;
        duplicates += h.history.filter((e) => e.type === "duplicate").length;
        rejects += h.history.filter((e) => e.type === "rejected").length;
        commands += steps.length;
        for (const ids of h.byClientId.values()) reused += ids.length - 1;
        if (process.env.PROP_STATS) for (const e of h.history) if (e.type === "rejected" || e.type === "cancelled") stats.set(`${e.type} ${reasonName(e.reason)}`, (stats.get(`${e.type} ${reasonName(e.reason)}`) ?? 0) + 1);
      }),
      { numRuns: 250 },
    );
    // The streams must actually exercise what they claim to.
    if (process.env.PROP_STATS) console.log({ commands, trades, duplicates, reused, rejects }, [...stats].sort((a, b) => b[1] - a[1]));
    expect(trades).toBeGreaterThan(1_000);
    expect(duplicates).toBeGreaterThan(300);
    expect(reused).toBeGreaterThan(100);
    expect(rejects).toBeGreaterThan(1_000);
  }, 20_000);

  test("tight cash: accounts funded for a few orders only", () => {
    const tight = fc.array(
      fc.record({
        usd: fc.bigInt({ min: 0n, max: 3_000n }),
        eur: fc.bigInt({ min: 0n, max: 60_000n }),
        p1: fc.integer({ min: 0, max: 10 }),
        p2: fc.integer({ min: 0, max: 10 }),
        short: fc.integer({ min: 0, max: 3 }),
      }),
      { minLength: 3, maxLength: 4 },
    );
    check(
      fc.property(tight, fc.array(step, { minLength: 20, maxLength: 100, size: "max" }), (fund, steps) => {
        runStream(fund, steps);
      }),
      { numRuns: 150 },
    );
  }, 20_000);
});
