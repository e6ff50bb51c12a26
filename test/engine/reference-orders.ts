/**
 * The reference's orders and markets as plain records, and the NEW_ORDER checks in the order
 * docs/matching.md lists them ("NEW_ORDER validation order"), each the first failure it finds.
 */
import { Flags, OrderType, Side, StpMode, TimeInForce, type Command } from "../../engine/commands.ts";
import { MAX_PRICE_TICKS, MAX_QTY_LOTS, type Instrument } from "../../engine/instrument.ts";
import { Reason } from "../../engine/reasons.ts";

export type RefStatus = "resting" | "stop" | "queued";

/** STATUS event states (docs/matching.md, *Symbol-side risk*). */
export const RefMarketState = { OPEN: 0, CLOSED: 1, HALTED: 2 } as const;

/** The same shape as the engine's `OrderView`. */
export interface RefOrderView {
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
  status: RefStatus;
}

/** An order while the reference holds it. "taking" = the current taker or a triggered stop waiting its turn. */
export interface RefOrder extends Omit<RefOrderView, "status"> {
  status: RefStatus | "taking";
  /** Arrival order among queued orders. */
  queueSeq: number;
}

/** One symbol's state besides its orders. */
export interface RefMarket {
  inst: Instrument;
  /** Last trade price; 0 before the first trade. */
  lastPrice: number;
  halted: boolean;
  /** When the halt ends (Infinity: until RESUME). */
  haltedUntil: number;
  /** SYMBOL_HALTED (HALT command) or VOLATILITY_HALT. */
  haltReason: number;
  /** Trades of the volatility window (time, price); emptied by a halt. */
  window: { time: number; price: number }[];
}

export interface RefLevel {
  price: number;
  qty: number;
  count: number;
}

export const isIntIn = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
export const bandOffset = (ref: number, bps: number) => Math.floor((ref * bps) / 10000);

/** What the NEW_ORDER checks ask of the book (the reference matcher answers from its order array). */
export interface RefBookQueries {
  hasOpen(orderId: number): boolean;
  stopReached(symbol: number, side: number, stopPrice: number): boolean;
  outsidePriceBand(m: RefMarket, price: number): boolean;
  wouldCross(symbol: number, side: number, price: number): boolean;
  canTrade(m: RefMarket): boolean;
}

/** The first failed NEW_ORDER check's reason, or Reason.OK. */
export function newOrderFault(cmd: Command, m: RefMarket | undefined, book: RefBookQueries): number {
  if (!m) return Reason.UNKNOWN_SYMBOL;
  if (!Number.isSafeInteger(cmd.orderId) || cmd.orderId <= 0) return Reason.INVALID_ORDER_ID;
  if (book.hasOpen(cmd.orderId)) return Reason.DUPLICATE_ORDER_ID;
  if (!Number.isSafeInteger(cmd.account) || cmd.account < 0) return Reason.INVALID_ACCOUNT;
  if (cmd.side !== Side.BUY && cmd.side !== Side.SELL) return Reason.INVALID_SIDE;
  if (!isIntIn(cmd.orderType, OrderType.LIMIT, OrderType.STOP_LIMIT)) return Reason.INVALID_ORDER_TYPE;
  if (!isIntIn(cmd.tif, TimeInForce.GTC, TimeInForce.GTD)) return Reason.INVALID_TIME_IN_FORCE;
  if (cmd.orderType === OrderType.MARKET && cmd.tif !== TimeInForce.IOC && cmd.tif !== TimeInForce.FOK) {
    return Reason.INVALID_TIME_IN_FORCE;
  }
  if (!isIntIn(cmd.stp, StpMode.CANCEL_NEWEST, StpMode.NONE)) return Reason.INVALID_STP_MODE;
  if (!isIntIn(cmd.qty, 1, MAX_QTY_LOTS)) return Reason.INVALID_QUANTITY;
  const hasLimit = cmd.orderType === OrderType.LIMIT || cmd.orderType === OrderType.STOP_LIMIT;
  const isStop = cmd.orderType === OrderType.STOP || cmd.orderType === OrderType.STOP_LIMIT;
  // LIMIT / STOP_LIMIT: a limit in [1, 1e11]. MARKET / STOP: an optional cap, 0 or in [1, 1e11].
  if (hasLimit ? !isIntIn(cmd.price, 1, MAX_PRICE_TICKS) : cmd.price !== 0 && !isIntIn(cmd.price, 1, MAX_PRICE_TICKS)) {
    return Reason.INVALID_PRICE;
  }
  if (isStop && !isIntIn(cmd.stopPrice, 1, MAX_PRICE_TICKS)) return Reason.INVALID_STOP_PRICE;
  const postOnly = (cmd.flags & Flags.POST_ONLY) !== 0;
  const canWaitTif = cmd.tif === TimeInForce.GTC || cmd.tif === TimeInForce.DAY || cmd.tif === TimeInForce.GTD;
  if (postOnly && !(cmd.orderType === OrderType.LIMIT && canWaitTif)) return Reason.INVALID_COMBINATION;
  if (cmd.tif === TimeInForce.GTD && cmd.expireTime <= cmd.time) return Reason.GTD_IN_PAST;
  if (isStop && book.stopReached(cmd.symbol, cmd.side, cmd.stopPrice)) return Reason.STOP_WOULD_TRIGGER;
  if (hasLimit && book.outsidePriceBand(m, cmd.price)) return Reason.PRICE_OUTSIDE_BAND;
  if (postOnly && book.wouldCross(cmd.symbol, cmd.side, cmd.price)) return Reason.POST_ONLY_WOULD_TAKE;
  // Only LIMIT GTC / DAY / GTD and stops can wait while the symbol cannot trade.
  const canWait = isStop || (cmd.orderType === OrderType.LIMIT && canWaitTif);
  if (!book.canTrade(m) && !canWait) return Reason.SYMBOL_HALTED;
  return Reason.OK;
}

/** A NEW_ORDER that passed validation, as the reference holds it until it takes, rests or waits. */
export function newRefOrder(cmd: Command, isStop: boolean): RefOrder {
  return {
    orderId: cmd.orderId,
    account: cmd.account,
    symbol: cmd.symbol,
    side: cmd.side,
    orderType: cmd.orderType,
    tif: cmd.tif,
    price: cmd.price, // the limit, or the cap (0 = none)
    stopPrice: isStop ? cmd.stopPrice : 0,
    qty: cmd.qty,
    leaves: cmd.qty,
    filled: 0,
    cancelled: 0,
    stp: cmd.stp,
    flags: cmd.flags,
    expireTime: cmd.tif === TimeInForce.GTD ? cmd.expireTime : 0,
    entrySeq: 0,
    status: "taking",
    queueSeq: 0,
  };
}

export function view(o: RefOrder): RefOrderView {
  if (o.status === "taking") throw new Error(`reference: order ${o.orderId} viewed while taking`);
  const { queueSeq: _queueSeq, ...rest } = o;
  return { ...rest, status: o.status };
}
