/**
 * Each history table's columns, in the order both stores write them, and a row's values in that
 * order: the SQLite store binds them to its INSERT, the PostgreSQL store writes them as COPY text,
 * bench/history.ts's bare insert binds the same. Money goes in as its exact decimal text. The types
 * are PostgreSQL's (history/postgres-schema.ts; SQLite's are history/sqlite-schema.ts).
 */
import type { AlertRow, MonitorStateRow } from "./monitoring/alerts.ts";
import type { AdminRow, CandleRow, CashRow, ExecutionRow, OrderEventRow, OrderRow, PositionRow } from "./rows.ts";

export type RowValue = string | number | null;

export interface RowTable<T> {
  table: string;
  /** [name, PostgreSQL type] in write order. */
  columns: readonly (readonly [string, string])[];
  values: (r: T) => RowValue[];
}

const spec = <T>(table: string, columns: string, values: (r: T) => RowValue[]): RowTable<T> => ({
  table,
  columns: columns.split(/\s+/).filter(Boolean).map((c) => c.split(":") as [string, string]),
  values,
});

/** Keyed as RowBatch's arrays are. */
export const ROW_TABLE = {
  orders: spec<OrderRow>(
    "orders",
    "order_id:int8 seq:int8 time:int8 account:int8 symbol:int8 side:int4 order_type:int4 tif:int4 price:int8 stop_price:int8 qty:int8 stp:int4 flags:int4 expire_time:int8 client_order_id:text actor:int4 session:int8",
    (r) => [r.orderId, r.seq, r.time, r.account, r.symbol, r.side, r.orderType, r.tif, r.price, r.stopPrice, r.qty, r.stp, r.flags, r.expireTime, r.clientOrderId, r.actor, r.session],
  ),
  orderEvents: spec<OrderEventRow>(
    "order_events",
    "seq:int8 idx:int4 time:int8 order_id:int8 account:int8 symbol:int8 kind:int4 from_state:int4 to_state:int4 reason:int4 price:int8 qty:int8 filled:int8 leaves:int8 actor:int4 session:int8 command_type:int4",
    (r) => [r.seq, r.idx, r.time, r.orderId, r.account, r.symbol, r.kind, r.fromState, r.toState, r.reason, r.price, r.qty, r.filled, r.leaves, r.actor, r.session, r.commandType],
  ),
  executions: spec<ExecutionRow>(
    "executions",
    "seq:int8 idx:int4 liquidity:int4 trade_id:int8 time:int8 symbol:int8 order_id:int8 account:int8 side:int4 price:int8 qty:int8 leaves:int8 counter_order_id:int8 counter_account:int8 notional:numeric fee:numeric fee_bps:int4 currency:int4",
    (r) => [r.seq, r.idx, r.liquidity, r.tradeId, r.time, r.symbol, r.orderId, r.account, r.side, r.price, r.qty, r.leaves, r.counterOrderId, r.counterAccount, r.notional.toString(), r.fee.toString(), r.feeBps, r.currency],
  ),
  cash: spec<CashRow>(
    "cash",
    "seq:int8 idx:int4 n:int4 time:int8 account:int8 currency:int4 kind:int4 amount:numeric balance:numeric trade_id:int8 ref:text",
    (r) => [r.seq, r.idx, r.n, r.time, r.account, r.currency, r.kind, r.amount.toString(), r.balance.toString(), r.tradeId, r.ref],
  ),
  positions: spec<PositionRow>(
    "positions",
    "seq:int8 time:int8 account:int8 symbol:int8 kind:int4 delta:int8 qty:int8 cost:numeric realized:numeric",
    (r) => [r.seq, r.time, r.account, r.symbol, r.kind, r.delta, r.qty, r.cost.toString(), r.realized.toString()],
  ),
  admin: spec<AdminRow>(
    "admin",
    "seq:int8 idx:int4 time:int8 command_type:int4 account:int8 symbol:int8 actor:int4 session:int8 detail:text",
    (r) => [r.seq, r.idx, r.time, r.commandType, r.account, r.symbol, r.actor, r.session, r.detail],
  ),
  candles: spec<CandleRow>(
    "candles",
    `symbol:int8 "interval":int8 start:int8 open:int8 high:int8 low:int8 close:int8 volume:int8 trades:int8 seq:int8`,
    (r) => [r.symbol, r.interval, r.start, r.open, r.high, r.low, r.close, r.volume, r.trades, r.seq],
  ),
  alerts: spec<AlertRow>(
    "alerts",
    "seq:int8 rule:int4 account:int8 time:int8 severity:int4 text:text detail:text",
    (r) => [r.seq, r.rule, r.account, r.time, r.severity, r.text, r.detail],
  ),
} as const;

/** Monitoring's per-account rule state: replaced, not kept, when a batch writes it again. */
export const MONITOR_STATE_TABLE = spec<MonitorStateRow>("monitor_state", "account:int8 state:text", (r) => [r.account, r.state]);

export type RowTableName = keyof typeof ROW_TABLE;

/** `INSERT INTO t (cols) VALUES (?, …)`, with `tail` after it (the stores' ON CONFLICT DO NOTHING). */
export function insertSql(t: RowTable<never>, tail = ""): string {
  return `INSERT INTO ${t.table} (${t.columns.map(([c]) => c).join(", ")}) VALUES (${t.columns.map(() => "?").join(",")})${tail}`;
}

/** Rows [from, to) of `rows` in COPY's text format: tab-separated, \\N for null, a newline after each row; backslash, tab and line breaks escaped in text. */
export function copyText<T>(t: RowTable<T>, rows: readonly T[], from = 0, to = rows.length): string {
  let text = "";
  for (let i = from; i < to; i++) {
    const values = t.values(rows[i]!);
    for (let c = 0; c < values.length; c++) {
      const v = values[c];
      if (c > 0) text += "\t";
      if (v === null) text += "\\N";
      else if (typeof v === "number") text += String(v);
      else text += /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (ch) => COPY_ESCAPES[ch]!) : v;
    }
    text += "\n";
  }
  return text;
}

const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };
