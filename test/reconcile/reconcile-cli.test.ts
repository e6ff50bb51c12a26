/**
 * `bourse reconcile`, run as an operator runs it on a data directory whose history store the writer
 * finished: exit 0 and the summary when clean; exit 1, the report files and one error log line a
 * break when not; exit 2 when the run itself cannot be done.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bourse } from "../cli/support.ts";
import { DAY, type ScriptedDay, scriptedDay } from "./day-fixture.ts";

const dirs: string[] = [];
let d: ScriptedDay;
beforeAll(async () => {
  d = await scriptedDay(dirs, 1500);
  await d.store.close();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test("a clean day: exit 0, the summary with its counts, an empty report", () => {
  const out = join(d.dir, "clean");
  const r = bourse(["reconcile", "--data", d.dir, "--date", DAY, "--out", out, "--log-format", "json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^${DAY}: [\\d,]+ executions, [\\d,]+ cash movements, 5 accounts: 0 breaks$`, "m"));
  expect(readFileSync(join(out, "breaks.csv"), "utf8")).toBe("id,status,kind,day,account,asset,amount,text,ours,theirs,resolution\r\n");
  const json = JSON.parse(readFileSync(join(out, "breaks.json"), "utf8"));
  expect(json).toMatchObject({ day: DAY, clean: true, breaks: [], counts: { MISSING_IN_HISTORY: 0 } });
});

test("breaks: exit 1, each in breaks.csv and breaks.json and logged at error level", () => {
  const custody = join(d.dir, "bank.csv");
  writeFileSync(custody, "time,account,currency,amount,type,reference\n2026-05-29T12:30:00+02:00,3,USD,42.00,deposit,WIRE-9\n");
  const out = join(d.dir, "broken");
  const r = bourse(["reconcile", "--data", d.dir, "--date", DAY, "--custody", custody, "--out", out, "--log-format", "json"]);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/: \d+ breaks \(.*MISSING_AT_BANK \d+, MISSING_AT_BOURSE 1\)$/m);
  const json = JSON.parse(readFileSync(join(out, "breaks.json"), "utf8"));
  const extra = json.breaks.find((b: { kind: string }) => b.kind === "MISSING_AT_BOURSE");
  expect(extra).toMatchObject({ account: 3, asset: "USD", amount: "42.000000", theirs: { reference: "WIRE-9" } });
  const csvLines = readFileSync(join(out, "breaks.csv"), "utf8").trim().split("\r\n");
  expect(csvLines.length).toBe(json.breaks.length + 1);
  expect(csvLines.some((l) => l.startsWith(`${extra.id},open,MISSING_AT_BOURSE,${DAY},3,USD,42.000000,`))).toBe(true);
  const logged = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  const breaks = logged.filter((l) => l.msg === "reconciliation break");
  expect(breaks.length).toBe(json.breaks.length);
  expect(breaks.every((l) => l.level === "error")).toBe(true);
  expect(breaks.find((l) => l.breakId === extra.id)).toMatchObject({ kind: "MISSING_AT_BOURSE", account: 3, amount: "42.000000" });
});

test("a run that cannot be done exits 2 with one line saying why", () => {
  const bad = join(d.dir, "bad.csv");
  writeFileSync(bad, "time,account,currency,amount,type,reference\n2026-05-29T10:00:00,1,USD,1,deposit,\n");
  const r1 = bourse(["reconcile", "--data", d.dir, "--date", DAY, "--custody", bad, "--out", join(d.dir, "x")]);
  expect(r1.code).toBe(2);
  expect(r1.stderr).toMatch(/^bourse: reconcile 2026-05-29: .*bad\.csv: line 2: time .* UTC offset/);
  const r2 = bourse(["reconcile", "--data", join(d.dir, "nowhere"), "--date", DAY]);
  expect(r2.code).toBe(2);
  expect(bourse(["reconcile", "--data", d.dir, "--date", "2026-02-30"]).stderr).toMatch(/--date wants a calendar day as YYYY-MM-DD \(UTC\), not "2026-02-30"/);
  expect(bourse(["reconcile", "--data", d.dir]).code).toBe(2);
});

test("a break resolved by an operator (adjusted by a journaled deposit) is reported as resolved by later runs, and the day is clean again", () => {
  // A statement with every one of our movements (read off a run without one) and one more the bank shows.
  const first = JSON.parse(readFileSync(join(d.dir, "broken", "breaks.json"), "utf8"));
  const ours = first.breaks.filter((b: { kind: string }) => b.kind === "MISSING_AT_BANK").map((b: { ours: Record<string, string> }) => b.ours);
  const lines = ours.map((o: Record<string, string>) => `${o.time},${o.account},${o.currency},${o.amount},${o.type},`);
  const custody = join(d.dir, "bank-all.csv");
  writeFileSync(custody, ["time,account,currency,amount,type,reference", ...lines, "2026-05-29T12:30:00+02:00,3,USD,42.00,deposit,WIRE-9", ""].join("\n"));
  const out = join(d.dir, "resolving");
  const args = ["reconcile", "--data", d.dir, "--date", DAY, "--custody", custody, "--out", out, "--log-format", "json"];
  const before = bourse(args);
  expect(before.code).toBe(1);
  const [open] = JSON.parse(readFileSync(join(out, "breaks.json"), "utf8")).breaks;
  expect(open).toMatchObject({ kind: "MISSING_AT_BOURSE", resolution: null });

  // The operator booked the missing deposit (a journaled DEPOSIT) and names it; a seq that is no deposit or withdrawal is refused.
  const deposit = ours.find((o: Record<string, string>) => o.type === "deposit").seq;
  const notAdjustment = bourse(["reconcile", "resolve", open.id, "--adjusted", "1", "--data", d.dir]);
  expect(notAdjustment.code).toBe(2);
  expect(notAdjustment.stderr).toMatch(/--adjusted 1: that command is a \w+, not a deposit or withdrawal/);
  const resolved = bourse(["reconcile", "resolve", open.id, "--adjusted", String(deposit), "--reason", "booked late", "--operator", "ops-1", "--data", d.dir]);
  expect(resolved.stderr).toBe("");
  expect(resolved.code).toBe(0);
  expect(resolved.stdout).toMatch(new RegExp(`^break ${open.id} resolved: adjusted by seq ${deposit} \\(booked late\\), by ops-1 at `));
  const again = bourse(["reconcile", "resolve", open.id, "--accept", "bank error", "--data", d.dir]);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/already resolved: adjusted by seq/);

  const after = bourse(args);
  expect(after.code).toBe(0);
  expect(after.stdout).toMatch(/: 0 open breaks, 1 resolved \(MISSING_AT_BOURSE 1\)$/m);
  const report = JSON.parse(readFileSync(join(out, "breaks.json"), "utf8"));
  expect(report).toMatchObject({ clean: true, open: 0, resolved: 1 });
  expect(report.breaks[0]).toMatchObject({ id: open.id, resolution: { action: "adjusted", commandSeq: deposit, reason: "booked late", operator: "ops-1" } });
  expect(readFileSync(join(out, "breaks.csv"), "utf8").split("\r\n")[1]).toStartWith(`${open.id},resolved,MISSING_AT_BOURSE,`);
  // The records themselves are untouched: no error line, the resolved break logged at info.
  const logged = after.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  expect(logged.filter((l) => l.level === "error")).toEqual([]);
  expect(logged.find((l) => l.msg === "reconciliation break resolved")).toMatchObject({ breakId: open.id, action: "adjusted", operator: "ops-1" });

  expect(bourse(["reconcile", "resolve", "nothex", "--accept", "x", "--data", d.dir]).stderr).toMatch(/needs a break id \(16 hex digits/);
  expect(bourse(["reconcile", "resolve", open.id, "--data", d.dir]).stderr).toMatch(/one of --accept "REASON" or --adjusted SEQ/);
});
