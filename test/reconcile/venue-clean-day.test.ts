/**
 * No false alarms at size against a venue: a clean day's every execution (a street account that
 * none of the load's accounts is, so each row is a client's fill) against the drop copy the venue
 * would send for it — its ids, its zone, its clock 1.5 s off — reports zero breaks, having compared
 * every fill. The default is about 10,000 executions; BOURSE_RECONCILE_100K=1 runs the 100,000.
 */
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { utcDay } from "../../reconcile/day.ts";
import { reconcile } from "../../reconcile/reconcile.ts";
import { demoConfig, tempDir } from "../history/journal-fixture.ts";
import { DAY, scriptedDay } from "./day-fixture.ts";
import { csvText, venueLines, venueSide, writeDropCopy } from "./drop-copy-fixture.ts";

const big = process.env.BOURSE_RECONCILE_100K === "1";
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const NO_ACCOUNT = 9_999;

test(`a clean day of ${big ? "100,000" : "10,000"} executions against its drop copy reports zero breaks`, async () => {
  const want = big ? 100_000 : 10_000;
  const d = await scriptedDay(dirs, Math.ceil(want / 0.68));
  try {
    const day = utcDay(DAY);
    const lines = venueLines(d.store, day, -300, 1_500_000, NO_ACCOUNT);
    const file = writeDropCopy(tempDir(dirs, "bourse-venue-"), "ACME.csv", csvText(lines));
    const r = await reconcile({ dataDir: d.dir, config: demoConfig.exchange, store: d.store, day, venues: [venueSide(file, undefined, NO_ACCOUNT)] });
    expect(r.breaks).toEqual([]);
    expect(r.compared.executions).toBeGreaterThanOrEqual(want);
    expect(r.compared.venues[0]!.ours).toBe(r.compared.executions);
    expect(r.compared.venues[0]!.theirs).toBe(r.compared.executions);
  } finally {
    await d.store.close();
  }
}, 300_000);
