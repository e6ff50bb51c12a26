/**
 * A naive reference implementation of docs/matching.md, written to be obviously correct rather
 * than fast: every open order is a plain object in one plain array, and every question about the
 * book ("what is the best ask?", "who is first in this level?", "which stops does this trade
 * reach?") is answered by filtering and sorting that array from scratch.
 *
 * The property tests drive it beside the fast `MatchingEngine` and compare the two event streams
 * record for record. Each rule below cites the part of docs/matching.md it implements.
 *
 * Not modelled: trading calendars (sessions). Every symbol here trades around the clock unless
 * halted (HALT command or volatility halt); the constructor refuses an instrument with a calendar.
 */
import { ALL_SYMBOLS, CommandType, Flags, OrderType, Side, StpMode, TimeInForce, type Command } from "../../engine/commands.ts";
import { EventType, type EventBuffer } from "../../engine/events.ts";
import { makeInstrument, MAX_PRICE_TICKS, MAX_QTY_LOTS, type InstrumentSpec } from "../../engine/instrument.ts";
import { Reason } from "../../engine/reasons.ts";
import { bandOffset, isIntIn, newOrderFault, newRefOrder, RefMarketState, view, type RefBookQueries, type RefLevel, type RefMarket, type RefOrder, type RefOrderView } from "./reference-orders.ts";

export { RefMarketState, type RefLevel, type RefOrderView, type RefStatus } from "./reference-orders.ts";


export class ReferenceMatcher implements RefBookQueries {
  private readonly markets = new Map<number, RefMarket>();
  /** Every open order: resting in a book, a pending stop, or queued while its symbol cannot trade. */
  private orders: RefOrder[] = [];
  private nextTradeId = 1;
  private entrySeqCounter = 0;
  private queueSeqCounter = 0;
  /** Triggered stops waiting for the current taker to finish (first in, first out). */
  private stopQueue: { order: RefOrder; triggerPrice: number }[] = [];
  private out: EventBuffer | null = null;
  /** Time of the command being executed. */
  private now = 0;

  constructor(specs: InstrumentSpec[]) {
    for (const spec of specs) {
      if (spec.calendar) throw new Error("reference matcher: trading calendars are not modelled");
      const inst = makeInstrument(spec);
      this.markets.set(inst.id, { inst, lastPrice: 0, halted: false, haltedUntil: 0, haltReason: Reason.OK, window: [] });
    }
  }

  // ------------------------------------------------------------------ queries

  /** L2: the best n levels of one side, best first. */
  depth(symbol: number, side: number, n: number): RefLevel[] {
    const levels: RefLevel[] = [];
    for (const o of this.bookSide(symbol, side)) {
      const last = levels[levels.length - 1];
      if (last && last.price === o.price) {
        last.qty += o.leaves;
        last.count += 1;
      } else {
        levels.push({ price: o.price, qty: o.leaves, count: 1 });
      }
    }
    return levels.slice(0, n);
  }

  /** L3: the orders of one level in queue order. */
  level(symbol: number, side: number, price: number): RefOrderView[] {
    return this.levelOrders(symbol, side, price).map(view);
  }

  order(orderId: number): RefOrderView | undefined {
    const o = this.findOpen(orderId);
    return o ? view(o) : undefined;
  }

  /** Every open order, ascending order id. */
  openOrders(): RefOrderView[] {
    return [...this.orders].sort((a, b) => a.orderId - b.orderId).map(view);
  }

  /** Orders queued while the symbol cannot trade, in arrival order. */
  queued(symbol: number): RefOrderView[] {
    return this.queuedOrders(symbol).map(view);
  }

  lastPrice(symbol: number): number {
    return this.markets.get(symbol)?.lastPrice ?? 0;
  }

