/**
 * The embedded history store: one SQLite file in WAL mode (bun:sqlite), `history.db` in the data
 * directory by default, so `npm start` needs no server. WAL lets readers (the doors, `bourse
 * statement`) read while the writer writes, each at its own consistent point. Writes are
 * synchronous inside one transaction; the async interface is the one PostgreSQL needs.
 */
import { Database, type Statement } from "bun:sqlite";
import { HistoryStoreMismatch } from "./history-errors.ts";
import { SQLITE_MIGRATIONS } from "./sqlite-schema.ts";
import {
  type BalanceAt,
  type CandleQuery,
  type CashQuery,
  decodeCursor,
  encodeCursor,
  type ExecutionQuery,
  type HistoryStore,
  type OrderQuery,
  type OrderRecord,
  type OrderView,
  type Page,
  pageLimit,
  type PositionAt,
  type Progress,
  type PruneRecord,
  type Resolution,
  type PublicTrade,
  type TableCounts,
  type TimeRange,
  type TradeQuery,
  checkPageSize,
  ROW_TABLES,
  stateList,
} from "./store.ts";
import { candle, cashRow, execution, n, orderEvent, orderView, page, resolutionRow, type Row } from "./row-mappers.ts";
import type { AdminRow, CandleRow, CashRow, ExecutionRow, PositionRow, RowBatch } from "./rows.ts";
import { insertSql, ROW_TABLE, type RowTable, type RowTableName } from "./row-tables.ts";
import { type StreamQuery, streamQueries } from "./stream-queries.ts";
import { Liquidity } from "./rows.ts";
import { OPEN_STATES, CLOSED_STATES } from "./order-states.ts";
import { ACK_INSERT, ALERT_BY_KEY, ALERT_RAISE, alertListQuery, alertPage, alertView, STATE_UPSERT } from "./monitoring/alert-queries.ts";
import { type AckOutcome, type AlertKey, type AlertQuery, type AlertRow, type AlertView, type MonitorStateRow, RAISED_OUTSIDE_WRITER } from "./monitoring/alerts.ts";

type Param = string | number | bigint | null;

const FAR = Number.MAX_SAFE_INTEGER;

export interface SqliteStoreOptions {
  /** Open read-only: the doors' and the statement's readers; the writer alone writes. */
  readonly?: boolean;
}

export class SqliteHistoryStore implements HistoryStore {
  readonly backend = "sqlite" as const;
  readonly db: Database;
  private readonly inserts = new Map<RowTableName, Statement>();
  private progressStmt: Statement | null = null;
  private stateStmt: Statement | null = null;
  /** A reader's own writable connection, opened on its first acknowledgement. */
  private ackDb: Database | null = null;

  private readonly readonly: boolean;

  constructor(
    readonly file: string,
    opts: SqliteStoreOptions = {},
  ) {
    this.readonly = opts.readonly === true;
    this.db = opts.readonly ? new Database(file, { readonly: true }) : new Database(file, { create: true });
    // A reader waits out a writer's checkpoint instead of failing with SQLITE_BUSY.
    this.db.exec("PRAGMA busy_timeout = 5000");
    if (!opts.readonly) {
      this.db.exec("PRAGMA journal_mode = WAL");
      // In WAL, NORMAL syncs at checkpoints, not every commit: a power cut can lose the last
      // transactions, which the writer then writes again from the journal (progress is in them too).
      this.db.exec("PRAGMA synchronous = NORMAL");
      migrate(this.db);
    }
    // The writer's statements, one per table (history/row-tables.ts), and the progress guard.
    if (!opts.readonly) {
      for (const name of Object.keys(ROW_TABLE) as RowTableName[]) this.inserts.set(name, this.db.prepare(insertSql(ROW_TABLE[name] as RowTable<never>, " ON CONFLICT DO NOTHING")));
      this.progressStmt = this.db.prepare("UPDATE progress SET seq = ?1, time = ?2 WHERE id = 1 AND seq < ?1");
      this.stateStmt = this.db.prepare(STATE_UPSERT);
    }
  }

  async progress(): Promise<Progress> {
    const r = this.db.query("SELECT seq, time FROM progress WHERE id = 1").get() as { seq: number; time: number } | null;
    return r ? { seq: r.seq, time: r.time } : { seq: 0, time: 0 };
  }

  async write(b: RowBatch): Promise<void> {
    this.db.transaction(() => {
      for (const [name, stmt] of this.inserts) {
        const t = ROW_TABLE[name] as RowTable<unknown>;
        for (const r of b[name] as readonly unknown[]) stmt.run(...t.values(r));
      }
      for (const r of b.monitorState) this.stateStmt!.run(r.account, r.state);
      if (b.toSeq > 0) this.progressStmt!.run(b.toSeq, b.toTime);
    })();
  }

