import { EngineConfigError, SnapshotCorruptError } from "./errors.ts";
import { Book, type Ladder } from "./book.ts";
import { ALL_SYMBOLS, type Command, CommandType, Flags, OrderType, Side, StpMode, TimeInForce } from "./commands.ts";
import { dayEndAfter } from "./day-end.ts";
import { type EventBuffer, EventType } from "./events.ts";
import { ExpiryHeap } from "./expiry.ts";
import { IdMap } from "./id-map.ts";
import { type Instrument, type InstrumentSpec, makeInstrument } from "./instrument.ts";
import { OrderPool, Status } from "./order-pool.ts";
import { Reason } from "./reasons.ts";
import { checkOrderFields, checkOrderId, isPrice, isQty } from "./validate.ts";

const BUY = Side.BUY;
const { LIMIT, MARKET, STOP, STOP_LIMIT } = OrderType;
const { IOC, FOK, DAY, GTD } = TimeInForce;

export interface LevelView {
  price: number;
  qty: number;
  count: number;
}

export interface OrderView {
  orderId: number;
  account: number;
  symbol: number;
  side: number;
  orderType: number;
  tif: number;
  price: number;
  stopPrice: number;
  qty: number;
  leaves: number;
  filled: number;
  cancelled: number;
  stp: number;
  flags: number;
  expireTime: number;
  entrySeq: number;
  status: "resting" | "stop" | "queued";
}

export interface MarketView {
  state: number;
  /** Engine time the state may next change (Infinity: not by time). */
  until: number;
  reason: number;
}


/**
 * Price-time priority matching over many books, as a pure function of the commands it is given:
 * no clock, no randomness, no I/O. docs/matching.md is its contract, rule by rule.
 */
export class MatchingEngine {
  readonly pool = new OrderPool();
  readonly books = new Map<number, Book>();
  /** Open order id → pool slot. */
  private readonly ids = new IdMap();
  /** Account → head slot of its open-order list. */
  private readonly accounts = new IdMap();
  private readonly gtd = new ExpiryHeap();
  /** Last trade id written (trade ids count from 1). */
  tradeSeq = 0;
  /** Last entry sequence given: time priority within a level and among stops. */
  entrySeq = 0;

  // Triggered stops waiting for the current taker to finish (first in, first out).
  private trigSlots = new Int32Array(64);
  private trigPrices = new Float64Array(64);
  private trigHead = 0;
  private trigTail = 0;

  private out!: EventBuffer;
  /** Time of the command being executed. */
  private now = 0;
  /** Earliest time any book's market state may change. */
  private nextChange = Infinity;
  /** Symbol ids ascending: market transitions run in this order. */
  private symbolOrder: number[] = [];
  /** Books with a session close waiting for its END_OF_DAY (Book.dayEndDue set). */
  private dayEndsDue = 0;
  /** What nextDeadline() found due at its time: the END_OF_DAY symbol, or -1 for a TICK. */
  deadlineSymbol = -1;

  constructor(instruments: InstrumentSpec[] = []) {
    for (const spec of instruments) this.addInstrument(spec);
  }

  addInstrument(spec: InstrumentSpec): Instrument {
    if (this.books.has(spec.id)) throw new EngineConfigError(`instrument id ${spec.id} already exists`);
    const inst = makeInstrument(spec);
    const book = new Book(inst, this.pool);
    this.books.set(inst.id, book);
    this.symbolOrder = [...this.books.keys()].sort((a, b) => a - b);
    this.nextChange = Math.min(this.nextChange, book.nextChange);
    return inst;
  }

  instrument(symbol: number): Instrument | undefined {
    return this.books.get(symbol)?.instrument;
  }

  /**
   * The earliest engine time at which something is due without any order traffic: a GTD expiry, a
   * halt's end, a session open or close, a passed close still waiting for its END_OF_DAY (due at
   * once: its close time is returned), or the day end of a symbol without a calendar that has had
   * a DAY order open since its last END_OF_DAY (Book.dayEndDue either way). Infinity when nothing
   * is. `deadlineSymbol` then says what to send at that time: END_OF_DAY for that symbol (a
   * session close is sent even for a symbol with no DAY order, so the runtime need not look at
   * orders), or -1 for a TICK.
   *
   * Called after every batch, so it is cheap: the GTD heap's top (stale tops are dropped here,
   * the same entries expiry would skip, so nothing observable changes) and, only when a market
   * change is nearer, one pass over the instruments. The heap is not part of the snapshot, so a
   * replay, which never asks, reaches the same state hash.
   */
  nextDeadline(): number {
    const heap = this.gtd;
    const p = this.pool;
    while (heap.size > 0) {
      const s = this.ids.get(heap.peekId());
      if (s >= 0 && p.tif[s] === GTD && p.expireTime[s] === heap.peekTime()) break;
      heap.pop();
    }
    let next = heap.peekTime();
    let symbol = -1;
    if (this.nextChange <= next || this.dayEndsDue > 0) {
      for (const id of this.symbolOrder) {
        const book = this.books.get(id)!;
        // Earliest first; on a tie an END_OF_DAY beats a TICK (it moves time too), and the lower
        // symbol id goes first.
        const pending = book.dayEndDue;
        if (pending < next || (pending === next && pending !== Infinity && symbol === -1)) {
          next = pending;
          symbol = id;
        }
        const change = book.nextChange;
        const closes = book.sessionOpen && book.instrument.calendar !== null && change === book.sessionUntil;
        if (change < next || (closes && change === next && change !== Infinity && symbol === -1)) {
          next = change;
          symbol = closes ? id : -1;
        }
      }
    }
    this.deadlineSymbol = symbol;
    return next;
  }