  /** The symbol's market state, as its last STATUS event reported it. */
  market(symbol: number): { state: number; until: number; reason: number } | undefined {
    const m = this.markets.get(symbol);
    if (!m) return undefined;
    return m.halted
      ? { state: RefMarketState.HALTED, until: m.haltedUntil, reason: m.haltReason }
      : { state: RefMarketState.OPEN, until: Infinity, reason: Reason.OK };
  }

  // ------------------------------------------------------------------ book helpers (naive)

  hasOpen(orderId: number): boolean {
    return this.findOpen(orderId) !== undefined;
  }

  private findOpen(orderId: number): RefOrder | undefined {
    return this.orders.find((o) => o.orderId === orderId);
  }

  /** Resting orders of one side in priority order: best price first, then entry sequence. */
  private bookSide(symbol: number, side: number): RefOrder[] {
    return this.orders
      .filter((o) => o.status === "resting" && o.symbol === symbol && o.side === side)
      .sort((a, b) => {
        if (a.price !== b.price) return side === Side.BUY ? b.price - a.price : a.price - b.price;
        return a.entrySeq - b.entrySeq;
      });
  }

  private levelOrders(symbol: number, side: number, price: number): RefOrder[] {
    return this.bookSide(symbol, side).filter((o) => o.price === price);
  }

  private levelTotal(symbol: number, side: number, price: number): { qty: number; count: number } {
    const os = this.levelOrders(symbol, side, price);
    return { qty: os.reduce((s, o) => s + o.leaves, 0), count: os.length };
  }

  private bestPrice(symbol: number, side: number): number | undefined {
    return this.bookSide(symbol, side)[0]?.price;
  }

  private queuedOrders(symbol: number): RefOrder[] {
    return this.orders.filter((o) => o.status === "queued" && o.symbol === symbol).sort((a, b) => a.queueSeq - b.queueSeq);
  }

  private remove(o: RefOrder): void {
    this.orders = this.orders.filter((x) => x !== o);
  }

  /** A pending stop would trigger at the last price (buy: last ≥ stop; sell: last ≤ stop); no trade yet: never. */
  stopReached(symbol: number, side: number, stopPrice: number): boolean {
    const last = this.lastPrice(symbol);
    if (last === 0) return false;
    return side === Side.BUY ? last >= stopPrice : last <= stopPrice;
  }

  /** Post-only check: buy price ≥ best ask, or sell price ≤ best bid. */
  wouldCross(symbol: number, side: number, price: number): boolean {
    const best = this.bestPrice(symbol, side === Side.BUY ? Side.SELL : Side.BUY);
    if (best === undefined) return false;
    return side === Side.BUY ? price >= best : price <= best;
  }

  /** R for the price and trade bands: last trade, else the configured reference; 0 = none. */
  private bandReference(m: RefMarket): number {
    return m.lastPrice || m.inst.referencePrice;
  }

  /** PRICE_OUTSIDE_BAND: further than floor(R × priceBandBps / 10000) from R (off at 0 or without R). */
  outsidePriceBand(m: RefMarket, price: number): boolean {
    const ref = this.bandReference(m);
    if (m.inst.priceBandBps === 0 || ref === 0) return false;
    return Math.abs(price - ref) > bandOffset(ref, m.inst.priceBandBps);
  }

  canTrade(m: RefMarket): boolean {
    return !m.halted;
  }

  // ------------------------------------------------------------------ events

  private ev(type: number, symbol: number, orderId: number, account: number, side: number, price: number, qty: number, leaves: number, a = 0, b = 0, c = 0, d = 0): void {
    this.out!.write(type, symbol, orderId, account, side, price, qty, leaves, a, b, c, d);
  }

  private reject(cmd: Command, reason: number): void {
    this.ev(EventType.REJECTED, cmd.symbol, cmd.orderId, cmd.account, cmd.side, cmd.price, cmd.qty, 0, reason, cmd.type);
  }

  private emitLevel(symbol: number, side: number, price: number): void {
    const t = this.levelTotal(symbol, side, price);
    this.ev(EventType.LEVEL, symbol, 0, 0, side, price, t.qty, t.count);
  }

