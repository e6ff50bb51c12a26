/**
 * A custody statement against a scripted day's deposits and withdrawals, read from CSV as an
 * operator imports it: the bank's own time zone and clock are not breaks; an extra deposit, a
 * missing one and a different amount are, each once with its amount; a malformed file is refused
 * naming its line.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { CashKind } from "../../history/rows.ts";
import { Assets } from "../../reconcile/assets.ts";
import { BreakKind } from "../../reconcile/breaks.ts";
import { parseCustodyStatement, parseOffsetTime } from "../../reconcile/custody-statement.ts";
import { utcDay } from "../../reconcile/day.ts";
import { reconcile } from "../../reconcile/reconcile.ts";
import { demoConfig } from "../history/journal-fixture.ts";
import { DAY, type ScriptedDay, scriptedDay } from "./day-fixture.ts";

const dirs: string[] = [];
let d: ScriptedDay;
const assets = new Assets(demoConfig.exchange);
/** Our deposits and withdrawals of the day, as the store has them (it is clean: the journal's). */
let ours: { time: number; account: number; currency: number; kind: number; amount: bigint }[];

beforeAll(async () => {
  d = await scriptedDay(dirs, 3000);
  const day = utcDay(DAY);
  ours = (d.store.db.query("SELECT time, account, currency, kind, amount FROM cash WHERE kind IN (?, ?) AND time >= ? AND time < ? ORDER BY seq").all(CashKind.DEPOSIT, CashKind.WITHDRAWAL, day.start, day.end) as Record<string, number | string>[]).map((r) => ({
    time: Number(r.time), account: Number(r.account), currency: Number(r.currency), kind: Number(r.kind), amount: BigInt(r.amount!) * (Number(r.kind) === CashKind.WITHDRAWAL ? -1n : 1n),
  }));
});
afterAll(async () => {
  await d.store.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** µs as the bank writes it: local time at `offsetMinutes` from UTC, with the offset. */
function bankTime(us: number, offsetMinutes: number): string {
  const local = new Date(us / 1000 + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const a = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

type Line = { time: string; account: number; currency: string; amount: string; type: string; reference: string };

/** The statement the bank would send for our movements: in its zone, its clock a little off ours, most recent first. */
function statementLines(offsetMinutes: number, skewSeconds: number): Line[] {
  return ours
    .map((m, i) => ({
      time: bankTime(m.time + skewSeconds * 1_000_000 * (i % 2 === 0 ? 1 : -1), offsetMinutes),
      account: m.account, currency: assets.currency(m.currency), amount: assets.money(m.currency, m.amount),
      type: m.kind === CashKind.DEPOSIT ? "deposit" : "withdrawal", reference: `BANK-${1000 + i}`,
    }))
    .reverse();
}

const csv = (lines: Line[]) => ["time,account,currency,amount,type,reference", ...lines.map((l) => `${l.time},${l.account},${l.currency},${l.amount},${l.type},"${l.reference}"`)].join("\r\n") + "\r\n";

async function run(lines: Line[]) {
  return reconcile({ dataDir: d.dir, config: demoConfig.exchange, store: d.store, day: utcDay(DAY), custody: parseCustodyStatement(csv(lines), assets) });
}

test("the day has deposits and withdrawals to reconcile", () => {
  expect(ours.filter((m) => m.kind === CashKind.DEPOSIT).length).toBeGreaterThan(3);
  expect(ours.filter((m) => m.kind === CashKind.WITHDRAWAL).length).toBeGreaterThan(3);
});

describe("against our deposits and withdrawals of the day", () => {
  test("the bank's statement in its own time zones (UTC+2, UTC−5, UTC+5:45), its clock two minutes off ours: no break", async () => {
    for (const offset of [120, -300, 345]) {
      const r = await run(statementLines(offset, 120));
      expect(r.breaks).toEqual([]);
      expect(r.compared.custody).toEqual({ ours: ours.length, bank: ours.length, matched: ours.length, outsideDay: 0 });
    }
  });

  test("a deposit the bank shows and we did not book: one MISSING_AT_BOURSE, its amount", async () => {
    const lines = statementLines(120, 30);
    lines.push({ time: "2026-05-29T23:10:00+02:00", account: 2, currency: "USD", amount: "5000.25", type: "deposit", reference: "BANK-EXTRA" });
    const r = await run(lines);
    expect(r.breaks.map((b) => [b.kind, b.account, b.amount])).toEqual([[BreakKind.MISSING_AT_BOURSE, 2, "5000.250000"]]);
    expect(r.breaks[0]!.theirs).toMatchObject({ reference: "BANK-EXTRA", time: "2026-05-29T23:10:00+02:00" });
  });

  test("a deposit we booked that the bank does not show: one MISSING_AT_BANK, its amount", async () => {
    const lines = statementLines(0, 30);
    const i = lines.findIndex((l) => l.type === "deposit");
    const [gone] = lines.splice(i, 1);
    const r = await run(lines);
    expect(r.breaks.map((b) => [b.kind, b.account, b.amount])).toEqual([[BreakKind.MISSING_AT_BANK, gone!.account, gone!.amount]]);
  });

  test("a withdrawal for a different amount: one AMOUNT_MISMATCH, bank − ours at stake", async () => {
    const lines = statementLines(-300, 30);
    const i = lines.findIndex((l) => l.type === "withdrawal");
    const was = lines[i]!.amount;
    lines[i] = { ...lines[i]!, amount: (Number(was) + 0.5).toFixed(6) };
    const r = await run(lines);
    expect(r.breaks.map((b) => [b.kind, b.account, b.amount])).toEqual([[BreakKind.AMOUNT_MISMATCH, lines[i]!.account, "0.500000"]]);
  });

  test("a time beyond the tolerance is a break on both sides; a row of another day is left out and counted", async () => {
    // The day's movements all fall within two minutes: 16 minutes later is near none of them.
    const late = statementLines(0, 0).find((l) => l.type === "deposit")!;
    const r = await run([{ ...late, time: bankTime(parseOffsetTime(late.time) + 16 * 60 * 1_000_000, 0) }]);
    expect(r.breaks.map((b) => b.kind).sort()).toEqual([...Array(ours.length).fill(BreakKind.MISSING_AT_BANK), BreakKind.MISSING_AT_BOURSE]);
    const other = await run([...statementLines(0, 0), { time: "2026-05-31T10:00:00Z", account: 1, currency: "USD", amount: "1", type: "deposit", reference: "" }]);
    expect(other.breaks).toEqual([]);
    expect(other.compared.custody!.outsideDay).toBe(1);
  });
});

describe("reading a statement", () => {
  test("times with an offset or Z are normalised to UTC; a time without one is refused", () => {
    expect(parseOffsetTime("2026-05-29T11:30:00+02:00")).toBe(Date.UTC(2026, 4, 29, 9, 30) * 1000);
    expect(parseOffsetTime("2026-05-29T09:30:00.000250Z")).toBe(Date.UTC(2026, 4, 29, 9, 30) * 1000 + 250);
    expect(parseOffsetTime("2026-05-29 04:30-0500")).toBe(Date.UTC(2026, 4, 29, 9, 30) * 1000);
    expect(() => parseOffsetTime("2026-05-29T11:30:00")).toThrow(/with a UTC offset/);
  });

  test("a malformed row is refused with its line; the header must name every column", () => {
    const head = "time,account,currency,amount,type,reference\n";
    const cases: [string, RegExp][] = [
      [`${head}2026-05-29T10:00:00Z,1,USD,10.5,deposit,A\n2026-05-29T10:00:00,1,USD,1,deposit,B\n`, /line 3: time .* UTC offset/],
      [`${head}2026-05-29T10:00:00Z,1,XYZ,1,deposit,\n`, /line 2: currency "XYZ"/],
      [`${head}2026-05-29T10:00:00Z,1,USD,1.0000001,deposit,\n`, /line 2: amount 1.0000001 has more decimals than USD \(6\)/],
      [`${head}2026-05-29T10:00:00Z,1,USD,-1,deposit,\n`, /line 2: amount "-1" is not a positive decimal/],
      [`${head}2026-05-29T10:00:00Z,1,USD,1,refund,\n`, /line 2: type "refund"/],
      [`${head}2026-05-29T10:00:00Z,x,USD,1,deposit,\n`, /line 2: account "x"/],
      ["time,account,amount\n", /header lacks currency, type, reference/],
      ["", /empty/],
    ];
    for (const [text, err] of cases) expect(() => parseCustodyStatement(text, assets, "bank.csv")).toThrow(err);
  });

  test("quoted fields may hold commas, quotes and line breaks; other columns are ignored", () => {
    const text = 'memo,time,account,currency,amount,type,reference\r\n"a, ""b""\nc",2026-05-29T10:00:00Z,1,USD,10.5,Deposit,"REF,1"\r\n';
    const [m] = parseCustodyStatement(text, assets);
    expect(m).toMatchObject({ account: 1, currency: 1, amount: 10_500_000n, type: "deposit", reference: "REF,1" });
  });
});
