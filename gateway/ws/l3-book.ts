import { MarketState } from "../../engine/book.ts";
import { type EventBuffer, EVENT_WIDTH, EventType, F } from "../../engine/events.ts";
import { IdMap } from "../../engine/id-map.ts";
import { OrderType } from "../../engine/commands.ts";
import { L3Action } from "../../protocol/market-data-messages.ts";

/** A resting or queued order as a seed gives it (engine/matching.ts `OrderView` fits). */
export interface L3Seed {
  orderId: number;
  side: number;
  price: number;
  leaves: number;
}

/** Slots of one record in `MarketByOrder.changes`. */
export const C = { SYMBOL: 0, ACTION: 1, SIDE: 2, ORDER_ID: 3, PRICE: 4, QTY: 5 } as const;
export const CHANGE_WIDTH = 6;

// Node states.
const FREE = 0;
/** On a price level, visible. */
const RESTING = 1;
/** Accepted while its symbol could not trade: known by id, invisible, waiting for the open. */
const QUEUED = 2;
/** Matching as the taker of the command in flight; not yet known by id beyond it. */
const TAKING = 3;

/** One symbol's orders: price → level per side, the queue of orders waiting for the open. */
export class SymbolOrders {
  readonly levels: [IdMap, IdMap] = [new IdMap(16), new IdMap(16)];
  queueHead = -1;
  queueTail = -1;
  /** This command's changes for the symbol, chained through `changeNext`; −1 when none. */
  first = -1;
  last = -1;
  constructor(readonly symbol: number) {}
}

/**
 * Market by order built from the events the sequencer delivers, the same stream the L2 builder
 * reads, so L3 shows only what is journaled and delivered (never the engine's state running ahead
 * of it) and works wherever the engine runs. docs/market-data.md, "Market by order (L3)".
 *
 * Events name orders by id but never say "this order now rests": the engine's `rest()` writes only
 * the LEVEL event of the level it joins. So the builder follows the one taker the engine is working
 * on (ACCEPTED, STOP_TRIGGERED, or an AMENDED that lost priority starts it; its TRADE, CANCELLED
 * with leaves 0 end it), and an own-side LEVEL while a taker works can only be its rest. An
 * ACCEPTED order that is still undecided when its command ends was queued (the symbol could not
 * trade); queued orders are released, silently and in arrival order, right after a STATUS OPEN,
 * and the head of the queue rests where a LEVEL on its side grows by exactly that order.
 * Every LEVEL event is then a check: the level's total and count must equal the orders behind it
 * (`mismatches` counts the ones that do not).
 *
 * Orders and levels live in typed-array pools recycled through free lists, found through IdMaps,
 * and each level is an intrusive doubly linked list in queue order: O(1) per event, nothing
 * allocated per event, memory bounded by the open orders.
 */
export class MarketByOrder {
  // Order nodes.
  private nId: Float64Array;
  private nPrice: Float64Array;
  private nLeaves: Float64Array;
  private nSymbol: Float64Array;
  private nSide: Uint8Array;
  private nState: Uint8Array;
  private nPrev: Int32Array;
  private nNext: Int32Array;
  private nLevel: Int32Array;
  private nFree: Int32Array;
  private nFreeTop: number;
  // Price levels.
  private lvPrice: Float64Array;
  private lvQty: Float64Array;
  private lvCount: Int32Array;
  private lvHead: Int32Array;
  private lvTail: Int32Array;
  private lvFree: Int32Array;
  private lvFreeTop: number;

  /** Resting and queued orders by id (the taker in flight is `taker`, not here). */
  private readonly ids = new IdMap(1024);
  private readonly books = new Map<number, SymbolOrders>();

  /** The taker of the command in flight, or −1. */
  private taker = -1;
  /** It came from ACCEPTED: if the command ends with it undecided, it was queued. */
  private takerAccepted = false;
  /** The next LEVEL is the one a lost-priority amend left, not a rest. */
  private skipLevel = false;
  /** The symbol whose queue is being released (a STATUS OPEN was just written). */
  private releasing: SymbolOrders | null = null;

  /** The last apply's changes: records of CHANGE_WIDTH slots, in event order. */
  changes = new Float64Array(64 * CHANGE_WIDTH);
  /** Index of the next change of the same symbol, −1 at the end. */
  changeNext = new Int32Array(64);
  changeCount = 0;
  /** Symbols the last apply changed, in the order first changed; `touchedCount` of them are valid. */
  readonly touched: SymbolOrders[] = [];
  touchedCount = 0;
  /** LEVEL events that did not match the orders behind them. 0 unless the book started incomplete. */
  mismatches = 0;