  private emitStatus(m: RefMarket): void {
    const s = this.market(m.inst.id)!;
    this.ev(EventType.STATUS, m.inst.id, 0, 0, 0, 0, 0, 0, s.state, s.until, s.reason);
  }

  /** Cancels `qty` of an order, with the CANCELLED event; removes it at 0. */
  private cancelQty(o: RefOrder, qty: number, reason: number): void {
    o.leaves -= qty;
    o.cancelled += qty;
    this.ev(EventType.CANCELLED, o.symbol, o.orderId, o.account, o.side, o.price, qty, o.leaves, reason);
    if (o.leaves === 0) this.remove(o);
  }

  /** Takes an open order out entirely (cancel, mass cancel, expiry), with its event and, if it rested, LEVEL. */
  private closeOpen(o: RefOrder, eventType: number, reason: number): void {
    const wasResting = o.status === "resting";
    const qty = o.leaves;
    o.leaves = 0;
    o.cancelled += qty;
    this.remove(o);
    if (eventType === EventType.CANCELLED) {
      this.ev(EventType.CANCELLED, o.symbol, o.orderId, o.account, o.side, o.price, qty, 0, reason);
    } else {
      this.ev(EventType.EXPIRED, o.symbol, o.orderId, o.account, o.side, o.price, qty, 0, reason);
    }
    if (wasResting) this.emitLevel(o.symbol, o.side, o.price);
  }

  // ------------------------------------------------------------------ commands

  execute(cmd: Command, out: EventBuffer): void {
    this.out = out;
    this.now = cmd.time;
    try {
      this.expireGtd(cmd.time);
      this.advanceMarkets(cmd.time);
      switch (cmd.type) {
        case CommandType.NEW_ORDER:
          return this.newOrder(cmd);
        case CommandType.CANCEL:
          return this.cancel(cmd);
        case CommandType.AMEND:
          return this.amend(cmd);
        case CommandType.MASS_CANCEL:
          return this.massCancel(cmd);
        case CommandType.END_OF_DAY:
          return this.endOfDay(cmd);
        case CommandType.TICK:
          return;
        case CommandType.HALT:
          return this.halt(cmd);
        case CommandType.RESUME:
          return this.resume(cmd);
        default:
          return this.reject(cmd, Reason.UNKNOWN_COMMAND);
      }
    } finally {
      this.out = null;
    }
  }

  /** *Expiry*: every open GTD order with expireTime ≤ time, ascending (expireTime, orderId). */
  private expireGtd(time: number): void {
    const due = this.orders
      .filter((o) => o.tif === TimeInForce.GTD && o.expireTime <= time)
      .sort((a, b) => a.expireTime - b.expireTime || a.orderId - b.orderId);
    for (const o of due) this.closeOpen(o, EventType.EXPIRED, Reason.GTD_EXPIRED);
  }

  /** *Market-state changes*, after expiry, ascending symbol id: a timed halt that ended. */
  private advanceMarkets(time: number): void {
    const ids = [...this.markets.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const m = this.markets.get(id)!;
      if (m.halted && m.haltedUntil <= time) {
        m.halted = false;
        this.emitStatus(m);
        this.releaseQueue(m);
      }
    }
  }

  private halt(cmd: Command): void {
    const m = this.markets.get(cmd.symbol);
    if (!m) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    this.haltMarket(m, cmd.expireTime > cmd.time ? cmd.expireTime : Infinity, Reason.SYMBOL_HALTED);
  }

  private haltMarket(m: RefMarket, until: number, reason: number): void {
    m.halted = true;
    m.haltedUntil = until;
    m.haltReason = reason;
    m.window = []; // "The window starts empty after a halt."
    this.emitStatus(m);
  }

  private resume(cmd: Command): void {
    const m = this.markets.get(cmd.symbol);
    if (!m) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    if (!m.halted) return;
    m.halted = false;
    this.emitStatus(m);
    this.releaseQueue(m);
  }

