import type { EventBuffer } from "../engine/events.ts";
import { MarketDataBuilder } from "../engine/market-data.ts";
import { L, LEVEL_WIDTH, U, UpdateType } from "../engine/market-data-updates.ts";
import type { LevelView } from "../engine/matching.ts";
import { FrameWriter } from "./protocol/frame.ts";
import {
  addL2Ask,
  addL2Bid,
  addL2Change,
  addTrade,
  beginL2Snapshot,
  beginL2Update,
  beginTrades,
  CANDLE_CHANNEL,
  CANDLE_INTERVAL_US,
  Channel,
  encodeBbo,
  encodeCandle,
  encodeMarketStatus,
  endL2Snapshot,
  endL2Update,
  endTrades,
} from "./protocol/market-data-messages.ts";
import { MessageType } from "./protocol/frame.ts";

/** The per-symbol channels a subscriber can take, each its own pub/sub topic. */
const CHANNELS = [Channel.L2, Channel.TRADES, Channel.BBO, ...CANDLE_CHANNEL, Channel.MARKET_STATUS];

/** The wire says 0 for "no scheduled change"; the engine says Infinity. */
function finite(until: number): number {
  return Number.isFinite(until) ? until : 0;
}

export function topic(symbol: number, channel: number): string {
  return `md.${symbol}.${channel}`;
}

export interface InitialBook {
  symbol: number;
  bids: LevelView[];
  asks: LevelView[];
  status?: { state: number; until: number; reason: number };
}

/**
 * Market data from the engine's events to the wire: the builder (engine/market-data.ts) turns each
 * command's events into updates, and each update is encoded ONCE and handed to `publish` for its
 * topic — Bun's server.publish then fans the same bytes out to every subscriber (µWebSockets
 * topics), so the cost does not grow with subscribers. Sequence numbers are per symbol and per
 * channel, so a client that takes only some channels still sees a gapless sequence on each.
 */
export class MarketDataFanout {
  readonly builder: MarketDataBuilder;
  private readonly w = new FrameWriter(4096);
  /** Last sequence number sent on each topic. */
  private readonly seqs = new Map<string, number>();
  /** TRADE updates of one apply, batched into one TRADES frame per symbol. */
  private tradeSymbols: number[] = [];

  constructor(symbols: number[], initial: InitialBook[] = []) {
    this.builder = new MarketDataBuilder({ symbols });
    for (const b of initial) this.builder.seed(b.symbol, b.bids, b.asks, b.status);
  }

  private next(t: string): number {
    const s = (this.seqs.get(t) ?? 0) + 1;
    this.seqs.set(t, s);
    return s;
  }

  current(symbol: number, channel: number): number {
    return this.seqs.get(topic(symbol, channel)) ?? 0;
  }

