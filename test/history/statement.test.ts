/**
 * CSV statements (history/statement.ts) against the engine: after a random multi-account stream,
 * a statement's opening and closing balances are the engine's balances at those two points, its
 * movements add up from one to the other, and it is RFC 4180 CSV a spreadsheet opens as is.
 */
import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { EventBuffer } from "../../engine/events.ts";
import { Exchange } from "../../engine/exchange.ts";
import { formatAmount } from "../../engine/money.ts";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import { isoMicros, STATEMENT_COLUMNS, statementCsv } from "../../history/statement.ts";
import { HistoryWriter } from "../../history/writer.ts";
import { accounts, demoConfig, journaled } from "./journal-fixture.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** RFC 4180: fields split on commas outside quotes, "" inside quotes is one quote, records end in CRLF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(field), (field = "");
    else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  if (field !== "" || row.length > 0) throw new Error("the last record does not end in CRLF");
  return rows;
}

async function text(chunks: AsyncIterable<string>): Promise<{ text: string; chunks: number }> {
  let out = "";
  let n = 0;
  for await (const c of chunks) (out += c), n++;
  return { text: out, chunks: n };
}

describe("statementCsv", () => {
  test("opening and closing balances are the engine's at those points; movements add up; RFC 4180", async () => {
    const { dir, cmds } = journaled(dirs, 3000, 21);
    const store = new SqliteHistoryStore(path.join(dir, "history.db"));
    const w = await HistoryWriter.open({ dataDir: dir, config: demoConfig.exchange, store }, cmds.length);
    await w.catchUp(cmds.length);
    w.close();
    // Two points inside the load; the engine as it stood at each (every command before it).
    const from = cmds[Math.floor(cmds.length / 3)]!.time;
    const to = cmds[Math.floor((cmds.length * 2) / 3)]!.time;
    const at = (t: number) => {
      const x = new Exchange(demoConfig.exchange);
      const out = new EventBuffer();
      for (const c of cmds) {
        if (c.time >= t) break;
        out.reset();
        x.execute(c, out);
      }
      return x;
    };
    const [x1, x2] = [at(from), at(to)];
    const usd = demoConfig.exchange.currencies.find((c) => c.code === "USD")!;
    let quoted = 0;
    for (const account of accounts) {
      const { text: csv, chunks } = await text(statementCsv(store, demoConfig.exchange, { account, from, to }, 200));
      const rows = parseCsv(csv);
      expect(rows[0]).toEqual([...STATEMENT_COLUMNS]);
      const body = rows.slice(1).map((r) => Object.fromEntries(STATEMENT_COLUMNS.map((c, i) => [c, r[i]!])));
      const balance = (type: string, code: string) => body.find((r) => r.type === type && r.currency === code)?.balance;
      expect(balance("opening_balance", "USD")).toBe(formatAmount(usd, x1.ledger.accounts.get(account)!.cash.get(usd.id)!.balance));
      expect(balance("closing_balance", "USD")).toBe(formatAmount(usd, x2.ledger.accounts.get(account)!.cash.get(usd.id)!.balance));
      // opening + Σ amounts = closing, in exact units.
      const units = (s: string) => BigInt(s.replace(".", ""));
      const moved = body.filter((r) => r.currency === "USD" && r.amount !== "" && r.type !== "realized_pnl").reduce((n, r) => n + units(r.amount!), 0n);
      expect(units(balance("opening_balance", "USD")!) + moved).toBe(units(balance("closing_balance", "USD")!));
      const trades = body.filter((r) => r.type === "trade");
      expect(trades.length).toBeGreaterThan(10);
      expect(trades.every((r) => r.symbol !== "" && r.price !== "" && (r.liquidity === "maker" || r.liquidity === "taker"))).toBe(true);
      expect(body.every((r) => r.time!.endsWith("Z") && r.time! >= isoMicros(from) && r.time! <= isoMicros(to))).toBe(true);
      // Streamed: written in many chunks, not built whole.
      expect(chunks).toBeGreaterThan(2);
      quoted += body.filter((r) => r.reference!.includes('",')).length;
    }
    // A withdrawal destination with a quote and a comma survives the quoting.
    expect(quoted).toBeGreaterThan(0);
    await store.close();
  });
});
