import { InvariantError } from "./errors.ts";
import { CandleSeries, type Candle, INTERVALS } from "./candles.ts";
import { Side } from "./commands.ts";
import { EVENT_WIDTH, Ev, type EventBuffer, EventType, Level, SymbolStatus, Trade } from "./events.ts";
import { L2Side } from "./l2.ts";
import type { LevelView } from "./matching.ts";
import { MarketState } from "./book.ts";
import { L, MD_WIDTH, U, UpdateBuffer, UpdateType } from "./market-data-updates.ts";
import { Reason } from "./reasons.ts";

export * from "./market-data-updates.ts";

/**
 * Public market data built from the engine's events, command by command: L2 book diffs, best bid
 * and offer, trades, OHLCV candles and symbol status, each update numbered by a per-symbol
 * market-data sequence (mdSeq) so a subscriber can detect a gap and resync from a snapshot.
 * A pure function of (events, time, seq): no clock, no I/O. docs/market-data.md is its contract;
 * engine/market-data-updates.ts is the output's record layout.
 */

export interface BookSnapshot {
  symbol: number;
  /** The symbol's mdSeq the snapshot is at: apply the updates with a larger mdSeq on top of it. */
  mdSeq: number;
  /** Sequence number of the last command applied. */
  seq: number;
  bids: LevelView[];
  asks: LevelView[];
  state: number;
  until: number;
  reason: number;
  /** Price of the last trade, 0 before the first. */
  lastPrice: number;
}

export interface Bbo {
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
}

export interface MarketDataOptions {
  /** Symbol ids known up front. Others get their state on first sight. */
  symbols?: readonly number[];
  /** Closed candles kept per symbol and interval for `candles()`. Default 1000. */
  candleHistory?: number;
}

/** Slots of one entry in a symbol's change list (the levels the command in flight touched). */
const CW = 6;
const C_SIDE = 0;
const C_PRICE = 1;
const C_QTY = 2;
const C_ORDERS = 3;
const C_PREV_QTY = 4;
const C_PREV_ORDERS = 5;

/** Everything market data keeps for one symbol. */
class SymbolMd {
  mdSeq = 0;
  readonly bids = new L2Side(Side.BUY);
  readonly asks = new L2Side(Side.SELL);
  /** Levels touched by the command in flight, in order of first touch, with their state before it. */
  changes = new Float64Array(8 * CW);
  changeCount = 0;
  touched = false;
  // The BBO last written (or seeded).
  bidPrice = 0;
  bidQty = 0;
  askPrice = 0;
  askQty = 0;
  // A fresh book without a calendar is open until something says otherwise (engine/book.ts).
  state: number = MarketState.OPEN;
  until = Infinity;
  reason: number = Reason.OK;
  lastPrice = 0;
  readonly candles: CandleSeries[];

  constructor(
    readonly id: number,
    candleHistory: number,
  ) {
    this.candles = INTERVALS.map((iv) => new CandleSeries(iv, candleHistory));
  }

  claimChange(): number {
    const base = this.changeCount * CW;
    if (base + CW > this.changes.length) {
      const next = new Float64Array(this.changes.length * 2);
      next.set(this.changes);
      this.changes = next;
    }
    this.changeCount++;
    return base;
  }
}

/**
 * Turns each command's EventBuffer into market-data updates and keeps what a new subscriber needs
 * (L2 book, BBO, status, recent candles) without asking the engine. Call `apply` once per command,
 * in sequence order, then read `updates`.
 */
export class MarketDataBuilder {
  readonly updates = new UpdateBuffer();
  private readonly bySymbol = new Map<number, SymbolMd>();
  /** Symbols in ascending id: time-driven candle closes are written in this order. */
  private ordered: SymbolMd[] = [];
  /** Symbols the command in flight touched (book or trades), in order of first touch. */
  private touched: SymbolMd[] = [];
  private touchedCount = 0;
  private readonly candleHistory: number;
  /** Counts apply() calls; a level whose stamp equals it changed in the command in flight. */
  private epoch = 0;
  private seq = 0;
  /** Latest engine time seen; market data never goes back in time. */
  private time = -Infinity;
  /** Earliest time at which some open candle closes. */
  private nextClose = Infinity;

  constructor(opts: MarketDataOptions = {}) {
    this.candleHistory = opts.candleHistory ?? 1000;
    for (const id of opts.symbols ?? []) this.symbol(id);
  }