  async orders(q: OrderQuery): Promise<Page<OrderView>> {
    const limit = pageLimit(q.limit);
    const after = decodeCursor(q.cursor, 1);
    const where = ["o.account = ?", "o.order_id < ?", "o.time >= ?", "o.time < ?"];
    const params: Param[] = [q.account, after ? after[0]! : FAR, q.from ?? 0, q.to ?? FAR];
    if (q.symbol !== undefined) {
      where.push("o.symbol = ?");
      params.push(q.symbol);
    }
    const states = stateList(q.state, OPEN_STATES, CLOSED_STATES);
    if (states) where.push(`e.to_state IN (${states.join(",")})`);
    const rows = this.db.query(`${ORDER_VIEW} WHERE ${where.join(" AND ")} ORDER BY o.order_id DESC LIMIT ${limit + 1}`).all(...params) as Row[];
    return page(rows.map(orderView), limit, (o) => encodeCursor(o.orderId));
  }

  async order(orderId: number): Promise<OrderRecord | null> {
    const r = this.db.query(`${ORDER_VIEW} WHERE o.order_id = ?`).get(orderId) as Row | null;
    return r ? this.record(orderView(r)) : null;
  }

  async orderByClientId(account: number, clientOrderId: string): Promise<OrderRecord | null> {
    const r = this.db.query(`${ORDER_VIEW} WHERE o.account = ? AND o.client_order_id = ? ORDER BY o.order_id DESC LIMIT 1`).get(account, clientOrderId) as Row | null;
    return r ? this.record(orderView(r)) : null;
  }

  private record(order: OrderView): OrderRecord {
    const trail = (this.db.query("SELECT * FROM order_events WHERE order_id = ? ORDER BY seq, idx").all(order.orderId) as Row[]).map(orderEvent);
    const executions = (this.db.query("SELECT * FROM executions WHERE order_id = ? ORDER BY seq, idx").all(order.orderId) as Row[]).map(execution);
    return { order, trail, executions };
  }

  async executions(q: ExecutionQuery): Promise<Page<ExecutionRow>> {
    const limit = pageLimit(q.limit);
    const after = decodeCursor(q.cursor, 3);
    const where = ["(seq, idx, liquidity) < (?, ?, ?)", "time >= ?", "time < ?"];
    const params: Param[] = [...(after ?? [FAR, 0, 0]), q.from ?? 0, q.to ?? FAR];
    for (const [col, v] of [["account", q.account], ["symbol", q.symbol], ["order_id", q.orderId]] as const) {
      if (v === undefined) continue;
      where.push(`${col} = ?`);
      params.push(v);
    }
    const rows = this.db.query(`SELECT * FROM executions WHERE ${where.join(" AND ")} ORDER BY seq DESC, idx DESC, liquidity DESC LIMIT ${limit + 1}`).all(...params) as Row[];
    return page(rows.map(execution), limit, (e) => encodeCursor(e.seq, e.idx, e.liquidity));
  }

  async cash(q: CashQuery): Promise<Page<CashRow>> {
    const limit = pageLimit(q.limit);
    const after = decodeCursor(q.cursor, 3);
    const where = ["account = ?", "(seq, idx, n) < (?, ?, ?)", "time >= ?", "time < ?"];
    const params: Param[] = [q.account, ...(after ?? [FAR, 0, 0]), q.from ?? 0, q.to ?? FAR];
    if (q.currency !== undefined) {
      where.push("currency = ?");
      params.push(q.currency);
    }
    const rows = this.db.query(`SELECT * FROM cash WHERE ${where.join(" AND ")} ORDER BY seq DESC, idx DESC, n DESC LIMIT ${limit + 1}`).all(...params) as Row[];
    return page(rows.map(cashRow), limit, (c) => encodeCursor(c.seq, c.idx, c.n));
  }

  async candles(q: CandleQuery): Promise<CandleRow[]> {
    const limit = pageLimit(q.limit, 1000, 10000);
    const rows = this.db
      .query("SELECT * FROM candles WHERE symbol = ? AND interval = ? AND start >= ? AND start < ? ORDER BY start DESC LIMIT ?")
      .all(q.symbol, q.interval, q.from ?? 0, q.to ?? FAR, limit) as Row[];
    return rows.map(candle).reverse();
  }

