/**
 * Account state: cash per currency, positions per symbol, limits and whitelists. Plain data with
 * the few operations that keep its invariants (available cash never negative is enforced by the
 * risk checks before anything here is called).
 */
export interface TierSpec {
  id: number;
  makerBps: number;
  takerBps: number;
  /** Largest order in lots (Infinity: none). */
  maxOrderQty?: number;
  /** Largest order notional per quote currency code, as a decimal string ("1000000"). */
  maxNotional?: Record<string, string>;
  /** Largest absolute position in lots, by default and per symbol id. */
  positionLimit?: number;
  positionLimits?: Record<number, number>;
  maxOpenOrders?: number;
  /** At most rateCount orders and amends within rateWindowUs of engine time (0: no limit). */
  rateCount?: number;
  rateWindowUs?: number;
}

export class Cash {
  balance = 0n;
  reserved = 0n;

  get available(): bigint {
    return this.balance - this.reserved;
  }
}

export class Position {
  /** Signed lots: long > 0, short < 0. */
  qty = 0;
  /** Cost basis of the open quantity in quote units, signed like qty. */
  cost = 0n;
  /** Realized P&L in quote units, before fees. */
  realized = 0n;
  /** Leaves of open buy orders, and of open sell orders (the lots a sell holds back). */
  openBuys = 0;
  openSells = 0;
}

export class Account {
  readonly cash = new Map<number, Cash>();
  readonly positions = new Map<number, Position>();
  /** When set, only these symbols may be traded. */
  allowed: Set<number> | null = null;
  readonly denied = new Set<number>();
  readonly shortLimits = new Map<number, number>();
  /** Withdrawal destination → engine time from which it may be used. */
  readonly destinations = new Map<string, number>();
  openOrders = 0;
  /** Times of the last accepted orders and amends, a ring of the tier's rateCount. */
  rateTimes: Float64Array;
  rateNext = 0;

  constructor(
    readonly id: number,
    public tier: number,
    rateCount: number,
  ) {
    this.rateTimes = new Float64Array(rateCount).fill(-Infinity);
  }

  cashOf(currency: number): Cash {
    let c = this.cash.get(currency);
    if (!c) this.cash.set(currency, (c = new Cash()));
    return c;
  }

  positionOf(symbol: number): Position {
    let p = this.positions.get(symbol);
    if (!p) this.positions.set(symbol, (p = new Position()));
    return p;
  }

  mayTrade(symbol: number): boolean {
    return !this.denied.has(symbol) && (this.allowed === null || this.allowed.has(symbol));
  }

  /** Would one more order at `now` exceed `count` within `windowUs`? The ring holds the last `count`. */
  rateExceeded(now: number, windowUs: number): boolean {
    if (this.rateTimes.length === 0 || windowUs <= 0) return false;
    return this.rateTimes[this.rateNext]! > now - windowUs;
  }

  recordRate(now: number): void {
    if (this.rateTimes.length === 0) return;
    this.rateTimes[this.rateNext] = now;
    this.rateNext = (this.rateNext + 1) % this.rateTimes.length;
  }

  /** A tier change resizes the rate ring; the history restarts, as it would on a fresh limit. */
  resizeRate(count: number): void {
    if (count === this.rateTimes.length) return;
    this.rateTimes = new Float64Array(count).fill(-Infinity);
    this.rateNext = 0;
  }
}