  /**
   * The symbol can trade again: queued orders enter as takers in arrival order, each followed by
   * its triggered stops; a queued post-only order that would now cross is cancelled.
   */
  private releaseQueue(m: RefMarket): void {
    for (const o of this.queuedOrders(m.inst.id)) {
      if (!this.canTrade(m)) return; // halted again (volatility) while releasing: the rest stay queued
      this.remove(o);
      if ((o.flags & Flags.POST_ONLY) !== 0 && this.wouldCross(o.symbol, o.side, o.price)) {
        o.status = "taking";
        this.cancelTaker(o, Reason.POST_ONLY_WOULD_TAKE);
        continue;
      }
      this.take(o, false, o.tif);
      this.processStops();
    }
  }

  private newOrder(cmd: Command): void {
    const m = this.markets.get(cmd.symbol);
    const fault = newOrderFault(cmd, m, this);
    if (fault !== Reason.OK || !m) return this.reject(cmd, fault);
    const isStop = cmd.orderType === OrderType.STOP || cmd.orderType === OrderType.STOP_LIMIT;

    const o = newRefOrder(cmd, isStop);
    this.ev(EventType.ACCEPTED, o.symbol, o.orderId, o.account, o.side, o.price, o.qty, o.leaves, o.orderType, o.tif, o.stopPrice);
    if (isStop) {
      o.status = "stop";
      o.entrySeq = ++this.entrySeqCounter;
      this.orders.push(o);
      return;
    }
    if (!this.canTrade(m)) {
      o.status = "queued";
      o.queueSeq = ++this.queueSeqCounter;
      this.orders.push(o);
      return;
    }
    this.take(o, o.orderType === OrderType.MARKET, o.tif);
    this.processStops();
  }

