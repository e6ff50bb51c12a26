/**
 * Reconciliation of a scripted day's history store against its journal and the engine's end-of-day
 * balances: clean, it reports zero breaks with what it compared; each kind of damage done to an
 * otherwise identical store is reported once, with its kind and amount, and nothing else is.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import { Assets } from "../../reconcile/assets.ts";
import { breakId, BreakKind } from "../../reconcile/breaks.ts";
import { utcDay } from "../../reconcile/day.ts";
import { reconcile, type ReconcileResult } from "../../reconcile/reconcile.ts";
import { summaryLine } from "../../reconcile/report.ts";
import { demoConfig } from "../history/journal-fixture.ts";
import { DAY, PREVIOUS_DAY, type ScriptedDay, scriptedDay } from "./day-fixture.ts";

const dirs: string[] = [];
let d: ScriptedDay;
let clean: ReconcileResult;
const assets = new Assets(demoConfig.exchange);
let copies = 0;

beforeAll(async () => {
  d = await scriptedDay(dirs, 3000);
  // Closed, so the file is whole (WAL checkpointed) and every test damages a copy of its own.
  await d.store.close();
  clean = await run(await copy());
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function copy(): Promise<SqliteHistoryStore> {
  const file = join(d.dir, `copy-${copies++}.db`);
  copyFileSync(d.storeFile, file);
  return new SqliteHistoryStore(file);
}

async function run(store: SqliteHistoryStore, day = DAY): Promise<ReconcileResult> {
  try {
    // Small chunks and pages, so the merge crosses many chunk and page boundaries.
    return await reconcile({ dataDir: d.dir, config: demoConfig.exchange, store, day: utcDay(day), chunkRows: 97, pageSize: 89 });
  } finally {
    await store.close();
  }
}

/** The breaks as (kind, account, amount), the shape each expectation names. */
const shape = (r: ReconcileResult) => r.breaks.map((b) => ({ kind: b.kind, account: b.account, amount: b.amount }));

type Row = Record<string, number | string>;

test("a clean day reports zero breaks, with the counts of what it compared", () => {
  expect(clean.breaks).toEqual([]);
  const c = clean.compared;
  expect(c.lagging).toBe(false);
  expect(c.executions).toBeGreaterThan(1000);
  expect(c.cashMovements).toBeGreaterThan(c.executions);
  expect(c.storeExecutions).toBe(c.executions);
  expect(c.storeCashMovements).toBe(c.cashMovements);
  expect(c.accounts).toBe(5);
  expect(summaryLine(clean)).toBe(`${DAY}: ${c.executions.toLocaleString("en-US")} executions, ${c.cashMovements.toLocaleString("en-US")} cash movements, 5 accounts: 0 breaks`);
});

test("the day before (the seeding alone) is clean too, and the day after has nothing to compare", async () => {
  const before = await run(await copy(), PREVIOUS_DAY);
  expect(before.breaks).toEqual([]);
  expect(before.compared.executions).toBe(0);
  expect(before.compared.cashMovements).toBeGreaterThan(0);
  const after = await run(await copy(), "2026-05-30");
  expect(after.breaks).toEqual([]);
  expect(after.compared.executions + after.compared.cashMovements).toBe(0);
});