  /** Whether a command at `time` would first expire orders or change a market state. */
  timeDue(time: number): boolean {
    return this.gtd.peekTime() <= time || this.nextChange <= time;
  }

  /** Applies one command, appending its events to `out` (which the caller resets). */
  execute(cmd: Command, out: EventBuffer): void {
    this.out = out;
    this.now = cmd.time;
    if (this.gtd.peekTime() <= cmd.time) this.expireGtd(cmd.time);
    if (this.nextChange <= cmd.time) this.advanceMarkets(cmd.time);
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
  }

  // ---------------------------------------------------------------- commands

  private newOrder(cmd: Command): void {
    const book = this.books.get(cmd.symbol);
    if (book === undefined) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    const reason = this.validateNew(cmd, book);
    if (reason !== Reason.OK) return this.reject(cmd, reason);

    const p = this.pool;
    const s = p.alloc();
    const type = cmd.orderType;
    const isStop = type === STOP || type === STOP_LIMIT;
    // MARKET and STOP carry an optional cap in `price` (0 = none); LIMIT and STOP_LIMIT their limit.
    const price = cmd.price;
    const stopPrice = isStop ? cmd.stopPrice : 0;
    p.id[s] = cmd.orderId;
    p.account[s] = cmd.account;
    p.symbol[s] = cmd.symbol;
    p.side[s] = cmd.side;
    p.type[s] = type;
    p.tif[s] = cmd.tif;
    p.stp[s] = cmd.stp;
    p.flags[s] = cmd.flags & Flags.POST_ONLY;
    p.price[s] = price;
    p.stopPrice[s] = stopPrice;
    p.qty[s] = cmd.qty;
    p.leaves[s] = cmd.qty;
    p.filled[s] = 0;
    p.cancelled[s] = 0;
    p.expireTime[s] = cmd.tif === GTD ? cmd.expireTime : 0;
    p.entrySeq[s] = 0;
    p.registered[s] = 0;
    this.out.write(EventType.ACCEPTED, cmd.symbol, cmd.orderId, cmd.account, cmd.side, price, cmd.qty, cmd.qty, type, cmd.tif, stopPrice, 0);

    if (isStop) {
      p.status[s] = Status.STOP;
      p.entrySeq[s] = ++this.entrySeq;
      (cmd.side === BUY ? book.buyStops : book.sellStops).append(s, stopPrice);
      this.register(s);
      return;
    }
    if (!book.tradable) {
      p.status[s] = Status.QUEUED;
      this.enqueue(book, s);
      this.register(s);
      return;
    }
    p.status[s] = Status.ACTIVE;
    this.take(book, s);
    this.runTriggers(book);
  }

  private validateNew(cmd: Command, book: Book): number {
    let reason = checkOrderId(cmd);
    if (reason !== Reason.OK) return reason;
    if (this.ids.has(cmd.orderId)) return Reason.DUPLICATE_ORDER_ID;
    reason = checkOrderFields(cmd);
    if (reason !== Reason.OK) return reason;
    const type = cmd.orderType;
    const tif = cmd.tif;
    const hasLimit = type === LIMIT || type === STOP_LIMIT;
    const isStop = type === STOP || type === STOP_LIMIT;
    const postOnly = (cmd.flags & Flags.POST_ONLY) !== 0;
    if (isStop && this.stopReached(book, cmd.side, cmd.stopPrice)) return Reason.STOP_WOULD_TRIGGER;
    if (hasLimit && this.outsideBand(book, cmd.price)) return Reason.PRICE_OUTSIDE_BAND;
    if (postOnly && this.wouldCross(book, cmd.side, cmd.price)) return Reason.POST_ONLY_WOULD_TAKE;
    if (!book.tradable && !isStop && !(type === LIMIT && (tif === TimeInForce.GTC || tif === DAY || tif === GTD))) {
      return book.halted ? Reason.SYMBOL_HALTED : Reason.MARKET_CLOSED;
    }
    return Reason.OK;
  }

  /** Limit price further from the reference than the instrument's price band allows. */
  private outsideBand(book: Book, price: number): boolean {
    const bps = book.instrument.priceBandBps;
    if (bps === 0) return false;
    const ref = book.lastPrice || book.instrument.referencePrice;
    return ref > 0 && Math.abs(price - ref) > Math.floor((ref * bps) / 10_000);
  }

  private stopReached(book: Book, side: number, stopPrice: number): boolean {
    const last = book.lastPrice;
    return last > 0 && (side === BUY ? last >= stopPrice : last <= stopPrice);
  }

  private wouldCross(book: Book, side: number, price: number): boolean {
    if (side === BUY) return book.asks.count > 0 && price >= book.asks.bestPrice();
    return book.bids.count > 0 && price <= book.bids.bestPrice();
  }

  /** The open order with this id, account and symbol, or −1. */
  private owned(cmd: Command): number {
    const s = this.ids.get(cmd.orderId);
    if (s < 0) return -1;
    const p = this.pool;
    return p.account[s] === cmd.account && p.symbol[s] === cmd.symbol ? s : -1;
  }

