import { admin, cashRow, execution, n, position, type Row } from "./row-mappers.ts";
import type { AdminRow, CashRow, ExecutionRow, PositionRow } from "./rows.ts";
import type { TimeRange } from "./store.ts";

const FAR = Number.MAX_SAFE_INTEGER;

/**
 * One keyset stream a statement reads (HistoryStore.streamCash and kin), described once for both
 * stores: the SQL with `?` placeholders (the PostgreSQL store numbers them: `numbered`), the
 * parameters before the key, the key of a row (three parts: the last page's key is appended,
 * then the page size), and the row's mapper.
 */
export interface StreamQuery<T> {
  sql: string;
  params: (string | number)[];
  key: (r: Row) => number[];
  map: (r: Row) => T;
  /** The key the first page starts after (default [0, -1, -1]); its length is the key's. */
  start?: number[];
}

export const streamQueries = {
  cash: (account: number, range: TimeRange): StreamQuery<CashRow> => ({
    sql: "SELECT * FROM cash WHERE account = ? AND time >= ? AND time < ? AND (seq, idx, n) > (?, ?, ?) ORDER BY seq, idx, n LIMIT ?",
    params: [account, range.from ?? 0, range.to ?? FAR],
    key: (r) => [n(r.seq), n(r.idx), n(r.n)],
    map: cashRow,
  }),
  executions: (account: number, range: TimeRange): StreamQuery<ExecutionRow> => ({
    sql: "SELECT * FROM executions WHERE account = ? AND time >= ? AND time < ? AND (seq, idx, liquidity) > (?, ?, ?) ORDER BY seq, idx, liquidity LIMIT ?",
    params: [account, range.from ?? 0, range.to ?? FAR],
    key: (r) => [n(r.seq), n(r.idx), n(r.liquidity)],
    map: execution,
  }),
  positions: (account: number, range: TimeRange): StreamQuery<PositionRow> => ({
    sql: "SELECT * FROM positions WHERE account = ? AND time >= ? AND time < ? AND (seq, symbol, 0) > (?, ?, ?) ORDER BY seq, symbol LIMIT ?",
    params: [account, range.from ?? 0, range.to ?? FAR],
    key: (r) => [n(r.seq), n(r.symbol), 0],
    map: position,
  }),
  /**
   * Every account's executions and cash rows of a seq range, in journal order: what reconciliation
   * (reconcile/) merges with the rows it derives from the journal. The account ends the key, so a
   * row stored twice under two accounts is read twice, not skipped at a page boundary.
   */
  executionsBySeq: (fromSeq: number, toSeq: number): StreamQuery<ExecutionRow> => ({
    sql: "SELECT * FROM executions WHERE seq <= ? AND (seq, idx, liquidity, account) > (?, ?, ?, ?) ORDER BY seq, idx, liquidity, account LIMIT ?",
    params: [toSeq],
    key: (r) => [n(r.seq), n(r.idx), n(r.liquidity), n(r.account)],
    map: execution,
    start: [fromSeq, -1, -1, -1],
  }),
  cashBySeq: (fromSeq: number, toSeq: number): StreamQuery<CashRow> => ({
    sql: "SELECT * FROM cash WHERE seq <= ? AND (seq, idx, n, account) > (?, ?, ?, ?) ORDER BY seq, idx, n, account LIMIT ?",
    params: [toSeq],
    key: (r) => [n(r.seq), n(r.idx), n(r.n), n(r.account)],
    map: cashRow,
    start: [fromSeq, -1, -1, -1],
  }),
  admin: (range: TimeRange): StreamQuery<AdminRow> => ({
    sql: "SELECT * FROM admin WHERE time >= ? AND time < ? AND (seq, idx, 0) > (?, ?, ?) ORDER BY seq, idx LIMIT ?",
    params: [range.from ?? 0, range.to ?? FAR],
    key: (r) => [n(r.seq), n(r.idx), 0],
    map: admin,
  }),
};

/** `?` placeholders as PostgreSQL's `$1, $2, …`. */
export function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}
