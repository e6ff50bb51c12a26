import { keyIndex } from "./book.ts";
import { grown } from "./typed-arrays.ts";
import { Side } from "./commands.ts";
import type { LevelView } from "./matching.ts";

/**
 * One side of a symbol's L2 book as market data mirrors it from LEVEL events: price, total qty
 * and order count per level, with no orders behind them. The layout is engine/book.ts's `Ladder`
 * without the pool: keys `sign × price` ascending in a Float64Array, so the best level is last and
 * the usual change (at or near the touch) is a lookup at the end and a short `copyWithin`.
 *
 * Two bookkeeping columns let the builder coalesce a command's LEVEL events for one price without
 * a hash map: `stamp` is the builder's command epoch in which the level last changed, `change` its
 * index in that command's change list. Columns move together, so they follow the level when
 * inserts and removals shift it.
 */
export class L2Side {
  /** sign × price, ascending; the best level is at index count − 1. */
  keys: Float64Array;
  qty: Float64Array;
  orders: Float64Array;
  stamp: Float64Array;
  change: Int32Array;
  count = 0;
  readonly sign: 1 | -1;

  constructor(
    readonly side: number,
    capacity = 16,
  ) {
    this.sign = side === Side.BUY ? 1 : -1;
    this.keys = new Float64Array(capacity);
    this.qty = new Float64Array(capacity);
    this.orders = new Float64Array(capacity);
    this.stamp = new Float64Array(capacity);
    this.change = new Int32Array(capacity);
  }

  price(i: number): number {
    return this.sign * this.keys[i]!;
  }

  /** Best price, or 0 when the side is empty (prices are ≥ 1 tick, so 0 is never a price). */
  bestPrice(): number {
    return this.count > 0 ? this.sign * this.keys[this.count - 1]! : 0;
  }

  bestQty(): number {
    return this.count > 0 ? this.qty[this.count - 1]! : 0;
  }

  /** Index of `price`, or −(insertion point) − 1 when absent (the ladder's search). */
  indexOf(price: number): number {
    return keyIndex(this.keys, this.count, this.sign * price);
  }

  /** Opens an empty level for `price` at index `at` (an insertion point from indexOf); returns `at`. */
  insertAt(at: number, price: number): number {
    if (this.count === this.keys.length) this.grow();
    const n = this.count;
    if (at < n) {
      this.keys.copyWithin(at + 1, at, n);
      this.qty.copyWithin(at + 1, at, n);
      this.orders.copyWithin(at + 1, at, n);
      this.stamp.copyWithin(at + 1, at, n);
      this.change.copyWithin(at + 1, at, n);
    }
    this.keys[at] = this.sign * price;
    this.qty[at] = 0;
    this.orders[at] = 0;
    this.stamp[at] = 0;
    this.change[at] = -1;
    this.count = n + 1;
    return at;
  }

  removeAt(i: number): void {
    const n = this.count;
    if (i < n - 1) {
      this.keys.copyWithin(i, i + 1, n);
      this.qty.copyWithin(i, i + 1, n);
      this.orders.copyWithin(i, i + 1, n);
      this.stamp.copyWithin(i, i + 1, n);
      this.change.copyWithin(i, i + 1, n);
    }
    this.count = n - 1;
  }

  clear(): void {
    this.count = 0;
  }

  /** The best `n` levels, best first, in the engine's `depth()` shape. Allocates: off the hot path. */
  top(n: number): LevelView[] {
    const out: LevelView[] = [];
    for (let i = this.count - 1; i >= 0 && out.length < n; i--) out.push({ price: this.price(i), qty: this.qty[i]!, count: this.orders[i]! });
    return out;
  }

  private grow(): void {
    const cap = this.keys.length * 2;
    this.keys = grown(this.keys, cap);
    this.qty = grown(this.qty, cap);
    this.orders = grown(this.orders, cap);
    this.stamp = grown(this.stamp, cap);
    this.change = grown(this.change, cap);
  }
}
