/**
 * A venue's reports the engine refused (docs/venues.md) are breaks in the day's reconciliation,
 * found in the journal by the replay: VENUE_REPORT_REFUSED with the reason, the venue's record and
 * the notional at stake; the reports it settled raise none, and the rest of the day is clean.
 */
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { CommandType } from "../../engine/commands.ts";
import type { HistoryStore } from "../../history/store.ts";
import { dayOf } from "../../reconcile/day.ts";
import { reconcile } from "../../reconcile/reconcile.ts";
import { writeScript } from "../history/monitoring-fixture.ts";
import { routedScript, STREET } from "../history/routed-script.ts";

const dirs: string[] = [];
const stores: HistoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

test("each refused venue report is one break with its reason and the notional at stake; settled reports are none", async () => {
  const { config, s, venue } = routedScript();
  venue({ type: CommandType.VENUE_ACK, qty: 0 });
  venue({ type: CommandType.VENUE_FILL, qty: 400, price: 60_000, destination: "E1" });
  const dup = venue({ type: CommandType.VENUE_FILL, qty: 400, price: 60_000, destination: "E1" });
  const over = venue({ type: CommandType.VENUE_FILL, qty: 700, price: 59_000, destination: "E2" });
  const status = venue({ type: CommandType.VENUE_ACK, qty: 900 });
  venue({ type: CommandType.VENUE_FILL, qty: 600, price: 59_990, destination: "E3" });
  const { dir, store } = await writeScript(dirs, s, stores, config);
  const r = await reconcile({ dataDir: dir, config, store, day: dayOf(s.time) });
  expect(r.breaks.map((b) => [b.kind, b.ours!.seq, b.ours!.reason, b.amount, b.asset, b.account])).toEqual([
    ["VENUE_REPORT_REFUSED", dup, "VENUE_DUPLICATE_EXEC", "12000", "USD", STREET],
    ["VENUE_REPORT_REFUSED", over, "VENUE_OVERFILL", "20650", "USD", STREET],
    ["VENUE_REPORT_REFUSED", status, "VENUE_STATUS_UNKNOWN", "0", "USD", STREET],
  ]);
  expect(r.breaks[0]!.theirs).toMatchObject({ execId: "E1", qty: "0.400" });
  expect(r.breaks[0]!.text).toContain("order 77 was refused (VENUE_DUPLICATE_EXEC): nothing settled");
  expect(r.counts.VENUE_REPORT_REFUSED).toBe(3);
  expect(r.open).toBe(3);
});
