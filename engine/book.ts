import type { Instrument } from "./instrument.ts";
import type { OrderPool } from "./order-pool.ts";
import { MarketState } from "./market-state.ts";
import { VolatilityWindow } from "./volatility.ts";
import { grown } from "./typed-arrays.ts";

export { MarketState };

/**
 * Index of `key` in `keys[0 ..< count]` (ascending), or −(insertion point) − 1 when absent. The
 * ladder's search, shared with the L2 mirror (engine/l2.ts): activity clusters at the touch, which
 * is the end of the array, so the end is checked before bisecting.
 */
export function keyIndex(keys: Float64Array, count: number, key: number): number {
  let lo = 0;
  let hi = count - 1;
  if (hi >= 0 && keys[hi] === key) return hi;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid]!;
    if (k < key) lo = mid + 1;
    else if (k > key) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

/**
 * Price levels as columns indexed by level slot, each level a FIFO queue of orders linked through
 * an OrderPool (its `prev`, `next`, `level` and `leaves`); slots are recycled through a free list.
 * The ladder below keeps them sorted by price; market by order (engine/l3.ts) finds them by price
 * through a map and sorts only to read.
 */
export class LevelPool {
  lvPrice: Float64Array;
  lvQty: Float64Array;
  lvCount: Int32Array;
  lvHead: Int32Array;
  lvTail: Int32Array;
  private free: Int32Array;
  private freeTop: number;

  constructor(
    protected readonly pool: OrderPool,
    capacity = 64,
  ) {
    this.lvPrice = new Float64Array(capacity);
    this.lvQty = new Float64Array(capacity);
    this.lvCount = new Int32Array(capacity);
    this.lvHead = new Int32Array(capacity);
    this.lvTail = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  /** Appends an order at the back of level `lv`; its leaves join the level total. */
  link(order: number, lv: number): void {
    const p = this.pool;
    const tail = this.lvTail[lv]!;
    p.prev[order] = tail;
    p.next[order] = -1;
    p.level[order] = lv;
    if (tail === -1) this.lvHead[lv] = order;
    else p.next[tail] = order;
    this.lvTail[lv] = order;
    this.lvQty[lv] += p.leaves[order]!;
    this.lvCount[lv]++;
  }

  /** Unlinks an order from its level; its current leaves leave the total. Returns the level slot. */
  unlink(order: number): number {
    const p = this.pool;
    const lv = p.level[order]!;
    const prev = p.prev[order]!;
    const next = p.next[order]!;
    if (prev === -1) this.lvHead[lv] = next;
    else p.next[prev] = next;
    if (next === -1) this.lvTail[lv] = prev;
    else p.prev[next] = prev;
    this.lvQty[lv] -= p.leaves[order]!;
    this.lvCount[lv]--;
    return lv;
  }

  /** A fresh empty level at `price`. */
  newLevel(price: number): number {
    if (this.freeTop === 0) this.growLevels();
    const lv = this.free[--this.freeTop]!;
    this.lvPrice[lv] = price;
    this.lvQty[lv] = 0;
    this.lvCount[lv] = 0;
    this.lvHead[lv] = -1;
    this.lvTail[lv] = -1;
    return lv;
  }

  /** Recycles an empty level's slot. */
  freeLevel(lv: number): void {
    this.lvQty[lv] = 0;
    this.free[this.freeTop++] = lv;
  }

  private growLevels(): void {
    const old = this.lvPrice.length;
    const cap = old * 2;
    this.lvPrice = grown(this.lvPrice, cap);
    this.lvQty = grown(this.lvQty, cap);
    this.lvCount = grown(this.lvCount, cap);
    this.lvHead = grown(this.lvHead, cap);
    this.lvTail = grown(this.lvTail, cap);
    const free = new Int32Array(cap);
    for (let i = cap - 1; i >= old; i--) free[this.freeTop++] = i;
    this.free = free;
  }
}

/**
 * One side of a book: price levels sorted so the best level is last, each a FIFO queue of orders
 * linked through the pool. Keeping the best at the end makes the common cases cheap: taking or
 * emptying the best level is a pop, and new levels near the touch shift only a few entries.
 *
 * Keys are `sign × price`, ascending: bids use +price (highest last), asks −price (lowest last).
 * Stop lists reuse the same structure: buy stops trigger lowest first (like asks), sell stops
 * highest first (like bids).
 */
export class Ladder extends LevelPool {
  /** Level keys ascending; the best level is at index count − 1. */
  keys: Float64Array;
  /** Level slot for each key. */
  slots: Int32Array;
  count = 0;

  constructor(
    readonly sign: 1 | -1,
    pool: OrderPool,
    capacity = 64,
  ) {
    super(pool, capacity);
    this.keys = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
  }

