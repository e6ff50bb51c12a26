/**
 * `bourse reconcile --venue NAME --drop-copy FILE` as an operator runs it: the venue from the
 * config, exit 1 and the venue's breaks in the report and the error log, resolved with `bourse
 * reconcile resolve` like any break; a venue the config lacks or a flag without its pair exits 2.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { utcDay } from "../../reconcile/day.ts";
import { bourse } from "../cli/support.ts";
import { demoConfig } from "../history/journal-fixture.ts";
import { DAY, type ScriptedDay, scriptedDay } from "./day-fixture.ts";
import { csvText, FEE_BPS, fixText, STREET, type VenueLine, venueLines, writeDropCopy } from "./drop-copy-fixture.ts";

const dirs: string[] = [];
let d: ScriptedDay;
let lines: VenueLine[];
let configFile: string;
beforeAll(async () => {
  d = await scriptedDay(dirs, 1500);
  lines = venueLines(d.store, utcDay(DAY));
  await d.store.close();
  configFile = join(d.dir, "routed.json");
  writeFileSync(configFile, JSON.stringify({ ...demoConfig, venues: { ACME: { account: STREET, feeBps: FEE_BPS, routing: false } }, exchange: { ...demoConfig.exchange, instruments: demoConfig.exchange.instruments.map((i) => ({ ...i, venue: "ACME" })) } }));
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => bourse(["reconcile", "--data", d.dir, "--config", configFile, "--date", DAY, "--log-format", "json", ...args]);

test("a clean FIX log: exit 0, the venue's counts in the summary", () => {
  const r = run("--venue", "ACME", "--drop-copy", writeDropCopy(d.dir, "ACME.fix", fixText(lines)), "--out", join(d.dir, "clean"));
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`${lines.length.toLocaleString("en-US")} fills routed to ACME against ${lines.length.toLocaleString("en-US")} in its drop copy: 0 breaks$`, "m"));
});

test("a fill the venue lacks: exit 1, reported and logged; resolved, the day is clean again", () => {
  const drop = writeDropCopy(d.dir, "ACME-short.csv", csvText(lines.slice(1)));
  const out = join(d.dir, "short");
  const r = run("--venue", "ACME", "--drop-copy", drop, "--out", out);
  expect(r.code).toBe(1);
  const [b] = JSON.parse(readFileSync(join(out, "breaks.json"), "utf8")).breaks;
  expect(b).toMatchObject({ kind: "MISSING_AT_VENUE", asset: "USD", ours: { orderId: Number(lines[0]!.cl_ord_id) } });
  const logged = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  expect(logged.find((l) => l.msg === "reconciliation break")).toMatchObject({ level: "error", breakId: b.id, kind: "MISSING_AT_VENUE" });
  const resolved = bourse(["reconcile", "resolve", b.id, "--accept", "venue busted the trade", "--operator", "ops-2", "--data", d.dir, "--config", configFile]);
  expect(resolved.code).toBe(0);
  const after = run("--venue", "ACME", "--drop-copy", drop, "--out", out);
  expect(after.code).toBe(0);
  expect(after.stdout).toMatch(/: 0 open breaks, 1 resolved \(MISSING_AT_VENUE 1\)$/m);
});

test("a venue the config lacks, or --venue without --drop-copy: exit 2", () => {
  const r = run("--venue", "NOPE", "--drop-copy", join(d.dir, "ACME.fix"));
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--venue NOPE: the config has no venue "NOPE" \(venues: ACME\)/);
  const u = run("--venue", "ACME");
  expect(u.code).toBe(2);
  expect(u.stderr).toMatch(/--venue NAME and --drop-copy FILE go together/);
});
