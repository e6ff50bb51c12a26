/** A tier's monitoring settings: checked at start with a sentence per mistake, defaults under overrides. */
import { expect, test } from "bun:test";
import { checkConfig } from "../../app/config-check.ts";
import { checkMonitoring, DEFAULT_MONITORING, tierSettings } from "../../history/monitoring/settings.ts";
import { demoConfig } from "./journal-fixture.ts";

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
  expect(() => checkConfig(c, "demo.json")).toThrow("demo.json: exchange.tiers (id 1).monitoring.rejectCount: must be a number from 1 to 1000000");
  c.exchange.tiers[0]!.monitoring = { rejectCount: 5 };
  expect(() => checkConfig(c, "demo.json")).not.toThrow();
});
