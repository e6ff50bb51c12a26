import type { Tier } from "./tier.ts";

/**
 * Account state: cash per currency, positions per symbol, limits and whitelists. Plain data with
 * the few operations that keep its invariants (available cash never negative is enforced by the
 * risk checks before anything here is called).
 */

/** Below this magnitude two whole numbers add exactly in doubles (the sum stays under 2^53). */
export const FOLD = 2 ** 52;
const FOLD_BIG = BigInt(FOLD);

/**
 * One exact amount: a BigInt base plus a double part. Hot-path updates (`add`) touch only the
 * double while it stays below 2^52 in magnitude — where every integer is exact — and fold into the
 * BigInt when it would not. Reads give the exact BigInt. So small accounts never pay for BigInt
 * arithmetic and large ones never lose a unit.
 */
class ExactAmount {
  big = 0n;
  num = 0;

  get value(): bigint {
    return this.num === 0 ? this.big : this.big + BigInt(this.num);
  }

  set value(v: bigint) {
    if (v < FOLD_BIG && v > -FOLD_BIG) {
      this.num = Number(v);
      this.big = 0n;
    } else {
      this.big = v;
      this.num = 0;
    }
  }

  /** Adds a whole number of units with |x| < FOLD. */
  add(x: number): void {
    const r = this.num + x;
    if (r < FOLD && r > -FOLD) this.num = r;
    else {
      this.big += BigInt(this.num) + BigInt(x);
      this.num = 0;
    }
  }
}

/** Exact cash of one currency: its balance and what open orders reserve of it, each an ExactAmount. */
export class Cash {
  private readonly b = new ExactAmount();
  private readonly r = new ExactAmount();

  get balance(): bigint {
    return this.b.value;
  }

  set balance(v: bigint) {
    this.b.value = v;
  }

  get reserved(): bigint {
    return this.r.value;
  }

  set reserved(v: bigint) {
    this.r.value = v;
  }

  get available(): bigint {
    return this.balance - this.reserved;
  }

  /** Adds a whole number of units with |x| < FOLD (callers with larger amounts use `balance`). */
  addBalance(x: number): void {
    this.b.add(x);
  }

  addReserved(x: number): void {
    this.r.add(x);
  }

  /** available ≥ x, without BigInt arithmetic when everything is small. */
  covers(x: number | bigint): boolean {
    const b = this.b;
    const r = this.r;
    if (typeof x === "number" && b.big === 0n && r.big === 0n) return b.num - r.num >= x;
    return this.available >= BigInt(x);
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

/** A withdrawal above its currency's approval threshold, reserved until an operator approves or rejects it. */
export interface PendingWithdrawal {
  id: number;
  currency: number;
  amount: bigint;
  destination: string;
  /** Engine time of the request. */
  time: number;
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
  /** Withdrawals awaiting an operator's approval, by id; their amounts are reserved. */
  readonly pendingWithdrawals = new Map<number, PendingWithdrawal>();
  /** The id the next withdrawal awaiting approval gets (per account). */
  nextWithdrawal = 1;
  openOrders = 0;
  /** The account's tier, kept in step with `tier` by the ledger (saves a lookup per order). */
  limits!: Tier;
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