  private cancel(cmd: Command): void {
    const book = this.books.get(cmd.symbol);
    if (book === undefined) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    const s = this.owned(cmd);
    if (s < 0) return this.reject(cmd, Reason.UNKNOWN_ORDER);
    this.removeOpen(book, s, EventType.CANCELLED, Reason.USER_CANCEL);
  }

  private amend(cmd: Command): void {
    const book = this.books.get(cmd.symbol);
    if (book === undefined) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    const s = this.owned(cmd);
    if (s < 0) return this.reject(cmd, Reason.UNKNOWN_ORDER);
    const p = this.pool;
    const qty = cmd.qty;
    if (!isQty(qty)) return this.reject(cmd, Reason.INVALID_QUANTITY);
    const done = p.filled[s]! + p.cancelled[s]!;
    if (qty <= done) return this.reject(cmd, Reason.AMEND_BELOW_FILLED);
    const type = p.type[s]!;
    const side = p.side[s]!;
    const hasLimit = type === LIMIT || type === STOP_LIMIT;
    if (hasLimit ? !isPrice(cmd.price) : cmd.price !== 0 && !isPrice(cmd.price)) return this.reject(cmd, Reason.INVALID_PRICE);
    const pending = p.status[s] === Status.STOP;
    if (pending) {
      if (!isPrice(cmd.stopPrice)) return this.reject(cmd, Reason.INVALID_STOP_PRICE);
      if (this.stopReached(book, side, cmd.stopPrice)) return this.reject(cmd, Reason.STOP_WOULD_TRIGGER);
    }
    if (hasLimit && cmd.price !== p.price[s] && this.outsideBand(book, cmd.price)) return this.reject(cmd, Reason.PRICE_OUTSIDE_BAND);
    if ((p.flags[s]! & Flags.POST_ONLY) !== 0 && this.wouldCross(book, side, cmd.price)) {
      return this.reject(cmd, Reason.POST_ONLY_WOULD_TAKE);
    }

    const newLeaves = qty - done;
    const leaves = p.leaves[s]!;
    const oldPrice = p.price[s]!;
    const oldQty = p.qty[s]!;
    // Limits take the new price; a stop market takes a new cap if one is given, else keeps its own.
    const newPrice = hasLimit || cmd.price > 0 ? cmd.price : oldPrice;
    const out = this.out;
    const resting = p.status[s] === Status.RESTING;
    if (resting && !book.tradable && !(newPrice === oldPrice && newLeaves <= leaves)) {
      // Losing priority means entering again as a taker, which cannot happen while closed.
      return this.reject(cmd, book.halted ? Reason.SYMBOL_HALTED : Reason.MARKET_CLOSED);
    }
    if (p.status[s] === Status.QUEUED) {
      p.price[s] = newPrice;
      p.qty[s] = qty;
      p.leaves[s] = newLeaves;
      out.write(EventType.AMENDED, cmd.symbol, cmd.orderId, p.account[s]!, side, newPrice, qty, newLeaves, 1, oldPrice, oldQty, 0);
      return;
    }

    if (pending) {
      const lad = side === BUY ? book.buyStops : book.sellStops;
      const keep = cmd.stopPrice === p.stopPrice[s] && newLeaves <= leaves;
      if (keep) {
        lad.lvQty[p.level[s]!] -= leaves - newLeaves;
        p.leaves[s] = newLeaves;
      } else {
        lad.remove(s);
        p.leaves[s] = newLeaves;
        p.stopPrice[s] = cmd.stopPrice;
        p.entrySeq[s] = ++this.entrySeq;
        lad.append(s, cmd.stopPrice);
      }
      p.qty[s] = qty;
      p.price[s] = newPrice;
      out.write(EventType.AMENDED, cmd.symbol, cmd.orderId, p.account[s]!, side, newPrice, qty, newLeaves, keep ? 1 : 0, oldPrice, oldQty, 0);
      return;
    }

    const lad = side === BUY ? book.bids : book.asks;
    const keep = newPrice === oldPrice && newLeaves <= leaves;
    out.write(EventType.AMENDED, cmd.symbol, cmd.orderId, p.account[s]!, side, newPrice, qty, newLeaves, keep ? 1 : 0, oldPrice, oldQty, 0);
    if (keep) {
      if (newLeaves !== leaves) {
        const lv = p.level[s]!;
        lad.lvQty[lv] -= leaves - newLeaves;
        p.leaves[s] = newLeaves;
        p.qty[s] = qty;
        out.write(EventType.LEVEL, cmd.symbol, 0, 0, side, oldPrice, lad.lvQty[lv]!, lad.lvCount[lv]!, 0, 0, 0, 0);
      }
      return;
    }
    const lv = lad.remove(s);
    out.write(EventType.LEVEL, cmd.symbol, 0, 0, side, oldPrice, lad.lvQty[lv]!, lad.lvCount[lv]!, 0, 0, 0, 0);
    p.price[s] = newPrice;
    p.qty[s] = qty;
    p.leaves[s] = newLeaves;
    p.status[s] = Status.ACTIVE;
    this.take(book, s);
    this.runTriggers(book);
  }

  private massCancel(cmd: Command): void {
    if (cmd.symbol !== ALL_SYMBOLS && !this.books.has(cmd.symbol)) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    const p = this.pool;
    const ids: number[] = [];
    for (let s = this.accounts.get(cmd.account); s !== -1; s = p.accNext[s]!) {
      if (cmd.symbol === ALL_SYMBOLS || p.symbol[s] === cmd.symbol) ids.push(p.id[s]!);
    }
    this.removeAll(ids, EventType.CANCELLED, Reason.MASS_CANCEL);
  }