  async trades(q: TradeQuery): Promise<Page<PublicTrade>> {
    const limit = pageLimit(q.limit);
    const after = decodeCursor(q.cursor, 2);
    const rows = this.db
      .query(`SELECT seq, idx, trade_id, time, symbol, price, qty, side FROM executions WHERE symbol = ? AND liquidity = ${Liquidity.TAKER} AND (seq, idx) < (?, ?) AND time >= ? AND time < ? ORDER BY seq DESC, idx DESC LIMIT ${limit + 1}`)
      .all(q.symbol, ...(after ?? [FAR, 0]), q.from ?? 0, q.to ?? FAR) as Row[];
    const trades = rows.map((r) => ({ seq: n(r.seq), idx: n(r.idx), tradeId: n(r.trade_id), time: n(r.time), symbol: n(r.symbol), price: n(r.price), qty: n(r.qty), takerSide: n(r.side) }));
    const p = page(trades, limit, (t) => encodeCursor(t.seq, t.idx));
    return { rows: p.rows.map(({ idx: _, ...t }) => t), next: p.next };
  }

  async balancesAt(account: number, at: number): Promise<BalanceAt[]> {
    const rows = this.db
      .query("SELECT currency, balance FROM cash c WHERE account = ?1 AND (seq, idx, n) = (SELECT seq, idx, n FROM cash WHERE account = ?1 AND currency = c.currency AND time < ?2 ORDER BY seq DESC, idx DESC, n DESC LIMIT 1) ORDER BY currency")
      .all(account, at) as Row[];
    return rows.map((r) => ({ currency: n(r.currency), balance: BigInt(r.balance as string) }));
  }

  async positionsAt(account: number, at: number): Promise<PositionAt[]> {
    const rows = this.db
      .query("SELECT symbol, qty, cost, realized FROM positions p WHERE account = ?1 AND seq = (SELECT seq FROM positions WHERE account = ?1 AND symbol = p.symbol AND time < ?2 ORDER BY seq DESC LIMIT 1) ORDER BY symbol")
      .all(account, at) as Row[];
    return rows.map((r) => ({ symbol: n(r.symbol), qty: n(r.qty), cost: BigInt(r.cost as string), realized: BigInt(r.realized as string) }));
  }

  streamCash(account: number, range: TimeRange, pageSize = 1000): AsyncIterable<CashRow> {
    return this.stream(streamQueries.cash(account, range), pageSize);
  }

  streamExecutions(account: number, range: TimeRange, pageSize = 1000): AsyncIterable<ExecutionRow> {
    return this.stream(streamQueries.executions(account, range), pageSize);
  }

  streamPositions(account: number, range: TimeRange, pageSize = 1000): AsyncIterable<PositionRow> {
    return this.stream(streamQueries.positions(account, range), pageSize);
  }

  streamExecutionsBySeq(fromSeq: number, toSeq: number, pageSize = 1000): AsyncIterable<ExecutionRow> {
    return this.stream(streamQueries.executionsBySeq(fromSeq, toSeq), pageSize);
  }

  streamCashBySeq(fromSeq: number, toSeq: number, pageSize = 1000): AsyncIterable<CashRow> {
    return this.stream(streamQueries.cashBySeq(fromSeq, toSeq), pageSize);
  }

  streamAdmin(range: TimeRange, pageSize = 1000): AsyncIterable<AdminRow> {
    return this.stream(streamQueries.admin(range), pageSize);
  }

  /** Keyset pages: each query starts after the last key of the one before, so memory holds one page. */
  private async *stream<T>(q: StreamQuery<T>, pageSize: number): AsyncIterable<T> {
    checkPageSize(pageSize);
    const stmt = this.db.prepare(q.sql);
    let last = q.start ?? [0, -1, -1];
    for (;;) {
      const rows = stmt.all(...q.params, ...last, pageSize) as Row[];
      for (const r of rows) yield q.map(r);
      if (rows.length < pageSize) return;
      last = q.key(rows[rows.length - 1]!);
    }
  }

  async alerts(q: AlertQuery): Promise<Page<AlertView>> {
    const { sql, params, limit } = alertListQuery(q);
    return alertPage(this.db.query(sql).all(...params) as Row[], limit);
  }

  async alert(k: AlertKey): Promise<AlertView | null> {
    const r = this.db.query(ALERT_BY_KEY).get(k.seq, k.rule, k.account) as Row | null;
    return r ? alertView(r) : null;
  }

  /** The connection the doors' writes go through: this one, or for a read-only store one of their own. */
  private writable(): Database {
    if (!this.readonly) return this.db;
    if (!this.ackDb) {
      this.ackDb = new Database(this.file);
      this.ackDb.exec("PRAGMA busy_timeout = 5000");
    }
    return this.ackDb;
  }

  async raiseAlert(a: AlertRow): Promise<boolean> {
    return this.writable().prepare(ALERT_RAISE).run(a.seq, a.rule, a.account, a.time, a.severity, a.text, a.detail).changes === 1;
  }