  /**
   * Applies the events `from`..`to` of one command, executed at engine `time` (µs) with sequence
   * number `seq`. `updates` then holds exactly this command's updates: first candles that `time`
   * closed, then trades and status changes in event order, then per symbol (in order of first
   * touch) its BOOK diff, BBO and changed candles.
   */
  apply(events: EventBuffer, time: number, seq: number, from = 0, to = events.count): void {
    const out = this.updates;
    out.reset();
    this.epoch++;
    this.seq = seq;
    if (time > this.time) this.time = time;
    if (this.time >= this.nextClose) this.closeDue();
    const d = events.data;
    for (let b = from * EVENT_WIDTH, end = to * EVENT_WIDTH; b < end; b += EVENT_WIDTH) {
      switch (Ev.type(d, b)) {
        case EventType.LEVEL:
          this.level(this.symbol(Ev.symbol(d, b)), Level.side(d, b), Level.price(d, b), Level.qty(d, b), Level.count(d, b));
          break;
        case EventType.TRADE:
          this.trade(this.symbol(Ev.symbol(d, b)), Trade.price(d, b), Trade.qty(d, b), Trade.takerSide(d, b), Trade.tradeId(d, b));
          break;
        case EventType.STATUS:
          this.status(this.symbol(Ev.symbol(d, b)), SymbolStatus.state(d, b), SymbolStatus.until(d, b), SymbolStatus.reason(d, b));
          break;
      }
    }
    for (let k = 0; k < this.touchedCount; k++) this.finish(this.touched[k]!);
    this.touchedCount = 0;
  }

  /**
   * Engine time has reached `time` with no command to carry it (a quiet market): closes every
   * candle whose interval has ended. `updates` then holds those closes (and nothing else).
   */
  advance(time: number): void {
    this.updates.reset();
    if (time > this.time) this.time = time;
    if (this.time >= this.nextClose) this.closeDue();
  }

  // ---------------------------------------------------------------- events

  private level(st: SymbolMd, side: number, price: number, qty: number, orders: number): void {
    const lad = side === Side.BUY ? st.bids : st.asks;
    let i = lad.indexOf(price);
    let c: number;
    if (i < 0) {
      i = lad.insertAt(-i - 1, price);
      c = this.newChange(st, lad, i, side, price, 0, 0);
    } else if (lad.stamp[i] !== this.epoch) {
      c = this.newChange(st, lad, i, side, price, lad.qty[i]!, lad.orders[i]!);
    } else {
      c = lad.change[i]! * CW;
    }
    // A level at qty 0 stays in the mirror until the command ends, so a later event for the same
    // price in this command finds its change entry; finish() removes it.
    lad.qty[i] = qty;
    lad.orders[i] = orders;
    st.changes[c + C_QTY] = qty;
    st.changes[c + C_ORDERS] = orders;
  }

  private newChange(st: SymbolMd, lad: L2Side, i: number, side: number, price: number, prevQty: number, prevOrders: number): number {
    this.touch(st);
    const c = st.claimChange();
    const ch = st.changes;
    ch[c + C_SIDE] = side;
    ch[c + C_PRICE] = price;
    ch[c + C_PREV_QTY] = prevQty;
    ch[c + C_PREV_ORDERS] = prevOrders;
    lad.stamp[i] = this.epoch;
    lad.change[i] = c / CW;
    return c;
  }

  private trade(st: SymbolMd, price: number, qty: number, takerSide: number, tradeId: number): void {
    const o = this.claim(st, 4);
    const u = this.updates.data;
    u[o] = UpdateType.TRADE;
    u[o + U.PRICE] = price;
    u[o + U.QTY] = qty;
    u[o + U.TAKER_SIDE] = takerSide;
    u[o + U.TRADE_ID] = tradeId;
    st.lastPrice = price;
    const time = this.time;
    const candles = st.candles;
    for (let k = 0; k < candles.length; k++) {
      const series = candles[k]!;
      // closeDue() ran for this time already; this only guards the invariant.
      if (series.live && time >= series.closesAt) this.closeCandle(st, series);
      const opened = !series.live;
      series.add(time, price, qty);
      if (opened && series.closesAt < this.nextClose) this.nextClose = series.closesAt;
    }
    this.touch(st);
  }

  private status(st: SymbolMd, state: number, until: number, reason: number): void {
    st.state = state;
    st.until = until;
    st.reason = reason;
    const o = this.claim(st, 3);
    const u = this.updates.data;
    u[o] = UpdateType.STATUS;
    u[o + U.STATE] = state;
    u[o + U.UNTIL] = until;
    u[o + U.REASON] = reason;
  }