  private endOfDay(cmd: Command): void {
    if (cmd.symbol !== ALL_SYMBOLS && !this.books.has(cmd.symbol)) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    for (const book of this.books.values()) {
      if (book.dayEndDue !== Infinity && (cmd.symbol === ALL_SYMBOLS || book.instrument.id === cmd.symbol)) {
        book.dayEndDue = Infinity;
        this.dayEndsDue--;
      }
    }
    const ids: number[] = [];
    const p = this.pool;
    for (const s of this.ids.values()) {
      if (p.tif[s] === DAY && (cmd.symbol === ALL_SYMBOLS || p.symbol[s] === cmd.symbol)) ids.push(p.id[s]!);
    }
    this.removeAll(ids, EventType.EXPIRED, Reason.DAY_EXPIRED);
  }

  /** Rare, bulk paths: ascending order id keeps the event order independent of storage order. */
  private removeAll(ids: number[], eventType: number, reason: number): void {
    ids.sort((a, b) => a - b);
    for (const id of ids) {
      const s = this.ids.get(id);
      this.removeOpen(this.books.get(this.pool.symbol[s]!)!, s, eventType, reason);
    }
  }

  private expireGtd(time: number): void {
    const heap = this.gtd;
    const p = this.pool;
    while (heap.size > 0 && heap.peekTime() <= time) {
      const t = heap.peekTime();
      const s = this.ids.get(heap.peekId());
      heap.pop();
      // Lazy deletion: the entry is stale if its order closed (and the id was perhaps reused).
      if (s < 0 || p.tif[s] !== GTD || p.expireTime[s] !== t) continue;
      this.removeOpen(this.books.get(p.symbol[s]!)!, s, EventType.EXPIRED, Reason.GTD_EXPIRED);
    }
  }

  // ---------------------------------------------------------------- market state

  private halt(cmd: Command): void {
    const book = this.books.get(cmd.symbol);
    if (book === undefined) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    // `expireTime` is when the halt ends; none (or one already past) means until RESUME.
    this.haltBook(book, cmd.expireTime > this.now ? cmd.expireTime : Infinity, Reason.SYMBOL_HALTED);
  }

  private resume(cmd: Command): void {
    const book = this.books.get(cmd.symbol);
    if (book === undefined) return this.reject(cmd, Reason.UNKNOWN_SYMBOL);
    if (!book.halted) return;
    book.halted = false;
    book.haltReason = 0;
    this.writeStatus(book);
    this.refreshNextChange();
    this.releaseQueue(book);
  }

  private haltBook(book: Book, until: number, reason: number): void {
    book.halted = true;
    book.haltedUntil = until;
    book.haltReason = reason;
    book.volatility.reset();
    this.writeStatus(book);
    this.refreshNextChange();
  }

  /** Session opens and closes and halt ends that are due, symbol by symbol in id order. */
  private advanceMarkets(time: number): void {
    for (const id of this.symbolOrder) {
      const book = this.books.get(id)!;
      if (book.nextChange > time) continue;
      const before = book.state;
      if (book.halted && book.haltedUntil <= time) {
        book.halted = false;
        book.haltReason = 0;
      }
      if (book.sessionUntil <= time) {
        // A close passed (even if the session has opened again since, after a long gap in time):
        // its DAY orders wait for the END_OF_DAY the runtime sends for it.
        if (book.sessionOpen && book.dayEndDue === Infinity) {
          book.dayEndDue = book.sessionUntil;
          this.dayEndsDue++;
        }
        const session = book.instrument.calendar!.sessionAt(time);
        book.sessionOpen = session.open;
        book.sessionUntil = session.until;
      }
      if (book.state !== before) this.writeStatus(book);
      this.releaseQueue(book);
    }
    this.refreshNextChange();
  }

  private refreshNextChange(): void {
    let next = Infinity;
    for (const book of this.books.values()) if (book.nextChange < next) next = book.nextChange;
    this.nextChange = next;
  }

  private writeStatus(book: Book): void {
    const state = book.state;
    const until = book.halted ? book.haltedUntil : book.sessionUntil;
    const reason = book.halted ? book.haltReason : book.sessionOpen ? Reason.OK : Reason.MARKET_CLOSED;
    this.out.write(EventType.STATUS, book.instrument.id, 0, 0, 0, 0, 0, 0, state, until, reason, 0);
  }

  /** Orders queued while the symbol could not trade enter now, in arrival order. */
  private releaseQueue(book: Book): void {
    const p = this.pool;
    while (book.queueHead !== -1 && book.tradable) {
      const s = book.queueHead;
      this.dequeue(book, s);
      p.status[s] = Status.ACTIVE;
      if ((p.flags[s]! & Flags.POST_ONLY) !== 0 && this.wouldCross(book, p.side[s]!, p.price[s]!)) {
        this.finishTaker(s, Reason.POST_ONLY_WOULD_TAKE);
        continue;
      }
      this.take(book, s);
      this.runTriggers(book);
    }
  }

  private enqueue(book: Book, s: number): void {
    const p = this.pool;
    p.prev[s] = book.queueTail;
    p.next[s] = -1;
    if (book.queueTail === -1) book.queueHead = s;
    else p.next[book.queueTail] = s;
    book.queueTail = s;
  }

