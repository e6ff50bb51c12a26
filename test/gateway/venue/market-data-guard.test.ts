/**
 * The venue market-data guard with an injected clock, submitting into a real engine (Exchange):
 * stale after staleMs, a bad tick outside the band, one command per change (never per tick), the
 * flag cleared by fresh data, by clearAfterGoodPrints in-band prints or a fresh snapshot; a refused
 * or failed submit is retried by the next check. And the config's defaults and errors.
 */
import { describe, expect, test } from "bun:test";
import { type CommandInit, MarketDataStatus } from "../../../engine/commands.ts";
import { Reason } from "../../../engine/reasons.ts";
import { MarketDataGuard, type SubmitOutcome } from "../../../gateway/venue/market-data-guard.ts";
import { MARKET_DATA_DEFAULTS, marketDataSettings } from "../../../gateway/venue/market-data-config.ts";
import { OperatorError } from "../../../actors/operator-error.ts";
import { ABC, Harness, XYZ } from "../../engine/exchange-harness.ts";
import { exchangeSubmit } from "./submit.ts";

const { OK, STALE, BAD_TICK } = MarketDataStatus;

/** A guard over ABC and XYZ whose commands run in a real engine; `sent` lists (symbol, status) in order. */
function rig(settings = MARKET_DATA_DEFAULTS, refuse = false) {
  const h = new Harness();
  const sent: [number, number][] = [];
  let fail = refuse;
  const real = exchangeSubmit(h, sent);
  const submit = (init: CommandInit): Promise<SubmitOutcome> => (fail ? Promise.resolve({ ok: false, reason: Reason.UNKNOWN_COMMAND }) : real(init));
  const guard = new MarketDataGuard({ settings, symbols: [ABC, XYZ], submit, nowMs: 0 });
  return { h, guard, sent, engineStatus: (s: number) => h.ex.ledger.markets.get(s)!.dataStatus, setFail: (f: boolean) => (fail = f) };
}

/** Lets the submit promises settle. */
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

