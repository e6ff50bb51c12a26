/**
 * OHLCV candles over engine time (docs/market-data.md). A candle of interval I covers
 * [start, start + I) µs with start a multiple of I since the Unix epoch, so every interval is
 * aligned to UTC boundaries (UTC has no leap seconds in Unix time, and a UTC day is always
 * 86 400 s). Only trades make candles: an interval with no trade has none.
 */

/** Candle intervals in µs of engine time. */
export const Interval = {
  S1: 1_000_000,
  M1: 60_000_000,
  M5: 300_000_000,
  H1: 3_600_000_000,
  D1: 86_400_000_000,
} as const;

/** Every interval the builder keeps, shortest first (the order their updates are written in). */
export const INTERVALS: readonly number[] = [Interval.S1, Interval.M1, Interval.M5, Interval.H1, Interval.D1];

export const INTERVAL_NAMES: Readonly<Record<number, string>> = {
  [Interval.S1]: "1s",
  [Interval.M1]: "1m",
  [Interval.M5]: "5m",
  [Interval.H1]: "1h",
  [Interval.D1]: "1d",
};

/**
 * Start of the interval that holds `time`. `%` on doubles is exact for integers, unlike
 * `Math.floor(time / interval)`, whose division rounds before the floor.
 */
export function candleStart(time: number, interval: number): number {
  const r = time % interval;
  return r < 0 ? time - r - interval : time - r;
}

export interface Candle {
  interval: number;
  /** Start of the interval (µs); the candle covers [openTime, openTime + interval). */
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Lots traded. */
  volume: number;
  trades: number;
  /** False for the candle still open. */
  closed: boolean;
}

/** Fields of a closed candle in the history ring. */
const W = 7;

/**
 * One symbol's candles for one interval: the open candle in plain fields and a ring of the last
 * `capacity` closed ones. The ring is allocated small and doubles up to its capacity, so a quiet
 * symbol costs little.
 */
export class CandleSeries {
  /** Whether a candle is open. */
  live = false;
  openTime = 0;
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  volume = 0;
  trades = 0;
  /** Changed by the command in flight and not yet written out. */
  dirty = false;

  private ring: Float64Array;
  /** Index of the oldest closed candle, and how many the ring holds. */
  private head = 0;
  private size = 0;

  constructor(
    readonly interval: number,
    readonly capacity: number,
  ) {
    this.ring = new Float64Array(Math.min(capacity, 16) * W);
  }

  /** End of the open candle: the first µs that belongs to the next one. */
  get closesAt(): number {
    return this.openTime + this.interval;
  }

  /** Adds a trade at `time`, which the caller guarantees is inside the open candle, if any. */
  add(time: number, price: number, qty: number): void {
    if (!this.live) {
      this.live = true;
      this.openTime = candleStart(time, this.interval);
      this.open = this.high = this.low = this.close = price;
      this.volume = qty;
      this.trades = 1;
    } else {
      if (price > this.high) this.high = price;
      if (price < this.low) this.low = price;
      this.close = price;
      this.volume += qty;
      this.trades++;
    }
    this.dirty = true;
  }

  /** Puts a candle closed before a restart into the history (its start after every one there). */
  restoreClosed(openTime: number, open: number, high: number, low: number, close: number, volume: number, trades: number): void {
    this.live = true;
    this.openTime = openTime;
    this.open = open;
    this.high = high;
    this.low = low;
    this.close = close;
    this.volume = volume;
    this.trades = trades;
    this.closeCandle();
  }

  /** Moves the open candle into the history. */
  closeCandle(): void {
    if (this.capacity > 0) {
      const cap = this.ring.length / W;
      if (this.size === cap && cap < this.capacity) this.widen();
      const slots = this.ring.length / W;
      let at: number;
      if (this.size < slots) {
        at = (this.head + this.size) % slots;
        this.size++;
      } else {
        at = this.head;
        this.head = (this.head + 1) % slots;
      }
      const r = this.ring;
      const b = at * W;
      r[b] = this.openTime;
      r[b + 1] = this.open;
      r[b + 2] = this.high;
      r[b + 3] = this.low;
      r[b + 4] = this.close;
      r[b + 5] = this.volume;
      r[b + 6] = this.trades;
    }
    this.live = false;
    this.dirty = false;
  }

  /** The last `n` candles, oldest first, the open one (if any) last. Allocates: off the hot path. */
  recent(n: number): Candle[] {
    const out: Candle[] = [];
    const fromHistory = Math.max(0, Math.min(this.size, n - (this.live ? 1 : 0)));
    const slots = this.ring.length / W;
    for (let k = this.size - fromHistory; k < this.size; k++) {
      const b = ((this.head + k) % slots) * W;
      const r = this.ring;
      out.push({ interval: this.interval, openTime: r[b]!, open: r[b + 1]!, high: r[b + 2]!, low: r[b + 3]!, close: r[b + 4]!, volume: r[b + 5]!, trades: r[b + 6]!, closed: true });
    }
    if (this.live && n > 0) out.push(this.current(false));
    return out;
  }

  /** The open candle as an object. */
  current(closed: boolean): Candle {
    return { interval: this.interval, openTime: this.openTime, open: this.open, high: this.high, low: this.low, close: this.close, volume: this.volume, trades: this.trades, closed };
  }

  /** The ring only grows before it first wraps, so head is 0 and a copy keeps the order. */
  private widen(): void {
    const next = new Float64Array(Math.min(this.capacity, (this.ring.length / W) * 2) * W);
    next.set(this.ring);
    this.ring = next;
  }
}
