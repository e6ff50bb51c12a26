/**
 * An account statement for a time range, as CSV (RFC 4180: a header, CRLF line ends, fields quoted
 * when they must be — csv-stringify does the quoting), streamed: rows are read from the store a
 * page at a time and written out a chunk at a time, so a year of an active account is never held
 * in memory.
 *
 * One table a spreadsheet opens as is. Every row has a `type`:
 *   opening_balance  per currency, the balance at `from` (every movement before it)
 *   deposit, withdrawal, trade, fee, fee_income   each cash movement in the range, in journal order,
 *                    with the balance after it; a trade row also has its symbol, side, price,
 *                    quantity, liquidity (maker/taker), order and trade ids and its fee
 *   position_deposit, position_withdrawal   lots moved in or out
 *   realized_pnl     per symbol, realized P&L over the range (quote currency, before fees)
 *   closing_balance  per currency, the balance at `to`
 * Times are ISO 8601 UTC with microseconds; amounts, prices and quantities decimal strings.
 * opening + Σ amounts = closing for every currency (the store's running balances guarantee it).
 */
import { stringify } from "csv-stringify/sync";
import type { ExchangeConfig } from "../engine/exchange.ts";
import { formatPrice, formatQty, makeInstrument } from "../engine/instrument.ts";
import { type CurrencySpec, formatAmount } from "../engine/money.ts";
import { CashKind, type CashRow, type ExecutionRow, Liquidity, PositionKind } from "./rows.ts";
import type { HistoryStore } from "./store.ts";

export const STATEMENT_COLUMNS = ["time", "type", "currency", "amount", "balance", "symbol", "side", "quantity", "price", "liquidity", "fee", "order_id", "trade_id", "reference"] as const;

const CASH_TYPE: Record<number, string> = {
  [CashKind.DEPOSIT]: "deposit",
  [CashKind.WITHDRAWAL]: "withdrawal",
  [CashKind.TRADE]: "trade",
  [CashKind.FEE]: "fee",
  [CashKind.FEE_INCOME]: "fee_income",
};

export interface StatementRequest {
  account: number;
  /** Engine µs: from ≤ time < to. */
  from: number;
  to: number;
}