  /** Feeds one command's events; encodes and publishes what changed. */
  apply(events: EventBuffer, time: number, seq: number, from: number, to: number, publish: (topic: string, frame: Uint8Array) => void): void {
    const b = this.builder;
    b.apply(events, time, seq, from, to);
    const u = b.updates;
    const w = this.w;
    this.tradeSymbols.length = 0;
    for (let i = 0; i < u.count; i++) {
      const base = i * 14;
      const d = u.data;
      const type = d[base + U.TYPE]!;
      const symbol = d[base + U.SYMBOL]!;
      const t = d[base + U.TIME]!;
      switch (type) {
        case UpdateType.BOOK: {
          const tp = topic(symbol, Channel.L2);
          beginL2Update(w, symbol, this.next(tp), t);
          const first = d[base + U.FIRST]!;
          const n = d[base + U.LEVELS]!;
          for (let k = 0; k < n; k++) {
            const lb = (first + k) * LEVEL_WIDTH;
            const lv = u.levels;
            addL2Change(w, lv[lb + L.SIDE]!, lv[lb + L.PRICE]!, lv[lb + L.QTY]!, lv[lb + L.ORDERS]!);
          }
          publish(tp, w.bytes.subarray(0, endL2Update(w)));
          break;
        }
        case UpdateType.BBO: {
          const tp = topic(symbol, Channel.BBO);
          const n = encodeBbo(w, { type: MessageType.BBO, symbol, seq: this.next(tp), time: t, bidPrice: d[base + U.BID_PRICE]!, bidQty: d[base + U.BID_QTY]!, askPrice: d[base + U.ASK_PRICE]!, askQty: d[base + U.ASK_QTY]! });
          publish(tp, w.bytes.subarray(0, n));
          break;
        }
        case UpdateType.TRADE:
          if (!this.tradeSymbols.includes(symbol)) this.tradeSymbols.push(symbol);
          break;
        case UpdateType.CANDLE: {
          // The builder names an interval by its length in µs; the wire by its index.
          const interval = CANDLE_INTERVAL_US.indexOf(d[base + U.INTERVAL]!);
          if (interval < 0) break;
          const tp = topic(symbol, CANDLE_CHANNEL[interval]!);
          const n = encodeCandle(w, {
            type: MessageType.CANDLE,
            symbol,
            seq: this.next(tp),
            time: t,
            interval,
            openTime: d[base + U.OPEN_TIME]!,
            open: d[base + U.OPEN]!,
            high: d[base + U.HIGH]!,
            low: d[base + U.LOW]!,
            close: d[base + U.CLOSE]!,
            volume: d[base + U.VOLUME]!,
            trades: d[base + U.TRADES]!,
            closed: d[base + U.CLOSED] === 1,
          });
          publish(tp, w.bytes.subarray(0, n));
          break;
        }
        case UpdateType.STATUS: {
          const tp = topic(symbol, Channel.MARKET_STATUS);
          const n = encodeMarketStatus(w, { type: MessageType.MARKET_STATUS, symbol, seq: this.next(tp), time: t, state: d[base + U.STATE]!, until: finite(d[base + U.UNTIL]!), reason: d[base + U.REASON]! });
          publish(tp, w.bytes.subarray(0, n));
          break;
        }
      }
    }
    // Trades: one frame per symbol per command, in trade order.
    for (const symbol of this.tradeSymbols) {
      const tp = topic(symbol, Channel.TRADES);
      let started = false;
      for (let i = 0; i < u.count; i++) {
        const base = i * 14;
        const d = u.data;
        if (d[base + U.TYPE] !== UpdateType.TRADE || d[base + U.SYMBOL] !== symbol) continue;
        if (!started) {
          beginTrades(w, symbol, this.next(tp), d[base + U.TIME]!);
          started = true;
        }
        addTrade(w, d[base + U.TAKER_SIDE]!, d[base + U.TRADE_ID]!, d[base + U.PRICE]!, d[base + U.QTY]!);
      }
      publish(tp, w.bytes.subarray(0, endTrades(w)));
    }
  }

  /** The frames a new subscriber to `channels` gets first: snapshots carrying each channel's current sequence. */
  snapshots(symbol: number, channels: number, depth: number, time: number, send: (frame: Uint8Array) => void): void {
    const b = this.builder;
    const w = this.w;
    if (channels & Channel.L2) {
      const snap = b.snapshot(symbol, depth > 0 ? depth : undefined);
      beginL2Snapshot(w, symbol, this.current(symbol, Channel.L2), time);
      for (const l of snap.bids) addL2Bid(w, l.price, l.qty, l.count);
      for (const l of snap.asks) addL2Ask(w, l.price, l.qty, l.count);
      send(w.bytes.slice(0, endL2Snapshot(w)));
    }
    if (channels & Channel.BBO) {
      const q = b.bbo(symbol);
      const n = encodeBbo(w, { type: MessageType.BBO, symbol, seq: this.current(symbol, Channel.BBO), time, bidPrice: q.bidPrice, bidQty: q.bidQty, askPrice: q.askPrice, askQty: q.askQty });
      send(w.bytes.slice(0, n));
    }
    if (channels & Channel.MARKET_STATUS) {
      const s = b.snapshot(symbol, 0);
      const n = encodeMarketStatus(w, { type: MessageType.MARKET_STATUS, symbol, seq: this.current(symbol, Channel.MARKET_STATUS), time, state: s.state, until: finite(s.until), reason: s.reason });
      send(w.bytes.slice(0, n));
    }
  }

  static channels(): readonly number[] {
    return CHANNELS;
  }
}
