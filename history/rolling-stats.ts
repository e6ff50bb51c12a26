import type { HistoryStore, PublicTrade } from "./store.ts";

/**
 * A symbol's trading over a time window (the REST door's 24 h ticker), read from the history
 * store exactly and cheaply: whole minutes inside the window come from the store's closed 1-minute
 * candles (at most 1,440 rows a day), and only the edges — the part-minute at the window's start
 * and whatever follows the last closed candle the store holds (the open minute, or minutes the
 * writer has not reached yet) — are read trade by trade. Every figure is in ticks and lots, and is
 * exactly what the store's trades in [from, to] add up to, as far as the store covers the journal.
 */
export interface RollingStats {
  /** ticks; null when nothing traded in the window. */
  open: number | null;
  high: number | null;
  low: number | null;
  last: number | null;
  /** lots */
  volume: number;
  trades: number;
}

const MINUTE_US = 60e6;
/** Trades read per page at the edges. */
const PAGE = 1000;

/** Statistics of `symbol`'s trades with from ≤ time ≤ to (engine µs). */
export async function rollingStats(store: HistoryStore, symbol: number, from: number, to: number): Promise<RollingStats> {
  const a = Math.ceil(from / MINUTE_US) * MINUTE_US;
  const wholeEnd = Math.floor(to / MINUTE_US) * MINUTE_US;
  // Candles close in time order and the writer writes them in journal order, so every minute
  // before the last closed candle the store holds is either in it or had no trades.
  const candles = a < wholeEnd ? await store.candles({ symbol, interval: MINUTE_US, from: a, to: wholeEnd, limit: Math.ceil((wholeEnd - a) / MINUTE_US) }) : [];
  const covered = candles.length > 0 ? candles[candles.length - 1]!.start + MINUTE_US : a;
  const head = from < a ? await tradesIn(store, symbol, from, Math.min(a, to + 1)) : [];
  const tail = covered <= to ? await tradesIn(store, symbol, Math.max(covered, from), to + 1) : [];

  const s: RollingStats = { open: null, high: null, low: null, last: null, volume: 0, trades: 0 };
  const add = (open: number, high: number, low: number, close: number, volume: number, trades: number) => {
    if (s.open === null) s.open = open;
    s.high = s.high === null ? high : Math.max(s.high, high);
    s.low = s.low === null ? low : Math.min(s.low, low);
    s.last = close;
    s.volume += volume;
    s.trades += trades;
  };
  for (const t of head) add(t.price, t.price, t.price, t.price, t.qty, 1);
  for (const c of candles) add(c.open, c.high, c.low, c.close, c.volume, c.trades);
  for (const t of tail) add(t.price, t.price, t.price, t.price, t.qty, 1);
  return s;
}

/** Public trades with from ≤ time < to, oldest first (the store pages newest first). */
async function tradesIn(store: HistoryStore, symbol: number, from: number, to: number): Promise<PublicTrade[]> {
  const out: PublicTrade[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.trades({ symbol, from, to, limit: PAGE, ...(cursor !== undefined ? { cursor } : {}) });
    out.push(...page.rows);
    if (page.next === null) break;
    cursor = page.next;
  }
  return out.reverse();
}
