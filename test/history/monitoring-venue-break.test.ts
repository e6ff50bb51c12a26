/**
 * VENUE_BREAK (rule 10): the history writer's monitor raises a high-severity alert, filed under the
 * venue's street account, for every venue report the engine refused to settle (docs/venues.md), and
 * nothing for the reports it settled; the street account's fills are not judged as anyone's trading.
 */
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { Actor, CommandType, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import { Rule, ruleName, Severity } from "../../history/monitoring/alerts.ts";
import type { HistoryStore } from "../../history/store.ts";
import { allAlerts, Script, SECOND, writeScript } from "./monitoring-fixture.ts";
import { demoConfig } from "../gateway/support/harness.ts";

const dirs: string[] = [];
const stores: HistoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const BTC = 1;
const STREET = 9;
const ALICE = 1;

test("each refused venue report is one high alert under the street account; settled ones raise none", async () => {
  const config = demoConfig((c) => {
    const btc = c.exchange.instruments.find((i) => i.id === BTC)!;
    btc.venue = "V";
    btc.venueAccount = STREET;
  }).exchange;
  const s = new Script();
  s.add({ type: CommandType.OPEN_ACCOUNT, account: ALICE, tier: 1 });
  s.add({ type: CommandType.DEPOSIT, account: ALICE, currency: 1, amount: 10_000_000_000_000n });
  s.add({ type: CommandType.OPEN_ACCOUNT, account: STREET, tier: 1 });
  s.add({ type: CommandType.VENUE_STATUS, account: STREET, tier: 1, actor: Actor.SYSTEM });
  const orderId = 77;
  s.add({ type: CommandType.NEW_ORDER, account: ALICE, symbol: BTC, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.GTC, price: 60_000, qty: 1_000, orderId });
  const venue = (init: Parameters<Script["add"]>[0]) => s.add({ account: STREET, symbol: BTC, actor: Actor.SYSTEM, orderId, ...init }, s.time + SECOND);
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
