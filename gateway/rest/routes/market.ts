import { createRoute, z } from "@hono/zod-openapi";
import { Side } from "../../../engine/commands.ts";
import { Decimal, formatPrice, formatQty, type Instrument, type InstrumentSpec, makeInstrument } from "../../../engine/instrument.ts";
import { rollingStats } from "../../../history/rolling-stats.ts";
import type { HistoryStore } from "../../../history/store.ts";
import { Channel } from "../../../protocol/market-data-messages.ts";
import type { MarketDataFanout } from "../../ws/market-data-fanout.ts";
import { ErrorCode, errorResponses, RestError } from "../errors.ts";
import type { RestApp, RouteDeps, RouteModule } from "../route-module.ts";
import { json } from "./route-parts.ts";

/**
 * Public market data over REST (docs/rest.md, Market data), unsigned: the L2 book from the
 * WebSocket door's own market-data state (so its sequence joins the L2 channel's diffs), and
 * trades, candles and the 24 h ticker from the history store. Prices and quantities are decimal
 * strings on the instrument's grid; times ISO 8601 UTC with epoch ms beside them.
 */
export interface MarketSource {
  /** The market-data state the WebSocket door publishes from. */
  marketData: MarketDataFanout;
  /** The history store as the doors read it; null without one (or before it answers). */
  history: () => HistoryStore | null;
  instruments: readonly InstrumentSpec[];
}

const INTERVALS = { "1s": 1e6, "1m": 60e6, "5m": 300e6, "1h": 3_600e6, "1d": 86_400e6 } as const;
type IntervalName = keyof typeof INTERVALS;
const DAY_US = 86_400e6;

const SymbolParam = z.object({
  symbol: z.string().regex(/^[\x21-\x7e]{1,32}$/).openapi({ param: { name: "symbol", in: "path" }, example: "BTC-USD" }),
});

const Level = z.tuple([z.string(), z.string()]).openapi({ description: "[price, qty], decimal strings", example: ["50000.5", "1.25"] });
const BookSchema = z
  .object({
    symbol: z.string(),
    seq: z.number().int().openapi({ description: "the L2 channel's market-data sequence: apply the WebSocket L2_UPDATEs with a larger seq on top" }),
    bids: z.array(Level).openapi({ description: "best (highest) first" }),
    asks: z.array(Level).openapi({ description: "best (lowest) first" }),
  })
  .openapi("Book");

const TradeSchema = z
  .object({
    tradeId: z.number().int(),
    price: z.string(),
    qty: z.string(),
    side: z.enum(["buy", "sell"]).openapi({ description: "the taker's (aggressor's) side" }),
    time: z.string().openapi({ example: "2026-12-07T14:00:00.000Z" }),
    timeMs: z.number().int(),
  })
  .openapi("Trade");
const TradesSchema = z
  .object({
    symbol: z.string(),
    historySeq: z.number().int().openapi({ description: "the history store covers the journal through this seq: trades after it are not in the answer yet" }),
    trades: z.array(TradeSchema).openapi({ description: "newest first" }),
  })
  .openapi("Trades");

const CandleSchema = z
  .object({
    openTime: z.string(),
    openTimeMs: z.number().int(),
    open: z.string(),
    high: z.string(),
    low: z.string(),
    close: z.string(),
    volume: z.string().openapi({ description: "base quantity traded" }),
    trades: z.number().int(),
    closed: z.boolean().openapi({ description: "false for the candle still open (the last one)" }),
  })
  .openapi("Candle");
const CandlesSchema = z
  .object({
    symbol: z.string(),
    interval: z.enum(Object.keys(INTERVALS) as [IntervalName, ...IntervalName[]]),
    source: z.enum(["history", "memory"]).openapi({ description: "history: the store's closed candles, then market data's newer ones and the open one; memory (no history store): market data's last 1,000 closed candles and the open one" }),
    candles: z.array(CandleSchema).openapi({ description: "oldest first" }),
  })
  .openapi("Candles");

const nullablePrice = z.string().nullable();
const TickerSchema = z
  .object({
    symbol: z.string(),
    from: z.string(),
    to: z.string(),
    fromMs: z.number().int(),
    toMs: z.number().int(),
    open: nullablePrice.openapi({ description: "first trade's price in the window; null when nothing traded" }),
    high: nullablePrice,
    low: nullablePrice,
    last: nullablePrice.openapi({ description: "last trade's price in the window" }),
    volume: z.string().openapi({ description: "base quantity traded in the window" }),
    trades: z.number().int(),
    change: nullablePrice.openapi({ description: "last − open" }),
    changePercent: z.string().nullable().openapi({ description: "(last − open) / open × 100, rounded half-even to 4 decimals" }),
    bestBid: nullablePrice,
    bestBidQty: z.string().nullable(),
    bestAsk: nullablePrice,
    bestAskQty: z.string().nullable(),
    historySeq: z.number().int().openapi({ description: "the window's figures are exact as far as the history store covers the journal: through this seq" }),
  })
  .openapi("Ticker");

