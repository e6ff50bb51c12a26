/**
 * The server's end-of-day run (app/reconcile-job.ts) on a scripted day, its venue's drop copy in
 * the configured directory under its documented name: the run happens in a worker, writes the
 * report, logs each break at error level, and raises RECONCILIATION_BREAK (rule 9, high) once in the
 * history store and on the alerts feed; a clean day logs at info with counts and raises nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { BourseConfig } from "../../app/config.ts";
import { reconcileSettings } from "../../app/reconcile-config.ts";
import { ReconcileJob } from "../../app/reconcile-job.ts";
import { type AlertRow, Rule, Severity } from "../../history/monitoring/alerts.ts";
import { createLogger } from "../../log/logger.ts";
import type { LogRecord } from "../../log/record.ts";
import { utcDay } from "../../reconcile/day.ts";
import { DAY, type ScriptedDay, scriptedDay } from "../reconcile/day-fixture.ts";
import { csvText, FEE_BPS, STREET, type VenueLine, venueLines, writeDropCopy } from "../reconcile/drop-copy-fixture.ts";
import { demoConfig } from "../history/journal-fixture.ts";

const dirs: string[] = [];
let d: ScriptedDay;
let lines: VenueLine[];
const config: BourseConfig = {
  ...demoConfig,
  venues: { ACME: { account: STREET, feeBps: FEE_BPS, routing: false } },
  exchange: { ...demoConfig.exchange, instruments: demoConfig.exchange.instruments.map((i) => ({ ...i, venue: "ACME" })) },
};

beforeAll(async () => {
  d = await scriptedDay(dirs, 1500);
  lines = venueLines(d.store, utcDay(DAY));
});
afterAll(async () => {
  await d.store.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function job(name: string, drop: VenueLine[]) {
  const dropDir = join(d.dir, `drops-${name}`);
  mkdirSync(dropDir, { recursive: true });
  writeDropCopy(dropDir, `ACME-${DAY}.csv`, csvText(drop));
  const settings = reconcileSettings({ out: join(d.dir, `reports-${name}`), dropCopyDir: dropDir }, d.dir);
  const logs: LogRecord[] = [];
  const pushed: AlertRow[] = [];
  const log = createLogger({ level: "debug", sink: (r) => logs.push(r), rateLimit: false });
  const j = new ReconcileJob({ dataDir: d.dir, config, settings, log, store: () => d.store, pushAlert: (a) => pushed.push(a), clock: () => Date.parse("2026-05-30T00:15:00Z") });
  return { j, logs, pushed, out: settings.out };
}

test("a clean day: the report, an info line with the counts, no alert", async () => {
  const { j, logs, pushed, out } = job("clean", lines);
  const r = await j.run(DAY);
  expect(r?.open).toBe(0);
  expect(existsSync(join(out, DAY, "breaks.csv"))).toBe(true);
  expect(JSON.parse(readFileSync(join(out, DAY, "breaks.json"), "utf8")).clean).toBe(true);
  expect(logs.filter((l) => l.level === "error")).toEqual([]);
  const clean = logs.find((l) => l.msg === "reconciliation clean")!;
  expect(String(clean.summary)).toContain(`${lines.length.toLocaleString("en-US")} fills routed to ACME against ${lines.length.toLocaleString("en-US")} in its drop copy: 0 breaks`);
  expect(pushed).toEqual([]);
  expect((await d.store.alerts({ rule: Rule.RECONCILIATION_BREAK })).rows).toEqual([]);
});

test("breaks: each logged at error level, and one high alert in the store and on the feed, once a day", async () => {
  // A fill of an order with no other fill: its absence is MISSING_AT_VENUE, not a repeat of a sibling (DUPLICATE).
  const solo = lines.findIndex((l) => lines.filter((m) => m.cl_ord_id === l.cl_ord_id).length === 1);
  const drop = lines.map((l, i) => (i === solo + 1 ? { ...l, side: l.side === "buy" ? "sell" : "buy" } : l)).filter((_, i) => i !== solo);
  const { j, logs, pushed } = job("breaks", drop);
  const r = await j.run(DAY);
  expect(r?.open).toBe(2);
  expect(logs.filter((l) => l.msg === "reconciliation break").map((l) => [l.level, String(l.kind)]).sort()).toEqual([["error", "MISSING_AT_VENUE"], ["error", "SIDE"]]);
  expect(logs.find((l) => l.msg === "reconciliation found breaks")?.level).toBe("error");
  expect(pushed.map((a) => [a.rule, a.severity, a.account])).toEqual([[Rule.RECONCILIATION_BREAK, Severity.HIGH, 0]]);
  const stored = (await d.store.alerts({ rule: Rule.RECONCILIATION_BREAK })).rows;
  expect(stored.map((a) => [a.id, a.text])).toEqual([[`${r!.lastSeq}.9.0`, `reconciliation of ${DAY}: 2 open breaks`]]);
  expect(JSON.parse(stored[0]!.detail).counts).toEqual({ MISSING_AT_VENUE: 1, SIDE: 1 });

  // The day run again: the same breaks logged, no second alert.
  const again = job("breaks-again", drop);
  expect((await again.j.run(DAY))?.open).toBe(2);
  expect(again.pushed).toEqual([]);
  expect((await d.store.alerts({ rule: Rule.RECONCILIATION_BREAK })).rows.length).toBe(1);
});

test("a run that cannot be done is logged, not thrown: an unreadable drop copy", async () => {
  const { j, logs } = job("bad", lines);
  writeDropCopy(join(d.dir, "drops-bad"), `ACME-${DAY}.csv`, "exec_id\r\nX\r\n");
  expect(await j.run(DAY)).toBeNull();
  expect(logs.find((l) => l.msg === "reconciliation could not run")?.error).toMatch(/the header lacks/);
});
