/**
 * The REST door's public market data (gateway/rest/routes/market.ts): on a started exchange, the
 * book equals the WebSocket L2 snapshot (with its sequence), trades, candles and the ticker follow
 * a cross once the history writer has it; the ticker's window over a scripted day (against a store
 * written by hand) equals a brute-force sum of the trades in it; unknown symbols, bad queries and a
 * missing history store answer in the error shape.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../../app/exchange.ts";
import { BourseClient } from "../../../client/client.ts";
import type { LocalBook } from "../../../client/local-book.ts";
import { Side } from "../../../engine/commands.ts";
import { ApiKeys } from "../../../gateway/auth/keys.ts";
import { buildRestApp, type RestApp } from "../../../gateway/rest/app.ts";
import { marketRoutes } from "../../../gateway/rest/routes/market.ts";
import { MarketDataFanout } from "../../../gateway/ws/market-data-fanout.ts";
import { rollingStats } from "../../../history/rolling-stats.ts";
import { Liquidity, RowBatch } from "../../../history/rows.ts";
import { SqliteHistoryStore } from "../../../history/sqlite-store.ts";
import type { HistoryStore } from "../../../history/store.ts";
import { silentLogger } from "../../../log/logger.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { demoConfig, rng, secret } from "../support/harness.ts";
import { expectErrorShape } from "../support/rest.ts";

const dirs: string[] = [];
const tempDir = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Book = { symbol: string; seq: number; bids: [string, string][]; asks: [string, string][] };

describe("on a started exchange", () => {
  let x: BourseExchange;
  let http: string;
  let alice: BourseClient;
  let bob: BourseClient;
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(http + path);
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    return (await res.json()) as T;
  };
  const login = async (name: string) => {
    const c = await BourseClient.connect(x.gateway!.url);
    await c.login(`${name}-demo`, secret(name));
    return c;
  };
  /** Everything journaled is in the history store. */
  const historyCaughtUp = async () => expect(await x.historyWriter!.reach(x.engine.host.lastSeq)).toBe(true);

  beforeAll(async () => {
    x = await new BourseExchange({ dataDir: tempDir("bourse-rest-md-"), config: demoConfig(), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: silentLogger }).start();
    http = `http://127.0.0.1:${x.gateway!.server.port}`;
    alice = await login("alice");
    bob = await login("bob");
  });
  afterAll(async () => {
    alice.close();
    bob.close();
    await x.stop();
  });

  test("the book after resting orders equals the WebSocket L2 snapshot, sequence included; depth cuts it", async () => {
    for (const [side, price, qty] of [
      ["buy", "1990", "1"],
      ["buy", "1995.05", "0.5"],
      ["sell", "2005", "0.25"],
      ["sell", "2010", "2"],
    ] as const) {
      await alice.placeOrder({ symbol: "ETH-USD", side, price, qty });
    }
    await bob.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1995.05", qty: "0.75" });

    const ws = await login("carol");
    let local: LocalBook | undefined;
    for await (const b of ws.book("ETH-USD")) {
      if (b.ready) {
        local = b;
        break;
      }
    }
    const rest = await get<Book>("/api/v1/instruments/ETH-USD/book");
    const levels = (side: "bid" | "ask") => local!.levels(side).map((l) => [l.price, l.qty] as [string, string]);
    expect(rest).toEqual({ symbol: "ETH-USD", seq: local!.seq, bids: levels("bid"), asks: levels("ask") });
    expect(rest.bids).toEqual([
      ["1995.05", "1.25"],
      ["1990.00", "1.00"],
    ]);
    expect(rest.asks[0]).toEqual(["2005.00", "0.25"]);
    ws.close();

    const top = await get<Book>("/api/v1/instruments/ETH-USD/book?depth=1");
    expect([top.bids, top.asks]).toEqual([[["1995.05", "1.25"]], [["2005.00", "0.25"]]]);
  });

  test("trades, candles and the ticker after crosses, from the history store", async () => {
    await alice.placeOrder({ symbol: "BTC-USD", side: "sell", price: "30000", qty: "0.01" });
    await alice.placeOrder({ symbol: "BTC-USD", side: "sell", price: "30100.5", qty: "0.02" });
    await bob.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30000", qty: "0.004", tif: "IOC" });
    await bob.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30100.5", qty: "0.016", tif: "IOC" });
    await alice.placeOrder({ symbol: "BTC-USD", side: "buy", price: "29900", qty: "0.003" });
    await historyCaughtUp();

    type Trades = { historySeq: number; trades: { tradeId: number; price: string; qty: string; side: string; time: string; timeMs: number }[] };
    const t = await get<Trades>("/api/v1/instruments/BTC-USD/trades?limit=10");
    expect(t.historySeq).toBeGreaterThanOrEqual(1);
    // Newest first: bob's second buy took the rest at 30000 (0.006), then 0.010 at 30100.5.
    expect(t.trades.map((r) => [r.price, r.qty, r.side])).toEqual([
      ["30100.5", "0.010", "buy"],
      ["30000.0", "0.006", "buy"],
      ["30000.0", "0.004", "buy"],
    ]);
    for (const r of t.trades) {
      expect(r.time).toBe(new Date(r.timeMs).toISOString());
      expect(Math.abs(r.timeMs - Date.now())).toBeLessThan(60_000);
    }
    expect(new Set(t.trades.map((r) => r.tradeId)).size).toBe(3);
    expect((await get<Trades>("/api/v1/instruments/BTC-USD/trades?limit=1")).trades).toHaveLength(1);

    type Candles = { source: string; candles: { open: string; high: string; low: string; close: string; volume: string; trades: number; closed: boolean; openTime: string; openTimeMs: number }[] };
    const c = await get<Candles>("/api/v1/instruments/BTC-USD/candles?interval=1d");
    expect(c.source).toBe("history");
    expect(c.candles.map(({ openTimeMs: _, openTime: __, ...k }) => k)).toEqual([{ open: "30000.0", high: "30100.5", low: "30000.0", close: "30100.5", volume: "0.020", trades: 3, closed: false }]);
    expect(c.candles[0]!.openTimeMs % 86_400_000).toBe(0);
    expect(c.candles[0]!.openTime).toBe(new Date(c.candles[0]!.openTimeMs).toISOString());
    const openMs = c.candles[0]!.openTimeMs;
    expect((await get<Candles>(`/api/v1/instruments/BTC-USD/candles?interval=1d&from=${openMs + 1}`)).candles).toEqual([]);
    expect((await get<Candles>(`/api/v1/instruments/BTC-USD/candles?interval=1d&to=${new Date(openMs + 1).toISOString()}`)).candles).toHaveLength(1);

    const k = await get<Record<string, unknown>>("/api/v1/instruments/BTC-USD/ticker");
    expect(k).toMatchObject({ symbol: "BTC-USD", open: "30000.0", high: "30100.5", low: "30000.0", last: "30100.5", volume: "0.020", trades: 3, change: "100.5", changePercent: "0.3350", bestBid: "29900.0", bestBidQty: "0.003", bestAsk: "30100.5", bestAskQty: "0.010" });
    expect(k.toMs as number).toBe(Date.parse(k.to as string));
    expect((k.toMs as number) - (k.fromMs as number)).toBe(86_400_000);
  });

  test("an unknown symbol: 404 UNKNOWN_SYMBOL on every market route", async () => {
    for (const r of ["book", "trades", "candles", "ticker"]) {
      const e = await expectErrorShape(await fetch(`${http}/api/v1/instruments/NOPE-USD/${r}`), 404);
      expect({ r, code: e.code }).toEqual({ r, code: "UNKNOWN_SYMBOL" });
    }
  });

  test("bad query values: 400 INVALID_INPUT naming the field", async () => {
    for (const [q, field] of [
      ["book?depth=0", "depth"],
      ["book?depth=1001", "depth"],
      ["book?depth=abc", "depth"],
      ["book?depth=1.5", "depth"],
      ["trades?limit=0", "limit"],
      ["trades?limit=1001", "limit"],
      ["candles?interval=2m", "interval"],
      ["candles?from=yesterday", "from"],
      ["candles?to=2026-12-07", "to"],
      ["candles?limit=-1", "limit"],
    ] as const) {
      const e = await expectErrorShape(await fetch(`${http}/api/v1/instruments/ETH-USD/${q}`), 400);
      expect({ q, code: e.code, fields: (e.details as { field: string }[]).map((d) => d.field) }).toEqual({ q, code: "INVALID_INPUT", fields: [field] });
    }
  });
});

