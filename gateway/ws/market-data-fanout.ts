import type { CandleHistory } from "../../history/candle-history.ts";
import { DeliveredEvents } from "../../actors/delivered-events.ts";
import type { EventBuffer } from "../../engine/events.ts";
import { MarketDataBuilder } from "../../engine/market-data.ts";
import { L, LEVEL_WIDTH, MD_WIDTH, U, type UpdateBuffer, UpdateType } from "../../engine/market-data-updates.ts";
import type { LevelView } from "../../engine/matching.ts";
import { C, CHANGE_WIDTH, type L3Seed, MarketByOrder } from "../../engine/l3.ts";
import { FrameWriter } from "../../protocol/frame.ts";
import {
  type Bbo,
  type Candle,
  type MarketStatus,
  addL3Change,
  addL3Order,
  addL2Ask,
  addL2Bid,
  addL2Change,
  addTrade,
  beginL2Snapshot,
  beginL2Update,
  beginL3Snapshot,
  beginL3Update,
  beginTrades,
  CANDLE_CHANNEL,
  CANDLE_INTERVAL_US,
  Channel,
  encodeBbo,
  encodeCandle,
  encodeMarketStatus,
  endL2Snapshot,
  endL2Update,
  endL3Snapshot,
  endL3Update,
  endTrades,
} from "../../protocol/market-data-messages.ts";
import { MessageType } from "../../protocol/frame.ts";
import { MarketState } from "../../engine/market-state.ts";

/** Candles a new subscriber to an interval gets first: the last closed ones and the open one. */
export const CANDLES_ON_SUBSCRIBE = 100;

/** The per-symbol channels a subscriber can take, each its own pub/sub topic. */
const CHANNELS = [Channel.L2, Channel.L3, Channel.TRADES, Channel.BBO, ...CANDLE_CHANNEL, Channel.MARKET_STATUS];

/** An L3_UPDATE's change count is a u16: a command that changes more orders takes several frames. */
/** Entries one update frame holds (a u16 count). */
const MAX_FRAME_ENTRIES = 0xffff;
const MAX_L3_CHANGES = MAX_FRAME_ENTRIES;

/** The wire says 0 for "no scheduled change"; the engine says Infinity. */
function finite(until: number): number {
  return Number.isFinite(until) ? until : 0;
}

export function topic(symbol: number, channel: number): string {
  return `md.${symbol}.${channel}`;
}

/** A channel bit's index, 0–9. */
function channelIndex(channel: number): number {
  return 31 - Math.clz32(channel);
}

/**
 * One symbol's topics and last sequence numbers, by channel index: built once, so an update
 * neither builds its topic string nor looks its sequence up by that string (both showed in the
 * gateway's profile, a few percent of its time).
 */
class SymbolChannels {
  readonly topics: string[] = [];
  readonly seqs = new Float64Array(CHANNEL_COUNT);
  /** STATUS updates that halted the symbol (by command, volatility or its venue), for /metrics. */
  halts = 0;
  constructor(symbol: number) {
    for (let i = 0; i < CHANNEL_COUNT; i++) this.topics.push(topic(symbol, 1 << i));
  }
}

const CHANNEL_COUNT = 10;
const L2 = channelIndex(Channel.L2);
const L3 = channelIndex(Channel.L3);
const TRADES = channelIndex(Channel.TRADES);
const BBO = channelIndex(Channel.BBO);
const STATUS = channelIndex(Channel.MARKET_STATUS);

export interface InitialBook {
  symbol: number;
  bids: LevelView[];
  asks: LevelView[];
  status?: { state: number; until: number; reason: number };
  /** Resting orders, each level in queue order (engine `orders(symbol, side)`), for L3. */
  orders?: readonly L3Seed[];
}