  constructor(orders = 1024, levels = 256) {
    this.nId = new Float64Array(orders);
    this.nPrice = new Float64Array(orders);
    this.nLeaves = new Float64Array(orders);
    this.nSymbol = new Float64Array(orders);
    this.nSide = new Uint8Array(orders);
    this.nState = new Uint8Array(orders);
    this.nPrev = new Int32Array(orders);
    this.nNext = new Int32Array(orders);
    this.nLevel = new Int32Array(orders);
    this.nFree = new Int32Array(orders);
    for (let i = 0; i < orders; i++) this.nFree[i] = orders - 1 - i;
    this.nFreeTop = orders;
    this.lvPrice = new Float64Array(levels);
    this.lvQty = new Float64Array(levels);
    this.lvCount = new Int32Array(levels);
    this.lvHead = new Int32Array(levels);
    this.lvTail = new Int32Array(levels);
    this.lvFree = new Int32Array(levels);
    for (let i = 0; i < levels; i++) this.lvFree[i] = levels - 1 - i;
    this.lvFreeTop = levels;
  }

  book(symbol: number): SymbolOrders {
    let b = this.books.get(symbol);
    if (b === undefined) {
      b = new SymbolOrders(symbol);
      this.books.set(symbol, b);
    }
    return b;
  }

  /**
   * Starts beside an engine that already has books: resting orders in queue order within each
   * level (engine `orders(symbol, side)`), queued ones in arrival order (engine `queued(symbol)`).
   * Writes no change.
   */
  seed(symbol: number, resting: readonly L3Seed[], queued: readonly L3Seed[] = []): void {
    const b = this.book(symbol);
    for (const o of resting) {
      const n = this.alloc(o.orderId, symbol, o.side, o.price, o.leaves);
      this.link(b, n, o.price);
      this.ids.set(o.orderId, n);
    }
    for (const o of queued) {
      const n = this.alloc(o.orderId, symbol, o.side, o.price, o.leaves);
      this.enqueue(b, n);
      this.ids.set(o.orderId, n);
    }
  }

  /** One command's events (a delivery's range of a shared buffer); its changes replace the last. */
  apply(events: EventBuffer, from = 0, to = events.count): void {
    for (let k = 0; k < this.touchedCount; k++) this.touched[k]!.first = this.touched[k]!.last = -1;
    this.touchedCount = 0;
    this.changeCount = 0;
    const d = events.data;
    for (let i = from; i < to; i++) {
      const b = i * EVENT_WIDTH;
      switch (d[b + F.TYPE]) {
        case EventType.ACCEPTED:
          this.accepted(d, b);
          break;
        case EventType.TRADE:
          this.trade(d, b);
          break;
        case EventType.CANCELLED:
        case EventType.EXPIRED:
          this.reduced(d[b + F.ORDER_ID]!, d[b + F.LEAVES]!);
          break;
        case EventType.STOP_TRIGGERED:
          this.startTaker(this.alloc(d[b + F.ORDER_ID]!, d[b + F.SYMBOL]!, d[b + F.SIDE]!, 0, d[b + F.LEAVES]!), false);
          break;
        case EventType.AMENDED:
          this.amended(d, b);
          break;
        case EventType.LEVEL:
          this.level(d[b + F.SYMBOL]!, d[b + F.SIDE]!, d[b + F.PRICE]!, d[b + F.QTY]!, d[b + F.LEAVES]!);
          break;
        case EventType.STATUS: {
          const b2 = this.book(d[b + F.SYMBOL]!);
          if (d[b + F.A] === MarketState.OPEN) this.releasing = b2;
          else if (this.releasing === b2) this.releasing = null;
          break;
        }
        case EventType.REJECTED:
          // The command's own work: any release (which comes first, with time) is over.
          this.releasing = null;
          break;
      }
    }
    this.endCommand();
  }

  // ---------------------------------------------------------------- events

  private accepted(d: Float64Array, b: number): void {
    this.releasing = null;
    const type = d[b + F.A]!;
    // A pending stop is not in the book; STOP_TRIGGERED brings it in as a taker.
    if (type === OrderType.STOP || type === OrderType.STOP_LIMIT) return;
    this.startTaker(this.alloc(d[b + F.ORDER_ID]!, d[b + F.SYMBOL]!, d[b + F.SIDE]!, d[b + F.PRICE]!, d[b + F.LEAVES]!), true);
  }