  async ack(k: AlertKey, by: string, note: string | null, at: number): Promise<AckOutcome> {
    const db = this.writable();
    const changed = db.prepare(ACK_INSERT).run(by, at, note, k.seq, k.rule, k.account).changes;
    const alert = await this.alert(k);
    return alert ? { acked: changed === 1, alert } : null;
  }

  async monitorState(): Promise<MonitorStateRow[]> {
    return (this.db.query("SELECT account, state FROM monitor_state").all() as Row[]).map((r) => ({ account: n(r.account), state: r.state as string }));
  }

  async counts(): Promise<TableCounts> {
    const c = (t: string) => n((this.db.query(`SELECT count(*) AS n FROM ${t}`).get() as Row).n);
    return { orders: c("orders"), orderEvents: c("order_events"), executions: c("executions"), cash: c("cash"), positions: c("positions"), admin: c("admin"), candles: c("candles") };
  }

  async prune(before: number, operator: string): Promise<PruneRecord> {
    const at = Date.now();
    const removed = this.db.transaction(() => {
      const del = (sql: string) => this.db.prepare(sql).run(before).changes;
      // An order goes with its trail only once the whole trail is past the line: an order still open keeps everything.
      const removed: TableCounts = {
        orderEvents: del("DELETE FROM order_events WHERE order_id IN (SELECT order_id FROM orders o WHERE (SELECT max(time) FROM order_events WHERE order_id = o.order_id) < ?1 AND o.time < ?1)"),
        orders: del("DELETE FROM orders WHERE time < ?1 AND order_id NOT IN (SELECT order_id FROM order_events)"),
        executions: del("DELETE FROM executions WHERE time < ?"),
        cash: del("DELETE FROM cash WHERE time < ?"),
        positions: del("DELETE FROM positions WHERE time < ?"),
        admin: del("DELETE FROM admin WHERE time < ?"),
        candles: del("DELETE FROM candles WHERE start < ?"),
      };
      this.db.prepare("INSERT INTO prunes (at, before, operator, removed) VALUES (?, ?, ?, ?)").run(at, before, operator, JSON.stringify(removed));
      return removed;
    })();
    return { at, before, operator, removed };
  }

  async prunes(): Promise<PruneRecord[]> {
    const rows = this.db.query("SELECT * FROM prunes ORDER BY id").all() as Row[];
    return rows.map((r) => ({ at: n(r.at), before: n(r.before), operator: r.operator as string, removed: JSON.parse(r.removed as string) as TableCounts }));
  }

  async resolve(r: Resolution): Promise<Resolution> {
    this.db.prepare("INSERT INTO resolutions (break_id, action, reason, command_seq, operator, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING").run(r.breakId, r.action, r.reason, r.commandSeq, r.operator, r.at);
    return resolutionRow(this.db.query("SELECT * FROM resolutions WHERE break_id = ?").get(r.breakId) as Row);
  }

  async resolutions(): Promise<Resolution[]> {
    return (this.db.query("SELECT * FROM resolutions ORDER BY at, break_id").all() as Row[]).map(resolutionRow);
  }

  async reset(): Promise<void> {
    this.db.transaction(() => {
      for (const t of ROW_TABLES) this.db.exec(t === "alerts" ? `DELETE FROM alerts WHERE rule NOT IN (${RAISED_OUTSIDE_WRITER.join(", ")})` : `DELETE FROM ${t}`);
      this.db.exec("UPDATE progress SET seq = 0, time = 0 WHERE id = 1");
    })();
  }

  async close(): Promise<void> {
    // The writer leaves one whole file behind (the WAL folded in): what an operator copies or backs up.
    if (!this.readonly) {
      try {
        this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      } catch {
        // A reader in the middle of a read keeps the WAL; the next open folds it in.
      }
    }
    this.ackDb?.close();
    this.db.close();
  }
}

/** Runs the migrations not yet applied (SQLite's user_version counts them), each in its own transaction. */
function migrate(db: Database): void {
  const version = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (version > SQLITE_MIGRATIONS.length) throw new HistoryStoreMismatch(`the history store is at schema version ${version}, newer than this Bourse knows (${SQLITE_MIGRATIONS.length}): upgrade Bourse, or rebuild the store`);
  for (let v = version; v < SQLITE_MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(SQLITE_MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    })();
  }
}

/**
 * An order joined with its last event (its state, filled and leaves now). An order always has one:
 * the writer puts the order and its first transition in the same batch.
 */
const ORDER_VIEW = `SELECT o.*, e.to_state AS state, e.filled AS filled, e.leaves AS leaves, e.time AS updated
  FROM orders o JOIN order_events e ON e.order_id = o.order_id
  AND (e.seq, e.idx) = (SELECT seq, idx FROM order_events WHERE order_id = o.order_id ORDER BY seq DESC, idx DESC LIMIT 1)`;


