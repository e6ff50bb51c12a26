import { LevelPool } from "./book.ts";
import { Amended, Cancelled, EVENT_WIDTH, Ev, type EventBuffer, EventType, Level, Trade } from "./events.ts";
import { IdMap } from "./id-map.ts";
import { OrderPool } from "./order-pool.ts";
import { grown } from "./typed-arrays.ts";

/** A resting order as a seed gives it (engine/matching.ts `OrderView` fits). */
export interface L3Seed {
  orderId: number;
  side: number;
  price: number;
  leaves: number;
}

/** What happened to an order in the book; the values are the wire's (protocol L3Action). */
export const L3Change = {
  /** Joined the back of its level's queue. */
  ADD: 0,
  /** Its resting quantity changed; it keeps its queue place. */
  UPDATE: 1,
  /** Left the book (filled, cancelled, expired, or moved by an amend: a DELETE, later an ADD). */
  DELETE: 2,
} as const;

/** Slots of one record in `MarketByOrder.changes`. */
export const C = { SYMBOL: 0, ACTION: 1, SIDE: 2, ORDER_ID: 3, PRICE: 4, QTY: 5 } as const;
export const CHANGE_WIDTH = 6;

/** One symbol's resting orders: price → level slot per side (levels in the builder's LevelPool). */
export class SymbolOrders {
  readonly levels: [IdMap, IdMap] = [new IdMap(16), new IdMap(16)];
  /** This command's changes for the symbol, chained through `changeNext`; −1 when none. */
  first = -1;
  last = -1;
  constructor(readonly symbol: number) {}
}

/**
 * Market by order (L3) built from events, beside the L2 builder (engine/l2.ts) and as pure: the
 * gateway feeds it the events the sequencer delivers, so L3 shows only what is journaled and
 * delivered. docs/market-data.md, "Market by order (L3)".
 *
 * Built from facts only: a LEVEL that names a rested order (`Level.restedOrderId`) adds it at the
 * back of its level; TRADE (the maker's leaves), CANCELLED and EXPIRED (leaves, 0 = gone) and
 * AMENDED (kept priority: new leaves; lost it: gone, until it rests again) change or remove orders
 * the book holds. Every other order an event names (a taker, a pending stop, an order queued while
 * the symbol cannot trade) is not in the book, and is not looked for.
 *
 * Orders and levels are the engine's own structures (OrderPool slots, a LevelPool's queues), found
 * by id and by price through IdMaps: O(1) per event even where a deep book changes far from the
 * touch (levels are sorted only to read), nothing allocated per event, memory bounded by the
 * resting orders.
 */
export class MarketByOrder {
  private readonly pool: OrderPool;
  private readonly lv: LevelPool;
  /** Resting orders by id → pool slot. */
  private readonly ids: IdMap;
  private readonly books = new Map<number, SymbolOrders>();

  /** The last apply's changes: records of CHANGE_WIDTH slots, in event order. */
  changes = new Float64Array(64 * CHANGE_WIDTH);
  /** Index of the next change of the same symbol, −1 at the end. */
  changeNext = new Int32Array(64);
  changeCount = 0;
  /** Symbols the last apply changed, in the order first changed; `touchedCount` of them are valid. */
  readonly touched: SymbolOrders[] = [];
  touchedCount = 0;

