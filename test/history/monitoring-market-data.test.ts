/**
 * VENUE_MARKET_DATA (rule 8): the history writer's monitor raises a high-severity alert when a
 * journaled MARKET_DATA_STATUS flags an instrument (stale or bad tick), filed under the exchange's
 * own (fee) account; clearing the flag, a repeat of the same status and a halt of a flagged symbol
 * (whose STATUS carries the flag) raise nothing.
 */
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { Actor, CommandType, MarketDataStatus } from "../../engine/commands.ts";
import { Rule, ruleName, Severity } from "../../history/monitoring/alerts.ts";
import type { HistoryStore } from "../../history/store.ts";
import { allAlerts, Script, SECOND, writeScript } from "./monitoring-fixture.ts";

const dirs: string[] = [];
const stores: HistoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const ETH = 2;

test("a flag raises one high alert per change; clearing, repeating and a halt of the flagged symbol raise none", async () => {
  const s = new Script();
  const flag = (status: number) => s.add({ type: CommandType.MARKET_DATA_STATUS, symbol: ETH, tier: status, actor: Actor.SYSTEM }, s.time + SECOND);
  const stale = flag(MarketDataStatus.STALE);
  flag(MarketDataStatus.STALE);
  s.add({ type: CommandType.HALT, symbol: ETH }, s.time + SECOND);
  s.add({ type: CommandType.RESUME, symbol: ETH }, s.time + SECOND);
  flag(MarketDataStatus.OK);
  const bad = flag(MarketDataStatus.BAD_TICK);
  const { store } = await writeScript(dirs, s, stores);
  const alerts = await allAlerts(store);
  expect(alerts.map((a) => [ruleName(a.rule), a.seq, a.account, a.severity])).toEqual([
    ["VENUE_MARKET_DATA", stale, 0, Severity.HIGH],
    ["VENUE_MARKET_DATA", bad, 0, Severity.HIGH],
  ]);
  expect(alerts[0]!.rule).toBe(Rule.VENUE_MARKET_DATA);
  expect(alerts[0]!.text).toContain("ETH-USD is stale");
  expect(alerts[1]!.text).toContain("ETH-USD is a bad tick");
  expect(JSON.parse(alerts[1]!.detail)).toEqual({ symbol: ETH, status: MarketDataStatus.BAD_TICK, actor: Actor.SYSTEM });
});
