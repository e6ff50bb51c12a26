import { MarketState, reasonName } from "../protocol/shared.ts";
import type { Instrument } from "./instrument.ts";
import { type Bbo, type Candle, CANDLE_CHANNEL, Channel, type MarketDataMessage, type MarketStatus, MessageType, type Trades } from "../protocol/index.ts";
import { priceText, qtyText } from "./decimals.ts";

/** One print on the tape. */
export interface TradePrint {
  symbol: string;
  symbolId: number;
  /** The symbol's TRADES sequence number of the frame it came in (a frame may hold several prints). */
  seq: number;
  /** Engine time, µs since the epoch. */
  time: number;
  tradeId: number;
  /** Side of the taker. */
  aggressor: "buy" | "sell";
  price: string;
  priceTicks: number;
  qty: string;
  qtyLots: number;
}

/** Best bid and offer; an empty side has price "" and qty "0…". */
export interface BestBidOffer {
  symbol: string;
  symbolId: number;
  seq: number;
  time: number;
  bidPrice: string;
  bidPriceTicks: number;
  bidQty: string;
  bidQtyLots: number;
  askPrice: string;
  askPriceTicks: number;
  askQty: string;
  askQtyLots: number;
}

export const CANDLE_INTERVALS = ["1s", "1m", "5m", "1h", "1d"] as const;
export type CandleInterval = (typeof CANDLE_INTERVALS)[number];

export interface CandleBar {
  symbol: string;
  symbolId: number;
  seq: number;
  time: number;
  interval: CandleInterval;
  /** Start of the interval, µs since the epoch. */
  openTime: number;
  open: string;
  openTicks: number;
  high: string;
  highTicks: number;
  low: string;
  lowTicks: number;
  close: string;
  closeTicks: number;
  volume: string;
  volumeLots: number;
  trades: number;
  /** False while the interval is still open; true on its last update. */
  closed: boolean;
}

export type MarketStateName = "open" | "closed" | "halted";

export interface MarketStatusUpdate {
  symbol: string;
  symbolId: number;
  seq: number;
  time: number;
  state: MarketStateName;
  /** The engine's reason name: OK, MARKET_CLOSED, SYMBOL_HALTED, VOLATILITY_HALT, MARKET_DATA_STALE, MARKET_DATA_BAD_TICK. */
  reason: string;
  reasonCode: number;
  /** When the state next changes, µs since the epoch; 0 = not scheduled. */
  until: number;
}

const STATE_NAMES: Record<number, MarketStateName> = { [MarketState.OPEN]: "open", [MarketState.CLOSED]: "closed", [MarketState.HALTED]: "halted" };

export function tradePrints(m: Trades, inst: Instrument): TradePrint[] {
  return m.trades.map((t) => ({
    symbol: inst.symbol,
    symbolId: m.symbol,
    seq: m.seq,
    time: m.time,
    tradeId: t.tradeId,
    aggressor: t.aggressorSide === 0 ? "buy" : "sell",
    price: priceText(inst, t.price),
    priceTicks: t.price,
    qty: qtyText(inst, t.qty),
    qtyLots: t.qty,
  }));
}

export function bestBidOffer(m: Bbo, inst: Instrument): BestBidOffer {
  return {
    symbol: inst.symbol,
    symbolId: m.symbol,
    seq: m.seq,
    time: m.time,
    bidPrice: priceText(inst, m.bidPrice),
    bidPriceTicks: m.bidPrice,
    bidQty: qtyText(inst, m.bidQty),
    bidQtyLots: m.bidQty,
    askPrice: priceText(inst, m.askPrice),
    askPriceTicks: m.askPrice,
    askQty: qtyText(inst, m.askQty),
    askQtyLots: m.askQty,
  };
}