  private startTaker(n: number, accepted: boolean): void {
    // One taker at a time: the engine finishes one before it starts the next.
    if (this.taker >= 0) this.settleTaker();
    this.taker = n;
    this.takerAccepted = accepted;
    this.nState[n] = TAKING;
  }

  private trade(d: Float64Array, b: number): void {
    this.reduced(d[b + F.ORDER_ID]!, d[b + F.LEAVES]!);
    this.reduced(d[b + F.A]!, d[b + F.C]!);
  }

  /** An order's leaves are now `leaves` (a fill, a cancel, an STP decrement, an expiry). */
  private reduced(id: number, leaves: number): void {
    const t = this.taker;
    const n = t >= 0 && this.nId[t] === id ? t : this.ids.get(id);
    // Unknown: a pending stop, or an order from before a start without seed.
    if (n < 0) return;
    if (this.nState[n] === RESTING) {
      const lv = this.nLevel[n]!;
      this.lvQty[lv] -= this.nLeaves[n]! - leaves;
      this.nLeaves[n] = leaves;
      const b = this.book(this.nSymbol[n]!);
      if (leaves > 0) {
        this.emit(b, L3Action.UPDATE, n);
        return;
      }
      this.emit(b, L3Action.DELETE, n);
      this.unlink(b, n);
      this.ids.delete(id);
      this.release(n);
      return;
    }
    this.nLeaves[n] = leaves;
    if (leaves > 0) return;
    if (n === t) this.taker = -1;
    else {
      this.dequeue(this.book(this.nSymbol[n]!), n);
      this.ids.delete(id);
    }
    this.release(n);
  }

  private amended(d: Float64Array, b: number): void {
    this.releasing = null;
    const id = d[b + F.ORDER_ID]!;
    const n = this.ids.get(id);
    if (n < 0) return; // a pending stop: nothing visible changes
    const price = d[b + F.PRICE]!;
    const leaves = d[b + F.LEAVES]!;
    if (this.nState[n] === QUEUED) {
      this.nPrice[n] = price;
      this.nLeaves[n] = leaves;
      return;
    }
    const book = this.book(this.nSymbol[n]!);
    if (d[b + F.A] === 1) {
      if (leaves === this.nLeaves[n]) return;
      this.lvQty[this.nLevel[n]!] += leaves - this.nLeaves[n]!;
      this.nLeaves[n] = leaves;
      this.emit(book, L3Action.UPDATE, n);
      return;
    }
    // Lost priority: it leaves its level (the next event is that level's LEVEL) and takes again.
    this.emit(book, L3Action.DELETE, n);
    this.unlink(book, n);
    this.ids.delete(id);
    this.nPrice[n] = price;
    this.nLeaves[n] = leaves;
    this.startTaker(n, false);
    this.skipLevel = true;
  }

  private level(symbol: number, side: number, price: number, qty: number, count: number): void {
    const book = this.book(symbol);
    const levels = book.levels[side]!;
    let lv = levels.get(price);
    if (this.skipLevel) this.skipLevel = false;
    else if (this.taker >= 0) {
      // While a taker works, only its rest writes a LEVEL on its own side.
      const t = this.taker;
      if (this.nSide[t] === side && this.nSymbol[t] === symbol) {
        this.taker = -1;
        this.rest(book, t, price);
        lv = levels.get(price);
      }
    } else if (this.releasing === book && book.queueHead >= 0) {
      // The queue head takes silently. A LEVEL on its side may still be the last maker level of
      // the taker before it, so only a level that grew by exactly this order is its rest.
      const h = book.queueHead;
      const haveQty = lv < 0 ? 0 : this.lvQty[lv]!;
      const haveCount = lv < 0 ? 0 : this.lvCount[lv]!;
      if (this.nSide[h] === side && this.nPrice[h] === price && count === haveCount + 1 && qty === haveQty + this.nLeaves[h]!) {
        this.dequeue(book, h);
        this.rest(book, h, price);
        lv = levels.get(price);
      }
    }
    const haveQty = lv < 0 ? 0 : this.lvQty[lv]!;
    const haveCount = lv < 0 ? 0 : this.lvCount[lv]!;
    if (haveQty !== qty || haveCount !== count) this.mismatches++;
  }

  private rest(book: SymbolOrders, n: number, price: number): void {
    // A triggered stop-limit's limit is not in its events; its LEVEL tells it.
    if (this.nPrice[n] !== 0 && this.nPrice[n] !== price) this.mismatches++;
    this.link(book, n, price);
    this.ids.set(this.nId[n]!, n);
    this.emit(book, L3Action.ADD, n);
  }

