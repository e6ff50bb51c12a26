/**
 * The contract every HistoryStore backend keeps (history/store.ts), as one suite that each backend's
 * test file runs against a fresh store per test: hand-built RowBatches in, every method of the
 * interface checked against answers worked out by hand from the rows.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { OrderState } from "../../engine/order-state.ts";
import { CashKind, Liquidity, OrderEventKind, PositionKind, RowBatch, type AdminRow, type CandleRow, type CashRow, type ExecutionRow, type OrderEventRow, type OrderRow, type PositionRow } from "../../history/rows.ts";
import type { HistoryStore, Page } from "../../history/store.ts";

/** Engine time of a seq: 1 ms apart, so "between rows" is T(seq) + 1. */
export const T0 = 1_700_000_000_000_000;
export const T = (seq: number) => T0 + seq * 1000;
const BIG = 10n ** 30n;
const MIN = 60_000_000;
const WEIRD_CLIENT_ID = `q"uote,{x}\\ ü`;

function orderRow(orderId: number, seq: number, account: number, symbol: number, clientOrderId: string): OrderRow {
  return { orderId, seq, time: T(seq), account, symbol, side: orderId % 2, orderType: 1, tif: 2, price: 10_000 + orderId, stopPrice: 0, qty: 5, stp: 1, flags: 4, expireTime: 0, clientOrderId, actor: 1, session: 900 + orderId };
}

function state(seq: number, idx: number, orderId: number, account: number, symbol: number, from: number, to: number, filled: number): OrderEventRow {
  return { seq, idx, time: T(seq), orderId, account, symbol, kind: OrderEventKind.STATE, fromState: from, toState: to, reason: 3, price: 10_000 + orderId, qty: 5, filled, leaves: to === OrderState.CANCELLED || to === OrderState.FILLED ? 0 : 5 - filled, actor: 1, session: 900 + orderId, commandType: 2 };
}

function fill(seq: number, idx: number, liquidity: number, tradeId: number, symbol: number, orderId: number, account: number, counterOrderId: number, counterAccount: number, notional: bigint, fee: bigint): ExecutionRow {
  return { seq, idx, liquidity, tradeId, time: T(seq), symbol, orderId, account, side: liquidity, price: 10_100, qty: 2, leaves: 3, counterOrderId, counterAccount, notional, fee, feeBps: liquidity === Liquidity.TAKER ? 10 : -2, currency: 1 };
}

function cash(seq: number, idx: number, n: number, account: number, currency: number, kind: number, amount: bigint, balance: bigint, tradeId = 0, ref = ""): CashRow {
  return { seq, idx, n, time: T(seq), account, currency, kind, amount, balance, tradeId, ref };
}

function pos(seq: number, account: number, symbol: number, delta: number, qty: number, cost: bigint, realized: bigint): PositionRow {
  return { seq, time: T(seq), account, symbol, kind: PositionKind.TRADE, delta, qty, cost, realized };
}

function adminRow(seq: number, idx: number, commandType: number, account: number, symbol: number, detail: string): AdminRow {
  return { seq, idx, time: T(seq), commandType, account, symbol, actor: 2, session: 0, detail };
}

function candle(symbol: number, interval: number, k: number, seq: number): CandleRow {
  return { symbol, interval, start: T0 + k * interval, open: 100 + k, high: 110 + k, low: 90 + k, close: 105 + k, volume: 10 * k + 1, trades: k + 1, seq };
}

/**
 * Seqs 1–10 of two accounts (7 and 8) on two symbols (3 and 4):
 * 101 (7, sym 3, "c1"): NEW at 1, PARTIALLY_FILLED at 5, FILLED at 6 — closed.
 * 102 (7, sym 4, "c2"): NEW at 2 — open.
 * 103 (7, sym 3, "c1" again): NEW at 3, CANCELLED at 7 — closed, the newest "c1".
 * 104 (8, sym 3, "x"): NEW at 4 — open, the maker of 101's fills.
 * 105 (7, sym 3, a client id full of quoting characters): NEW at 8 — open.
 * Rows inside each array are deliberately out of key order: the store orders them, not the batch.
 */
