/**
 * The venue market data feed driven by hand-built FIX messages (as the FIX session would hand them
 * over): its MarketDataRequests, snapshots (W) and incremental refreshes (X) turned into guard
 * ticks, a reject (Y) left to go stale, messages that are not its own left alone. The guard submits
 * into a real engine.
 */
import { describe, expect, test } from "bun:test";
import { MarketDataStatus } from "../../../engine/commands.ts";
import { makeInstrument } from "../../../engine/instrument.ts";
import { type Field, FixMessage } from "../../../gateway/fix/message.ts";
import { MARKET_DATA_DEFAULTS } from "../../../gateway/venue/market-data-config.ts";
import { VenueMarketDataFeed } from "../../../gateway/venue/market-data-feed.ts";
import { MarketDataGuard } from "../../../gateway/venue/market-data-guard.ts";
import { ABC, Harness, INSTRUMENTS, XYZ } from "../../engine/exchange-harness.ts";
import { exchangeSubmit } from "./submit.ts";

const { OK, STALE, BAD_TICK } = MarketDataStatus;
const msg = (fields: Field[]) => new FixMessage(fields, new Uint8Array(0));
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

/** ABC routed under its own name, XYZ as the venue's "XYZ.V". */
function rig() {
  const h = new Harness();
  const sent: [number, number][] = [];
  const out: Field[][] = [];
  let now = 0;
  const guard = new MarketDataGuard({ settings: MARKET_DATA_DEFAULTS, symbols: [ABC, XYZ], submit: exchangeSubmit(h, sent), nowMs: 0 });
  const [abc, xyz] = INSTRUMENTS.map(makeInstrument);
  const feed = new VenueMarketDataFeed({
    session: { sendApp: (f) => (out.push(f), out.length) },
    guard,
    instruments: [{ instrument: abc! }, { instrument: xyz!, venueSymbol: "XYZ.V" }],
    clock: () => now,
    checkEveryMs: 1000,
  });
  return { h, guard, feed, sent, out, at: (ms: number) => (now = ms), status: (s: number) => h.ex.ledger.markets.get(s)!.dataStatus };
}

const snapshot = (reqId: string, symbol: string, ...e: [string, string, string?][]): FixMessage =>
  msg([[35, "W"], [262, reqId], [55, symbol], [268, String(e.length)], ...e.flatMap(([t, px, sz]): Field[] => (sz ? [[269, t], [270, px], [271, sz]] : [[269, t], [270, px]]))]);
const incremental = (reqId: string, ...e: [action: string, type: string, symbol: string, px?: string][]): FixMessage =>
  msg([[35, "X"], [262, reqId], [268, String(e.length)], ...e.flatMap(([a, t, s, px]): Field[] => [[279, a], [269, t], [55, s], ...(px ? ([[270, px], [271, "1"]] as Field[]) : [])])]);