// ---------------------------------------------------------------- a scripted day, against a store written by hand

const MIN = 60e6;
const ETH = { id: 2, symbol: "ETH-USD", tickSize: "0.05", lotSize: "0.01", bandBps: 300, base: "ETH", quote: "USD" };

interface T {
  time: number;
  price: number;
  qty: number;
}

/** A store holding `trades` as taker executions, and the 1-minute candles of every minute that ends by `closedBy`. */
async function scriptedStore(trades: T[], closedBy: number): Promise<SqliteHistoryStore> {
  const store = new SqliteHistoryStore(join(tempDir("bourse-ticker-"), "h.db"));
  const b = new RowBatch();
  trades.forEach((t, i) => {
    b.executions.push({ seq: i + 1, idx: 0, liquidity: Liquidity.TAKER, tradeId: i + 1, time: t.time, symbol: ETH.id, orderId: 1000 + i, account: 1, side: i % 2 === 0 ? Side.BUY : Side.SELL, price: t.price, qty: t.qty, leaves: 0, counterOrderId: 1, counterAccount: 2, notional: 0n, fee: 0n, feeBps: 0, currency: 1 });
  });
  const minutes = new Map<number, T[]>();
  for (const t of trades) {
    const m = Math.floor(t.time / MIN) * MIN;
    if (m + MIN <= closedBy) minutes.set(m, [...(minutes.get(m) ?? []), t]);
  }
  for (const [start, ts] of minutes) {
    const prices = ts.map((t) => t.price);
    b.candles.push({ symbol: ETH.id, interval: MIN, start, open: prices[0]!, high: Math.max(...prices), low: Math.min(...prices), close: prices.at(-1)!, volume: ts.reduce((s, t) => s + t.qty, 0), trades: ts.length, seq: trades.length });
  }
  b.toSeq = trades.length;
  b.toTime = trades.at(-1)?.time ?? 0;
  await store.write(b);
  return store;
}