describe("market data guard", () => {
  test("no data for staleMs flags STALE once, however often it checks; fresh data clears it", async () => {
    const { guard, sent, engineStatus } = rig();
    guard.onTick(ABC, "trade", 10_000, 100);
    guard.onTick(XYZ, "bid", 400, 100);
    guard.check(5_100);
    await settle();
    expect(sent).toEqual([]);
    guard.onTick(XYZ, "offer", 401, 4_000);
    guard.check(5_101);
    guard.check(6_000);
    guard.check(7_000);
    await settle();
    expect(sent).toEqual([[ABC, STALE]]);
    expect(engineStatus(ABC)).toBe(STALE);
    expect(engineStatus(XYZ)).toBe(OK);
    guard.onTick(ABC, "bid", 10_010, 7_100);
    guard.onTick(ABC, "offer", 10_020, 7_101);
    await settle();
    expect(sent).toEqual([[ABC, STALE], [ABC, OK]]);
    expect(engineStatus(ABC)).toBe(OK);
  });

  test("a print outside the band is a bad tick, not the new reference; N in-band prints in a row clear it", async () => {
    const { guard, sent, engineStatus } = rig({ ...MARKET_DATA_DEFAULTS, bandBps: 1000, clearAfterGoodPrints: 3 });
    guard.onTick(ABC, "trade", 10_000, 1);
    guard.onTick(ABC, "trade", 11_000, 2); // exactly 10 %: in band, the new reference
    guard.onTick(ABC, "trade", 12_101, 3); // 10.01 % from 11,000: bad
    guard.onTick(ABC, "trade", 1, 4); // bad again: still one command
    await settle();
    expect(sent).toEqual([[ABC, BAD_TICK]]);
    expect(engineStatus(ABC)).toBe(BAD_TICK);
    // Two good prints, then a bad one restarts the count.
    guard.onTick(ABC, "bid", 10_990, 5);
    guard.onTick(ABC, "offer", 11_010, 6);
    guard.onTick(ABC, "trade", 20_000, 7);
    guard.onTick(ABC, "trade", 11_000, 8);
    guard.onTick(ABC, "trade", 11_000, 9);
    await settle();
    expect(guard.status(ABC)).toBe(BAD_TICK);
    guard.onTick(ABC, "trade", 11_000, 10);
    await settle();
    expect(sent).toEqual([[ABC, BAD_TICK], [ABC, OK]]);
    expect(engineStatus(ABC)).toBe(OK);
  });

  test("a fresh snapshot restates the market: a genuine jump past the band is accepted and the flag cleared", async () => {
    const { guard, sent } = rig();
    guard.onTick(ABC, "trade", 10_000, 1);
    guard.onTick(ABC, "trade", 15_000, 2);
    await settle();
    expect(guard.status(ABC)).toBe(BAD_TICK);
    guard.rebase(ABC, 15_000, 3);
    guard.onTick(ABC, "trade", 15_100, 4);
    await settle();
    expect(sent).toEqual([[ABC, BAD_TICK], [ABC, OK]]);
  });

  test("stale wins over a bad tick; when data returns the bad tick still holds until it clears", async () => {
    const { guard, sent } = rig();
    guard.onTick(ABC, "trade", 10_000, 1);
    guard.onTick(ABC, "trade", 20_000, 2);
    guard.onTick(XYZ, "trade", 400, 6_000);
    guard.check(6_000);
    await settle();
    expect(sent).toEqual([[ABC, BAD_TICK], [ABC, STALE]]);
    guard.onTick(ABC, "trade", 10_000, 6_100);
    await settle();
    expect(sent.at(-1)).toEqual([ABC, BAD_TICK]);
  });

  test("a refused submit is not taken as done: the next check sends it again", async () => {
    const r = rig(MARKET_DATA_DEFAULTS, true);
    r.guard.check(6_000);
    await settle();
    expect(r.sent).toEqual([]);
    expect(r.engineStatus(ABC)).toBe(OK);
    r.setFail(false);
    r.guard.check(6_001);
    await settle();
    expect(r.sent).toEqual([[ABC, STALE], [XYZ, STALE]]);
  });

  test("a symbol it does not watch is ignored; a flag that survived a restart is cleared by good data", async () => {
    const h = new Harness();
    const sent: number[] = [];
    const guard = new MarketDataGuard({ settings: MARKET_DATA_DEFAULTS, symbols: [ABC], nowMs: 0, initial: () => STALE, submit: async (c) => (sent.push(c.tier!), { ok: true }) });
    guard.onTick(XYZ, "trade", 1, 1);
    expect(guard.status(XYZ)).toBeUndefined();
    guard.onTick(ABC, "trade", 10_000, 1);
    await settle();
    expect(sent).toEqual([OK]);
    expect(h).toBeDefined();
  });
});

describe("venue market data config", () => {
  test("defaults, overrides, and an error naming the key", () => {
    expect(marketDataSettings(undefined)).toEqual({ staleMs: 5000, bandBps: 1000, clearAfterGoodPrints: 3, checkEveryMs: 1000 });
    expect(marketDataSettings({ staleMs: 2000 })).toEqual({ ...MARKET_DATA_DEFAULTS, staleMs: 2000 });
    expect(() => marketDataSettings({ staleMs: 0 }, "venues.lse.marketData")).toThrow(new OperatorError("venues.lse.marketData.staleMs must be a whole number from 1 to 86400000, not 0"));
    expect(() => marketDataSettings({ bandBps: "10" })).toThrow(/venues\[\]\.marketData\.bandBps must be a whole number/);
    expect(() => marketDataSettings({ stale: 1 })).toThrow(/marketData\.stale is not a setting/);
    expect(() => marketDataSettings([])).toThrow(/must be an object/);
  });
});