  /** The taker in flight when another starts or the command ends. */
  private settleTaker(): void {
    const t = this.taker;
    this.taker = -1;
    if (this.takerAccepted) {
      // Accepted and neither traded, cancelled nor rested: queued until the symbol can trade.
      this.enqueue(this.book(this.nSymbol[t]!), t);
      this.ids.set(this.nId[t]!, t);
      return;
    }
    this.mismatches++;
    this.release(t);
  }

  private endCommand(): void {
    if (this.taker >= 0) this.settleTaker();
    this.skipLevel = false;
    this.releasing = null;
  }

  // ---------------------------------------------------------------- changes

  private emit(book: SymbolOrders, action: number, n: number): void {
    const i = this.changeCount;
    if ((i + 1) * CHANGE_WIDTH > this.changes.length) this.growChanges();
    const c = this.changes;
    const at = i * CHANGE_WIDTH;
    c[at + C.SYMBOL] = book.symbol;
    c[at + C.ACTION] = action;
    c[at + C.SIDE] = this.nSide[n]!;
    c[at + C.ORDER_ID] = this.nId[n]!;
    c[at + C.PRICE] = this.nPrice[n]!;
    c[at + C.QTY] = action === L3Action.DELETE ? 0 : this.nLeaves[n]!;
    this.changeNext[i] = -1;
    if (book.first < 0) {
      book.first = i;
      this.touched[this.touchedCount++] = book;
    } else this.changeNext[book.last] = i;
    book.last = i;
    this.changeCount = i + 1;
  }

  private growChanges(): void {
    const c = new Float64Array(this.changes.length * 2);
    c.set(this.changes);
    this.changes = c;
    const n = new Int32Array(this.changeNext.length * 2);
    n.set(this.changeNext);
    this.changeNext = n;
  }

  // ---------------------------------------------------------------- reading (snapshots, tests)

  /** Every resting order of a symbol: bids best first, then asks best first, each level in queue order. */
  forEach(symbol: number, visit: (side: number, orderId: number, price: number, qty: number) => void): void {
    const b = this.books.get(symbol);
    if (b === undefined) return;
    for (let side = 0; side < 2; side++) {
      for (const lv of this.sortedLevels(b, side)) {
        for (let n = this.lvHead[lv]!; n !== -1; n = this.nNext[n]!) visit(side, this.nId[n]!, this.nPrice[n]!, this.nLeaves[n]!);
      }
    }
  }

  /** One side's orders, best level first, each in queue order. */
  orders(symbol: number, side: number): { orderId: number; price: number; leaves: number }[] {
    const out: { orderId: number; price: number; leaves: number }[] = [];
    this.forEach(symbol, (s, orderId, price, leaves) => {
      if (s === side) out.push({ orderId, price, leaves });
    });
    return out;
  }

  /** One side's levels as the orders add up, best first. */
  depth(symbol: number, side: number): { price: number; qty: number; count: number }[] {
    const b = this.books.get(symbol);
    if (b === undefined) return [];
    return this.sortedLevels(b, side).map((lv) => ({ price: this.lvPrice[lv]!, qty: this.lvQty[lv]!, count: this.lvCount[lv]! }));
  }

  /** Orders waiting for the symbol to trade, in arrival order (invisible in the book). */
  queued(symbol: number): { orderId: number; side: number; price: number; leaves: number }[] {
    const out: { orderId: number; side: number; price: number; leaves: number }[] = [];
    const b = this.books.get(symbol);
    for (let n = b ? b.queueHead : -1; n !== -1; n = this.nNext[n]!) out.push({ orderId: this.nId[n]!, side: this.nSide[n]!, price: this.nPrice[n]!, leaves: this.nLeaves[n]! });
    return out;
  }

  /** Resting orders of a symbol (both sides). */
  size(symbol: number): number {
    const b = this.books.get(symbol);
    if (b === undefined) return 0;
    let n = 0;
    for (let side = 0; side < 2; side++) for (const lv of b.levels[side]!.values()) n += this.lvCount[lv]!;
    return n;
  }

  private sortedLevels(b: SymbolOrders, side: number): number[] {
    const sign = side === 0 ? -1 : 1;
    return b.levels[side]!.values().sort((x, y) => sign * (this.lvPrice[x]! - this.lvPrice[y]!));
  }

  // ---------------------------------------------------------------- levels and queues