/**
 * Market data from the engine's events to the wire: the builder (engine/market-data.ts) turns each
 * command's events into updates, and each update is encoded ONCE and handed to `publish` for its
 * topic — Bun's server.publish then fans the same bytes out to every subscriber (µWebSockets
 * topics), so the cost does not grow with subscribers. Sequence numbers are per symbol and per
 * channel, so a client that takes only some channels still sees a gapless sequence on each. Market
 * by order (engine/l3.ts) is built here too, from the same events, so L2 and L3 always
 * describe the same delivered book.
 */
export class MarketDataFanout {
  readonly builder: MarketDataBuilder;
  /** Market by order, built from the same delivered events as L2. */
  readonly l3 = new MarketByOrder();
  /**
   * Whether anyone takes a topic. L3 frames nobody takes are not encoded (their sequence numbers
   * still count, so a later snapshot carries the right one); the gateway asks its server.
   */
  hasSubscribers: (topic: string) => boolean = () => true;
  private readonly w = new FrameWriter(4096);
  /** Topics and last sequence numbers given out, per symbol. */
  private readonly channels = new Map<number, SymbolChannels>();
  // Reused for every frame of their type (the encoders keep nothing).
  private readonly bbo: Bbo = { type: MessageType.BBO, symbol: 0, seq: 0, time: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0 };
  private readonly candle: Candle = { type: MessageType.CANDLE, symbol: 0, seq: 0, time: 0, interval: 0, openTime: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, trades: 0, closed: false };
  private readonly status: MarketStatus = { type: MessageType.MARKET_STATUS, symbol: 0, seq: 0, time: 0, state: 0, reason: 0, until: 0 };
  /** For `apply`: one reader, reused. */
  private readonly batch = new DeliveredEvents();
  /** TRADE updates of one apply, batched into one TRADES frame per symbol. */
  private tradeSymbols: number[] = [];
  /** Other doors that serve the same delivered updates (the FIX door's market data, gateway/fix/market-data.ts). */
  private readonly updateListeners = new Set<(updates: UpdateBuffer) => void>();

  constructor(symbols: number[], initial: InitialBook[] = [], candles?: CandleHistory) {
    this.builder = new MarketDataBuilder({ symbols });
    for (const b of initial) {
      this.builder.seed(b.symbol, b.bids, b.asks, b.status);
      if (b.orders) this.l3.seed(b.symbol, b.orders);
    }
    // Candles outlive a restart: the history store's, as they stood when the engine stopped.
    if (candles) {
      for (const symbol of symbols) {
        this.builder.seedCandles(
          symbol,
          candles.closed.filter((c) => c.symbol === symbol),
          candles.trades.filter((t) => t.symbol === symbol),
        );
      }
    }
  }

  /** For /metrics: how many times `symbol` was halted since start, and its market state now (engine/market-state.ts). */
  haltsOf(symbol: number): { halts: number; state: number } {
    return { halts: this.channels.get(symbol)?.halts ?? 0, state: this.builder.snapshot(symbol, 0).state };
  }

  private of(symbol: number): SymbolChannels {
    let c = this.channels.get(symbol);
    if (c === undefined) {
      c = new SymbolChannels(symbol);
      this.channels.set(symbol, c);
    }
    return c;
  }

  /** The next sequence number on channel index `ch` of `c`. */
  private static next(c: SymbolChannels, ch: number): number {
    return ++c.seqs[ch]!;
  }

  current(symbol: number, channel: number): number {
    return this.channels.get(symbol)?.seqs[channelIndex(channel)] ?? 0;
  }

  /** `deliver` for callers holding a buffer range rather than a delivered batch (tests, tools). */
  apply(events: EventBuffer, time: number, seq: number, from: number, to: number, publish: (topic: string, frame: Uint8Array) => void): void {
    this.deliver(this.batch.set(seq, 0, events, from, to, time), publish);
  }

