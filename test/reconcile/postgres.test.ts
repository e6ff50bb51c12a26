/**
 * Reconciliation against the PostgreSQL history store: the same scripted day, written by the
 * writer into PostgreSQL, is clean; a row deleted there is one MISSING_IN_HISTORY; a resolution
 * recorded there marks it resolved.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { SQL } from "bun";
import { PostgresHistoryStore } from "../../history/postgres-store.ts";
import { HistoryWriter } from "../../history/writer.ts";
import { BreakKind } from "../../reconcile/breaks.ts";
import { utcDay } from "../../reconcile/day.ts";
import { reconcile } from "../../reconcile/reconcile.ts";
import { throwawayDatabase } from "../history/throwaway-db.ts";
import { demoConfig, journaled } from "../history/journal-fixture.ts";
import { DAY } from "./day-fixture.ts";

const dirs: string[] = [];
let db: { url: string; drop(): Promise<void> };
let store: PostgresHistoryStore;
let dir: string;

beforeAll(async () => {
  db = await throwawayDatabase("bourse_recon");
  const j = journaled(dirs, 1500);
  dir = j.dir;
  store = await PostgresHistoryStore.open(db.url, { schema: "recon" });
  const writer = await HistoryWriter.open({ dataDir: dir, config: demoConfig.exchange, store }, j.cmds.length);
  try {
    await writer.catchUp(j.cmds.length);
  } finally {
    writer.close();
  }
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("clean, then one deleted execution is one MISSING_IN_HISTORY, then resolved", async () => {
  const run = () => reconcile({ dataDir: dir, config: demoConfig.exchange, store, day: utcDay(DAY), chunkRows: 101, pageSize: 97 });
  const clean = await run();
  expect(clean.breaks).toEqual([]);
  expect(clean.compared.executions).toBeGreaterThan(500);
  expect(clean.compared.storeExecutions).toBe(clean.compared.executions);

  const sql = new SQL(db.url, { max: 1 });
  try {
    await sql.unsafe("DELETE FROM recon.executions WHERE (seq, idx, liquidity) = (SELECT seq, idx, liquidity FROM recon.executions WHERE seq > 900 ORDER BY seq, idx, liquidity LIMIT 1)");
  } finally {
    await sql.close();
  }
  const broken = await run();
  expect(broken.breaks.map((b) => b.kind)).toEqual([BreakKind.MISSING_IN_HISTORY]);
  expect(broken.open).toBe(1);

  await store.resolve({ breakId: broken.breaks[0]!.id, action: "accepted", reason: "test", commandSeq: 0, operator: "ops", at: 1 });
  const resolved = await run();
  expect(resolved).toMatchObject({ open: 0, resolved: 1 });
  expect(resolved.breaks[0]!.resolution).toMatchObject({ action: "accepted", reason: "test", operator: "ops" });
});