const BookQuery = z.object({
  depth: z.coerce.number().int().min(1).max(1000).default(100).openapi({ param: { name: "depth", in: "query" }, example: 10, description: "levels a side, 1–1000 (default 100)" }),
});
const TradesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ param: { name: "limit", in: "query" }, example: 50, description: "1–1000 (default 100)" }),
});
const TIME = z
  .string()
  .refine((s) => parseTime(s) !== null, "an ISO 8601 UTC time or ms since the epoch")
  .optional();
const CandlesQuery = z.object({
  interval: z.enum(Object.keys(INTERVALS) as [IntervalName, ...IntervalName[]]).default("1m").openapi({ param: { name: "interval", in: "query" }, example: "1m" }),
  from: TIME.openapi({ param: { name: "from", in: "query" }, example: "2026-12-07T00:00:00Z", description: "candles opening at or after this (ISO 8601 or epoch ms)" }),
  to: TIME.openapi({ param: { name: "to", in: "query" }, example: "1796652000000", description: "candles opening before this (ISO 8601 or epoch ms)" }),
  limit: z.coerce.number().int().min(1).max(1000).default(500).openapi({ param: { name: "limit", in: "query" }, example: 100, description: "the newest this many in the range, 1–1000 (default 500)" }),
});

/** ms since the epoch from "1796652000000" or an ISO 8601 time with a zone; null for anything else. */
function parseTime(s: string): number | null {
  if (/^\d{1,15}$/.test(s)) return Number(s);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)$/.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

const isoMs = (us: number) => new Date(Math.floor(us / 1000)).toISOString();