  /**
   * *The taker*. `o` is not in `this.orders` while it takes; it is added back if it rests.
   * `market` / `tif` are how it matches (a triggered STOP is a MARKET IOC or FOK).
   */
  private take(o: RefOrder, market: boolean, tif: number): void {
    o.status = "taking";
    const mk = this.markets.get(o.symbol)!;
    const inst = mk.inst;
    const opp = o.side === Side.BUY ? Side.SELL : Side.BUY;
    const buy = o.side === Side.BUY;

    // A triggered stop that comes up while its symbol is halted (volatility) is cancelled with it.
    if (!this.canTrade(mk)) {
      this.cancelTaker(o, mk.haltReason);
      return;
    }

    // Limit of the order: its price, or for a market order the band around the reference, tightened by a cap.
    let limit: number | null;
    if (market) {
      let ref = mk.lastPrice;
      if (ref === 0) ref = inst.referencePrice;
      if (ref === 0) ref = this.bestPrice(o.symbol, opp) ?? 0;
      const cap = o.price; // 0 = none
      if (ref === 0) {
        limit = cap !== 0 ? cap : null; // no reference at all: the cap, or nothing can trade
      } else {
        const b = bandOffset(ref, inst.bandBps);
        limit = buy ? ref + b : ref - b;
        if (cap !== 0) limit = buy ? Math.min(limit, cap) : Math.max(limit, cap);
      }
    } else {
      limit = o.price;
    }
    const crosses = (p: number) => limit !== null && (buy ? p <= limit : p >= limit);
    const selfMaker = (m: RefOrder) => m.account === o.account && o.stp !== StpMode.NONE;

    // FOK: walk before anything trades.
    if (tif === TimeInForce.FOK) {
      let sum = 0;
      for (const m of this.bookSide(o.symbol, opp)) {
        if (!crosses(m.price)) break;
        if (selfMaker(m)) {
          if (o.stp === StpMode.CANCEL_OLDEST) continue;
          break;
        }
        sum += m.leaves;
      }
      if (sum < o.leaves) {
        this.cancelTaker(o, Reason.FOK_NOT_FILLABLE);
        return;
      }
    }

    // The match loop.
    let stoppedBy = 0; // reason O's leaves are cancelled after the level's LEVEL: STP or a guard
    while (o.leaves > 0) {
      const best = this.bestPrice(o.symbol, opp);
      if (best === undefined || !crosses(best)) break;
      const before = this.levelTotal(o.symbol, opp, best);
      while (o.leaves > 0) {
        const m = this.levelOrders(o.symbol, opp, best)[0];
        if (!m) break;
        if (!selfMaker(m)) {
          const refused = this.guardRefuses(mk, m.price);
          if (refused !== 0) {
            stoppedBy = refused;
            break;
          }
          this.trade(mk, o, m);
          continue;
        }
        if (o.stp === StpMode.CANCEL_NEWEST) {
          stoppedBy = Reason.SELF_TRADE;
          break;
        } else if (o.stp === StpMode.CANCEL_OLDEST) {
          this.cancelQty(m, m.leaves, Reason.SELF_TRADE);
        } else if (o.stp === StpMode.CANCEL_BOTH) {
          this.cancelQty(m, m.leaves, Reason.SELF_TRADE);
          stoppedBy = Reason.SELF_TRADE;
          break;
        } else if (o.stp === StpMode.DECREMENT_AND_CANCEL) {
          const q = Math.min(o.leaves, m.leaves);
          this.cancelQty(m, q, Reason.SELF_TRADE);
          o.leaves -= q;
          o.cancelled += q;
          this.ev(EventType.CANCELLED, o.symbol, o.orderId, o.account, o.side, o.price, q, o.leaves, Reason.SELF_TRADE);
        } else {
          throw new Error(`reference: unexpected stp mode ${o.stp}`);
        }
      }
      const after = this.levelTotal(o.symbol, opp, best);
      if (after.qty !== before.qty) this.ev(EventType.LEVEL, o.symbol, 0, 0, opp, best, after.qty, after.count);
      if (stoppedBy !== 0) {
        this.cancelTaker(o, stoppedBy);
        return;
      }
    }

    // The remainder.
    if (o.leaves === 0) return;
    if (market) {
      const empty = this.bestPrice(o.symbol, opp) === undefined;
      this.cancelTaker(o, empty ? Reason.NO_LIQUIDITY : Reason.PRICE_BAND);
    } else if (tif === TimeInForce.IOC) {
      this.cancelTaker(o, Reason.IOC_REMAINDER);
    } else if (tif === TimeInForce.FOK) {
      throw new Error(`reference: FOK order ${o.orderId} reached the remainder with ${o.leaves} leaves`);
    } else {
      o.status = "resting";
      o.entrySeq = ++this.entrySeqCounter;
      this.orders.push(o);
      this.emitLevel(o.symbol, o.side, o.price);
    }
  }

  /**
   * The guards of *Symbol-side risk*, asked before each print at `price`: the trade band, then the
   * volatility window. Returns the refusal reason, or 0. A volatility refusal halts the symbol now.
   */
  private guardRefuses(mk: RefMarket, price: number): number {
    const inst = mk.inst;
    const ref = this.bandReference(mk);
    if (inst.tradeBandBps > 0 && ref > 0 && Math.abs(price - ref) > bandOffset(ref, inst.tradeBandBps)) {
      return Reason.TRADE_BAND;
    }
    if (inst.volatilityBps > 0 && inst.volatilityWindowUs > 0) {
      const prices = [...this.windowTrades(mk).map((t) => t.price), price];
      const high = Math.max(...prices);
      const low = Math.min(...prices);
      if (high - low > bandOffset(low, inst.volatilityBps)) {
        this.haltMarket(mk, this.now + inst.haltUs, Reason.VOLATILITY_HALT);
        return Reason.VOLATILITY_HALT;
      }
    }
    return 0;
  }

  /**
   * The trades of the last window: time ≥ now − volatilityWindowUs. (The doc does not say whether a
   * trade exactly one window old still counts; the engine counts it, and so do we.)
   */
  private windowTrades(mk: RefMarket): { time: number; price: number }[] {
    return mk.window.filter((t) => t.time >= this.now - mk.inst.volatilityWindowUs);
  }