  /** Appends node `n` at the back of its side's level at `price`, creating the level if needed. */
  private link(b: SymbolOrders, n: number, price: number): void {
    const side = this.nSide[n]!;
    const map = b.levels[side]!;
    let lv = map.get(price);
    if (lv < 0) {
      lv = this.newLevel(price);
      map.set(price, lv);
    }
    const tail = this.lvTail[lv]!;
    this.nPrev[n] = tail;
    this.nNext[n] = -1;
    if (tail === -1) this.lvHead[lv] = n;
    else this.nNext[tail] = n;
    this.lvTail[lv] = n;
    this.lvQty[lv] += this.nLeaves[n]!;
    this.lvCount[lv]++;
    this.nLevel[n] = lv;
    this.nPrice[n] = price;
    this.nState[n] = RESTING;
  }

  /** Takes node `n` off its level (its current leaves leave the total); drops the level when empty. */
  private unlink(b: SymbolOrders, n: number): void {
    const lv = this.nLevel[n]!;
    const prev = this.nPrev[n]!;
    const next = this.nNext[n]!;
    if (prev === -1) this.lvHead[lv] = next;
    else this.nNext[prev] = next;
    if (next === -1) this.lvTail[lv] = prev;
    else this.nPrev[next] = prev;
    this.lvQty[lv] -= this.nLeaves[n]!;
    if (--this.lvCount[lv] === 0) {
      b.levels[this.nSide[n]!]!.delete(this.lvPrice[lv]!);
      this.lvFree[this.lvFreeTop++] = lv;
    }
    this.nLevel[n] = -1;
  }

  private enqueue(b: SymbolOrders, n: number): void {
    this.nPrev[n] = b.queueTail;
    this.nNext[n] = -1;
    if (b.queueTail === -1) b.queueHead = n;
    else this.nNext[b.queueTail] = n;
    b.queueTail = n;
    this.nState[n] = QUEUED;
  }

  private dequeue(b: SymbolOrders, n: number): void {
    const prev = this.nPrev[n]!;
    const next = this.nNext[n]!;
    if (prev === -1) b.queueHead = next;
    else this.nNext[prev] = next;
    if (next === -1) b.queueTail = prev;
    else this.nPrev[next] = prev;
  }

  private newLevel(price: number): number {
    if (this.lvFreeTop === 0) this.growLevels();
    const lv = this.lvFree[--this.lvFreeTop]!;
    this.lvPrice[lv] = price;
    this.lvQty[lv] = 0;
    this.lvCount[lv] = 0;
    this.lvHead[lv] = -1;
    this.lvTail[lv] = -1;
    return lv;
  }

  private alloc(id: number, symbol: number, side: number, price: number, leaves: number): number {
    if (this.nFreeTop === 0) this.growOrders();
    const n = this.nFree[--this.nFreeTop]!;
    this.nId[n] = id;
    this.nSymbol[n] = symbol;
    this.nSide[n] = side;
    this.nPrice[n] = price;
    this.nLeaves[n] = leaves;
    this.nPrev[n] = -1;
    this.nNext[n] = -1;
    this.nLevel[n] = -1;
    return n;
  }

  private release(n: number): void {
    this.nState[n] = FREE;
    this.nFree[this.nFreeTop++] = n;
  }

  private growOrders(): void {
    const old = this.nId.length;
    const cap = old * 2;
    this.nId = grow(this.nId, cap);
    this.nPrice = grow(this.nPrice, cap);
    this.nLeaves = grow(this.nLeaves, cap);
    this.nSymbol = grow(this.nSymbol, cap);
    this.nSide = grow(this.nSide, cap);
    this.nState = grow(this.nState, cap);
    this.nPrev = grow(this.nPrev, cap);
    this.nNext = grow(this.nNext, cap);
    this.nLevel = grow(this.nLevel, cap);
    const free = new Int32Array(cap);
    for (let i = cap - 1; i >= old; i--) free[this.nFreeTop++] = i;
    this.nFree = free;
  }

  private growLevels(): void {
    const old = this.lvPrice.length;
    const cap = old * 2;
    this.lvPrice = grow(this.lvPrice, cap);
    this.lvQty = grow(this.lvQty, cap);
    this.lvCount = grow(this.lvCount, cap);
    this.lvHead = grow(this.lvHead, cap);
    this.lvTail = grow(this.lvTail, cap);
    const free = new Int32Array(cap);
    for (let i = cap - 1; i >= old; i--) free[this.lvFreeTop++] = i;
    this.lvFree = free;
  }
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T, cap: number): T {
  const next = new (a.constructor as new (n: number) => T)(cap);
  next.set(a);
  return next;
}