  private touch(st: SymbolMd): void {
    if (st.touched) return;
    st.touched = true;
    this.touched[this.touchedCount++] = st;
  }

  // ---------------------------------------------------------------- end of command

  /** Writes one symbol's BOOK diff, BBO and candle updates for the command just applied. */
  private finish(st: SymbolMd): void {
    const out = this.updates;
    const ch = st.changes;
    const first = out.levelCount;
    for (let k = 0; k < st.changeCount; k++) {
      const c = k * CW;
      const side = ch[c + C_SIDE]!;
      const price = ch[c + C_PRICE]!;
      const qty = ch[c + C_QTY]!;
      const orders = ch[c + C_ORDERS]!;
      if (qty === 0) {
        const lad = side === Side.BUY ? st.bids : st.asks;
        lad.removeAt(lad.indexOf(price));
      }
      // Coalesced to the level's state after the command; a level that ends as it began is no news.
      if (qty === ch[c + C_PREV_QTY] && orders === ch[c + C_PREV_ORDERS]) continue;
      const b = out.claimLevel();
      const lv = out.levels;
      lv[b + L.SIDE] = side;
      lv[b + L.PRICE] = price;
      lv[b + L.QTY] = qty;
      lv[b + L.ORDERS] = orders;
    }
    st.changeCount = 0;
    const n = out.levelCount - first;
    if (n > 0) {
      const o = this.claim(st, 2);
      const u = out.data;
      u[o] = UpdateType.BOOK;
      u[o + U.FIRST] = first;
      u[o + U.LEVELS] = n;
    }

    const bp = st.bids.bestPrice();
    const bq = st.bids.bestQty();
    const ap = st.asks.bestPrice();
    const aq = st.asks.bestQty();
    if (bp !== st.bidPrice || bq !== st.bidQty || ap !== st.askPrice || aq !== st.askQty) {
      st.bidPrice = bp;
      st.bidQty = bq;
      st.askPrice = ap;
      st.askQty = aq;
      const o = this.claim(st, 4);
      const u = out.data;
      u[o] = UpdateType.BBO;
      u[o + U.BID_PRICE] = bp;
      u[o + U.BID_QTY] = bq;
      u[o + U.ASK_PRICE] = ap;
      u[o + U.ASK_QTY] = aq;
    }

    const candles = st.candles;
    for (let k = 0; k < candles.length; k++) {
      const series = candles[k]!;
      if (!series.dirty) continue;
      series.dirty = false;
      this.writeCandle(st, series, 0);
    }
    st.touched = false;
  }

  // ---------------------------------------------------------------- candles

  /** Closes every open candle whose interval ended by `this.time`, symbols in id order. */
  private closeDue(): void {
    const time = this.time;
    let next = Infinity;
    for (let i = 0; i < this.ordered.length; i++) {
      const st = this.ordered[i]!;
      const candles = st.candles;
      for (let k = 0; k < candles.length; k++) {
        const series = candles[k]!;
        if (!series.live) continue;
        if (time >= series.closesAt) this.closeCandle(st, series);
        else if (series.closesAt < next) next = series.closesAt;
      }
    }
    this.nextClose = next;
  }

  private closeCandle(st: SymbolMd, series: CandleSeries): void {
    this.writeCandle(st, series, 1);
    series.closeCandle();
  }