  /** The taker's own closing cancel: all its leaves. */
  private cancelTaker(o: RefOrder, reason: number): void {
    const qty = o.leaves;
    o.leaves = 0;
    o.cancelled += qty;
    this.ev(EventType.CANCELLED, o.symbol, o.orderId, o.account, o.side, o.price, qty, 0, reason);
  }

  private trade(mk: RefMarket, o: RefOrder, m: RefOrder): void {
    const q = Math.min(o.leaves, m.leaves);
    const price = m.price;
    o.leaves -= q;
    o.filled += q;
    m.leaves -= q;
    m.filled += q;
    if (m.leaves === 0) this.remove(m);
    this.ev(EventType.TRADE, o.symbol, o.orderId, o.account, o.side, price, q, o.leaves, m.orderId, m.account, m.leaves, this.nextTradeId++);
    mk.lastPrice = price;
    mk.window.push({ time: this.now, price });
    // *Stops*: every pending stop of this book the trade reaches is queued, in entry order.
    const reached = this.orders
      .filter(
        (s) =>
          s.status === "stop" &&
          s.symbol === o.symbol &&
          (s.side === Side.BUY ? price >= s.stopPrice : price <= s.stopPrice),
      )
      .sort((a, b) => a.entrySeq - b.entrySeq);
    for (const s of reached) {
      this.remove(s);
      s.status = "taking";
      this.stopQueue.push({ order: s, triggerPrice: price });
    }
  }

  /** Works the triggered-stop queue first in, first out, after the current taker is done. */
  private processStops(): void {
    while (this.stopQueue.length > 0) {
      const { order: s, triggerPrice } = this.stopQueue.shift()!;
      this.ev(EventType.STOP_TRIGGERED, s.symbol, s.orderId, s.account, s.side, s.stopPrice, s.qty, s.leaves, triggerPrice, s.orderType);
      if (s.orderType === OrderType.STOP) {
        this.take(s, true, s.tif === TimeInForce.FOK ? TimeInForce.FOK : TimeInForce.IOC);
      } else {
        this.take(s, false, s.tif);
      }
    }
  }

  private cancel(cmd: Command): void {
    if (!this.markets.has(cmd.symbol)) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    const o = this.findOpen(cmd.orderId);
    if (!o || o.account !== cmd.account || o.symbol !== cmd.symbol) return this.reject(cmd, Reason.UNKNOWN_ORDER);
    this.closeOpen(o, EventType.CANCELLED, Reason.USER_CANCEL);
  }

