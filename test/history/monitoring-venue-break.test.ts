/**
 * VENUE_BREAK (rule 10): the history writer's monitor raises a high-severity alert, filed under the
 * venue's street account, for every venue report the engine refused to settle (docs/venues.md), and
 * nothing for the reports it settled; the street account's fills are not judged as anyone's trading.
 */
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { CommandType } from "../../engine/commands.ts";
import { Rule, ruleName, Severity } from "../../history/monitoring/alerts.ts";
import type { HistoryStore } from "../../history/store.ts";
import { allAlerts, writeScript } from "./monitoring-fixture.ts";
import { routedScript, STREET } from "./routed-script.ts";

const dirs: string[] = [];
const stores: HistoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

test("each refused venue report is one high alert under the street account; settled ones raise none", async () => {
  const { config, s, venue } = routedScript();
  venue({ type: CommandType.VENUE_ACK, qty: 0 });
  for (let i = 0; i < 20; i++) venue({ type: CommandType.VENUE_FILL, qty: 10, price: 60_000, destination: `E${i}` });
  const dup = venue({ type: CommandType.VENUE_FILL, qty: 10, price: 60_000, destination: "E3" });
  const over = venue({ type: CommandType.VENUE_FILL, qty: 900, price: 60_000, destination: "E99" });
  const unknown = venue({ type: CommandType.VENUE_FILL, qty: 10, price: 60_000, destination: "E100", orderId: 4242 });
  const { store } = await writeScript(dirs, s, stores, config);
  const alerts = await allAlerts(store);
  expect(alerts.map((a) => [ruleName(a.rule), a.seq, a.account, a.severity])).toEqual([
    ["VENUE_BREAK", dup, STREET, Severity.HIGH],
    ["VENUE_BREAK", over, STREET, Severity.HIGH],
    ["VENUE_BREAK", unknown, STREET, Severity.HIGH],
  ]);
  expect(alerts[0]!.rule).toBe(Rule.VENUE_BREAK);
  expect(alerts[1]!.text).toContain("VENUE_OVERFILL");
  expect(JSON.parse(alerts[2]!.detail)).toMatchObject({ orderId: 4242, reason: "VENUE_UNKNOWN_ORDER", venue: "V" });
});