describe("each kind of damage is reported once, with its kind and amount, and nothing else", () => {
  test("an execution deleted from the store: MISSING_IN_HISTORY, its notional at stake", async () => {
    const s = await copy();
    const row = s.db.query("SELECT * FROM executions WHERE seq > 500 ORDER BY seq, idx, liquidity LIMIT 1").get() as Row;
    s.db.run("DELETE FROM executions WHERE seq = ? AND idx = ? AND liquidity = ? AND account = ?", [row.seq!, row.idx!, row.liquidity!, row.account!]);
    const r = await run(s);
    expect(shape(r)).toEqual([{ kind: BreakKind.MISSING_IN_HISTORY, account: Number(row.account), amount: assets.money(Number(row.currency), BigInt(row.notional!)) }]);
    expect(r.breaks[0]!.ours).toMatchObject({ seq: Number(row.seq), idx: Number(row.idx), tradeId: Number(row.trade_id) });
    expect(r.breaks[0]!.theirs).toBeNull();
    expect(r.compared.storeExecutions).toBe(clean.compared.executions - 1);
  });

  test("a cash movement deleted (not an account's last of the day): MISSING_IN_HISTORY, its amount at stake", async () => {
    const s = await copy();
    const row = s.db.query("SELECT * FROM cash c WHERE seq > 500 AND EXISTS (SELECT 1 FROM cash l WHERE l.account = c.account AND l.currency = c.currency AND l.seq > c.seq) ORDER BY seq LIMIT 1").get() as Row;
    s.db.run("DELETE FROM cash WHERE seq = ? AND idx = ? AND n = ? AND account = ?", [row.seq!, row.idx!, row.n!, row.account!]);
    const r = await run(s);
    expect(shape(r)).toEqual([{ kind: BreakKind.MISSING_IN_HISTORY, account: Number(row.account), amount: assets.money(Number(row.currency), BigInt(row.amount!)) }]);
  });

  test("an execution stored twice (a copy under another account): DUPLICATE_IN_HISTORY, naming the copy", async () => {
    const s = await copy();
    const row = s.db.query("SELECT * FROM executions WHERE seq > 1000 ORDER BY seq LIMIT 1").get() as Row;
    s.db.run("INSERT INTO executions SELECT seq, idx, liquidity, trade_id, time, symbol, order_id, 99, side, price, qty, leaves, counter_order_id, counter_account, notional, fee, fee_bps, currency FROM executions WHERE seq = ? AND idx = ? AND liquidity = ? AND account = ?", [row.seq!, row.idx!, row.liquidity!, row.account!]);
    const r = await run(s);
    expect(shape(r)).toEqual([{ kind: BreakKind.DUPLICATE_IN_HISTORY, account: 99, amount: assets.money(Number(row.currency), BigInt(row.notional!)) }]);
    expect(r.breaks[0]!.theirs).toMatchObject({ account: 99, seq: Number(row.seq) });
  });

  test("a row in the store the journal does not imply: EXTRA_IN_HISTORY", async () => {
    const s = await copy();
    const row = s.db.query("SELECT * FROM cash WHERE seq > 1000 ORDER BY seq LIMIT 1").get() as Row;
    s.db.run("INSERT INTO cash SELECT seq, 77, n, time, account, currency, kind, amount, balance, trade_id, ref FROM cash WHERE seq = ? AND idx = ? AND n = ? AND account = ?", [row.seq!, row.idx!, row.n!, row.account!]);
    const r = await run(s);
    expect(shape(r)).toEqual([{ kind: BreakKind.EXTRA_IN_HISTORY, account: Number(row.account), amount: assets.money(Number(row.currency), BigInt(row.amount!)) }]);
  });

  test("a field altered (an execution's fee): FIELD_MISMATCH naming the field, the difference at stake", async () => {
    const s = await copy();
    const row = s.db.query("SELECT * FROM executions WHERE seq > 1500 ORDER BY seq LIMIT 1").get() as Row;
    s.db.run("UPDATE executions SET fee = ?, price = price + 1 WHERE seq = ? AND idx = ? AND liquidity = ? AND account = ?", [String(BigInt(row.fee!) + 250n), row.seq!, row.idx!, row.liquidity!, row.account!]);
    const r = await run(s);
    expect(shape(r)).toEqual([{ kind: BreakKind.FIELD_MISMATCH, account: Number(row.account), amount: assets.money(Number(row.currency), -250n) }]);
    expect(r.breaks[0]!.text).toMatch(/differs in price, fee$/);
  });

  test("an account's last balance of the day altered: the row's FIELD_MISMATCH and the end-of-day BALANCE_MISMATCH, by the difference", async () => {
    const s = await copy();
    const row = s.db.query("SELECT * FROM cash ORDER BY seq DESC, idx DESC, n DESC LIMIT 1").get() as Row;
    s.db.run("UPDATE cash SET balance = ? WHERE seq = ? AND idx = ? AND n = ? AND account = ?", [String(BigInt(row.balance!) - 1234n), row.seq!, row.idx!, row.n!, row.account!]);
    const r = await run(s);
    const money = assets.money(Number(row.currency), 1234n);
    expect(shape(r)).toEqual([
      { kind: BreakKind.FIELD_MISMATCH, account: Number(row.account), amount: money },
      { kind: BreakKind.BALANCE_MISMATCH, account: Number(row.account), amount: money },
    ]);
    expect(r.breaks[0]!.text).toMatch(/differs in balance$/);
    expect(r.breaks[1]!.id).toBe(breakId(BreakKind.BALANCE_MISMATCH, [DAY, Number(row.account), Number(row.currency)]));
  });

  test("an account's last position of the day altered: POSITION_MISMATCH, the lots at stake", async () => {
    const s = await copy();
    const row = s.db.query("SELECT * FROM positions ORDER BY seq DESC LIMIT 1").get() as Row;
    s.db.run("UPDATE positions SET qty = qty - 3 WHERE seq = ? AND account = ? AND symbol = ?", [row.seq!, row.account!, row.symbol!]);
    const r = await run(s);
    expect(shape(r)).toEqual([{ kind: BreakKind.POSITION_MISMATCH, account: Number(row.account), amount: assets.qty(Number(row.symbol), 3) }]);
    expect(r.breaks[0]!.text).toMatch(/differs in qty/);
  });

  test("the same damage found twice has the same break id", async () => {
    const damage = async () => {
      const s = await copy();
      s.db.run("DELETE FROM executions WHERE seq = (SELECT max(seq) FROM executions)");
      return run(s);
    };
    const [a, b] = [await damage(), await damage()];
    expect(a.breaks.length).toBe(2);
    expect(a.breaks.map((x) => x.id)).toEqual(b.breaks.map((x) => x.id));
    expect(new Set(a.breaks.map((x) => x.id)).size).toBe(2);
  });
});

test("a store the writer has not finished is compared through its progress only, and says so", async () => {
  const s = await copy();
  s.db.run("UPDATE progress SET seq = 2000");
  for (const t of ["executions", "cash", "positions"]) s.db.run(`DELETE FROM ${t} WHERE seq > 2000`);
  const r = await run(s);
  expect(r.breaks).toEqual([]);
  expect(r.compared).toMatchObject({ lagging: true, comparedThroughSeq: 2000, storeSeq: 2000 });
  expect(r.compared.executions).toBeLessThan(clean.compared.executions);
});