  /** Feeds one delivered command's events; encodes and publishes what changed. */
  deliver(batch: DeliveredEvents, publish: (topic: string, frame: Uint8Array) => void): void {
    const { events, from, to, time } = batch;
    // L3 first: its book must take every command, even one whose L2 frame cannot be encoded.
    this.applyL3(events!, time, from, to, publish);
    const b = this.builder;
    b.apply(events!, time, batch.seq, from, to);
    const u = b.updates;
    for (const fn of this.updateListeners) fn(u);
    const w = this.w;
    this.tradeSymbols.length = 0;
    for (let i = 0; i < u.count; i++) {
      const base = i * MD_WIDTH;
      const d = u.data;
      const type = d[base + U.TYPE]!;
      const symbol = d[base + U.SYMBOL]!;
      const t = d[base + U.TIME]!;
      switch (type) {
        case UpdateType.BOOK: {
          const c = this.of(symbol);
          const tp = c.topics[L2]!;
          const first = d[base + U.FIRST]!;
          const n = d[base + U.LEVELS]!;
          // A frame holds 65,535 changes; a command that touches more levels (a mass cancel of a
          // deep book) goes out as consecutive frames with consecutive sequence numbers.
          for (let k0 = 0; k0 < n || k0 === 0; k0 += MAX_FRAME_ENTRIES) {
            beginL2Update(w, symbol, MarketDataFanout.next(c, L2), t);
            const end = Math.min(n, k0 + MAX_FRAME_ENTRIES);
            for (let k = k0; k < end; k++) {
              const lb = (first + k) * LEVEL_WIDTH;
              const lv = u.levels;
              addL2Change(w, lv[lb + L.SIDE]!, lv[lb + L.PRICE]!, lv[lb + L.QTY]!, lv[lb + L.ORDERS]!);
            }
            publish(tp, w.frame(endL2Update(w)));
          }
          break;
        }
        case UpdateType.BBO: {
          const c = this.of(symbol);
          const m = this.bbo;
          m.symbol = symbol;
          m.seq = MarketDataFanout.next(c, BBO);
          m.time = t;
          m.bidPrice = d[base + U.BID_PRICE]!;
          m.bidQty = d[base + U.BID_QTY]!;
          m.askPrice = d[base + U.ASK_PRICE]!;
          m.askQty = d[base + U.ASK_QTY]!;
          publish(c.topics[BBO]!, w.frame(encodeBbo(w, m)));
          break;
        }
        case UpdateType.TRADE:
          if (!this.tradeSymbols.includes(symbol)) this.tradeSymbols.push(symbol);
          break;
        case UpdateType.CANDLE: {
          // The builder names an interval by its length in µs; the wire by its index.
          const interval = CANDLE_INTERVAL_US.indexOf(d[base + U.INTERVAL]!);
          if (interval < 0) break;
          const c = this.of(symbol);
          const ch = channelIndex(CANDLE_CHANNEL[interval]!);
          const m = this.candle;
          m.symbol = symbol;
          m.seq = MarketDataFanout.next(c, ch);
          m.time = t;
          m.interval = interval;
          m.openTime = d[base + U.OPEN_TIME]!;
          m.open = d[base + U.OPEN]!;
          m.high = d[base + U.HIGH]!;
          m.low = d[base + U.LOW]!;
          m.close = d[base + U.CLOSE]!;
          m.volume = d[base + U.VOLUME]!;
          m.trades = d[base + U.TRADES]!;
          m.closed = d[base + U.CLOSED] === 1;
          publish(c.topics[ch]!, w.frame(encodeCandle(w, m)));
          break;
        }
        case UpdateType.STATUS: {
          const c = this.of(symbol);
          const m = this.status;
          m.symbol = symbol;
          m.seq = MarketDataFanout.next(c, STATUS);
          m.time = t;
          m.state = d[base + U.STATE]!;
          m.until = finite(d[base + U.UNTIL]!);
          m.reason = d[base + U.REASON]!;
          if (m.state === MarketState.HALTED) c.halts++;
          publish(c.topics[STATUS]!, w.frame(encodeMarketStatus(w, m)));
          break;
        }
      }
    }
    // Trades: one frame per symbol per command, in trade order.
    for (let k = 0; k < this.tradeSymbols.length; k++) {
      const symbol = this.tradeSymbols[k]!;
      const c = this.of(symbol);
      const tp = c.topics[TRADES]!;
      let inFrame = 0;
      for (let i = 0; i < u.count; i++) {
        const base = i * MD_WIDTH;
        const d = u.data;
        if (d[base + U.TYPE] !== UpdateType.TRADE || d[base + U.SYMBOL] !== symbol) continue;
        if (inFrame === MAX_FRAME_ENTRIES) {
          publish(tp, w.frame(endTrades(w)));
          inFrame = 0;
        }
        if (inFrame === 0) beginTrades(w, symbol, MarketDataFanout.next(c, TRADES), d[base + U.TIME]!);
        addTrade(w, d[base + U.TAKER_SIDE]!, d[base + U.TRADE_ID]!, d[base + U.PRICE]!, d[base + U.QTY]!);
        inFrame++;
      }
      publish(tp, w.frame(endTrades(w)));
    }
  }

