import type { Account, Cash } from "./accounts.ts";
import { type Command, OrderType, Side } from "./commands.ts";
import type { Instrument } from "./instrument.ts";
import { feeOf, feeOfNumber, notional, smallNotional } from "./money.ts";
import { Reason } from "./reasons.ts";
import type { Tier } from "./tier.ts";

/** What the account side knows of an instrument. */
export interface Market {
  inst: Instrument;
  /** Quote currency id and contract factor K (units per tick per lot), also as a double. */
  quote: number;
  k: bigint;
  kNum: number;
  /** The fee account's cash in the quote currency, looked up on first use. */
  feeCash?: Cash;
  /** Last trade price seen by settlement, 0 before the first. */
  lastPrice: number;
  /** External mark set by SET_MARK_PRICE since the last trade, 0 if none. */
  markOverride: number;
  /** The venue's market data as MARKET_DATA_STATUS last set it (MarketDataStatus; 0 = trusted). */
  dataStatus: number;
}

/**
 * Quote units an open buy of `leaves` lots at costing price `price` must hold: the notional, the
 * worst-case fee rounded up, and one unit per lot that could still fill to cover per-fill fee
 * rounding. Zero when nothing is left.
 */
export function buyNeed(price: number, leaves: number, k: bigint, worstBps: number): bigint {
  if (leaves <= 0) return 0n;
  const small = smallNotional(price, leaves, Number(k));
  if (small >= 0) return BigInt(small + feeOfNumber(small, worstBps) + leaves);
  const n = notional(price, leaves, k);
  return n + feeOf(n, worstBps) + BigInt(leaves);
}

/**
 * buyNeed as an exact double, or −1 when it would not be below 2^52 (then use buyNeed). The fast
 * path of every reservation update.
 */
export function buyNeedNum(price: number, leaves: number, kNum: number, worstBps: number): number {
  if (leaves <= 0) return 0;
  const small = smallNotional(price, leaves, kNum);
  if (small < 0) return -1;
  const need = small + feeOfNumber(small, worstBps) + leaves;
  return need < 4503599627370496 ? need : -1;
}

/** Reference for costing a market buy: last trade, else the configured reference price. */
export function referencePrice(m: Market): number {
  return m.lastPrice || m.inst.referencePrice;
}

/**
 * The costing price of a buy (docs/accounts.md): the limit; a market buy's cap or band-worst
 * price; a buy stop's cap or the band-worst price from its stop. 0 when it cannot be costed.
 */
export function buyCostPrice(cmd: Command, m: Market): number {
  switch (cmd.orderType) {
    case OrderType.LIMIT:
    case OrderType.STOP_LIMIT:
      return cmd.price;
    case OrderType.MARKET: {
      if (cmd.price > 0) return cmd.price;
      const ref = referencePrice(m);
      return ref > 0 ? buyBandLimit(ref, m) : 0;
    }
    case OrderType.STOP:
      return cmd.price > 0 ? cmd.price : buyBandLimit(cmd.stopPrice, m);
    default:
      return 0;
  }
}

/** The worst price the protection band lets a market buy reach from `ref`: a buy stop's risk cap from its trigger. */
export function buyBandLimit(ref: number, m: Market): number {
  return ref + Math.floor((ref * m.inst.bandBps) / 10_000);
}

/**
 * A sell's costing price, for the notional limit: its limit; a STOP's cap, else its trigger; a
 * MARKET's cap (0: none, costed at the reference). `price` is the limit or cap the book holds.
 */
export function sellCostPrice(orderType: number, price: number, stopPrice: number): number {
  return orderType === OrderType.STOP && price === 0 ? stopPrice : price;
}

export function positionLimit(tier: Tier, symbol: number): number {
  return tier.positionLimits.get(symbol) ?? tier.positionLimit;
}

/** Lots a sell may still use: position less open sells, plus any short allowance. */
export function sellable(acct: Account, symbol: number): number {
  const pos = acct.positions.get(symbol);
  const held = pos ? pos.qty - pos.openSells : 0;
  return held + (acct.shortLimits.get(symbol) ?? 0);
}

/**
 * Account-side checks 3–10 of docs/accounts.md for a new order of `qty` lots (or an amend that
 * adds `addQty` lots and needs `addNeed` more quote units). Returns a reason or OK.
 */
export function checkOrder(
  acct: Account,
  tier: Tier,
  m: Market,
  side: number,
  symbol: number,
  qty: number,
  costPrice: number,
  addQty: number,
  addNeed: number | bigint,
  isNew: boolean,
  now: number,
  cash: Cash,
): number {
  if (!acct.mayTrade(symbol)) return Reason.SYMBOL_NOT_ALLOWED;
  if (qty > tier.maxOrderQty) return Reason.ORDER_TOO_LARGE;
  if (side === Side.BUY && costPrice === 0) return Reason.NO_REFERENCE_PRICE;
  const limitNotional = tier.maxNotional.get(m.quote);
  if (limitNotional !== undefined) {
    const price = side === Side.BUY ? costPrice : costPrice || referencePrice(m);
    if (price > 0 && notional(price, qty, m.k) > limitNotional) return Reason.NOTIONAL_TOO_LARGE;
  }
  const pos = acct.positions.get(symbol);
  const held = pos?.qty ?? 0;
  const limit = positionLimit(tier, symbol);
  if (side === Side.BUY ? held + (pos?.openBuys ?? 0) + addQty > limit : held - (pos?.openSells ?? 0) - addQty < -limit) {
    return Reason.POSITION_LIMIT;
  }
  if (isNew && acct.openOrders >= tier.maxOpenOrders) return Reason.TOO_MANY_OPEN_ORDERS;
  if (acct.rateExceeded(now, tier.rateWindowUs)) return Reason.RATE_LIMITED;
  if (side === Side.BUY) {
    if (addNeed > 0 && !cash.covers(addNeed)) return Reason.INSUFFICIENT_FUNDS;
  } else if (addQty > sellable(acct, symbol)) {
    return Reason.INSUFFICIENT_POSITION;
  }
  return Reason.OK;
}