/** The market-data routes, on the market data and history store the exchange started (app/exchange.ts). */
export function marketRoutes(src: MarketSource): RouteModule {
  return (app: RestApp, deps: RouteDeps) => {
    const bySymbol = new Map<string, Instrument>(src.instruments.map((s) => [s.symbol, makeInstrument(s)]));
    const md = src.marketData;
    const instrument = (symbol: string): Instrument => {
      const i = bySymbol.get(symbol);
      if (!i) throw new RestError(404, ErrorCode.UNKNOWN_SYMBOL, `no instrument ${symbol}; GET /api/v1/instruments lists them`);
      return i;
    };
    const history = (what: string): HistoryStore => {
      const h = src.history();
      if (!h) throw new RestError(503, ErrorCode.HISTORY_UNAVAILABLE, `${what} come from the history store, which this exchange does not have running`);
      return h;
    };
    const price = (i: Instrument, ticks: number) => formatPrice(i, ticks);
    const qty = (i: Instrument, lots: number) => formatQty(i, lots);

    app.openapi(
      createRoute({
        method: "get",
        path: "/instruments/{symbol}/book",
        tags: ["market data"],
        summary: "L2 book snapshot",
        description: "The aggregated book as the WebSocket door's market data holds it, with the L2 channel's sequence number.",
        request: { params: SymbolParam, query: BookQuery },
        responses: { 200: json(BookSchema, "The book"), ...errorResponses(400, 404) },
      }),
      (c) => {
        const i = instrument(c.req.valid("param").symbol);
        const snap = md.builder.snapshot(i.id, c.req.valid("query").depth);
        // Read in the same turn as the snapshot: no delivery can come between them.
        const seq = md.current(i.id, Channel.L2);
        return c.json(
          {
            symbol: i.symbol,
            seq,
            bids: snap.bids.map((l) => [price(i, l.price), qty(i, l.qty)] as [string, string]),
            asks: snap.asks.map((l) => [price(i, l.price), qty(i, l.qty)] as [string, string]),
          },
          200,
        );
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/instruments/{symbol}/trades",
        tags: ["market data"],
        summary: "Recent public trades",
        description: "From the history store (market data keeps no trades in memory): 503 HISTORY_UNAVAILABLE without one.",
        request: { params: SymbolParam, query: TradesQuery },
        responses: { 200: json(TradesSchema, "The newest trades"), ...errorResponses(400, 404, 503) },
      }),
      async (c) => {
        const i = instrument(c.req.valid("param").symbol);
        const store = history("trades");
        // Progress first: the trades read after it hold at least everything through it.
        const progress = await store.progress();
        const page = await store.trades({ symbol: i.id, limit: c.req.valid("query").limit });
        const trades = page.rows.map((t) => ({ tradeId: t.tradeId, price: price(i, t.price), qty: qty(i, t.qty), side: t.takerSide === Side.BUY ? ("buy" as const) : ("sell" as const), time: isoMs(t.time), timeMs: Math.floor(t.time / 1000) }));
        return c.json({ symbol: i.symbol, historySeq: progress.seq, trades }, 200);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/instruments/{symbol}/candles",
        tags: ["market data"],
        summary: "OHLCV candles",
        description: "Closed candles from the history store, then the newer ones market data holds and the open one; without a history store, market data's alone (source says which).",
        request: { params: SymbolParam, query: CandlesQuery },
        responses: { 200: json(CandlesSchema, "The candles"), ...errorResponses(400, 404) },
      }),
      async (c) => {
        const i = instrument(c.req.valid("param").symbol);
        const q = c.req.valid("query");
        const iv = INTERVALS[q.interval];
        const from = q.from === undefined ? 0 : parseTime(q.from)! * 1000;
        const to = q.to === undefined ? Number.MAX_SAFE_INTEGER : parseTime(q.to)! * 1000;
        const store = src.history();
        const rows: { start: number; open: number; high: number; low: number; close: number; volume: number; trades: number; closed: boolean }[] = [];
        if (store && from < to) for (const r of await store.candles({ symbol: i.id, interval: iv, from, to, limit: q.limit })) rows.push({ ...r, closed: true });
        // Market data's candles come after the store's newest: those it has not written yet, and the open one.
        const after = rows.length > 0 ? rows[rows.length - 1]!.start : -1;
        for (const m of md.builder.candles(i.id, iv)) {
          if (m.openTime > after && m.openTime >= from && m.openTime < to) rows.push({ start: m.openTime, open: m.open, high: m.high, low: m.low, close: m.close, volume: m.volume, trades: m.trades, closed: m.closed });
        }
        const candles = rows.slice(-q.limit).map((r) => ({ openTime: isoMs(r.start), openTimeMs: Math.floor(r.start / 1000), open: price(i, r.open), high: price(i, r.high), low: price(i, r.low), close: price(i, r.close), volume: qty(i, r.volume), trades: r.trades, closed: r.closed }));
        return c.json({ symbol: i.symbol, interval: q.interval, source: store ? ("history" as const) : ("memory" as const), candles }, 200);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/instruments/{symbol}/ticker",
        tags: ["market data"],
        summary: "24 h statistics",
        description:
          "Open, high, low, last, volume and trade count of the trades in the last 24 h (rolling, to the µs), exact, from the history store: its closed 1-minute candles for whole minutes and its trades at the edges; as of historySeq. Best bid and ask are live, from market data. 503 HISTORY_UNAVAILABLE without a history store.",
        request: { params: SymbolParam },
        responses: { 200: json(TickerSchema, "The statistics"), ...errorResponses(400, 404, 503) },
      }),
      async (c) => {
        const i = instrument(c.req.valid("param").symbol);
        const store = history("24 h statistics");
        const toMs = deps.clock();
        const to = toMs * 1000;
        const from = to - DAY_US;
        const progress = await store.progress();
        const s = await rollingStats(store, i.id, from, to);
        const bbo = md.builder.bbo(i.id);
        const p = (ticks: number | null) => (ticks === null ? null : price(i, ticks));
        const change = s.open !== null && s.last !== null ? s.last - s.open : null;
        return c.json(
          {
            symbol: i.symbol,
            from: isoMs(from),
            to: isoMs(to),
            fromMs: toMs - DAY_US / 1000,
            toMs,
            open: p(s.open),
            high: p(s.high),
            low: p(s.low),
            last: p(s.last),
            volume: qty(i, s.volume),
            trades: s.trades,
            change: change === null ? null : price(i, change),
            changePercent: change === null || !s.open ? null : new Decimal(change).mul(100).div(s.open).toDecimalPlaces(4, Decimal.ROUND_HALF_EVEN).toFixed(4),
            bestBid: bbo.bidQty > 0 ? price(i, bbo.bidPrice) : null,
            bestBidQty: bbo.bidQty > 0 ? qty(i, bbo.bidQty) : null,
            bestAsk: bbo.askQty > 0 ? price(i, bbo.askPrice) : null,
            bestAskQty: bbo.askQty > 0 ? qty(i, bbo.askQty) : null,
            historySeq: progress.seq,
          },
          200,
        );
      },
    );
  };
}