  private writeCandle(st: SymbolMd, s: CandleSeries, closed: number): void {
    const o = this.claim(st, 5);
    const u = this.updates.data;
    u[o] = UpdateType.CANDLE;
    u[o + U.INTERVAL] = s.interval;
    u[o + U.OPEN_TIME] = s.openTime;
    u[o + U.OPEN] = s.open;
    u[o + U.HIGH] = s.high;
    u[o + U.LOW] = s.low;
    u[o + U.CLOSE] = s.close;
    u[o + U.VOLUME] = s.volume;
    u[o + U.TRADES] = s.trades;
    u[o + U.CLOSED] = closed;
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Claims an update for `st`, fills the common head (the symbol's next mdSeq, the command's seq
   * and time) and zeroes the payload slots past the `payloadUsed` the caller fills, so no record
   * carries stale numbers from an earlier call.
   */
  private claim(st: SymbolMd, payloadUsed: number): number {
    const o = this.updates.claim();
    const u = this.updates.data;
    u[o + U.SYMBOL] = st.id;
    u[o + U.MD_SEQ] = ++st.mdSeq;
    u[o + U.SEQ] = this.seq;
    u[o + U.TIME] = this.time;
    u.fill(0, o + 5 + payloadUsed, o + MD_WIDTH);
    return o;
  }

  private symbol(id: number): SymbolMd {
    let st = this.bySymbol.get(id);
    if (st === undefined) {
      st = new SymbolMd(id, this.candleHistory);
      this.bySymbol.set(id, st);
      let i = this.ordered.length;
      this.ordered.push(st);
      while (i > 0 && this.ordered[i - 1]!.id > id) {
        this.ordered[i] = this.ordered[i - 1]!;
        i--;
      }
      this.ordered[i] = st;
    }
    return st;
  }

  // ---------------------------------------------------------------- queries (off the hot path)

  /** The symbol's book (best `depth` levels a side), status and mdSeq, as of the last command. */
  snapshot(symbol: number, depth = Infinity): BookSnapshot {
    const st = this.bySymbol.get(symbol);
    if (st === undefined) {
      return { symbol, mdSeq: 0, seq: this.seq, bids: [], asks: [], state: MarketState.OPEN, until: Infinity, reason: Reason.OK, lastPrice: 0 };
    }
    return {
      symbol,
      mdSeq: st.mdSeq,
      seq: this.seq,
      bids: st.bids.top(depth),
      asks: st.asks.top(depth),
      state: st.state,
      until: st.until,
      reason: st.reason,
      lastPrice: st.lastPrice,
    };
  }

  bbo(symbol: number): Bbo & { mdSeq: number } {
    const st = this.bySymbol.get(symbol);
    if (st === undefined) return { mdSeq: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0 };
    return { mdSeq: st.mdSeq, bidPrice: st.bidPrice, bidQty: st.bidQty, askPrice: st.askPrice, askQty: st.askQty };
  }

  /** The last `n` candles of one interval (µs, one of INTERVALS), oldest first, the open one last. */
  candles(symbol: number, interval: number, n = Infinity): Candle[] {
    const k = INTERVALS.indexOf(interval);
    if (k < 0) throw new InvariantError(`no candles of interval ${interval} µs; intervals are ${INTERVALS.join(", ")}`);
    const st = this.bySymbol.get(symbol);
    return st === undefined ? [] : st.candles[k]!.recent(n);
  }

  /** The symbol's current mdSeq (0 before its first update). */
  mdSeq(symbol: number): number {
    return this.bySymbol.get(symbol)?.mdSeq ?? 0;
  }

  // ---------------------------------------------------------------- seeding

  /**
   * Sets a symbol's book and status from outside, writing no update and leaving mdSeq alone: for
   * a builder started beside an engine restored from a snapshot (`engine.depth`, `engine.market`).
   */
  seed(symbol: number, bids: readonly LevelView[], asks: readonly LevelView[], status?: { state: number; until: number; reason: number }): void {
    const st = this.symbol(symbol);
    for (const [lad, levels] of [
      [st.bids, bids],
      [st.asks, asks],
    ] as const) {
      lad.clear();
      for (const l of levels) {
        if (l.qty <= 0) continue;
        let i = lad.indexOf(l.price);
        if (i < 0) i = lad.insertAt(-i - 1, l.price);
        lad.qty[i] = l.qty;
        lad.orders[i] = l.count;
      }
    }
    st.bidPrice = st.bids.bestPrice();
    st.bidQty = st.bids.bestQty();
    st.askPrice = st.asks.bestPrice();
    st.askQty = st.asks.bestQty();
    if (status) {
      st.state = status.state;
      st.until = status.until;
      st.reason = status.reason;
    }
  }

  /**
   * Candle history from before a restart (the history store): closed candles of any interval that
   * start before the first trade given, oldest first, then trades in time order, which rebuild the
   * later closed candles and the open ones as they stood. Writes no updates; call before the first apply.
   */
  seedCandles(symbol: number, closed: readonly SeedCandle[], trades: readonly { time: number; price: number; qty: number }[]): void {
    const st = this.symbol(symbol);
    for (const c of closed) {
      const series = st.candles.find((x) => x.interval === c.interval);
      series?.restoreClosed(c.start, c.open, c.high, c.low, c.close, c.volume, c.trades);
    }
    for (const t of trades) {
      for (const series of st.candles) {
        if (series.live && t.time >= series.closesAt) series.closeCandle();
        series.add(t.time, t.price, t.qty);
        series.dirty = false;
      }
      st.lastPrice = t.price;
    }
    for (const series of st.candles) if (series.live && series.closesAt < this.nextClose) this.nextClose = series.closesAt;
  }
}

/** A closed candle as the history store keeps it. */
export interface SeedCandle {
  interval: number;
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
}