/** Engine µs as ISO 8601 UTC with the microseconds (Date keeps only ms). */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}${String(us - ms * 1000).padStart(3, "0")}Z`;
}

/** The statement as CSV text chunks (a header first, then about `pageSize` rows a chunk). */
export async function* statementCsv(store: HistoryStore, config: ExchangeConfig, q: StatementRequest, pageSize = 1000): AsyncGenerator<string> {
  const currencies = new Map(config.currencies.map((c) => [c.id, c]));
  const instruments = new Map(config.instruments.map((s) => [s.id, makeInstrument(s)]));
  const byCode = new Map(config.currencies.map((c) => [c.code, c]));
  const money = (cur: CurrencySpec | undefined, v: bigint) => (cur ? formatAmount(cur, v) : v.toString());
  const code = (id: number) => currencies.get(id)?.code ?? String(id);
  const csv = (rows: string[][], header = false) => stringify(rows, { header, columns: header ? [...STATEMENT_COLUMNS] : undefined, record_delimiter: "\r\n" });

  yield csv([], true);
  // Every currency the account holds by `to` opens, at zero if it was first funded inside the range.
  // The closing balances are the opening ones plus the rows as streamed, so they agree with the rows
  // even while the writer adds more (a range that runs into the present).
  const running = new Map((await store.balancesAt(q.account, q.from)).map((b) => [b.currency, b.balance]));
  for (const b of await store.balancesAt(q.account, q.to)) if (!running.has(b.currency)) running.set(b.currency, 0n);
  const opening = [...running].sort(([a], [b]) => a - b);
  yield csv(opening.map(([currency, balance]) => [isoMicros(q.from), "opening_balance", code(currency), "", money(currencies.get(currency), balance), "", "", "", "", "", "", "", "", ""]));

  // Cash rows and the account's executions, both in journal order: a trade's cash rows take their
  // details from the execution at the same (seq, idx) — two of them when the account traded with itself.
  const executions = store.streamExecutions(q.account, q, pageSize)[Symbol.asyncIterator]();
  let nextExec: ExecutionRow | undefined = (await executions.next()).value;
  const pending = new Map<string, ExecutionRow[]>();
  let lastTrade: ExecutionRow | undefined;
  const execFor = async (c: CashRow): Promise<ExecutionRow | undefined> => {
    const key = `${c.seq}:${c.idx}`;
    while (nextExec && (nextExec.seq < c.seq || (nextExec.seq === c.seq && nextExec.idx <= c.idx))) {
      const k = `${nextExec.seq}:${nextExec.idx}`;
      if (!pending.has(k)) pending.set(k, []);
      pending.get(k)!.push(nextExec);
      nextExec = (await executions.next()).value;
    }
    // A trade row takes the next execution at its key; its fee row follows it and shares it.
    if (c.kind === CashKind.TRADE) lastTrade = pending.get(key)?.shift();
    // Older keys are done with (journal order).
    for (const k of pending.keys()) if (k !== key) pending.delete(k);
    return lastTrade;
  };

  let chunk: string[][] = [];
  for await (const c of store.streamCash(q.account, q, pageSize)) {
    running.set(c.currency, (running.get(c.currency) ?? 0n) + c.amount);
    const cur = currencies.get(c.currency);
    const row = [isoMicros(c.time), CASH_TYPE[c.kind] ?? String(c.kind), code(c.currency), money(cur, c.amount), money(cur, c.balance), "", "", "", "", "", "", "", c.tradeId ? String(c.tradeId) : "", c.ref];
    if (c.kind === CashKind.TRADE || c.kind === CashKind.FEE) {
      const e = await execFor(c);
      const inst = e ? instruments.get(e.symbol) : undefined;
      if (e && inst) {
        row[5] = inst.symbol;
        row[6] = e.side === 0 ? "buy" : "sell";
        row[7] = formatQty(inst, e.qty);
        row[8] = formatPrice(inst, e.price);
        row[9] = e.liquidity === Liquidity.MAKER ? "maker" : "taker";
        row[10] = money(cur, e.fee);
        row[11] = String(e.orderId);
      }
    }
    chunk.push(row);
    if (chunk.length >= pageSize) {
      yield csv(chunk);
      chunk = [];
    }
  }
  for await (const p of store.streamPositions(q.account, q, pageSize)) {
    if (p.kind === PositionKind.TRADE) continue;
    const inst = instruments.get(p.symbol);
    chunk.push([isoMicros(p.time), p.kind === PositionKind.DEPOSIT ? "position_deposit" : "position_withdrawal", "", "", "", inst?.symbol ?? String(p.symbol), "", inst ? formatQty(inst, p.delta) : String(p.delta), "", "", "", "", "", ""]);
    if (chunk.length >= pageSize) {
      yield csv(chunk);
      chunk = [];
    }
  }
  // Realized P&L over the range, per symbol: realized at `to` less realized at `from`.
  const before = new Map((await store.positionsAt(q.account, q.from)).map((p) => [p.symbol, p.realized]));
  for (const p of await store.positionsAt(q.account, q.to)) {
    const pnl = p.realized - (before.get(p.symbol) ?? 0n);
    const inst = instruments.get(p.symbol);
    if (pnl === 0n && !before.has(p.symbol) && p.realized === 0n) continue;
    const quote = inst ? byCode.get(inst.quote) : undefined;
    chunk.push([isoMicros(q.to), "realized_pnl", quote?.code ?? "", money(quote, pnl), "", inst?.symbol ?? String(p.symbol), "", "", "", "", "", "", "", ""]);
  }
  for (const [currency, balance] of [...running].sort(([a], [b]) => a - b)) chunk.push([isoMicros(q.to), "closing_balance", code(currency), "", money(currencies.get(currency), balance), "", "", "", "", "", "", "", "", ""]);
  if (chunk.length > 0) yield csv(chunk);
}