  private amend(cmd: Command): void {
    const mk = this.markets.get(cmd.symbol);
    if (!mk) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    const o = this.findOpen(cmd.orderId);
    if (!o || o.account !== cmd.account || o.symbol !== cmd.symbol) return this.reject(cmd, Reason.UNKNOWN_ORDER);
    if (!isIntIn(cmd.qty, 1, MAX_QTY_LOTS)) return this.reject(cmd, Reason.INVALID_QUANTITY);
    if (cmd.qty <= o.filled + o.cancelled) return this.reject(cmd, Reason.AMEND_BELOW_FILLED);
    const hasLimit = o.orderType === OrderType.LIMIT || o.orderType === OrderType.STOP_LIMIT;
    // LIMIT and STOP_LIMIT: the new limit. STOP: a new cap, 0 keeping the old one.
    if (hasLimit ? !isIntIn(cmd.price, 1, MAX_PRICE_TICKS) : cmd.price !== 0 && !isIntIn(cmd.price, 1, MAX_PRICE_TICKS)) return this.reject(cmd, Reason.INVALID_PRICE);
    const pendingStop = o.status === "stop";
    if (pendingStop) {
      if (!isIntIn(cmd.stopPrice, 1, MAX_PRICE_TICKS)) return this.reject(cmd, Reason.INVALID_STOP_PRICE);
      if (this.stopReached(o.symbol, o.side, cmd.stopPrice)) return this.reject(cmd, Reason.STOP_WOULD_TRIGGER);
    }
    const newPrice = hasLimit || cmd.price > 0 ? cmd.price : o.price;
    if (hasLimit && newPrice !== o.price && this.outsidePriceBand(mk, newPrice)) return this.reject(cmd, Reason.PRICE_OUTSIDE_BAND);
    if ((o.flags & Flags.POST_ONLY) !== 0 && this.wouldCross(o.symbol, o.side, newPrice)) {
      return this.reject(cmd, Reason.POST_ONLY_WOULD_TAKE);
    }

    const oldPrice = o.price;
    const oldQty = o.qty;
    const oldLeaves = o.leaves;
    const newLeaves = cmd.qty - o.filled - o.cancelled;
    const kept =
      o.status === "queued" ||
      ((pendingStop ? cmd.stopPrice === o.stopPrice : newPrice === oldPrice) && newLeaves <= oldLeaves);
    // Only a resting order re-enters as a taker when it loses priority; a pending stop just takes
    // a new entry number, which needs no trading.
    if (!kept && o.status === "resting" && !this.canTrade(mk)) return this.reject(cmd, Reason.SYMBOL_HALTED);

    if (o.status === "queued") {
      // Takes the new price and quantity in place.
      o.price = newPrice;
      o.qty = cmd.qty;
      o.leaves = newLeaves;
      this.ev(EventType.AMENDED, o.symbol, o.orderId, o.account, o.side, o.price, o.qty, o.leaves, 1, oldPrice, oldQty);
      return;
    }

    if (pendingStop) {
      o.price = newPrice;
      o.stopPrice = cmd.stopPrice;
      o.qty = cmd.qty;
      o.leaves = newLeaves;
      if (!kept) o.entrySeq = ++this.entrySeqCounter;
      this.ev(EventType.AMENDED, o.symbol, o.orderId, o.account, o.side, o.price, o.qty, o.leaves, kept ? 1 : 0, oldPrice, oldQty);
      return;
    }

    if (kept) {
      o.qty = cmd.qty;
      o.leaves = newLeaves;
      this.ev(EventType.AMENDED, o.symbol, o.orderId, o.account, o.side, o.price, o.qty, o.leaves, 1, oldPrice, oldQty);
      if (newLeaves !== oldLeaves) this.emitLevel(o.symbol, o.side, o.price);
      return;
    }
    this.ev(EventType.AMENDED, o.symbol, o.orderId, o.account, o.side, newPrice, cmd.qty, newLeaves, 0, oldPrice, oldQty);
    this.remove(o);
    this.emitLevel(o.symbol, o.side, oldPrice);
    o.price = newPrice;
    o.qty = cmd.qty;
    o.leaves = newLeaves;
    this.take(o, false, o.tif);
    this.processStops();
  }

  private massCancel(cmd: Command): void {
    if (cmd.symbol !== ALL_SYMBOLS && !this.markets.has(cmd.symbol)) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    const mine = this.orders
      .filter((o) => o.account === cmd.account && (cmd.symbol === ALL_SYMBOLS || o.symbol === cmd.symbol))
      .sort((a, b) => a.orderId - b.orderId);
    for (const o of mine) this.closeOpen(o, EventType.CANCELLED, Reason.MASS_CANCEL);
  }

  private endOfDay(cmd: Command): void {
    if (cmd.symbol !== ALL_SYMBOLS && !this.markets.has(cmd.symbol)) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    const day = this.orders
      .filter((o) => o.tif === TimeInForce.DAY && (cmd.symbol === ALL_SYMBOLS || o.symbol === cmd.symbol))
      .sort((a, b) => a.orderId - b.orderId);
    for (const o of day) this.closeOpen(o, EventType.EXPIRED, Reason.DAY_EXPIRED);
  }
}
