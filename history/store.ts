/**
 * The one interface both history backends implement (history/sqlite-store.ts, the embedded default;
 * history/postgres-store.ts when DATABASE_URL is set), so the writer, the doors and the statements
 * never know which one they hold. Every write is one transaction that also records how far the
 * journal is covered; every insert is keyed by the seq that made the row and ignores a row that is
 * already there, so writing the same batch twice (after a crash between commit and the writer
 * learning of it) changes nothing.
 */
import type { AckOutcome, AlertKey, AlertQuery, AlertRow, AlertView, MonitorStateRow } from "./monitoring/alerts.ts";
import type { AdminRow, CandleRow, CashRow, ExecutionRow, OrderEventRow, OrderRow, PositionRow, RowBatch } from "./rows.ts";

/** How far the store covers the journal. */
export interface Progress {
  /** Every command through this seq is in the store (0: nothing yet). */
  seq: number;
  /** Its engine time (µs). */
  time: number;
}

/** An order with where it stands now: its last transition (an order with none yet is PENDING). */
export interface OrderView extends OrderRow {
  state: number;
  filled: number;
  leaves: number;
  /** Engine time of its last event. */
  updated: number;
}

/** One page of a listing, newest first, with the cursor that reads on (null: nothing older). */
export interface Page<T> {
  rows: T[];
  next: string | null;
}

/** A time range in engine µs: from ≤ time < to; either side may be left open. */
export interface TimeRange {
  from?: number;
  to?: number;
}

export interface OrderQuery extends TimeRange {
  account: number;
  symbol?: number;
  /** "open": not yet in a final state; "closed": filled, cancelled, expired or rejected; or one OrderState. */
  state?: "open" | "closed" | number;
  /** From a previous page's `next`. */
  cursor?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface ExecutionQuery extends TimeRange {
  account?: number;
  symbol?: number;
  orderId?: number;
  cursor?: string;
  limit?: number;
}

export interface CashQuery extends TimeRange {
  account: number;
  currency?: number;
  cursor?: string;
  limit?: number;
}

export interface CandleQuery extends TimeRange {
  symbol: number;
  /** µs (engine/candles.ts Interval). */
  interval: number;
  /** Default 1000, at most 10000; the newest `limit` in the range, returned oldest first. */
  limit?: number;
}

export interface TradeQuery extends TimeRange {
  symbol: number;
  cursor?: string;
  limit?: number;
}

/** A public trade: the taker's side of an execution, without accounts. */
export interface PublicTrade {
  seq: number;
  tradeId: number;
  time: number;
  symbol: number;
  price: number;
  qty: number;
  /** The taker's side: the aggressor. */
  takerSide: number;
}

/** An order with its whole audit trail and its fills. */
export interface OrderRecord {
  order: OrderView;
  trail: OrderEventRow[];
  executions: ExecutionRow[];
}

/** A balance at a point: the last cash row at or before it (absent: never moved, so zero). */
export interface BalanceAt {
  currency: number;
  balance: bigint;
}

/** A position at a point: the last position row at or before it. */
export interface PositionAt {
  symbol: number;
  qty: number;
  cost: bigint;
  realized: bigint;
}

/** Row counts per table, for status, tests and the rebuild comparison. */
export interface TableCounts {
  orders: number;
  orderEvents: number;
  executions: number;
  cash: number;
  positions: number;
  admin: number;
  candles: number;
}

/** A recorded prune: what was removed, when, by whom. */
export interface PruneRecord {
  /** Wall-clock ms when it ran. */
  at: number;
  /** Rows with engine time before this (µs) were removed. */
  before: number;
  operator: string;
  removed: TableCounts;
}

/**
 * How an operator resolved a reconciliation break (docs/reconciliation.md): never by editing the
 * records, but by accepting it with a reason, or naming the journaled command that corrected it.
 */
export interface Resolution {
  /** The break's stable id (reconcile/breaks.ts). */
  breakId: string;
  action: "accepted" | "adjusted";
  reason: string;
  /** adjusted: the seq of the correcting command (a DEPOSIT, WITHDRAW, …); accepted: 0. */
  commandSeq: number;
  operator: string;
  /** Wall-clock ms when it was recorded. */
  at: number;
}

export interface HistoryStore {
  readonly backend: "sqlite" | "postgres";

  /** How far the journal is covered. */
  progress(): Promise<Progress>;
  /** Writes every row of the batch and progress = batch.toSeq in one transaction; rows already present are left as they are. */
  write(batch: RowBatch): Promise<void>;

  /** An account's orders, newest first (by order id), with their current state. */
  orders(q: OrderQuery): Promise<Page<OrderView>>;
  /** One order with its audit trail (in seq order) and its fills; null when the store has no such order. */
  order(orderId: number): Promise<OrderRecord | null>;
  /** The newest order of `account` with this client order id. */
  orderByClientId(account: number, clientOrderId: string): Promise<OrderRecord | null>;
  /** Executions, newest first. */
  executions(q: ExecutionQuery): Promise<Page<ExecutionRow>>;
  /** Cash movements, newest first. */
  cash(q: CashQuery): Promise<Page<CashRow>>;
  /** Closed candles in the range, oldest first. */
  candles(q: CandleQuery): Promise<CandleRow[]>;
  /** Public trades of a symbol, newest first. */
  trades(q: TradeQuery): Promise<Page<PublicTrade>>;

