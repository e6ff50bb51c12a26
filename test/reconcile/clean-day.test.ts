/**
 * No false alarms at size: a clean day of many executions reports zero breaks, having compared
 * every one. The default is a day of about 15,000 executions; BOURSE_RECONCILE_100K=1 runs the
 * issue's 100,000 (docs/reconciliation.md says how long each takes).
 */
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { utcDay } from "../../reconcile/day.ts";
import { reconcile } from "../../reconcile/reconcile.ts";
import { demoConfig } from "../history/journal-fixture.ts";
import { DAY, scriptedDay } from "./day-fixture.ts";

const big = process.env.BOURSE_RECONCILE_100K === "1";
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test(`a clean day of ${big ? "100,000" : "15,000"} executions reports zero breaks`, async () => {
  // The load makes about 0.7 executions a command (fewer as the books fill).
  const want = big ? 100_000 : 15_000;
  const d = await scriptedDay(dirs, Math.ceil(want / 0.68));
  try {
    const r = await reconcile({ dataDir: d.dir, config: demoConfig.exchange, store: d.store, day: utcDay(DAY) });
    expect(r.breaks).toEqual([]);
    expect(r.compared.executions).toBeGreaterThanOrEqual(want);
    expect(r.compared.storeExecutions).toBe(r.compared.executions);
    expect(r.compared.storeCashMovements).toBe(r.compared.cashMovements);
  } finally {
    await d.store.close();
  }
}, 300_000);
