/**
 * The rows of the history store (docs/history.md): immutable facts, each keyed by the journal seq
 * of the command that made it and its index among that command's events, so writing a batch again
 * changes nothing and a gap shows as a missing seq. Prices are ticks and quantities lots (exact
 * integers); money is a BigInt count of the currency's minor units (10^-scale), never a float.
 * Times are engine time, µs since the Unix epoch.
 */

import type { SeedCandle } from "../engine/market-data.ts";
import type { AlertRow, MonitorStateRow } from "./monitoring/alerts.ts";

/** An order as it was submitted: every field of the NEW_ORDER command, and the order id it got. */
export interface OrderRow {
  orderId: number;
  seq: number;
  time: number;
  account: number;
  symbol: number;
  side: number;
  orderType: number;
  tif: number;
  /** The limit as submitted (0: none), ticks. */
  price: number;
  stopPrice: number;
  qty: number;
  stp: number;
  flags: number;
  expireTime: number;
  clientOrderId: string;
  actor: number;
  session: number;
}

/** What an order event row records. */
export const OrderEventKind = {
  /** A lifecycle transition (ORDER_STATE): from, to, reason. */
  STATE: 1,
  /** An amend took effect: price and qty are the new ones. */
  AMENDED: 2,
  /** A stop order triggered: price is the trade price that did it. */
  TRIGGERED: 3,
  /** Part of an order was cancelled and the rest stays (decrement-and-cancel): qty cancelled. */
  REDUCED: 4,
} as const;

/** One entry of an order's audit trail: who, when, why, and the command's seq. */
export interface OrderEventRow {
  seq: number;
  idx: number;
  time: number;
  orderId: number;
  account: number;
  symbol: number;
  kind: number;
  /**
   * OrderState: for a STATE row the transition; for the others (amended, triggered, reduced) the
   * state the order is in, from = to, so the last row of any kind says where the order stands.
   */
  fromState: number;
  toState: number;
  /** Reason code (engine/reasons.ts): why it changed. */
  reason: number;
  price: number;
  qty: number;
  filled: number;
  leaves: number;
  /** Who: Actor (account, session, system) and the session id. */
  actor: number;
  session: number;
  /** The command type that made it (CommandType). */
  commandType: number;
}

export const Liquidity = { TAKER: 0, MAKER: 1 } as const;

/** One side of a trade: a trade makes two rows, taker (idx, 0) and maker (idx, 1). */
export interface ExecutionRow {
  seq: number;
  idx: number;
  liquidity: number;
  tradeId: number;
  time: number;
  symbol: number;
  orderId: number;
  account: number;
  side: number;
  price: number;
  qty: number;
  /** The order's leaves after this fill. */
  leaves: number;
  /** The other side's order and account. */
  counterOrderId: number;
  counterAccount: number;
  /** Quote currency units, exact. */
  notional: bigint;
  fee: bigint;
  feeBps: number;
  /** The quote currency (fees and notional are in it). */
  currency: number;
}

export const CashKind = {
  DEPOSIT: 1,
  WITHDRAWAL: 2,
  /** The notional of a fill: − for a buy, + for a sell. */
  TRADE: 3,
  /** A fee paid on a fill (negative). */
  FEE: 4,
  /** A fee received by the fee account (positive). */
  FEE_INCOME: 5,
} as const;

/**
 * A change of one account's cash in one currency, with the balance right after it. Keyed by
 * (seq, idx, n): idx the event (or 0 for an account command), n its movements in order.
 */
export interface CashRow {
  seq: number;
  idx: number;
  n: number;
  time: number;
  account: number;
  currency: number;
  kind: number;
  /** Signed units. */
  amount: bigint;
  /** The balance after this movement. */
  balance: bigint;
  /** Trade id for TRADE, FEE and FEE_INCOME; 0 otherwise. */
  tradeId: number;
  /** Withdrawal destination; empty otherwise. */
  ref: string;
}

export const PositionKind = {
  TRADE: 1,
  DEPOSIT: 2,
  WITHDRAWAL: 3,
} as const;

/**
 * An account's position in one symbol after a command that changed it: one row per command and
 * (account, symbol), keyed by (seq, account, symbol). Cost basis and realized P&L are quote units.
 */
export interface PositionRow {
  seq: number;
  time: number;
  account: number;
  symbol: number;
  kind: number;
  /** Signed lots this command moved. */
  delta: number;
  qty: number;
  cost: bigint;
  realized: bigint;
}

/**
 * An administrative fact: an account command that took effect (open, tier, access, limits,
 * destinations, mark price) or a symbol's status change (open, close, halt, resume), and, later,
 * key and user administration. Keyed by (seq, idx).
 */
export interface AdminRow {
  seq: number;
  idx: number;
  time: number;
  /** The command type (CommandType), or 0 for a symbol status change. */
  commandType: number;
  account: number;
  symbol: number;
  actor: number;
  session: number;
  /** What changed, as compact JSON text (tier, flags, destination, state, …). */
  detail: string;
}

/**
 * A closed OHLCV candle (the engine's shape: interval and start in µs, prices in ticks, volume in
 * lots), written once when its interval has ended; keyed by (symbol, interval, start).
 */
export interface CandleRow extends SeedCandle {
  symbol: number;
  /** The seq of the command whose time closed it. */
  seq: number;
}

/** Everything one write puts in the store, in one transaction, with how far the journal is covered. */
export class RowBatch {
  orders: OrderRow[] = [];
  orderEvents: OrderEventRow[] = [];
  executions: ExecutionRow[] = [];
  cash: CashRow[] = [];
  positions: PositionRow[] = [];
  admin: AdminRow[] = [];
  candles: CandleRow[] = [];
  /** Transaction monitoring's alerts (history/monitoring/), and the rule state of the accounts this batch touched. */
  alerts: AlertRow[] = [];
  monitorState: MonitorStateRow[] = [];
  /** The last seq (and its engine time) this batch covers: every command through it is in the store after the write. */
  toSeq = 0;
  toTime = 0;

  /** History rows (alerts, a handful, are not counted: a batch's size and the row counts are the history tables'). */
  get rows(): number {
    return this.orders.length + this.orderEvents.length + this.executions.length + this.cash.length + this.positions.length + this.admin.length + this.candles.length;
  }

}
