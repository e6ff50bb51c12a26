/** A tier's monitoring settings: checked at start with a sentence per mistake, defaults under overrides; the rapid-position window's bounds. */
import { expect, test } from "bun:test";
import { checkConfig } from "../../app/config-check.ts";
import { checkMonitoring, DEFAULT_MONITORING, tierSettings } from "../../history/monitoring/settings.ts";
import { demoConfig } from "./journal-fixture.ts";
import { AccountWatch } from "../../history/monitoring/account-watch.ts";
import { judgeSize } from "../../history/monitoring/large-size.ts";
import { dropQuietSymbols, judgePosition } from "../../history/monitoring/rapid-position.ts";

test("a tier's overrides go over the defaults; a tier not listed gets the defaults", () => {
  const of = tierSettings([{ id: 1, monitoring: { largeOrderFactor: 8 } }, { id: 2 }]);
  expect(of(1)).toEqual({ ...DEFAULT_MONITORING, largeOrderFactor: 8 });
  expect(of(2)).toEqual(DEFAULT_MONITORING);
  expect(of(9)).toEqual(DEFAULT_MONITORING);
});

test("unknown settings, wrong types and values out of range are named", () => {
  expect(checkMonitoring("t", { largeOrderFactor: 0.5, enabled: "yes", sizeWeight: 2, nope: 1 })).toEqual([
    "t.largeOrderFactor: must be a number from 1 to 1000000000",
    "t.enabled: must be true or false",
    "t.sizeWeight: must be a number from 0.0001 to 1",
    expect.stringContaining("t.nope: not a monitoring setting"),
  ]);
  expect(checkMonitoring("t", [1])).toEqual(["t: must be an object of monitoring settings"]);
  expect(checkMonitoring("t", undefined)).toEqual([]);
});

test("the configuration check refuses a bad tier setting before anything opens", () => {
  const c = structuredClone(demoConfig);
  c.exchange.tiers[0]!.monitoring = { rejectCount: -1 };
  expect(() => checkConfig(c, "demo.json")).toThrow("demo.json: exchange.tiers[0].monitoring.rejectCount: expected a number from 1 to 1000000, got -1");
  c.exchange.tiers[0]!.monitoring = { rejectCount: 5 };
  expect(() => checkConfig(c, "demo.json")).not.toThrow();
});

test("the rapid-position window stays sixty buckets however many fills it holds, and its sums follow what leaves it", () => {
  const s = { ...DEFAULT_MONITORING, sizeMinHistory: 1 };
  const w = new AccountWatch();
  judgeSize(w, "fill", 100, s);
  const t0 = 1_000_000_000_000;
  for (let i = 0; i < 10_000; i++) judgePosition(w, 1, t0 + i * 10_000, i % 2 === 0 ? 100 : -100, s);
  const win = w.moves[1]!;
  expect(win.buckets.length).toBeLessThanOrEqual(61);
  // Alternating buys and sells: flat, with the gross of the fills still in the window.
  expect(Math.abs(win.net)).toBeLessThanOrEqual(100);
  expect(win.fills).toBe(win.buckets.reduce((a, b) => a + b[3], 0));
  expect(win.gross).toBeCloseTo(win.buckets.reduce((a, b) => a + b[2], 0), 6);
  // Two minutes later the window is empty of the old fills: only the new one counts.
  expect(judgePosition(w, 1, t0 + 300_000_000, 100, s)).toBeNull();
  expect(w.moves[1]!.fills).toBe(1);
  dropQuietSymbols(w, t0 + 600_000_000, s);
  expect(w.moves[1]).toBeUndefined();
});