  constructor(orders = 1024) {
    this.pool = new OrderPool(orders);
    this.lv = new LevelPool(this.pool, 256);
    this.ids = new IdMap(orders);
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
   * level (engine `orders(symbol, side)`). Orders queued while the symbol cannot trade are not in
   * the book; they enter it, when they rest, by their own LEVEL event. Writes no change.
   */
  seed(symbol: number, resting: readonly L3Seed[]): void {
    const b = this.book(symbol);
    for (const o of resting) this.add(b, o.orderId, 0, o.side, o.price, o.leaves);
  }

  /** One command's events (a delivery's range of a shared buffer); its changes replace the last. */
  apply(events: EventBuffer, from = 0, to = events.count): void {
    for (let k = 0; k < this.touchedCount; k++) this.touched[k]!.first = this.touched[k]!.last = -1;
    this.touchedCount = 0;
    this.changeCount = 0;
    const d = events.data;
    for (let b = from * EVENT_WIDTH, end = to * EVENT_WIDTH; b < end; b += EVENT_WIDTH) {
      switch (Ev.type(d, b)) {
        case EventType.LEVEL: {
          const id = Level.restedOrderId(d, b);
          if (id === 0) break;
          const book = this.book(Ev.symbol(d, b));
          const n = this.add(book, id, Level.restedAccount(d, b), Level.side(d, b), Level.price(d, b), Level.restedLeaves(d, b));
          this.emit(book, L3Change.ADD, n);
          break;
        }
        case EventType.TRADE:
          this.reduced(Trade.makerOrderId(d, b), Trade.makerLeaves(d, b));
          break;
        case EventType.CANCELLED:
        case EventType.EXPIRED:
          this.reduced(Cancelled.orderId(d, b), Cancelled.leaves(d, b));
          break;
        case EventType.AMENDED:
          this.amended(Amended.orderId(d, b), Amended.keptPriority(d, b) === 1, Amended.leaves(d, b));
          break;
      }
    }
  }

  // ---------------------------------------------------------------- events

  /** A resting order's leaves are now `leaves` (a fill, a cancel, an STP decrement, an expiry). */
  private reduced(id: number, leaves: number): void {
    const n = this.ids.get(id);
    if (n < 0) return;
    const p = this.pool;
    const book = this.book(p.symbol[n]!);
    if (leaves > 0) {
      this.lv.lvQty[p.level[n]!] -= p.leaves[n]! - leaves;
      p.leaves[n] = leaves;
      this.emit(book, L3Change.UPDATE, n);
      return;
    }
    this.emit(book, L3Change.DELETE, n);
    this.remove(book, n);
  }

  private amended(id: number, kept: boolean, leaves: number): void {
    const n = this.ids.get(id);
    // Not resting (a pending stop, a queued order): nothing visible changes.
    if (n < 0) return;
    const p = this.pool;
    const book = this.book(p.symbol[n]!);
    if (!kept) {
      // Lost priority: it leaves its level, matches again, and rests (if it does) by its own LEVEL.
      this.emit(book, L3Change.DELETE, n);
      this.remove(book, n);
      return;
    }
    if (leaves === p.leaves[n]) return;
    this.lv.lvQty[p.level[n]!] += leaves - p.leaves[n]!;
    p.leaves[n] = leaves;
    this.emit(book, L3Change.UPDATE, n);
  }

  private add(book: SymbolOrders, id: number, account: number, side: number, price: number, leaves: number): number {
    const p = this.pool;
    const n = p.alloc();
    p.id[n] = id;
    p.account[n] = account;
    p.symbol[n] = book.symbol;
    p.side[n] = side;
    p.price[n] = price;
    p.leaves[n] = leaves;
    const levels = book.levels[side]!;
    let lv = levels.get(price);
    if (lv < 0) {
      lv = this.lv.newLevel(price);
      levels.set(price, lv);
    }
    this.lv.link(n, lv);
    this.ids.set(id, n);
    return n;
  }

  private remove(book: SymbolOrders, n: number): void {
    const p = this.pool;
    const lv = this.lv.unlink(n);
    if (this.lv.lvCount[lv] === 0) {
      book.levels[p.side[n]!]!.delete(p.price[n]!);
      this.lv.freeLevel(lv);
    }
    this.ids.delete(p.id[n]!);
    p.release(n);
  }

  // ---------------------------------------------------------------- changes

  private emit(book: SymbolOrders, action: number, n: number): void {
    const i = this.changeCount;
    if ((i + 1) * CHANGE_WIDTH > this.changes.length) this.growChanges();
    const p = this.pool;
    const c = this.changes;
    const at = i * CHANGE_WIDTH;
    c[at + C.SYMBOL] = book.symbol;
    c[at + C.ACTION] = action;
    c[at + C.SIDE] = p.side[n]!;
    c[at + C.ORDER_ID] = p.id[n]!;
    c[at + C.PRICE] = p.price[n]!;
    c[at + C.QTY] = action === L3Change.DELETE ? 0 : p.leaves[n]!;
    this.changeNext[i] = -1;
    if (book.first < 0) {
      book.first = i;
      this.touched[this.touchedCount++] = book;
    } else this.changeNext[book.last] = i;
    book.last = i;
    this.changeCount = i + 1;
  }

  private growChanges(): void {
    this.changes = grown(this.changes, this.changes.length * 2);
    this.changeNext = grown(this.changeNext, this.changeNext.length * 2);
  }

  // ---------------------------------------------------------------- reading (snapshots, tests)

  /** Every resting order of a symbol: bids best first, then asks best first, each level in queue order. */
  forEach(symbol: number, visit: (side: number, orderId: number, price: number, qty: number) => void): void {
    const b = this.books.get(symbol);
    if (b === undefined) return;
    const p = this.pool;
    for (let side = 0; side < 2; side++) {
      for (const lv of this.sortedLevels(b, side)) {
        for (let n = this.lv.lvHead[lv]!; n !== -1; n = p.next[n]!) visit(side, p.id[n]!, p.price[n]!, p.leaves[n]!);
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
    const l = this.lv;
    return this.sortedLevels(b, side).map((lv) => ({ price: l.lvPrice[lv]!, qty: l.lvQty[lv]!, count: l.lvCount[lv]! }));
  }

  /** Resting orders of a symbol (both sides). */
  size(symbol: number): number {
    const b = this.books.get(symbol);
    if (b === undefined) return 0;
    let n = 0;
    for (let side = 0; side < 2; side++) for (const lv of b.levels[side]!.values()) n += this.lv.lvCount[lv]!;
    return n;
  }

  /** Level slots of one side, best first (bids highest, asks lowest). Allocates: off the hot path. */
  private sortedLevels(b: SymbolOrders, side: number): number[] {
    const sign = side === 0 ? -1 : 1;
    const price = this.lv.lvPrice;
    return b.levels[side]!.values().sort((x, y) => sign * (price[x]! - price[y]!));
  }
}