export function candleBar(m: Candle, inst: Instrument): CandleBar {
  return {
    symbol: inst.symbol,
    symbolId: m.symbol,
    seq: m.seq,
    time: m.time,
    interval: CANDLE_INTERVALS[m.interval]!,
    openTime: m.openTime,
    open: priceText(inst, m.open),
    openTicks: m.open,
    high: priceText(inst, m.high),
    highTicks: m.high,
    low: priceText(inst, m.low),
    lowTicks: m.low,
    close: priceText(inst, m.close),
    closeTicks: m.close,
    volume: qtyText(inst, m.volume),
    volumeLots: m.volume,
    trades: m.trades,
    closed: m.closed,
  };
}

export function marketStatus(m: MarketStatus, inst: Instrument): MarketStatusUpdate {
  return { symbol: inst.symbol, symbolId: m.symbol, seq: m.seq, time: m.time, state: STATE_NAMES[m.state] ?? "closed", reason: reasonName(m.reason), reasonCode: m.reason, until: m.until };
}

/** The channel bit a TRADES, BBO, CANDLE or MARKET_STATUS frame belongs to; 0 for the book channels. */
export function channelOf(m: MarketDataMessage): number {
  switch (m.type) {
    case MessageType.TRADES:
      return Channel.TRADES;
    case MessageType.BBO:
      return Channel.BBO;
    case MessageType.CANDLE:
      return CANDLE_CHANNEL[m.interval] ?? 0;
    case MessageType.MARKET_STATUS:
      return Channel.MARKET_STATUS;
    default:
      return 0;
  }
}

type Listener = (m: MarketDataMessage) => void;

/**
 * The client's listeners of the TRADES, BBO, CANDLES and MARKET_STATUS channels, by symbol and
 * channel. The first listener of a (symbol, channel) subscribes and the last one to leave
 * unsubscribes. The server sends BBO and MARKET_STATUS once at subscribe and candles only when
 * they change, so the latest of each is kept and handed to a listener that joins later.
 */
export class MarketStreams {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly latest = new Map<string, MarketDataMessage>();
  private readonly wakers = new Set<() => void>();

  /** Hands a frame to its listeners; false if it is not one of these channels. */
  deliver(m: MarketDataMessage): boolean {
    const channel = channelOf(m);
    if (channel === 0) return false;
    const key = `${m.symbol}/${channel}`;
    const set = this.listeners.get(key);
    if (!set) return true;
    if (m.type !== MessageType.TRADES) this.latest.set(key, m);
    for (const l of set) l(m);
    return true;
  }

  /** The connection closed: every stream ends once it has yielded what it holds. */
  close(): void {
    for (const wake of this.wakers) wake();
  }

  /**
   * Yields `convert` of every frame of (symbol, channel) until the consumer stops or the
   * connection closes. Frames not yet read are kept up to `maxQueued`, the oldest dropped past it
   * (BBO, candles and status are states: the newest is what matters).
   */
  async *stream<T>(
    inst: Instrument,
    channel: number,
    convert: (m: MarketDataMessage) => T[],
    link: { subscribe(): Promise<unknown>; unsubscribe(): Promise<unknown>; closed(): boolean },
    maxQueued = 10_000,
  ): AsyncGenerator<T> {
    const key = `${inst.id}/${channel}`;
    const queue: MarketDataMessage[] = [];
    let wake: (() => void) | null = null;
    const listener: Listener = (m) => {
      if (queue.length >= maxQueued) queue.shift();
      queue.push(m);
      wake?.();
    };
    const waker = () => wake?.();
    let set = this.listeners.get(key);
    const first = set === undefined;
    if (!set) this.listeners.set(key, (set = new Set()));
    const known = this.latest.get(key);
    if (known && !first) queue.push(known);
    set.add(listener);
    this.wakers.add(waker);
    try {
      if (first) await link.subscribe();
      for (;;) {
        while (queue.length > 0) yield* convert(queue.shift()!);
        if (link.closed()) return;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    } finally {
      this.wakers.delete(waker);
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(key);
        this.latest.delete(key);
        if (!link.closed()) link.unsubscribe().catch(() => {});
      }
    }
  }
}