  /** One L3_UPDATE per symbol the command changed, its changes in event order. */
  private applyL3(events: EventBuffer, time: number, from: number, to: number, publish: (topic: string, frame: Uint8Array) => void): void {
    const l3 = this.l3;
    l3.apply(events, from, to);
    const w = this.w;
    const c = l3.changes;
    for (let k = 0; k < l3.touchedCount; k++) {
      const book = l3.touched[k]!;
      const ch = this.of(book.symbol);
      const tp = ch.topics[L3]!;
      const send = this.hasSubscribers(tp);
      let i = book.first;
      while (i >= 0) {
        const seq = MarketDataFanout.next(ch, L3);
        if (!send) {
          for (let n = 0; n < MAX_L3_CHANGES && i >= 0; n++) i = l3.changeNext[i]!;
          continue;
        }
        beginL3Update(w, book.symbol, seq, time);
        for (let n = 0; n < MAX_L3_CHANGES && i >= 0; n++) {
          const at = i * CHANGE_WIDTH;
          addL3Change(w, c[at + C.ACTION]!, c[at + C.SIDE]!, c[at + C.ORDER_ID]!, c[at + C.PRICE]!, c[at + C.QTY]!);
          i = l3.changeNext[i]!;
        }
        publish(tp, w.frame(endL3Update(w)));
      }
    }
  }

  /**
   * Calls `fn` with each delivered command's market-data updates (the builder's buffer, valid only
   * during the call), after the builder has applied them; returns the unsubscribe. One builder for
   * every door, so the FIX door's top of book is the WebSocket door's, update for update.
   */
  onUpdates(fn: (updates: UpdateBuffer) => void): () => void {
    this.updateListeners.add(fn);
    return () => this.updateListeners.delete(fn);
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
    if (channels & Channel.L3) {
      beginL3Snapshot(w, symbol, this.current(symbol, Channel.L3), time);
      this.l3.forEach(symbol, (side, orderId, price, qty) => addL3Order(w, side, orderId, price, qty));
      send(w.bytes.slice(0, endL3Snapshot(w)));
    }
    // Candles: the interval's recent ones, oldest first, the open one last — after a restart, the
    // history store's — so a chart can draw at once. Candles are state: each carries the channel's current seq.
    for (let interval = 0; interval < CANDLE_CHANNEL.length; interval++) {
      if (!(channels & CANDLE_CHANNEL[interval]!)) continue;
      const seq = this.current(symbol, channelIndex(CANDLE_CHANNEL[interval]!));
      for (const c of b.candles(symbol, CANDLE_INTERVAL_US[interval]!, CANDLES_ON_SUBSCRIBE)) {
        const n = encodeCandle(w, { type: MessageType.CANDLE, symbol, seq, time, interval, openTime: c.openTime, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, trades: c.trades, closed: c.closed });
        send(w.bytes.slice(0, n));
      }
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