  private dequeue(book: Book, s: number): void {
    const p = this.pool;
    const prev = p.prev[s]!;
    const next = p.next[s]!;
    if (prev === -1) book.queueHead = next;
    else p.next[prev] = next;
    if (next === -1) book.queueTail = prev;
    else p.prev[next] = prev;
  }

  // ---------------------------------------------------------------- matching

  /**
   * Matches the order in slot `t` as a taker against the opposite side, then settles its
   * remainder (rest, or cancel with the reason). docs/matching.md, "The taker".
   */
  private take(book: Book, t: number): void {
    if (!book.tradable) return this.finishTaker(t, book.halted ? book.haltReason : Reason.MARKET_CLOSED);
    const p = this.pool;
    const out = this.out;
    const symbol = p.symbol[t]!;
    const side = p.side[t]!;
    const account = p.account[t]!;
    const stp = p.stp[t]!;
    const tif = p.tif[t]!;
    const type = p.type[t]!;
    const isMarket = type === MARKET || type === STOP;
    const opp = side === BUY ? book.asks : book.bids;
    const oppSide = 1 - side;
    const limit = isMarket ? this.marketLimit(book, opp, side, p.price[t]!) : p.price[t]!;

    if (tif === FOK && !this.fokFillable(opp, side, account, stp, limit, p.leaves[t]!)) {
      return this.finishTaker(t, Reason.FOK_NOT_FILLABLE);
    }

    const takerId = p.id[t]!;
    let leaves = p.leaves[t]!;
    /** Why the taker stopped early (SELF_TRADE, TRADE_BAND, VOLATILITY_HALT), 0 if it did not. */
    let stopped = 0;
    const selfTradeCheck = stp !== StpMode.NONE;
    const watchStops = book.buyStops.count > 0 || book.sellStops.count > 0;
    const inst = book.instrument;
    const tradeBand = inst.tradeBandBps;
    const vol = book.volatility;
    const guarded = tradeBand > 0 || vol.enabled;

    while (leaves > 0 && opp.count > 0) {
      const lv = opp.slots[opp.count - 1]!;
      const price = opp.lvPrice[lv]!;
      if (side === BUY ? price > limit : price < limit) break;
      let changed = false;
      let m = opp.lvHead[lv]!;
      while (m !== -1 && leaves > 0) {
        const next = p.next[m]!;
        const mLeaves = p.leaves[m]!;
        if (selfTradeCheck && p.account[m] === account) {
          if (stp === StpMode.CANCEL_NEWEST) {
            stopped = Reason.SELF_TRADE;
            break;
          }
          if (stp === StpMode.DECREMENT_AND_CANCEL) {
            const q = leaves < mLeaves ? leaves : mLeaves;
            const ml = mLeaves - q;
            p.leaves[m] = ml;
            p.cancelled[m] += q;
            opp.lvQty[lv] -= q;
            out.write(EventType.CANCELLED, symbol, p.id[m]!, p.account[m]!, oppSide, price, q, ml, Reason.SELF_TRADE, 0, 0, 0);
            if (ml === 0) this.popHead(opp, lv, m);
            leaves -= q;
            p.leaves[t] = leaves;
            p.cancelled[t] += q;
            out.write(EventType.CANCELLED, symbol, takerId, account, side, p.price[t]!, q, leaves, Reason.SELF_TRADE, 0, 0, 0);
            changed = true;
            m = next;
            continue;
          }
          // CANCEL_OLDEST and CANCEL_BOTH both cancel the resting order.
          p.leaves[m] = 0;
          p.cancelled[m] += mLeaves;
          opp.lvQty[lv] -= mLeaves;
          out.write(EventType.CANCELLED, symbol, p.id[m]!, p.account[m]!, oppSide, price, mLeaves, 0, Reason.SELF_TRADE, 0, 0, 0);
          this.popHead(opp, lv, m);
          changed = true;
          if (stp === StpMode.CANCEL_BOTH) {
            stopped = Reason.SELF_TRADE;
            break;
          }
          m = next;
          continue;
        }
        if (guarded && this.tradeRefused(book, price, tradeBand)) {
          stopped = book.halted ? Reason.VOLATILITY_HALT : Reason.TRADE_BAND;
          break;
        }
        const q = leaves < mLeaves ? leaves : mLeaves;
        const ml = mLeaves - q;
        leaves -= q;
        p.leaves[t] = leaves;
        p.filled[t] += q;
        p.leaves[m] = ml;
        p.filled[m] += q;
        opp.lvQty[lv] -= q;
        changed = true;
        out.write(EventType.TRADE, symbol, takerId, account, side, price, q, leaves, p.id[m]!, p.account[m]!, ml, ++this.tradeSeq);
        book.lastPrice = price;
        if (vol.enabled) vol.record(price, this.now);
        if (watchStops) this.collectTriggered(book, price);
        if (ml === 0) this.popHead(opp, lv, m);
        m = next;
      }
      if (changed) out.write(EventType.LEVEL, symbol, 0, 0, oppSide, price, opp.lvQty[lv]!, opp.lvCount[lv]!, 0, 0, 0, 0);
      if (opp.lvCount[lv] === 0) opp.dropLevel(lv);
      if (stopped !== 0) break;
    }

    if (stopped !== 0) return this.finishTaker(t, stopped);
    if (leaves === 0) return this.forget(t);
    if (isMarket) return this.finishTaker(t, opp.count === 0 ? Reason.NO_LIQUIDITY : Reason.PRICE_BAND);
    if (tif === IOC || tif === FOK) return this.finishTaker(t, Reason.IOC_REMAINDER);
    this.rest(book, t);
  }

