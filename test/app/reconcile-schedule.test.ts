/**
 * When the server reconciles (app/reconcile-schedule.ts), on a moved clock and a timer fired by
 * hand: at the configured UTC time, the day before; the next day after that; a server that missed
 * its time catches up at start, but a fresh data directory does not; stop cancels what is armed.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReconcileSchedule } from "../../app/reconcile-schedule.ts";
import { reconcileSettings } from "../../app/reconcile-config.ts";
import { silentLogger } from "../../log/logger.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A schedule on a clock the test sets, its timers kept for the test to fire. */
function harness(atMinutes: number, nowIso: string) {
  const out = mkdtempSync(join(tmpdir(), "bourse-schedule-"));
  dirs.push(out);
  let now = Date.parse(nowIso);
  const timers: { fn: () => void; due: number; cancelled: boolean }[] = [];
  const ran: string[] = [];
  const s = new ReconcileSchedule({
    atMinutes, out, log: silentLogger, clock: () => now,
    run: async (day) => {
      ran.push(day);
    },
    timer: (fn, ms) => {
      const t = { fn, due: now + ms, cancelled: false };
      timers.push(t);
      return { cancel: () => (t.cancelled = true) };
    },
  });
  /** Moves the clock to the armed timer's time and fires it. */
  const fire = async () => {
    const t = timers.filter((x) => !x.cancelled).at(-1)!;
    t.cancelled = true;
    now = t.due;
    t.fn();
    await s.inFlight;
  };
  const report = (day: string) => {
    mkdirSync(join(out, day), { recursive: true });
    writeFileSync(join(out, day, "breaks.json"), "{}");
  };
  return { s, ran, timers, fire, report, at: () => new Date(now).toISOString() };
}

test("at the configured UTC time it reconciles the day before, then again a day later", async () => {
  const h = harness(15, "2026-05-29T13:00:00Z");
  expect(h.s.next()).toEqual({ at: Date.parse("2026-05-30T00:15:00Z"), day: "2026-05-29" });
  h.s.start();
  expect(h.ran).toEqual([]);
  await h.fire();
  expect(h.at()).toBe("2026-05-30T00:15:00.000Z");
  expect(h.ran).toEqual(["2026-05-29"]);
  await h.fire();
  expect(h.at()).toBe("2026-05-31T00:15:00.000Z");
  expect(h.ran).toEqual(["2026-05-29", "2026-05-30"]);
  await h.s.stop();
});

test("before the time of day, today's run is still ahead", () => {
  const h = harness(23 * 60 + 50, "2026-05-29T23:49:59Z");
  expect(h.s.next()).toEqual({ at: Date.parse("2026-05-29T23:50:00Z"), day: "2026-05-28" });
});

test("a server that missed its time catches up at start; a fresh one does not", async () => {
  const missed = harness(15, "2026-05-30T09:00:00Z");
  missed.report("2026-05-28");
  missed.s.start();
  await missed.s.inFlight;
  expect(missed.ran).toEqual(["2026-05-29"]);
  await missed.s.stop();

  const done = harness(15, "2026-05-30T09:00:00Z");
  done.report("2026-05-28");
  done.report("2026-05-29");
  done.s.start();
  expect(done.ran).toEqual([]);
  await done.s.stop();

  const fresh = harness(15, "2026-05-30T09:00:00Z");
  fresh.s.start();
  expect(fresh.ran).toEqual([]);
  await fresh.s.stop();
});

test("stop cancels the armed run", async () => {
  const h = harness(15, "2026-05-29T13:00:00Z");
  h.s.start();
  await h.s.stop();
  expect(h.timers.every((t) => t.cancelled)).toBe(true);
});

test("the config: defaults, and a time that is not HH:MM refused", () => {
  const s = reconcileSettings(undefined, "/data");
  expect(s).toEqual({ atMinutes: 15, out: "/data/reconcile", custodyDir: null, dropCopyDir: null, custodyToleranceSeconds: 900, venueToleranceSeconds: 5 });
  expect(() => reconcileSettings({ at: "24:00" }, "/data")).toThrow(/reconcile.at must be a UTC time of day as "HH:MM"/);
  expect(() => reconcileSettings({ venueToleranceSeconds: -1 }, "/data")).toThrow(/reconcile.venueToleranceSeconds/);
});