describe("venue market data feed", () => {
  test("subscribes each routed instrument: snapshot + updates, top of book, bid/offer/trade", () => {
    const { feed, out } = rig();
    feed.subscribe();
    expect(out).toEqual([
      [[35, "V"], [262, "md-ABC"], [263, "1"], [264, "1"], [265, "1"], [267, "3"], [269, "0"], [269, "1"], [269, "2"], [146, "1"], [55, "ABC"]],
      [[35, "V"], [262, "md-XYZ.V"], [263, "1"], [264, "1"], [265, "1"], [267, "3"], [269, "0"], [269, "1"], [269, "2"], [146, "1"], [55, "XYZ.V"]],
    ]);
    feed.stop();
    expect(out.slice(2).map((f) => f[2])).toEqual([[263, "2"], [263, "2"]]);
  });

  test("snapshots and refreshes are ticks: a bad print flags the instrument once, in-band prints clear it", async () => {
    const r = rig();
    r.at(100);
    expect(r.feed.onApplication(snapshot("md-ABC", "ABC", ["0", "99.50", "10"], ["1", "100.50", "5"], ["2", "100.00", "1"]))).toBe(true);
    expect(r.feed.onApplication(snapshot("md-XYZ.V", "XYZ.V", ["2", "40.00", "1"]))).toBe(true);
    await settle();
    expect(r.sent).toEqual([]);
    // 100 → 120 is 20 %: a bad tick on ABC, and on ABC alone (XYZ's entry is in band).
    r.at(200);
    r.feed.onApplication(incremental("md-ABC", ["0", "2", "ABC", "120.00"], ["1", "0", "ABC", "99.60"]));
    r.feed.onApplication(incremental("md-XYZ.V", ["0", "2", "XYZ.V", "40.50"]));
    await settle();
    expect(r.sent).toEqual([[ABC, BAD_TICK]]);
    expect(r.status(ABC)).toBe(BAD_TICK);
    // Three in-band prints in a row (the bid above was one): cleared.
    r.feed.onApplication(incremental("md-ABC", ["1", "1", "ABC", "100.40"], ["0", "2", "ABC", "100.10"]));
    await settle();
    expect(r.sent).toEqual([[ABC, BAD_TICK], [ABC, OK]]);
    expect(r.status(ABC)).toBe(OK);
  });

  test("a Delete is a sign of life with no price; silence past staleMs is stale; a reject leaves its instrument to go stale", async () => {
    const r = rig();
    r.at(1000);
    r.feed.onApplication(snapshot("md-ABC", "ABC", ["2", "100.00", "1"]));
    expect(r.feed.onApplication(msg([[35, "Y"], [262, "md-XYZ.V"], [281, "0"], [58, "unknown symbol XYZ.V"]]))).toBe(true);
    r.at(5500);
    r.feed.onApplication(incremental("md-ABC", ["2", "1", "ABC"]));
    r.guard.check(6000);
    await settle();
    expect(r.sent).toEqual([[XYZ, STALE]]);
    r.guard.check(10_501);
    await settle();
    expect(r.sent).toEqual([[XYZ, STALE], [ABC, STALE]]);
    expect(r.status(ABC)).toBe(STALE);
    // A resubscription's snapshot is fresh data.
    r.at(11_000);
    r.feed.onApplication(snapshot("md-ABC", "ABC", ["0", "99.00", "3"]));
    await settle();
    expect(r.sent.at(-1)).toEqual([ABC, OK]);
  });

  test("start subscribes and runs the guard's checks on its own timer; stop ends both", async () => {
    let now = 0;
    const out: Field[][] = [];
    let flagged!: (s: number) => void;
    const first = new Promise<number>((r) => (flagged = r));
    const guard = new MarketDataGuard({ settings: { ...MARKET_DATA_DEFAULTS, staleMs: 10 }, symbols: [ABC], nowMs: 0, submit: async (c) => (flagged(c.tier!), { ok: true }) });
    const feed = new VenueMarketDataFeed({ session: { sendApp: (f) => out.push(f) }, guard, instruments: [{ instrument: makeInstrument(INSTRUMENTS[0]!) }], clock: () => (now += 5), checkEveryMs: 1 });
    feed.start();
    expect(out.map((f) => f[2])).toEqual([[263, "1"]]);
    // The clock moves 5 ms a check: by the third, nothing for more than 10 ms.
    expect(await first).toBe(STALE);
    feed.stop();
    expect(out.map((f) => f[2])).toEqual([[263, "1"], [263, "2"]]);
  });

  test("messages that are not its own are left to others; a price off the grid is only a sign of life", async () => {
    const r = rig();
    expect(r.feed.onApplication(msg([[35, "8"], [11, "x"]]))).toBe(false);
    expect(r.feed.onApplication(incremental("other-req", ["0", "2", "ABC", "500.00"]))).toBe(false);
    r.feed.onApplication(snapshot("md-ABC", "ABC", ["2", "100.00", "1"]));
    r.feed.onApplication(incremental("md-ABC", ["0", "2", "ABC", "100.001"]));
    await settle();
    expect(r.guard.status(ABC)).toBe(OK);
    expect(r.sent).toEqual([]);
  });
});