  /** Level slot of the best level, or −1 when the side is empty. */
  bestLevel(): number {
    return this.count > 0 ? this.slots[this.count - 1]! : -1;
  }

  /** Best price, or 0 when the side is empty. */
  bestPrice(): number {
    return this.count > 0 ? this.lvPrice[this.slots[this.count - 1]!]! : 0;
  }

  /** Index of `price` in keys, or −(insertion point) − 1 when absent. */
  indexOf(price: number): number {
    return keyIndex(this.keys, this.count, this.sign * price);
  }

  /** Level slot at `price`, or −1. */
  levelAt(price: number): number {
    const i = this.indexOf(price);
    return i >= 0 ? this.slots[i]! : -1;
  }

  /** Appends an order at the back of the queue at `price`, creating the level if needed. */
  append(order: number, price: number): number {
    let i = this.indexOf(price);
    let lv: number;
    if (i >= 0) {
      lv = this.slots[i]!;
    } else {
      i = -i - 1;
      lv = this.newLevel(price);
      if (this.count === this.keys.length) this.growIndex();
      this.keys.copyWithin(i + 1, i, this.count);
      this.slots.copyWithin(i + 1, i, this.count);
      this.keys[i] = this.sign * price;
      this.slots[i] = lv;
      this.count++;
    }
    this.link(order, lv);
    return lv;
  }

  /**
   * Unlinks an order from its level; its current leaves leave the level total. The level is
   * dropped when it empties. Returns the level slot (still readable until reused).
   */
  remove(order: number): number {
    const lv = this.unlink(order);
    if (this.lvCount[lv] === 0) this.dropLevel(lv);
    return lv;
  }

  /** Removes an empty level from the index and recycles its slot. */
  dropLevel(lv: number): void {
    const last = this.count - 1;
    if (this.slots[last] === lv) {
      this.count = last;
    } else {
      const i = this.indexOf(this.lvPrice[lv]!);
      this.keys.copyWithin(i, i + 1, this.count);
      this.slots.copyWithin(i, i + 1, this.count);
      this.count = last;
    }
    this.freeLevel(lv);
  }

  private growIndex(): void {
    this.keys = grown(this.keys, this.keys.length * 2);
    this.slots = grown(this.slots, this.slots.length * 2);
  }
}

/**
 * One instrument's book: two sides, two stop lists, the last trade price, and the symbol's market
 * state (session, halt) with the orders queued while it cannot trade.
 */
export class Book {
  readonly bids: Ladder;
  readonly asks: Ladder;
  /** Buy stops trigger when the price rises to them: lowest first. */
  readonly buyStops: Ladder;
  /** Sell stops trigger when the price falls to them: highest first. */
  readonly sellStops: Ladder;
  /** Last trade price in ticks; 0 before the first trade. */
  lastPrice = 0;

  /** In a trading session (always, without a calendar). */
  sessionOpen: boolean;
  /** Engine time at which the session state must be looked up again; −∞ = before the first command. */
  sessionUntil: number;
  halted = false;
  /** While halted: engine time the halt ends (Infinity: until RESUME). */
  haltedUntil = 0;
  /** Why it is halted: SYMBOL_HALTED (by command) or VOLATILITY_HALT. */
  haltReason = 0;
  /**
   * Engine time of a session close whose END_OF_DAY has not run yet; Infinity when none. Remembered
   * because any command may carry time past the close before the runtime's END_OF_DAY arrives, and
   * the runtime must still learn that the close happened (nextDeadline). Without a calendar: the
   * day end (dayEndUtc) after the first DAY order opened since the last END_OF_DAY, set when that
   * order opens, so it may lie ahead.
   */
  dayEndDue = Infinity;
  /** Orders accepted while the symbol could not trade, entered in this order when it can. */
  queueHead = -1;
  queueTail = -1;
  readonly volatility: VolatilityWindow;

  constructor(
    readonly instrument: Instrument,
    pool: OrderPool,
  ) {
    this.bids = new Ladder(1, pool);
    this.asks = new Ladder(-1, pool);
    this.buyStops = new Ladder(-1, pool);
    this.sellStops = new Ladder(1, pool);
    this.sessionOpen = instrument.calendar === null;
    this.sessionUntil = instrument.calendar === null ? Infinity : -Infinity;
    this.volatility = new VolatilityWindow(instrument.volatilityBps, instrument.volatilityWindowUs);
  }

  get tradable(): boolean {
    return this.sessionOpen && !this.halted;
  }

  get state(): number {
    if (this.halted) return MarketState.HALTED;
    return this.sessionOpen ? MarketState.OPEN : MarketState.CLOSED;
  }

  /** Earliest engine time at which this book's market state may change. */
  get nextChange(): number {
    return this.halted && this.haltedUntil < this.sessionUntil ? this.haltedUntil : this.sessionUntil;
  }
}