export function fixture(): RowBatch {
  const b = new RowBatch();
  b.orders = [orderRow(103, 3, 7, 3, "c1"), orderRow(101, 1, 7, 3, "c1"), orderRow(102, 2, 7, 4, "c2"), orderRow(104, 4, 8, 3, "x"), orderRow(105, 8, 7, 3, WEIRD_CLIENT_ID)];
  b.orderEvents = [
    state(6, 1, 101, 7, 3, OrderState.PARTIALLY_FILLED, OrderState.FILLED, 5),
    state(1, 0, 101, 7, 3, OrderState.NONE, OrderState.NEW, 0),
    state(5, 0, 101, 7, 3, OrderState.NEW, OrderState.PARTIALLY_FILLED, 2),
    state(2, 0, 102, 7, 4, OrderState.NONE, OrderState.NEW, 0),
    state(3, 0, 103, 7, 3, OrderState.NONE, OrderState.NEW, 0),
    state(7, 0, 103, 7, 3, OrderState.NEW, OrderState.CANCELLED, 0),
    state(4, 0, 104, 8, 3, OrderState.NONE, OrderState.NEW, 0),
    state(8, 0, 105, 7, 3, OrderState.NONE, OrderState.NEW, 0),
  ];
  b.executions = [
    fill(6, 0, Liquidity.TAKER, 2, 3, 101, 7, 104, 8, BIG, -BIG / 1000n),
    fill(5, 0, Liquidity.MAKER, 1, 3, 104, 8, 101, 7, 20_200n, 4n),
    fill(5, 0, Liquidity.TAKER, 1, 3, 101, 7, 104, 8, 20_200n, -20n),
    fill(6, 0, Liquidity.MAKER, 2, 3, 104, 8, 101, 7, BIG, 7n),
    fill(9, 0, Liquidity.TAKER, 3, 4, 106, 8, 102, 7, 5n, 0n),
    fill(9, 0, Liquidity.MAKER, 3, 4, 102, 7, 106, 8, 5n, 0n),
  ];
  b.cash = [
    cash(1, 0, 0, 7, 1, CashKind.DEPOSIT, 100_000n, 100_000n),
    cash(5, 0, 1, 7, 1, CashKind.FEE, -20n, 79_780n, 1),
    cash(5, 0, 0, 7, 1, CashKind.TRADE, -20_200n, 79_800n, 1),
    cash(5, 0, 2, 7, 2, CashKind.TRADE, 2n, 2n, 1),
    cash(5, 0, 3, 8, 1, CashKind.TRADE, 20_200n, 20_200n, 1),
    cash(6, 0, 0, 7, 1, CashKind.TRADE, -BIG, 79_780n - BIG, 2),
    cash(9, 0, 0, 7, 3, CashKind.DEPOSIT, BIG * BIG, BIG * BIG, 0, "dest-1"),
    cash(10, 0, 0, 7, 1, CashKind.WITHDRAWAL, -780n, 79_000n - BIG, 0, "bank, \"main\""),
  ];
  b.positions = [pos(6, 7, 3, 3, 5, BIG, 0n), pos(5, 7, 3, 2, 2, 20_200n, 0n), pos(5, 8, 3, -2, -2, -20_200n, 0n), pos(9, 7, 4, -1, -1, -5n, -BIG)];
  b.admin = [adminRow(4, 0, 0, 0, 3, '{"state":"halted"}'), adminRow(1, 1, 30, 7, 0, '{"tier":1}'), adminRow(1, 0, 31, 7, 0, "{}"), adminRow(7, 0, 0, 0, 3, '{"state":"open"}'), adminRow(10, 2, 32, 8, 0, '{"dest":"x"}')];
  b.candles = [...[4, 0, 2, 1, 3, 5].map((k) => candle(3, MIN, k, 10)), candle(3, 1_000_000, 0, 10), candle(4, MIN, 0, 10)];
  b.toSeq = 10;
  b.toTime = T(10);
  return b;
}

const byKey = (...keys: ((r: any) => number)[]) => (a: any, b: any) => {
  for (const k of keys) if (k(a) !== k(b)) return k(a) - k(b);
  return 0;
};
const cashOrder = byKey((r) => r.seq, (r) => r.idx, (r) => r.n);
const execOrder = byKey((r) => r.seq, (r) => r.idx, (r) => r.liquidity);

/** Every page of a listing, following `next` until null, checking that no row repeats. */
async function allPages<R>(read: (cursor?: string) => Promise<Page<R>>, key: (r: R) => string): Promise<{ rows: R[]; pages: number }> {
  const rows: R[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const p = await read(cursor);
    pages++;
    for (const r of p.rows) {
      expect(seen.has(key(r))).toBe(false);
      seen.add(key(r));
      rows.push(r);
    }
    if (p.next === null) return { rows, pages };
    cursor = p.next;
  }
}