  /**
   * The limit of a market order: the protection band around the reference, tightened by the
   * order's own cap if it has one (docs/matching.md, "Limit of a market order").
   */
  private marketLimit(book: Book, opp: Ladder, side: number, cap: number): number {
    const ref = book.lastPrice || book.instrument.referencePrice || opp.bestPrice();
    if (ref === 0) return cap > 0 ? cap : side === BUY ? 0 : Infinity;
    const band = Math.floor((ref * book.instrument.bandBps) / 10_000);
    if (side === BUY) return cap > 0 && cap < ref + band ? cap : ref + band;
    return cap > ref - band ? cap : ref - band;
  }

  /**
   * Bad-tick and volatility guards, asked before each trade: a print too far from the last trade
   * is refused, and one that would move the price too far within the window halts the symbol.
   */
  private tradeRefused(book: Book, price: number, tradeBand: number): boolean {
    if (tradeBand > 0) {
      const ref = book.lastPrice || book.instrument.referencePrice;
      if (ref > 0 && Math.abs(price - ref) > Math.floor((ref * tradeBand) / 10_000)) return true;
    }
    const vol = book.volatility;
    if (vol.enabled && vol.breaches(price, this.now)) {
      this.haltBook(book, this.now + book.instrument.haltUs, Reason.VOLATILITY_HALT);
      return true;
    }
    return false;
  }

  /** Walks the opposite side as the match loop would, without changing anything. */
  private fokFillable(opp: Ladder, side: number, account: number, stp: number, limit: number, need: number): boolean {
    const p = this.pool;
    let have = 0;
    for (let i = opp.count - 1; i >= 0; i--) {
      const lv = opp.slots[i]!;
      const price = opp.lvPrice[lv]!;
      if (side === BUY ? price > limit : price < limit) return false;
      for (let m = opp.lvHead[lv]!; m !== -1; m = p.next[m]!) {
        if (stp !== StpMode.NONE && p.account[m] === account) {
          if (stp === StpMode.CANCEL_OLDEST) continue;
          return false;
        }
        have += p.leaves[m]!;
        if (have >= need) return true;
      }
    }
    return false;
  }

  /** Removes the head order of a level during matching; the order is done. */
  private popHead(lad: Ladder, lv: number, m: number): void {
    const p = this.pool;
    const next = p.next[m]!;
    lad.lvHead[lv] = next;
    if (next === -1) lad.lvTail[lv] = -1;
    else p.prev[next] = -1;
    lad.lvCount[lv]--;
    this.forget(m);
  }

  private rest(book: Book, t: number): void {
    const p = this.pool;
    const side = p.side[t]!;
    const price = p.price[t]!;
    p.status[t] = Status.RESTING;
    p.entrySeq[t] = ++this.entrySeq;
    const lad = side === BUY ? book.bids : book.asks;
    const lv = lad.append(t, price);
    if (p.registered[t] === 0) this.register(t);
    // The LEVEL of a rest names the order (engine/events.ts `Level.restedOrderId`): market by order is built from it.
    this.out.write(EventType.LEVEL, p.symbol[t]!, p.id[t]!, p.account[t]!, side, price, lad.lvQty[lv]!, lad.lvCount[lv]!, p.leaves[t]!, 0, 0, 0);
  }

  /** Cancels what is left of a taker and forgets it. */
  private finishTaker(t: number, reason: number): void {
    const p = this.pool;
    const leaves = p.leaves[t]!;
    p.cancelled[t] += leaves;
    p.leaves[t] = 0;
    this.out.write(EventType.CANCELLED, p.symbol[t]!, p.id[t]!, p.account[t]!, p.side[t]!, p.price[t]!, leaves, 0, reason, 0, 0, 0);
    this.forget(t);
  }

  /** Takes an open (resting or pending-stop) order off the book with a CANCELLED or EXPIRED event. */
  private removeOpen(book: Book, s: number, eventType: number, reason: number): void {
    const p = this.pool;
    const side = p.side[s]!;
    const leaves = p.leaves[s]!;
    const status = p.status[s];
    const resting = status === Status.RESTING;
    const lad = resting ? (side === BUY ? book.bids : book.asks) : side === BUY ? book.buyStops : book.sellStops;
    const lv = status === Status.QUEUED ? (this.dequeue(book, s), -1) : lad.remove(s);
    p.cancelled[s] += leaves;
    p.leaves[s] = 0;
    const symbol = p.symbol[s]!;
    const price = p.price[s]!;
    this.out.write(eventType, symbol, p.id[s]!, p.account[s]!, side, price, leaves, 0, reason, 0, 0, 0);
    if (resting) this.out.write(EventType.LEVEL, symbol, 0, 0, side, price, lad.lvQty[lv]!, lad.lvCount[lv]!, 0, 0, 0, 0);
    this.forget(s);
  }

  // ---------------------------------------------------------------- stops

  /** After a trade at `price`: moves every stop it reaches to the trigger queue, in entry order. */
  private collectTriggered(book: Book, price: number): void {
    const start = this.trigTail;
    const buys = book.buyStops;
    while (buys.count > 0 && buys.bestPrice() <= price) this.queueLevel(buys, buys.bestLevel());
    const sells = book.sellStops;
    while (sells.count > 0 && sells.bestPrice() >= price) this.queueLevel(sells, sells.bestLevel());
    const end = this.trigTail;
    if (end - start > 1) this.sortByEntry(start, end);
    for (let i = start; i < end; i++) this.trigPrices[i] = price;
  }

