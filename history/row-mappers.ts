/**
 * Database rows (snake_case columns) to the row shapes of history/rows.ts, for both backends: the
 * SQLite driver gives INTEGER as numbers and TEXT money as strings, Bun.sql gives int8 and NUMERIC
 * as strings; Number() and BigInt() take either. Ids, ticks, lots and µs times stay below 2^53.
 */
import type { AdminRow, CandleRow, CashRow, ExecutionRow, OrderEventRow, OrderRow, PositionRow } from "./rows.ts";
import type { OrderView, Page, Resolution } from "./store.ts";

export type Row = Record<string, unknown>;

/** A page of `limit` rows from `limit + 1` read: the extra one says there is more, and the last kept gives the cursor. */
export function page<T>(rows: T[], limit: number, cursor: (last: T) => string): Page<T> {
  if (rows.length <= limit) return { rows, next: null };
  rows.length = limit;
  return { rows, next: cursor(rows[limit - 1]!) };
}

export const n = (v: unknown): number => Number(v);
const big = (v: unknown): bigint => BigInt(v as string | number | bigint);

export function orderRow(r: Row): OrderRow {
  return { orderId: n(r.order_id), seq: n(r.seq), time: n(r.time), account: n(r.account), symbol: n(r.symbol), side: n(r.side), orderType: n(r.order_type), tif: n(r.tif), price: n(r.price), stopPrice: n(r.stop_price), qty: n(r.qty), stp: n(r.stp), flags: n(r.flags), expireTime: n(r.expire_time), clientOrderId: r.client_order_id as string, actor: n(r.actor), session: n(r.session) };
}

export function orderView(r: Row): OrderView {
  return { ...orderRow(r), state: n(r.state), filled: n(r.filled), leaves: n(r.leaves), updated: n(r.updated) };
}

export function orderEvent(r: Row): OrderEventRow {
  return { seq: n(r.seq), idx: n(r.idx), time: n(r.time), orderId: n(r.order_id), account: n(r.account), symbol: n(r.symbol), kind: n(r.kind), fromState: n(r.from_state), toState: n(r.to_state), reason: n(r.reason), price: n(r.price), qty: n(r.qty), filled: n(r.filled), leaves: n(r.leaves), actor: n(r.actor), session: n(r.session), commandType: n(r.command_type) };
}

export function execution(r: Row): ExecutionRow {
  return { seq: n(r.seq), idx: n(r.idx), liquidity: n(r.liquidity), tradeId: n(r.trade_id), time: n(r.time), symbol: n(r.symbol), orderId: n(r.order_id), account: n(r.account), side: n(r.side), price: n(r.price), qty: n(r.qty), leaves: n(r.leaves), counterOrderId: n(r.counter_order_id), counterAccount: n(r.counter_account), notional: big(r.notional), fee: big(r.fee), feeBps: n(r.fee_bps), currency: n(r.currency) };
}

export function cashRow(r: Row): CashRow {
  return { seq: n(r.seq), idx: n(r.idx), n: n(r.n), time: n(r.time), account: n(r.account), currency: n(r.currency), kind: n(r.kind), amount: big(r.amount), balance: big(r.balance), tradeId: n(r.trade_id), ref: r.ref as string };
}

export function position(r: Row): PositionRow {
  return { seq: n(r.seq), time: n(r.time), account: n(r.account), symbol: n(r.symbol), kind: n(r.kind), delta: n(r.delta), qty: n(r.qty), cost: big(r.cost), realized: big(r.realized) };
}

export function admin(r: Row): AdminRow {
  return { seq: n(r.seq), idx: n(r.idx), time: n(r.time), commandType: n(r.command_type), account: n(r.account), symbol: n(r.symbol), actor: n(r.actor), session: n(r.session), detail: r.detail as string };
}

export function candle(r: Row): CandleRow {
  return { symbol: n(r.symbol), interval: n(r.interval), start: n(r.start), open: n(r.open), high: n(r.high), low: n(r.low), close: n(r.close), volume: n(r.volume), trades: n(r.trades), seq: n(r.seq) };
}

export function resolutionRow(r: Row): Resolution {
  return { breakId: r.break_id as string, action: r.action as Resolution["action"], reason: r.reason as string, commandSeq: n(r.command_seq), operator: r.operator as string, at: n(r.at) };
}
