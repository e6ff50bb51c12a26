/**
 * The lowest and highest trade prices within a sliding window of engine time, kept as two
 * monotonic deques (O(1) amortised per trade, no allocation once grown). The book asks whether a
 * trade at `price` would stretch the window's range beyond the configured move, and halts the
 * symbol instead of printing it.
 */
class MonotonicDeque {
  private time = new Float64Array(64);
  private price = new Float64Array(64);
  private head = 0;
  private size = 0;

  /** A min-deque drops back entries ≥ the new price, a max-deque entries ≤ it. */
  constructor(private readonly isMin: boolean) {}

  push(time: number, price: number): void {
    const mask = this.time.length - 1;
    while (this.size > 0) {
      const back = this.price[(this.head + this.size - 1) & mask]!;
      if (this.isMin ? back >= price : back <= price) this.size--;
      else break;
    }
    if (this.size === this.time.length) this.grow();
    const i = (this.head + this.size) & (this.time.length - 1);
    this.time[i] = time;
    this.price[i] = price;
    this.size++;
  }

  evictBefore(time: number): void {
    const mask = this.time.length - 1;
    while (this.size > 0 && this.time[this.head]! < time) {
      this.head = (this.head + 1) & mask;
      this.size--;
    }
  }

  /** Front price, or `fallback` when empty. */
  front(fallback: number): number {
    return this.size > 0 ? this.price[this.head]! : fallback;
  }

  clear(): void {
    this.size = 0;
    this.head = 0;
  }

  /** Entries front to back as [time, price] pairs, for snapshots. */
  entries(): number[] {
    const out: number[] = [];
    const mask = this.time.length - 1;
    for (let k = 0; k < this.size; k++) out.push(this.time[(this.head + k) & mask]!, this.price[(this.head + k) & mask]!);
    return out;
  }

  /** Restores entries written by `entries` (already monotonic, so appended as they are). */
  load(pairs: number[]): void {
    this.clear();
    for (let k = 0; k < pairs.length; k += 2) {
      if (this.size === this.time.length) this.grow();
      this.time[this.size] = pairs[k]!;
      this.price[this.size] = pairs[k + 1]!;
      this.size++;
    }
  }

  private grow(): void {
    const n = this.time.length;
    const time = new Float64Array(n * 2);
    const price = new Float64Array(n * 2);
    for (let k = 0; k < this.size; k++) {
      time[k] = this.time[(this.head + k) & (n - 1)]!;
      price[k] = this.price[(this.head + k) & (n - 1)]!;
    }
    this.time = time;
    this.price = price;
    this.head = 0;
  }
}

export class VolatilityWindow {
  private readonly lows = new MonotonicDeque(true);
  private readonly highs = new MonotonicDeque(false);

  constructor(
    /** Largest allowed move within the window, basis points of the window's low. 0 = off. */
    readonly moveBps: number,
    /** Window length in µs of engine time. */
    readonly windowUs: number,
  ) {}

  get enabled(): boolean {
    return this.moveBps > 0 && this.windowUs > 0;
  }

  /** Would a trade at `price` and `time` move the price more than allowed within the window? */
  breaches(price: number, time: number): boolean {
    this.lows.evictBefore(time - this.windowUs);
    this.highs.evictBefore(time - this.windowUs);
    const low = Math.min(this.lows.front(price), price);
    const high = Math.max(this.highs.front(price), price);
    return high - low > Math.floor((low * this.moveBps) / 10_000);
  }

  record(price: number, time: number): void {
    this.lows.push(time, price);
    this.highs.push(time, price);
  }

  state(): { lows: number[]; highs: number[] } {
    return { lows: this.lows.entries(), highs: this.highs.entries() };
  }

  load(state: { lows: number[]; highs: number[] }): void {
    this.lows.load(state.lows);
    this.highs.load(state.highs);
  }

  /** A halt starts a fresh window: the reopening price is measured from itself. */
  reset(): void {
    this.lows.clear();
    this.highs.clear();
  }
}