  /** The account's balance per currency at engine time `at` (rows with time < at). */
  balancesAt(account: number, at: number): Promise<BalanceAt[]>;
  /** The account's positions at engine time `at` (rows with time < at). */
  positionsAt(account: number, at: number): Promise<PositionAt[]>;
  /**
   * Every cash row, execution and position row of `account` with from ≤ time < to, in seq order,
   * read in pages of `pageSize` so that a year of an active account is never held in memory.
   */
  streamCash(account: number, range: TimeRange, pageSize?: number): AsyncIterable<CashRow>;
  streamExecutions(account: number, range: TimeRange, pageSize?: number): AsyncIterable<ExecutionRow>;
  streamPositions(account: number, range: TimeRange, pageSize?: number): AsyncIterable<PositionRow>;
  /**
   * Every account's executions (cash rows) with fromSeq ≤ seq ≤ toSeq, in key order (seq, idx,
   * liquidity or n, then account), in keyset pages: reconciliation's side of the store (reconcile/).
   */
  streamExecutionsBySeq(fromSeq: number, toSeq: number, pageSize?: number): AsyncIterable<ExecutionRow>;
  streamCashBySeq(fromSeq: number, toSeq: number, pageSize?: number): AsyncIterable<CashRow>;
  /** Admin rows, in seq order (for audit and the rebuild comparison). */
  streamAdmin(range: TimeRange, pageSize?: number): AsyncIterable<AdminRow>;

  /** Transaction monitoring's alerts (docs/monitoring.md), newest first, with their acknowledgements. */
  alerts(q: AlertQuery): Promise<Page<AlertView>>;
  alert(key: AlertKey): Promise<AlertView | null>;
  /**
   * Records an operator's acknowledgement (wall-clock ms `at`): the one write the doors make, to a
   * table of its own that the writer never touches and a rebuild keeps. A second one changes nothing.
   */
  ack(key: AlertKey, by: string, note: string | null, at: number): Promise<AckOutcome>;
  /** Every account's monitoring state, as the last batch left it: what a resumed writer starts from. */
  monitorState(): Promise<MonitorStateRow[]>;

  counts(): Promise<TableCounts>;
  /**
   * Removes every row with engine time before `before` (and candles that start before it) and
   * records the prune itself, in one transaction. Progress is unchanged. The operator's command.
   */
  prune(before: number, operator: string): Promise<PruneRecord>;
  prunes(): Promise<PruneRecord[]>;
  /** Records a resolution; a break already resolved keeps its first one. Returns the one on record. */
  resolve(r: Resolution): Promise<Resolution>;
  /** Every recorded resolution (operator actions: few). */
  resolutions(): Promise<Resolution[]>;
  /**
   * Stores an alert of a rule the writer does not raise (RAISED_OUTSIDE_WRITER: the server's
   * reconciliation), once per key; true when this call stored it. Like ack(), the one write a
   * read-only store makes, on a connection of its own.
   */
  raiseAlert(a: AlertRow): Promise<boolean>;
  /** Removes every row and the progress, in one transaction: `bourse history rebuild` in place, on a stopped exchange. Prunes, resolutions and alerts raised outside the writer stay recorded. */
  reset(): Promise<void>;

  close(): Promise<void>;
}

/**
 * The tables reset() empties (prunes stay: a record of what was removed is not history to rebuild;
 * so do alert acknowledgements: the rebuilt alerts have the same keys, and find their acks again).
 */
export const ROW_TABLES = ["orders", "order_events", "executions", "cash", "positions", "admin", "candles", "alerts", "monitor_state"] as const;

/** A stream's page size: a whole number of at least 1 (0 would read the first page forever). */
export function checkPageSize(pageSize: number): number {
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a whole number of at least 1, not ${pageSize}`);
  return pageSize;
}

/** An order state filter as SQL-safe integers (a door may pass on a query parameter unchecked). */
export function stateList(state: "open" | "closed" | number | undefined, open: readonly number[], closed: readonly number[]): number[] | null {
  if (state === undefined) return null;
  const list = state === "open" ? open : state === "closed" ? closed : [state];
  for (const v of list) if (!Number.isSafeInteger(v)) throw new RangeError(`state must be "open", "closed" or an order state number, not ${String(state)}`);
  return [...list];
}

/** Page size bounds shared by both backends. */
export function pageLimit(limit: number | undefined, fallback = 100, max = 1000): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number from 1 to ${max}`);
  return Math.min(limit, max);
}

/**
 * Cursors are opaque to callers: base64url of "seq.idx.n" (the key of the last row returned), so a
 * page reads on by key and never skips or repeats a row when new ones arrive meanwhile.
 */
export function encodeCursor(...key: number[]): string {
  return Buffer.from(key.join(".")).toString("base64url");
}

export function decodeCursor(cursor: string | undefined, parts: number): number[] | null {
  if (cursor === undefined) return null;
  const key = Buffer.from(cursor, "base64url").toString().split(".").map(Number);
  if (key.length !== parts || !key.every(Number.isSafeInteger)) throw new RangeError("cursor is not one this store gave");
  return key;
}