  private queueLevel(lad: Ladder, lv: number): void {
    const p = this.pool;
    for (let s = lad.lvHead[lv]!; s !== -1; s = p.next[s]!) {
      if (this.trigTail === this.trigSlots.length) this.growTriggers();
      p.status[s] = Status.ACTIVE;
      this.trigSlots[this.trigTail++] = s;
    }
    lad.lvCount[lv] = 0;
    lad.dropLevel(lv);
  }

  /** Insertion sort: a trade rarely triggers more than a handful of stops. */
  private sortByEntry(start: number, end: number): void {
    const q = this.trigSlots;
    const seq = this.pool.entrySeq;
    for (let i = start + 1; i < end; i++) {
      const s = q[i]!;
      const k = seq[s]!;
      let j = i - 1;
      while (j >= start && seq[q[j]!]! > k) {
        q[j + 1] = q[j]!;
        j--;
      }
      q[j + 1] = s;
    }
  }

  private growTriggers(): void {
    const slots = new Int32Array(this.trigSlots.length * 2);
    slots.set(this.trigSlots);
    this.trigSlots = slots;
    const prices = new Float64Array(this.trigPrices.length * 2);
    prices.set(this.trigPrices);
    this.trigPrices = prices;
  }

  /** Works the trigger queue once the taker that caused it is done; cascades join the back. */
  private runTriggers(book: Book): void {
    const p = this.pool;
    while (this.trigHead < this.trigTail) {
      const s = this.trigSlots[this.trigHead]!;
      const trigger = this.trigPrices[this.trigHead]!;
      this.trigHead++;
      this.out.write(EventType.STOP_TRIGGERED, p.symbol[s]!, p.id[s]!, p.account[s]!, p.side[s]!, p.stopPrice[s]!, p.qty[s]!, p.leaves[s]!, trigger, p.type[s]!, 0, 0);
      this.take(book, s);
    }
    this.trigHead = 0;
    this.trigTail = 0;
  }

  // ---------------------------------------------------------------- bookkeeping

  /**
   * Makes an order known beyond this command: id lookup, account list, expiry. `restored`: put
   * back from a snapshot, which recorded its book's pending day end itself.
   */
  private register(s: number, restored = false): void {
    const p = this.pool;
    p.registered[s] = 1;
    this.ids.set(p.id[s]!, s);
    const account = p.account[s]!;
    const head = this.accounts.get(account);
    p.accPrev[s] = -1;
    p.accNext[s] = head;
    if (head !== -1) p.accPrev[head] = s;
    this.accounts.set(account, s);
    if (p.tif[s] === GTD) this.gtd.push(p.expireTime[s]!, p.id[s]!);
    else if (p.tif[s] === DAY && !restored) this.dayOrderOpened(this.books.get(p.symbol[s]!)!);
  }

  /**
   * A DAY order is open on a book without a calendar: its day end becomes due (the first boundary
   * after now), unless one is already pending — an earlier or equal one, since time only moves
   * forward. Only a state change for the runtime to read (nextDeadline): the orders expire when
   * the END_OF_DAY it journals for that time runs, never by time alone, so a journal written
   * before day ends existed replays the same events. A calendar's books get theirs at each close.
   */
  private dayOrderOpened(book: Book): void {
    if (book.instrument.calendar !== null || book.dayEndDue !== Infinity) return;
    book.dayEndDue = dayEndAfter(this.now, book.instrument.dayEndUs);
    this.dayEndsDue++;
  }

  /** The order is done: drop it from every index and recycle its slot. */
  private forget(s: number): void {
    const p = this.pool;
    if (p.registered[s] === 1) {
      this.ids.delete(p.id[s]!);
      const prev = p.accPrev[s]!;
      const next = p.accNext[s]!;
      if (next !== -1) p.accPrev[next] = prev;
      if (prev !== -1) p.accNext[prev] = next;
      else if (next !== -1) this.accounts.set(p.account[s]!, next);
      else this.accounts.delete(p.account[s]!);
    }
    p.release(s);
  }

  private reject(cmd: Command, reason: number): void {
    this.out.write(EventType.REJECTED, cmd.symbol, cmd.orderId, cmd.account, cmd.side, cmd.price, cmd.qty, 0, reason, cmd.type, 0, 0);
  }

  // ---------------------------------------------------------------- queries (off the hot path)

  lastPrice(symbol: number): number {
    return this.books.get(symbol)?.lastPrice ?? 0;
  }

  bestBid(symbol: number): number {
    return this.books.get(symbol)?.bids.bestPrice() ?? 0;
  }

  bestAsk(symbol: number): number {
    return this.books.get(symbol)?.asks.bestPrice() ?? 0;
  }

  /** L2: the best `n` levels of one side, best first. */
  depth(symbol: number, side: number, n = Infinity): LevelView[] {
    const book = this.books.get(symbol);
    if (!book) return [];
    const lad = side === BUY ? book.bids : book.asks;
    const levels: LevelView[] = [];
    for (let i = lad.count - 1; i >= 0 && levels.length < n; i--) {
      const lv = lad.slots[i]!;
      levels.push({ price: lad.lvPrice[lv]!, qty: lad.lvQty[lv]!, count: lad.lvCount[lv]! });
    }
    return levels;
  }

