/**
 * bench/history.ts's PostgreSQL pieces: throwaway databases on the local server (created with a
 * random name, dropped afterwards), and the bare baseline's COPY … FROM STDIN of a batch's rows.
 */
import { SQL } from "bun";
import { PostgresHistoryStore } from "../history/postgres-store.ts";
import { type ExecutionRow, RowBatch } from "../history/rows.ts";

/** A database of its own for one part of the run; `drop()` removes it (also when a client is still connected). */
export class ThrowawayDb {
  private constructor(
    private readonly admin: SQL,
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(adminUrl: string, tag: string): Promise<ThrowawayDb> {
    const admin = new SQL(adminUrl, { max: 1 });
    const name = `bourse_bench_${tag}_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    return new ThrowawayDb(admin, name, u.toString());
  }

  async drop(): Promise<void> {
    try {
      await this.admin.unsafe(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
    } finally {
      await this.admin.close();
    }
  }
}

/** Does the server answer? (The bench skips PostgreSQL with a warning when it does not.) */
export async function reachable(adminUrl: string): Promise<string | null> {
  const sql = new SQL(adminUrl, { max: 1, connectionTimeout: 3 });
  try {
    const [r] = await sql`SELECT current_setting('server_version') AS v`;
    return String((r as { v: string }).v);
  } catch {
    return null;
  } finally {
    await sql.close({ timeout: 0 });
  }
}

// COPY's text format: a tab between columns, a newline after each row; backslash, tab, newline and
// carriage return inside a text value are escaped. Money goes in as its exact integer text.
const esc = (s: string) => (/[\\\t\n\r]/.test(s) ? s.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r") : s);

type Table = [name: string, columns: string, text: (b: RowBatch) => string];

const TABLES: Table[] = [
  ["orders", "order_id, seq, time, account, symbol, side, order_type, tif, price, stop_price, qty, stp, flags, expire_time, client_order_id, actor, session", (b) => {
    let t = "";
    for (const r of b.orders) t += `${r.orderId}\t${r.seq}\t${r.time}\t${r.account}\t${r.symbol}\t${r.side}\t${r.orderType}\t${r.tif}\t${r.price}\t${r.stopPrice}\t${r.qty}\t${r.stp}\t${r.flags}\t${r.expireTime}\t${esc(r.clientOrderId)}\t${r.actor}\t${r.session}\n`;
    return t;
  }],
  ["order_events", "seq, idx, time, order_id, account, symbol, kind, from_state, to_state, reason, price, qty, filled, leaves, actor, session, command_type", (b) => {
    let t = "";
    for (const r of b.orderEvents) t += `${r.seq}\t${r.idx}\t${r.time}\t${r.orderId}\t${r.account}\t${r.symbol}\t${r.kind}\t${r.fromState}\t${r.toState}\t${r.reason}\t${r.price}\t${r.qty}\t${r.filled}\t${r.leaves}\t${r.actor}\t${r.session}\t${r.commandType}\n`;
    return t;
  }],
  ["executions", "seq, idx, liquidity, trade_id, time, symbol, order_id, account, side, price, qty, leaves, counter_order_id, counter_account, notional, fee, fee_bps, currency", (b) => {
    let t = "";
    for (const r of b.executions) t += `${r.seq}\t${r.idx}\t${r.liquidity}\t${r.tradeId}\t${r.time}\t${r.symbol}\t${r.orderId}\t${r.account}\t${r.side}\t${r.price}\t${r.qty}\t${r.leaves}\t${r.counterOrderId}\t${r.counterAccount}\t${r.notional}\t${r.fee}\t${r.feeBps}\t${r.currency}\n`;
    return t;
  }],
  ["cash", "seq, idx, n, time, account, currency, kind, amount, balance, trade_id, ref", (b) => {
    let t = "";
    for (const r of b.cash) t += `${r.seq}\t${r.idx}\t${r.n}\t${r.time}\t${r.account}\t${r.currency}\t${r.kind}\t${r.amount}\t${r.balance}\t${r.tradeId}\t${esc(r.ref)}\n`;
    return t;
  }],
  ["positions", "seq, time, account, symbol, kind, delta, qty, cost, realized", (b) => {
    let t = "";
    for (const r of b.positions) t += `${r.seq}\t${r.time}\t${r.account}\t${r.symbol}\t${r.kind}\t${r.delta}\t${r.qty}\t${r.cost}\t${r.realized}\n`;
    return t;
  }],
  ["admin", "seq, idx, time, command_type, account, symbol, actor, session, detail", (b) => {
    let t = "";
    for (const r of b.admin) t += `${r.seq}\t${r.idx}\t${r.time}\t${r.commandType}\t${r.account}\t${r.symbol}\t${r.actor}\t${r.session}\t${esc(r.detail)}\n`;
    return t;
  }],
  ["candles", `symbol, "interval", start, open, high, low, close, volume, trades, seq`, (b) => {
    let t = "";
    for (const r of b.candles) t += `${r.symbol}\t${r.interval}\t${r.start}\t${r.open}\t${r.high}\t${r.low}\t${r.close}\t${r.volume}\t${r.trades}\t${r.seq}\n`;
    return t;
  }],
];

/** One batch in one transaction, one COPY per table that has rows (no ON CONFLICT, no progress row: the bare method). */
export async function copyBatch(sql: SQL, b: RowBatch): Promise<void> {
  await sql.begin(async (tx) => {
    for (const [name, columns, text] of TABLES) {
      const body = text(b);
      if (body.length === 0) continue;
      await copyInto(tx, `${name} (${columns})`, body);
    }
  });
}

async function copyInto(tx: SQL, target: string, body: string): Promise<void> {
  const w = tx.unsafe(`COPY ${target} FROM STDIN`).writable().getWriter();
  await w.write(body);
  await w.close();
}

/**
 * COPY that keeps the store's "a row already there is left as it is": the batch's executions
 * COPYed into a temporary table (emptied at each commit), then moved with INSERT … SELECT … ON
 * CONFLICT DO NOTHING: what history/postgres-store.ts does, here by hand on one table.
 */
async function copyViaTemp(sql: SQL, b: RowBatch): Promise<void> {
  const [, columns, text] = TABLES.find(([name]) => name === "executions")!;
  await sql.begin(async (tx) => {
    await tx.unsafe("CREATE TEMP TABLE IF NOT EXISTS executions_in (LIKE executions) ON COMMIT DELETE ROWS");
    await copyInto(tx, `executions_in (${columns})`, text(b));
    await tx.unsafe(`INSERT INTO executions (${columns}) SELECT ${columns} FROM executions_in ON CONFLICT DO NOTHING`);
  });
}

/**
 * Insert methods on the writer's own execution rows (18 columns): the store's write (COPY into a
 * staging table, then INSERT … ON CONFLICT DO NOTHING), plain COPY, COPY through a staging table
 * by hand, and
 * Bun.sql's `sql(rows)` VALUES helper (chunked under the 65,535-parameter limit), each into a fresh
 * schema of the same database, one transaction per `batchRows` rows.
 */
export interface ExecutionsFigure {
  rows: number;
  store: number;
  copy: number;
  copyTemp: number;
  values: number;
}

export async function executionsOnly(url: string, rows: ExecutionRow[], batchRows: number): Promise<ExecutionsFigure> {
  const chunks: RowBatch[] = [];
  for (let at = 0; at < rows.length; at += batchRows) {
    const b = new RowBatch();
    b.executions = rows.slice(at, at + batchRows);
    chunks.push(b);
  }
  const timed = async (schema: string, write: (store: PostgresHistoryStore, b: RowBatch) => Promise<void>) => {
    const store = await PostgresHistoryStore.open(url, { schema });
    try {
      Bun.gc(true);
      const t0 = Bun.nanoseconds();
      for (const b of chunks) await write(store, b);
      const ns = Bun.nanoseconds() - t0;
      const [c] = await store.sql.unsafe("SELECT count(*)::int8 AS n FROM executions");
      if (Number((c as { n: string }).n) !== rows.length) throw new Error(`${schema}: ${(c as { n: string }).n} rows stored of ${rows.length}`);
      return (rows.length * 1e9) / ns;
    } finally {
      await store.close();
    }
  };
  const perStatement = Math.floor(65_535 / 18);
  const valuesInsert = async (store: PostgresHistoryStore, b: RowBatch) => {
    await store.sql.begin(async (tx) => {
      for (let at = 0; at < b.executions.length; at += perStatement) {
        const objs = b.executions.slice(at, at + perStatement).map((r) => ({
          seq: r.seq, idx: r.idx, liquidity: r.liquidity, trade_id: r.tradeId, time: r.time, symbol: r.symbol, order_id: r.orderId, account: r.account, side: r.side, price: r.price, qty: r.qty, leaves: r.leaves,
          counter_order_id: r.counterOrderId, counter_account: r.counterAccount, notional: r.notional.toString(), fee: r.fee.toString(), fee_bps: r.feeBps, currency: r.currency,
        }));
        await tx`INSERT INTO executions ${tx(objs)}`;
      }
    });
  };
  return {
    rows: rows.length,
    store: await timed("exec_store", (s, b) => s.write(b)),
    copy: await timed("exec_copy", (s, b) => copyBatch(s.sql, b)),
    copyTemp: await timed("exec_copy_temp", (s, b) => copyViaTemp(s.sql, b)),
    values: await timed("exec_values", valuesInsert),
  };
}