async function collect<R>(it: AsyncIterable<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const r of it) out.push(r);
  return out;
}

const counted = (b: RowBatch) => ({ orders: b.orders.length, orderEvents: b.orderEvents.length, executions: b.executions.length, cash: b.cash.length, positions: b.positions.length, admin: b.admin.length, candles: b.candles.length });

export function storeContract<S extends HistoryStore>(name: string, make: () => Promise<S>, drop: (s: S) => Promise<void>): void {
  describe(`HistoryStore contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await drop(store);
    });

    test("a fresh store is empty at progress 0", async () => {
      expect(await store.progress()).toEqual({ seq: 0, time: 0 });
      expect(await store.counts()).toEqual({ orders: 0, orderEvents: 0, executions: 0, cash: 0, positions: 0, admin: 0, candles: 0 });
      expect(await store.prunes()).toEqual([]);
      expect(await store.order(101)).toBeNull();
    });

    test("write stores every row and progress; the same batch again changes nothing", async () => {
      const b = fixture();
      await store.write(b);
      expect(await store.progress()).toEqual({ seq: 10, time: T(10) });
      expect(await store.counts()).toEqual(counted(b));
      await store.write(fixture());
      expect(await store.counts()).toEqual(counted(b));
      expect(await store.progress()).toEqual({ seq: 10, time: T(10) });
      // A row already there is left as it is, even if the second write differs.
      const changed = fixture();
      changed.cash[0]!.balance = 1n;
      await store.write(changed);
      expect((await store.balancesAt(7, T(2)))[0]!.balance).toBe(100_000n);
    });

    test("progress only moves forward; a batch without toSeq leaves it", async () => {
      await store.write(fixture());
      const back = new RowBatch();
      back.toSeq = 5;
      back.toTime = T(5);
      await store.write(back);
      expect(await store.progress()).toEqual({ seq: 10, time: T(10) });
      const none = new RowBatch();
      none.admin = [adminRow(11, 0, 30, 7, 0, "{}")];
      await store.write(none);
      expect(await store.progress()).toEqual({ seq: 10, time: T(10) });
      expect((await store.counts()).admin).toBe(fixture().admin.length + 1);
      const on = new RowBatch();
      on.toSeq = 12;
      on.toTime = T(12);
      await store.write(on);
      expect(await store.progress()).toEqual({ seq: 12, time: T(12) });
    });

    test("a write that fails stores nothing, not even its progress", async () => {
      await store.write(fixture());
      const bad = new RowBatch();
      bad.orders = [orderRow(106, 11, 7, 3, "ok")];
      bad.orderEvents = [state(11, 0, 106, 7, 3, OrderState.NONE, OrderState.NEW, 0)];
      // An execution without its notional fails the write after the rows above went in.
      bad.executions = [{ ...fill(11, 0, Liquidity.TAKER, 9, 3, 106, 7, 104, 8, 1n, 0n), notional: undefined as unknown as bigint }];
      bad.cash = [cash(11, 0, 0, 7, 1, CashKind.DEPOSIT, 1n, 79_001n - BIG)];
      bad.toSeq = 11;
      bad.toTime = T(11);
      await expect(store.write(bad)).rejects.toThrow();
      expect(await store.progress()).toEqual({ seq: 10, time: T(10) });
      expect(await store.counts()).toEqual(counted(fixture()));
      expect(await store.order(106)).toBeNull();
    });

    test("orders: newest first with their state now, filtered by state, symbol and time", async () => {
      await store.write(fixture());
      const ids = async (q: Parameters<HistoryStore["orders"]>[0]) => (await store.orders(q)).rows.map((o) => o.orderId);
      expect(await ids({ account: 7 })).toEqual([105, 103, 102, 101]);
      expect(await ids({ account: 8 })).toEqual([104]);
      expect(await ids({ account: 9 })).toEqual([]);
      expect(await ids({ account: 7, state: "open" })).toEqual([105, 102]);
      expect(await ids({ account: 7, state: "closed" })).toEqual([103, 101]);
      expect(await ids({ account: 7, state: OrderState.FILLED })).toEqual([101]);
      expect(await ids({ account: 7, state: OrderState.CANCELLED })).toEqual([103]);
      expect(await ids({ account: 7, state: OrderState.PARTIALLY_FILLED })).toEqual([]);
      expect(await ids({ account: 7, symbol: 4 })).toEqual([102]);
      expect(await ids({ account: 7, symbol: 3, state: "open" })).toEqual([105]);
      expect(await ids({ account: 7, from: T(2), to: T(8) })).toEqual([103, 102]);
      expect(await ids({ account: 7, from: T(2) + 1 })).toEqual([105, 103]);
      const [filled] = (await store.orders({ account: 7, state: OrderState.FILLED })).rows;
      expect(filled).toEqual({ ...orderRow(101, 1, 7, 3, "c1"), state: OrderState.FILLED, filled: 5, leaves: 0, updated: T(6) });
      expect((await store.orders({ account: 7 })).next).toBeNull();
    });

    test("orders: cursor pages neither skip nor repeat, and hold to their filters", async () => {
      await store.write(fixture());
      for (const limit of [1, 2, 3]) {
        const { rows, pages } = await allPages((cursor) => store.orders({ account: 7, limit, cursor }), (o) => String(o.orderId));
        expect(rows.map((o) => o.orderId)).toEqual([105, 103, 102, 101]);
        expect(pages).toBe(Math.ceil(4 / limit));
      }
      const open = await allPages((cursor) => store.orders({ account: 7, state: "open", limit: 1, cursor }), (o) => String(o.orderId));
      expect(open.rows.map((o) => o.orderId)).toEqual([105, 102]);
      // A row that arrives between pages, newer than the cursor, does not shift the next page.
      const first = await store.orders({ account: 7, limit: 2 });
      const later = new RowBatch();
      later.orders = [orderRow(120, 11, 7, 3, "late")];
      later.orderEvents = [state(11, 0, 120, 7, 3, OrderState.NONE, OrderState.NEW, 0)];
      await store.write(later);
      const second = await store.orders({ account: 7, limit: 2, cursor: first.next! });
      expect(second.rows.map((o) => o.orderId)).toEqual([102, 101]);
      await expect(store.orders({ account: 7, limit: 0 })).rejects.toThrow(RangeError);
      await expect(store.orders({ account: 7, cursor: "not-a-cursor" })).rejects.toThrow(RangeError);
    });

    test("order(id): the order, its trail in seq order and its fills", async () => {
      await store.write(fixture());
      const r = (await store.order(101))!;
      expect(r.order.orderId).toBe(101);
      expect(r.order.state).toBe(OrderState.FILLED);
      expect(r.trail.map((e) => [e.seq, e.idx])).toEqual([[1, 0], [5, 0], [6, 1]]);
      expect(r.trail[2]).toEqual(state(6, 1, 101, 7, 3, OrderState.PARTIALLY_FILLED, OrderState.FILLED, 5));
      expect(r.executions).toEqual([fill(5, 0, Liquidity.TAKER, 1, 3, 101, 7, 104, 8, 20_200n, -20n), fill(6, 0, Liquidity.TAKER, 2, 3, 101, 7, 104, 8, BIG, -BIG / 1000n)]);
      const maker = (await store.order(104))!;
      expect(maker.executions.map((e) => [e.tradeId, e.liquidity])).toEqual([[1, 1], [2, 1]]);
      expect(await store.order(999)).toBeNull();
    });

    test("orderByClientId: the account's newest order with that id", async () => {
      await store.write(fixture());
      expect((await store.orderByClientId(7, "c1"))!.order.orderId).toBe(103);
      expect((await store.orderByClientId(7, "c1"))!.trail.map((e) => e.toState)).toEqual([OrderState.NEW, OrderState.CANCELLED]);
      expect((await store.orderByClientId(7, "c2"))!.order.orderId).toBe(102);
      expect(await store.orderByClientId(8, "c1")).toBeNull();
      expect(await store.orderByClientId(7, "C1")).toBeNull();
      const weird = (await store.orderByClientId(7, WEIRD_CLIENT_ID))!;
      expect(weird.order.orderId).toBe(105);
      expect(weird.order.clientOrderId).toBe(WEIRD_CLIENT_ID);
    });

    test("executions: newest first, filtered, paged by cursor", async () => {
      const b = fixture();
      await store.write(b);
      const desc = [...b.executions].sort(execOrder).reverse();
      expect((await store.executions({})).rows).toEqual(desc);
      expect((await store.executions({ account: 7 })).rows).toEqual(desc.filter((e) => e.account === 7));
      expect((await store.executions({ orderId: 104 })).rows.map((e) => e.tradeId)).toEqual([2, 1]);
      expect((await store.executions({ symbol: 4 })).rows.map((e) => [e.seq, e.liquidity])).toEqual([[9, 1], [9, 0]]);
      expect((await store.executions({ account: 8, symbol: 3 })).rows.map((e) => e.orderId)).toEqual([104, 104]);
      expect((await store.executions({ from: T(6), to: T(9) })).rows.map((e) => e.seq)).toEqual([6, 6]);
      for (const limit of [1, 2, 4]) {
        const { rows } = await allPages((cursor) => store.executions({ limit, cursor }), (e) => `${e.seq}.${e.idx}.${e.liquidity}`);
        expect(rows).toEqual(desc);
      }
      const mine = await allPages((cursor) => store.executions({ account: 7, limit: 1, cursor }), (e) => `${e.seq}.${e.idx}.${e.liquidity}`);
      expect(mine.rows).toEqual(desc.filter((e) => e.account === 7));
    });

    test("cash: newest first, by currency and time, paged by cursor", async () => {
      const b = fixture();
      await store.write(b);
      const mine = b.cash.filter((c) => c.account === 7).sort(cashOrder).reverse();
      expect((await store.cash({ account: 7 })).rows).toEqual(mine);
      expect((await store.cash({ account: 7, currency: 1 })).rows.map((c) => [c.seq, c.n])).toEqual([[10, 0], [6, 0], [5, 1], [5, 0], [1, 0]]);
      expect((await store.cash({ account: 7, currency: 3 })).rows[0]!.balance).toBe(BIG * BIG);
      expect((await store.cash({ account: 7, from: T(5), to: T(6) })).rows.map((c) => c.n)).toEqual([2, 1, 0]);
      expect((await store.cash({ account: 8 })).rows.map((c) => c.amount)).toEqual([20_200n]);
      for (const limit of [1, 2, 5]) {
        const { rows } = await allPages((cursor) => store.cash({ account: 7, limit, cursor }), (c) => `${c.seq}.${c.idx}.${c.n}`);
        expect(rows).toEqual(mine);
      }
      const usd = await allPages((cursor) => store.cash({ account: 7, currency: 1, limit: 2, cursor }), (c) => `${c.seq}.${c.idx}.${c.n}`);
      expect(usd.rows).toEqual(mine.filter((c) => c.currency === 1));
    });

    test("trades: the taker side of a symbol's executions, newest first, paged", async () => {
      await store.write(fixture());
      const p = await store.trades({ symbol: 3 });
      expect(p).toEqual({
        rows: [
          { seq: 6, tradeId: 2, time: T(6), symbol: 3, price: 10_100, qty: 2, takerSide: Liquidity.TAKER },
          { seq: 5, tradeId: 1, time: T(5), symbol: 3, price: 10_100, qty: 2, takerSide: Liquidity.TAKER },
        ],
        next: null,
      });
      const first = await store.trades({ symbol: 3, limit: 1 });
      expect(first.rows.map((t) => t.tradeId)).toEqual([2]);
      const second = await store.trades({ symbol: 3, limit: 1, cursor: first.next! });
      expect(second.rows.map((t) => t.tradeId)).toEqual([1]);
      expect(second.next).toBeNull();
      expect((await store.trades({ symbol: 3, to: T(6) })).rows.map((t) => t.tradeId)).toEqual([1]);
      expect((await store.trades({ symbol: 4 })).rows.map((t) => t.tradeId)).toEqual([3]);
      expect((await store.trades({ symbol: 5 })).rows).toEqual([]);
    });

    test("candles: the range's newest `limit`, oldest first, of one symbol and interval", async () => {
      await store.write(fixture());
      const starts = async (q: Parameters<HistoryStore["candles"]>[0]) => (await store.candles(q)).map((c) => (c.start - T0) / c.interval);
      expect(await starts({ symbol: 3, interval: MIN })).toEqual([0, 1, 2, 3, 4, 5]);
      expect(await starts({ symbol: 3, interval: MIN, limit: 2 })).toEqual([4, 5]);
      expect(await starts({ symbol: 3, interval: MIN, from: T0 + MIN, to: T0 + 4 * MIN })).toEqual([1, 2, 3]);
      expect(await starts({ symbol: 3, interval: MIN, from: T0 + MIN, to: T0 + 4 * MIN, limit: 2 })).toEqual([2, 3]);
      expect(await starts({ symbol: 3, interval: 1_000_000 })).toEqual([0]);
      expect(await starts({ symbol: 4, interval: MIN })).toEqual([0]);
      expect(await starts({ symbol: 4, interval: 1_000_000 })).toEqual([]);
      expect((await store.candles({ symbol: 3, interval: MIN, limit: 1 }))[0]).toEqual(candle(3, MIN, 5, 10));
      await expect(store.candles({ symbol: 3, interval: MIN, limit: -1 })).rejects.toThrow(RangeError);
    });

    test("balancesAt and positionsAt: the last row before the point, per currency and symbol", async () => {
      await store.write(fixture());
      expect(await store.balancesAt(7, T(1))).toEqual([]);
      expect(await store.balancesAt(7, T(1) + 1)).toEqual([{ currency: 1, balance: 100_000n }]);
      expect(await store.balancesAt(7, T(5) + 1)).toEqual([
        { currency: 1, balance: 79_780n },
        { currency: 2, balance: 2n },
      ]);
      expect(await store.balancesAt(7, T(9) + 1)).toEqual([
        { currency: 1, balance: 79_780n - BIG },
        { currency: 2, balance: 2n },
        { currency: 3, balance: BIG * BIG },
      ]);
      expect((await store.balancesAt(7, T(99)))[0]).toEqual({ currency: 1, balance: 79_000n - BIG });
      expect(await store.balancesAt(8, T(99))).toEqual([{ currency: 1, balance: 20_200n }]);
      expect(await store.positionsAt(7, T(5))).toEqual([]);
      expect(await store.positionsAt(7, T(5) + 1)).toEqual([{ symbol: 3, qty: 2, cost: 20_200n, realized: 0n }]);
      expect(await store.positionsAt(7, T(9) + 1)).toEqual([
        { symbol: 3, qty: 5, cost: BIG, realized: 0n },
        { symbol: 4, qty: -1, cost: -5n, realized: -BIG },
      ]);
      expect(await store.positionsAt(8, T(99))).toEqual([{ symbol: 3, qty: -2, cost: -20_200n, realized: 0n }]);
    });

    test("streams: every row in seq order across pages, exact beyond 2^64", async () => {
      const b = fixture();
      await store.write(b);
      const cash7 = b.cash.filter((c) => c.account === 7).sort(cashOrder);
      for (const size of [1, 2, 3, 1000]) expect(await collect(store.streamCash(7, {}, size))).toEqual(cash7);
      expect(cash7.some((c) => c.balance === BIG * BIG)).toBe(true);
      expect(await collect(store.streamCash(7, { from: T(5), to: T(9) }, 2))).toEqual(cash7.filter((c) => c.time >= T(5) && c.time < T(9)));
      const exec7 = b.executions.filter((e) => e.account === 7).sort(execOrder);
      expect(await collect(store.streamExecutions(7, {}, 2))).toEqual(exec7);
      expect(await collect(store.streamExecutions(7, { from: T(6) }, 2))).toEqual(exec7.filter((e) => e.seq >= 6));
      const pos7 = b.positions.filter((p) => p.account === 7).sort(byKey((p) => p.seq, (p) => p.symbol));
      expect(await collect(store.streamPositions(7, {}, 2))).toEqual(pos7);
      expect(await collect(store.streamPositions(7, { to: T(9) }, 1))).toEqual(pos7.filter((p) => p.seq < 9));
      const admins = [...b.admin].sort(byKey((a) => a.seq, (a) => a.idx));
      expect(await collect(store.streamAdmin({}, 2))).toEqual(admins);
      expect(await collect(store.streamAdmin({ from: T(4), to: T(10) }, 1))).toEqual(admins.filter((a) => a.seq >= 4 && a.seq < 10));
      expect(await collect(store.streamCash(9, {}, 2))).toEqual([]);
    });

    test("resolutions: recorded once per break (the first stays), listed, kept by reset", async () => {
      const first = { breakId: "00ff00ff00ff00ff", action: "accepted" as const, reason: "bank's error, \"confirmed\"", commandSeq: 0, operator: "ops", at: 1_000 };
      expect(await store.resolve(first)).toEqual(first);
      expect(await store.resolve({ ...first, action: "adjusted", commandSeq: 42, at: 2_000 })).toEqual(first);
      const second = { breakId: "aa", action: "adjusted" as const, reason: "", commandSeq: 2 ** 40, operator: "ops2", at: 3_000 };
      await store.resolve(second);
      await store.reset();
      expect(await store.resolutions()).toEqual([first, second]);
    });

    test("streams by seq: every account's rows of a seq range in key order, a key stored under two accounts read twice", async () => {
      const b = fixture();
      // The same execution and cash row again under another account: both copies must come out, at any page size.
      const e = b.executions[0]!;
      const c = b.cash[0]!;
      b.executions.push({ ...e, account: e.account + 1000 });
      b.cash.push({ ...c, account: c.account + 1000 });
      await store.write(b);
      const execKey = (r: ExecutionRow) => [r.seq, r.idx, r.liquidity, r.account];
      const cashKey = (r: CashRow) => [r.seq, r.idx, r.n, r.account];
      const sorted = <R>(rows: R[], key: (r: R) => number[]) =>
        [...rows].sort((x, y) => {
          const [a, z] = [key(x), key(y)];
          const i = a.findIndex((v, j) => v !== z[j]);
          return i < 0 ? 0 : a[i]! - z[i]!;
        });
      const seqs = b.executions.map((r) => r.seq).concat(b.cash.map((r) => r.seq));
      const lo = Math.min(...seqs);
      const hi = Math.max(...seqs);
      for (const size of [1, 2, 3, 1000]) {
        expect(await collect(store.streamExecutionsBySeq(lo, hi, size))).toEqual(sorted(b.executions, execKey));
        expect(await collect(store.streamCashBySeq(lo, hi, size))).toEqual(sorted(b.cash, cashKey));
      }
      const mid = Math.floor((lo + hi) / 2);
      expect(await collect(store.streamExecutionsBySeq(mid, hi, 2))).toEqual(sorted(b.executions.filter((r) => r.seq >= mid), execKey));
      expect(await collect(store.streamCashBySeq(lo, mid, 2))).toEqual(sorted(b.cash.filter((r) => r.seq <= mid), cashKey));
    });

    test("prune: removes what is before the line, keeps an order whose trail crosses it, records itself", async () => {
      const b = fixture();
      await store.write(b);
      const line = T(7);
      const before = Date.now();
      const rec = await store.prune(line, "ops@test");
      // 101 (all events before 7), 102 and 104 go with their trails; 103 (CANCELLED at 7) and 105 stay whole.
      const removed = {
        orders: 3,
        orderEvents: 5,
        executions: b.executions.filter((e) => e.time < line).length,
        cash: b.cash.filter((c) => c.time < line).length,
        positions: b.positions.filter((p) => p.time < line).length,
        admin: b.admin.filter((a) => a.time < line).length,
        candles: b.candles.filter((c) => c.start < line).length,
      };
      expect(removed.executions).toBe(4);
      expect(rec).toEqual({ at: rec.at, before: line, operator: "ops@test", removed });
      expect(rec.at).toBeGreaterThanOrEqual(before);
      expect(rec.at).toBeLessThanOrEqual(Date.now());
      const all = counted(b);
      expect(await store.counts()).toEqual({
        orders: all.orders - 3,
        orderEvents: all.orderEvents - 5,
        executions: all.executions - removed.executions,
        cash: all.cash - removed.cash,
        positions: all.positions - removed.positions,
        admin: all.admin - removed.admin,
        candles: all.candles - removed.candles,
      });
      expect((await store.orders({ account: 7 })).rows.map((o) => o.orderId)).toEqual([105, 103]);
      expect((await store.order(103))!.trail.map((e) => e.seq)).toEqual([3, 7]);
      expect(await store.order(101)).toBeNull();
      expect((await store.executions({})).rows.map((e) => e.seq)).toEqual([9, 9]);
      expect(await store.progress()).toEqual({ seq: 10, time: T(10) });
      expect(await store.prunes()).toEqual([rec]);
      const again = await store.prune(line, "ops2");
      expect(again.removed).toEqual({ orders: 0, orderEvents: 0, executions: 0, cash: 0, positions: 0, admin: 0, candles: 0 });
      expect((await store.prunes()).map((p) => p.operator)).toEqual(["ops@test", "ops2"]);
    });

    test("an alert raised outside the writer (reconciliation, rule 9): stored once per key, listed, kept by reset as the writer's are not", async () => {
      const b = new RowBatch();
      b.alerts = [{ seq: 3, rule: 1, account: 7, time: T(3), severity: 2, text: "writer's", detail: "{}" }];
      b.toSeq = 3;
      b.toTime = T(3);
      await store.write(b);
      const raised = { seq: 3, rule: 9, account: 0, time: T(5), severity: 3, text: "reconciliation of 2026-05-29: 2 open breaks", detail: '{"open":2}' };
      expect(await store.raiseAlert(raised)).toBe(true);
      expect(await store.raiseAlert({ ...raised, text: "again" })).toBe(false);
      expect((await store.alerts({ rule: 9 })).rows.map((a) => [a.id, a.text, a.severity])).toEqual([["3.9.0", raised.text, 3]]);
      await store.reset();
      expect((await store.alerts({})).rows.map((a) => a.id)).toEqual(["3.9.0"]);
    });

    test("alerts: written once per key with the batch, listed newest first with filters and pages, acknowledged once; rule state replaced", async () => {
      const alert = (seq: number, rule: number, account: number, severity = 2) => ({ seq, rule, account, time: T(seq), severity, text: `rule ${rule} for ${account}`, detail: JSON.stringify({ seq, note: "q\"uote\ttab" }) });
      const b = new RowBatch();
      b.alerts = [alert(4, 1, 7), alert(2, 5, 8), alert(4, 2, 7, 3), alert(9, 1, 8)];
      b.monitorState = [{ account: 7, state: '{"orders":1}' }, { account: 8, state: '{"orders":2}' }];
      b.toSeq = 9;
      b.toTime = T(9);
      await store.write(b);
      // Again, with a different text for a key already there and a newer state: the alert stays, the state is replaced.
      const again = new RowBatch();
      again.alerts = [{ ...alert(4, 1, 7), text: "changed" }];
      again.monitorState = [{ account: 7, state: '{"orders":3}' }];
      again.toSeq = 10;
      again.toTime = T(10);
      await store.write(again);
      expect((await store.monitorState()).sort((x, y) => x.account - y.account)).toEqual([{ account: 7, state: '{"orders":3}' }, { account: 8, state: '{"orders":2}' }]);
      const all = await store.alerts({});
      expect(all.rows.map((a) => a.id)).toEqual(["9.1.8", "4.2.7", "4.1.7", "2.5.8"]);
      expect(all.rows[2]).toMatchObject({ text: "rule 1 for 7", ackedBy: null, ackedAt: null, note: null, time: T(4) });
      expect(JSON.parse(all.rows[0]!.detail)).toEqual({ seq: 9, note: "q\"uote\ttab" });
      expect((await store.alerts({ account: 7 })).rows.map((a) => a.id)).toEqual(["4.2.7", "4.1.7"]);
      expect((await store.alerts({ rule: 1 })).rows.map((a) => a.id)).toEqual(["9.1.8", "4.1.7"]);
      expect((await store.alerts({ from: T(3), to: T(9) })).rows.map((a) => a.id)).toEqual(["4.2.7", "4.1.7"]);
      const p1 = await store.alerts({ limit: 3 });
      expect(p1.next).not.toBeNull();
      expect((await store.alerts({ limit: 3, cursor: p1.next! })).rows.map((a) => a.id)).toEqual(["2.5.8"]);
      await expect(store.alerts({ cursor: "bm9wZQ" })).rejects.toThrow(RangeError);

      expect(await store.ack({ seq: 3, rule: 1, account: 7 }, "user:olga", null, 5)).toBeNull();
      const first = await store.ack({ seq: 4, rule: 2, account: 7 }, "user:olga", "seen", 1_000);
      expect(first).toMatchObject({ acked: true, alert: { id: "4.2.7", ackedBy: "user:olga", ackedAt: 1_000, note: "seen" } });
      const second = await store.ack({ seq: 4, rule: 2, account: 7 }, "user:otto", "again", 2_000);
      expect(second).toMatchObject({ acked: false, alert: { ackedBy: "user:olga", ackedAt: 1_000, note: "seen" } });
      expect((await store.alerts({ state: "acknowledged" })).rows.map((a) => a.id)).toEqual(["4.2.7"]);
      expect((await store.alerts({ state: "open" })).rows.map((a) => a.id)).toEqual(["9.1.8", "4.1.7", "2.5.8"]);
      // A rebuild empties alerts and state; the acknowledgement waits for its alert to be written again.
      await store.reset();
      expect((await store.alerts({})).rows).toEqual([]);
      expect(await store.monitorState()).toEqual([]);
      await store.write(b);
      expect(await store.alert({ seq: 4, rule: 2, account: 7 })).toMatchObject({ ackedBy: "user:olga", note: "seen" });
    });
  });
}