  /** L3: the orders resting at one price, in queue order. */
  level(symbol: number, side: number, price: number): OrderView[] {
    const book = this.books.get(symbol);
    if (!book) return [];
    const lad = side === BUY ? book.bids : book.asks;
    const lv = lad.levelAt(price);
    const orders: OrderView[] = [];
    if (lv < 0) return orders;
    for (let s = lad.lvHead[lv]!; s !== -1; s = this.pool.next[s]!) orders.push(this.view(s));
    return orders;
  }

  /** L3 for a whole side, best level first, each in queue order. */
  orders(symbol: number, side: number): OrderView[] {
    const out: OrderView[] = [];
    for (const l of this.depth(symbol, side)) out.push(...this.level(symbol, side, l.price));
    return out;
  }

  /** Pending stops of one side, in trigger order (first to trigger first). */
  stops(symbol: number, side: number): OrderView[] {
    const book = this.books.get(symbol);
    if (!book) return [];
    const lad = side === BUY ? book.buyStops : book.sellStops;
    const out: OrderView[] = [];
    for (let i = lad.count - 1; i >= 0; i--) {
      for (let s = lad.lvHead[lad.slots[i]!]!; s !== -1; s = this.pool.next[s]!) out.push(this.view(s));
    }
    return out;
  }

  /** Orders accepted while the symbol could not trade, in the order they will enter. */
  queued(symbol: number): OrderView[] {
    const book = this.books.get(symbol);
    const out: OrderView[] = [];
    if (!book) return out;
    for (let s = book.queueHead; s !== -1; s = this.pool.next[s]!) out.push(this.view(s));
    return out;
  }

  market(symbol: number): MarketView | undefined {
    const book = this.books.get(symbol);
    if (!book) return undefined;
    return {
      state: book.state,
      until: book.halted ? book.haltedUntil : book.sessionUntil,
      reason: book.halted ? book.haltReason : book.sessionOpen ? Reason.OK : Reason.MARKET_CLOSED,
    };
  }

  /**
   * The limit or cap the book holds for an open order (0: a market or stop order with no cap), −1
   * when it is not open. The account side asks when an amend keeps a cap only the book records.
   */
  priceOf(orderId: number): number {
    const s = this.ids.get(orderId);
    return s < 0 ? -1 : this.pool.price[s]!;
  }

  order(orderId: number): OrderView | undefined {
    const s = this.ids.get(orderId);
    return s < 0 ? undefined : this.view(s);
  }

  /** Every open order (resting or pending stop), ascending order id. */
  openOrders(): OrderView[] {
    return this.ids.values().map((s) => this.view(s)).sort((a, b) => a.orderId - b.orderId);
  }

  get openOrderCount(): number {
    return this.ids.size;
  }

  private view(s: number): OrderView {
    const p = this.pool;
    return {
      orderId: p.id[s]!,
      account: p.account[s]!,
      symbol: p.symbol[s]!,
      side: p.side[s]!,
      orderType: p.type[s]!,
      tif: p.tif[s]!,
      price: p.price[s]!,
      stopPrice: p.stopPrice[s]!,
      qty: p.qty[s]!,
      leaves: p.leaves[s]!,
      filled: p.filled[s]!,
      cancelled: p.cancelled[s]!,
      stp: p.stp[s]!,
      flags: p.flags[s]!,
      expireTime: p.expireTime[s]!,
      entrySeq: p.entrySeq[s]!,
      status: p.status[s] === Status.RESTING ? "resting" : p.status[s] === Status.QUEUED ? "queued" : "stop",
    };
  }

  // ---------------------------------------------------------------- snapshot support

  /** After a restore set books' market state directly. */
  marketStateChanged(): void {
    this.refreshNextChange();
    this.dayEndsDue = 0;
    for (const book of this.books.values()) if (book.dayEndDue !== Infinity) this.dayEndsDue++;
  }

  /** Puts an open order straight onto its book, as a snapshot recorded it. */
  restoreOrder(o: OrderView): void {
    const book = this.books.get(o.symbol);
    if (!book) throw new SnapshotCorruptError(`snapshot order ${o.orderId} names unknown symbol ${o.symbol}`);
    if (this.ids.has(o.orderId)) throw new SnapshotCorruptError(`snapshot repeats order id ${o.orderId}`);
    const p = this.pool;
    const s = p.alloc();
    p.id[s] = o.orderId;
    p.account[s] = o.account;
    p.symbol[s] = o.symbol;
    p.side[s] = o.side;
    p.type[s] = o.orderType;
    p.tif[s] = o.tif;
    p.stp[s] = o.stp;
    p.flags[s] = o.flags;
    p.price[s] = o.price;
    p.stopPrice[s] = o.stopPrice;
    p.qty[s] = o.qty;
    p.leaves[s] = o.leaves;
    p.filled[s] = o.filled;
    p.cancelled[s] = o.cancelled;
    p.expireTime[s] = o.expireTime;
    p.entrySeq[s] = o.entrySeq;
    p.registered[s] = 0;
    if (o.status === "resting") {
      p.status[s] = Status.RESTING;
      (o.side === BUY ? book.bids : book.asks).append(s, o.price);
    } else if (o.status === "queued") {
      p.status[s] = Status.QUEUED;
      this.enqueue(book, s);
    } else {
      p.status[s] = Status.STOP;
      (o.side === BUY ? book.buyStops : book.sellStops).append(s, o.stopPrice);
    }
    this.register(s, true);
  }
}