function bruteForce(trades: T[], from: number, to: number) {
  const w = trades.filter((t) => t.time >= from && t.time <= to);
  const p = w.map((t) => t.price);
  return w.length === 0 ? { open: null, high: null, low: null, last: null, volume: 0, trades: 0 } : { open: p[0]!, high: Math.max(...p), low: Math.min(...p), last: p.at(-1)!, volume: w.reduce((s, t) => s + t.qty, 0), trades: w.length };
}

function restApp(store: HistoryStore | null, nowMs: number): RestApp {
  return buildRestApp({ keys: new ApiKeys(), instruments: [ETH], availability: { stopped: false, state: () => ({ state: "running", seq: 0 }) }, log: memoryLogger().log, clock: () => nowMs }, [
    marketRoutes({ marketData: new MarketDataFanout([ETH.id]), history: () => store, instruments: [ETH] }),
  ]);
}

describe("the 24 h ticker over a scripted day", () => {
  const now = Date.UTC(2026, 11, 7, 15, 30, 20, 500) * 1000;
  const from = now - 86_400e6;

  test("each edge: part-minutes at both ends read trade by trade, whole minutes from candles; outside the window left out", async () => {
    const trades: T[] = [
      { time: from - 1, price: 39000, qty: 7 }, // just before the window
      { time: from, price: 40000, qty: 1 }, // the window's first µs: the open
      { time: from + 10e6, price: 40100, qty: 2 }, // same part-minute
      { time: from + 5 * MIN, price: 39800, qty: 3 },
      { time: from + 60 * MIN, price: 41000, qty: 1 }, // the high
      { time: now - 3 * MIN, price: 39500, qty: 4 }, // the low
      { time: now - 10e6, price: 40200, qty: 5 }, // the open minute: not in a candle
      { time: now, price: 40300, qty: 6 }, // the window's last µs: the last
      { time: now + 1, price: 50000, qty: 9 }, // after it
    ];
    const store = await scriptedStore(trades, Math.floor(now / MIN) * MIN);
    expect(await rollingStats(store, ETH.id, from, now)).toEqual(bruteForce(trades, from, now));
    expect(bruteForce(trades, from, now)).toEqual({ open: 40000, high: 41000, low: 39500, last: 40300, volume: 22, trades: 7 });

    const res = await restApp(store, now / 1000).request("/api/v1/instruments/ETH-USD/ticker");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      symbol: "ETH-USD",
      from: "2026-12-06T15:30:20.500Z",
      to: "2026-12-07T15:30:20.500Z",
      fromMs: from / 1000,
      toMs: now / 1000,
      open: "2000.00",
      high: "2050.00",
      low: "1975.00",
      last: "2015.00",
      volume: "0.22",
      trades: 7,
      change: "15.00",
      changePercent: "0.7500",
      bestBid: null,
      bestBidQty: null,
      bestAsk: null,
      bestAskQty: null,
      historySeq: trades.length,
    });
    await store.close();
  });

  test("random days, with the store's candles stopping short (a writer behind, a quiet market): always the brute-force figures", async () => {
    const r = rng(16);
    for (let round = 0; round < 20; round++) {
      const trades: T[] = [];
      let t = from - 30 * MIN + r.int(60e6);
      while (t < now + 5 * MIN) {
        trades.push({ time: t, price: 39000 + r.int(2000), qty: 1 + r.int(50) });
        t += r.chance(0.1) ? r.int(240 * MIN) : r.int(3 * MIN);
      }
      // Candles closed only up to some point: minutes after it are in the executions alone.
      const closedBy = Math.floor((now - r.int(120) * MIN) / MIN) * MIN;
      const store = await scriptedStore(trades, closedBy);
      expect({ round, stats: await rollingStats(store, ETH.id, from, now) }).toEqual({ round, stats: bruteForce(trades, from, now) });
      await store.close();
    }
  });

  test("without a history store: trades and ticker 503 HISTORY_UNAVAILABLE; candles from market data in memory", async () => {
    const app = restApp(null, now / 1000);
    for (const r of ["trades", "ticker"]) {
      const e = await expectErrorShape(await app.request(`/api/v1/instruments/ETH-USD/${r}`), 503);
      expect({ r, code: e.code, says: /history store/.test(e.message) }).toEqual({ r, code: "HISTORY_UNAVAILABLE", says: true });
    }
    const c = await app.request("/api/v1/instruments/ETH-USD/candles");
    expect(await c.json()).toEqual({ symbol: "ETH-USD", interval: "1m", source: "memory", candles: [] });
  });
});
