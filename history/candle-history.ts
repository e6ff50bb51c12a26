/**
 * Candles from the store for whoever rolls candles up from trades (the writer at restart, market
 * data at start): the closed candles before today (UTC, the longest interval), and every trade of
 * today, which rebuild today's closed candles and the open ones exactly as they were.
 */
import { candleStart, INTERVALS, Interval } from "../engine/candles.ts";
import type { CandleRow } from "./rows.ts";
import type { HistoryStore, Progress } from "./store.ts";

/** A trade as a candle roll-up needs it. */
export interface CandleTrade {
  time: number;
  symbol: number;
  price: number;
  qty: number;
}

export interface CandleHistory {
  /** Closed candles that start before `from`, oldest first, at most `keep` per symbol and interval. */
  closed: CandleRow[];
  /** Trades at or after `from`, per symbol in time order. */
  trades: CandleTrade[];
  /** The start of the day that holds the store's last command. */
  from: number;
}

/** Today's trades (the day holding `progress`), per symbol, oldest first. */
export async function tradesSinceDayStart(store: HistoryStore, progress: Progress, symbols: Iterable<number>): Promise<CandleTrade[]> {
  if (progress.seq === 0) return [];
  const from = candleStart(progress.time, Interval.D1);
  const trades: CandleTrade[] = [];
  for (const symbol of symbols) {
    const newestFirst: CandleTrade[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.trades({ symbol, from, to: progress.time + 1, cursor, limit: 1000 });
      for (const t of page.rows) newestFirst.push({ time: t.time, symbol, price: t.price, qty: t.qty });
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    trades.push(...newestFirst.reverse());
  }
  return trades;
}

export async function readCandleHistory(store: HistoryStore, symbols: number[], keep = 1000): Promise<CandleHistory> {
  const progress = await store.progress();
  const from = progress.seq === 0 ? 0 : candleStart(progress.time, Interval.D1);
  const closed: CandleRow[] = [];
  for (const symbol of symbols) for (const interval of INTERVALS) closed.push(...(await store.candles({ symbol, interval, to: from, limit: keep })));
  return { closed, trades: await tradesSinceDayStart(store, progress, symbols), from };
}
