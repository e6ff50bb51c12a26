/**
 * bench/history.ts's PostgreSQL pieces: throwaway databases on the local server (created with a
 * random name, dropped afterwards), and the bare baseline's COPY … FROM STDIN of a batch's rows.
 */
import { SQL } from "bun";
import { PostgresHistoryStore } from "../history/postgres-store.ts";
import { type ExecutionRow, RowBatch } from "../history/rows.ts";
import { copyText, ROW_TABLE, type RowTable, type RowTableName } from "../history/row-tables.ts";

const columnList = (t: RowTable<never>) => t.columns.map(([c]) => c).join(", ");

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

export async function copyBatch(sql: SQL, b: RowBatch): Promise<void> {
  await sql.begin(async (tx) => {
    for (const name of Object.keys(ROW_TABLE) as RowTableName[]) {
      const t = ROW_TABLE[name] as RowTable<unknown>;
      const rows = b[name] as readonly unknown[];
      if (rows.length > 0) await copyInto(tx, `${t.table} (${columnList(t)})`, copyText(t, rows));
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
  const t = ROW_TABLE.executions;
  const columns = columnList(t);
  await sql.begin(async (tx) => {
    await tx.unsafe("CREATE TEMP TABLE IF NOT EXISTS executions_in (LIKE executions) ON COMMIT DELETE ROWS");
    await copyInto(tx, `executions_in (${columns})`, copyText(t, b.executions));
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
