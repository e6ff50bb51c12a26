/**
 * history/writer.ts over the embedded store: the rows it writes from a journal agree with the
 * engine that ran the same commands — balances to the last unit, positions, every order — and a
 * writer stopped anywhere and opened again ends with exactly the rows of one that never stopped.
 */
import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { OrderState } from "../../engine/order-state.ts";
import { Interval } from "../../engine/candles.ts";
import type { Exchange } from "../../engine/exchange.ts";
import { CashKind } from "../../history/rows.ts";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import type { HistoryStore } from "../../history/store.ts";
import { HistoryWriter } from "../../history/writer.ts";
import { demoConfig, journaled } from "./journal-fixture.ts";
import { dumpStore } from "./dump-store.ts";

const dirs: string[] = [];
const stores: HistoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function store(dir: string, name = "history.db"): SqliteHistoryStore {
  const s = new SqliteHistoryStore(path.join(dir, name));
  stores.push(s);
  return s;
}

async function writeAll(dir: string, s: HistoryStore, durable: number, batchRows = 10_000): Promise<HistoryWriter> {
  const w = await HistoryWriter.open({ dataDir: dir, config: demoConfig.exchange, store: s, batchRows }, durable);
  await w.catchUp(durable);
  w.close();
  return w;
}

/** Every (account, currency) the engine holds cash in, with its balance. */
function engineBalances(x: Exchange): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const [id, a] of x.ledger.accounts) for (const [cur, c] of a.cash) if (c.balance !== 0n) m.set(`${id}:${cur}`, c.balance);
  return m;
}

describe("HistoryWriter", () => {
  test("cash rows sum to the engine's balances, and each row's running balance is exact", async () => {
    const { dir, engine, cmds } = journaled(dirs, 3000);
    const s = store(dir);
    await writeAll(dir, s, cmds.length);
    expect((await s.progress()).seq).toBe(cmds.length);
    const sums = new Map<string, bigint>();
    const last = new Map<string, bigint>();
    let trades = 0;
    for (const account of [...engine.ledger.accounts.keys()]) {
      for await (const r of s.streamCash(account, {})) {
        const key = `${r.account}:${r.currency}`;
        const sum = (sums.get(key) ?? 0n) + r.amount;
        sums.set(key, sum);
        // Running: the balance after each row is the sum of every row to it.
        expect(r.balance).toBe(sum);
        last.set(key, r.balance);
        if (r.kind === CashKind.TRADE) trades++;
      }
    }
    expect(trades).toBeGreaterThan(100);
    const want = engineBalances(engine);
    for (const [k, v] of last) if (v === 0n) last.delete(k);
    expect(last).toEqual(want);
  });

  test("positions and every order's final state agree with the engine", async () => {
    const { dir, engine, cmds } = journaled(dirs, 2000, 3);
    const s = store(dir);
    await writeAll(dir, s, cmds.length);
    const end = Number.MAX_SAFE_INTEGER;
    for (const [id, a] of engine.ledger.accounts) {
      const got = await s.positionsAt(id, end);
      const want = [...a.positions].filter(([, p]) => p.qty !== 0 || p.cost !== 0n || p.realized !== 0n).map(([symbol, p]) => ({ symbol, qty: p.qty, cost: p.cost, realized: p.realized }));
      expect(got.filter((p) => p.qty !== 0 || p.cost !== 0n || p.realized !== 0n)).toEqual(want.sort((x, y) => x.symbol - y.symbol));
    }
    // The store's open orders are the engine's open orders, with their leaves.
    const open = new Map<number, number>();
    for (const account of engine.ledger.accounts.keys()) {
      for (let cursor: string | undefined, page; (page = await s.orders({ account, state: "open", cursor, limit: 1000 })); ) {
        for (const o of page.rows) open.set(o.orderId, o.leaves);
        if (!page.next) break;
        cursor = page.next;
      }
    }
    expect(open).toEqual(new Map([...engine.open.values()].map((o) => [o.orderId, o.leaves])));
    // A finished order has its whole trail: created, then through to a final state.
    const closed = await s.orders({ account: engine.open.values().next().value!.account, state: "closed", limit: 5 });
    expect(closed.rows.length).toBeGreaterThan(0);
    const rec = (await s.order(closed.rows[0]!.orderId))!;
    expect(rec.trail[0]!.fromState).toBe(OrderState.NONE);
    expect([OrderState.FILLED, OrderState.CANCELLED, OrderState.EXPIRED, OrderState.REJECTED] as number[]).toContain(rec.trail.at(-1)!.toState);
  });

  test("stopped and reopened at any batch, the store ends equal, row for row, to one written in one go", async () => {
    const { dir, cmds } = journaled(dirs, 2500, 5);
    const whole = store(dir, "whole.db");
    await writeAll(dir, whole, cmds.length);
    const pieces = store(dir, "pieces.db");
    // Small batches, and a new writer (a restart) every few hundred commands.
    for (let until = 137; ; until = Math.min(cmds.length, until + 411)) {
      await writeAll(dir, pieces, until, 300);
      if (until === cmds.length) break;
    }
    const a = await dumpStore(whole, [...demoConfig.exchange.instruments.map((i) => i.id)], [0, ...(demoConfig.accounts ?? []).map((x) => x.id)]);
    const b = await dumpStore(pieces, [...demoConfig.exchange.instruments.map((i) => i.id)], [0, ...(demoConfig.accounts ?? []).map((x) => x.id)]);
    expect(a.counts.candles).toBeGreaterThan(10);
    expect(b).toEqual(a);
  });

  test("candles: every closed 1 s candle's volume is the sum of its trades", async () => {
    const { dir, cmds } = journaled(dirs, 1500, 9);
    const s = store(dir);
    await writeAll(dir, s, cmds.length);
    const candles = await s.candles({ symbol: 1, interval: Interval.S1, limit: 10000 });
    expect(candles.length).toBeGreaterThan(3);
    for (const c of candles) {
      const trades = await s.trades({ symbol: 1, from: c.start, to: c.start + Interval.S1, limit: 1000 });
      expect(trades.rows.reduce((n, t) => n + t.qty, 0)).toBe(c.volume);
      expect(trades.rows.length).toBe(c.trades);
      expect(trades.rows.at(-1)!.price).toBe(c.open);
      expect(trades.rows[0]!.price).toBe(c.close);
    }
  });

  test("a store ahead of the journal is refused: it belongs to another data directory", async () => {
    const { dir, cmds } = journaled(dirs, 300);
    const s = store(dir);
    await writeAll(dir, s, cmds.length);
    const other = journaled(dirs, 100);
    await expect(HistoryWriter.open({ dataDir: other.dir, config: demoConfig.exchange, store: s }, other.cmds.length)).rejects.toThrow(/another data directory/);
  });
});
