/**
 * MARKET_DATA_STATUS (docs/venues.md "Market data from the venue"): a symbol whose venue's data is
 * flagged stale or bad refuses MARKET, STOP and STOP_LIMIT orders with MARKET_DATA_STALE or
 * MARKET_DATA_BAD_TICK and changes nothing; limit orders, cancels and amends go on. The change is a
 * STATUS event with the flag; the flag survives a snapshot, and a never-flagged snapshot is
 * byte-identical to one written before the flag existed.
 */
import { describe, expect, test } from "bun:test";
import { Actor, MarketDataStatus } from "../../engine/commands.ts";
import { readExchangeSnapshot, writeExchangeSnapshot } from "../../engine/exchange-snapshot.ts";
import { MarketState } from "../../engine/market-state.ts";
import { ABC, ALICE, BOB, CommandType, expectRejected, Harness, IOC, GTC, LIMIT, MARKET, Reason, STOP, STOP_LIMIT, USD, XYZ, EUR, ofType } from "./exchange-harness.ts";

const BIG = 10n ** 12n;

function setup(): Harness {
  const h = new Harness();
  h.fund(ALICE, { [USD]: BIG, [EUR]: BIG }, { [ABC]: [1_000, 10_000] });
  h.fund(BOB, { [USD]: BIG, [EUR]: BIG }, { [ABC]: [1_000, 10_000], [XYZ]: [100, 400] });
  h.sell({ account: BOB, qty: 10, price: 10_100, tif: GTC });
  h.buy({ account: BOB, qty: 10, price: 9_900, tif: GTC });
  return h;
}

const flag = (h: Harness, status: number, symbol = ABC) => h.run({ type: CommandType.MARKET_DATA_STATUS, symbol, tier: status, actor: Actor.SYSTEM });

describe("MARKET_DATA_STATUS", () => {
  test("a stale symbol refuses market, stop and stop-limit orders without a change, and takes limits", () => {
    const h = setup();
    const ev = flag(h, MarketDataStatus.STALE);
    expect(ev).toEqual([{ type: "status", symbol: ABC, state: MarketState.OPEN, until: Infinity, reason: Reason.MARKET_DATA_STALE, marketData: MarketDataStatus.STALE }]);
    for (const o of [
      { type: MARKET, tif: IOC },
      { type: STOP, tif: GTC, stopPrice: 10_200 },
      { type: STOP_LIMIT, tif: GTC, stopPrice: 10_200, price: 10_300 },
    ]) {
      const before = h.state();
      expectRejected(h.buy({ account: ALICE, qty: 1, ...o }).events, Reason.MARKET_DATA_STALE);
      expect(h.state()).toEqual(before);
    }
    // A limit caps its price: it trades, as always.
    const limit = h.buy({ account: ALICE, qty: 1, price: 10_100, type: LIMIT, tif: IOC });
    expect(ofType(limit.events, "trade")).toHaveLength(1);
    // Another symbol is not touched by ABC's flag.
    h.sell({ account: BOB, symbol: XYZ, qty: 5, price: 410, tif: GTC });
    expect(ofType(h.buy({ account: ALICE, symbol: XYZ, qty: 1, type: MARKET, tif: IOC }).events, "trade")).toHaveLength(1);
  });

  test("a bad tick refuses with MARKET_DATA_BAD_TICK; clearing lets market orders trade again", () => {
    const h = setup();
    flag(h, MarketDataStatus.BAD_TICK);
    expectRejected(h.sell({ account: ALICE, qty: 1, type: MARKET, tif: IOC }).events, Reason.MARKET_DATA_BAD_TICK);
    // Stale after bad: the newest status is the one that refuses.
    flag(h, MarketDataStatus.STALE);
    expectRejected(h.sell({ account: ALICE, qty: 1, type: MARKET, tif: IOC }).events, Reason.MARKET_DATA_STALE);
    const cleared = flag(h, MarketDataStatus.OK);
    expect(cleared).toEqual([{ type: "status", symbol: ABC, state: MarketState.OPEN, until: Infinity, reason: Reason.OK }]);
    expect(ofType(h.sell({ account: ALICE, qty: 1, type: MARKET, tif: IOC }).events, "trade")).toHaveLength(1);
  });

  test("the same status again says nothing; an unknown symbol or status is refused and changes nothing", () => {
    const h = setup();
    flag(h, MarketDataStatus.STALE);
    expect(flag(h, MarketDataStatus.STALE)).toEqual([]);
    const before = h.state();
    expectRejected(flag(h, 3), Reason.INVALID_MARKET_DATA_STATUS);
    expectRejected(flag(h, MarketDataStatus.OK, 99), Reason.UNKNOWN_SYMBOL);
    expect(h.state()).toEqual(before);
    expect(h.ex.ledger.markets.get(ABC)!.dataStatus).toBe(MarketDataStatus.STALE);
  });

  test("a halt of a flagged symbol keeps its own reason and carries the flag; its end shows the flag's reason", () => {
    const h = setup();
    flag(h, MarketDataStatus.STALE);
    expect(h.run({ type: CommandType.HALT, symbol: ABC })).toEqual([{ type: "status", symbol: ABC, state: MarketState.HALTED, until: Infinity, reason: Reason.SYMBOL_HALTED, marketData: MarketDataStatus.STALE }]);
    expect(h.run({ type: CommandType.RESUME, symbol: ABC })).toEqual([{ type: "status", symbol: ABC, state: MarketState.OPEN, until: Infinity, reason: Reason.MARKET_DATA_STALE, marketData: MarketDataStatus.STALE }]);
  });

  test("the flag survives a snapshot; a snapshot of a never-flagged (or cleared) exchange has no trace of it", () => {
    const h = setup();
    const plain = writeExchangeSnapshot(h.ex);
    // The account side's text is what it was before the flag existed: markets are [id, last, mark].
    expect(new TextDecoder().decode(plain)).toContain(`"markets":[[${ABC},0,0],[${XYZ},0,0]]`);
    flag(h, MarketDataStatus.BAD_TICK);
    const flagged = writeExchangeSnapshot(h.ex);
    expect(new TextDecoder().decode(flagged)).toContain(`"markets":[[${ABC},0,0,${MarketDataStatus.BAD_TICK}],[${XYZ},0,0]]`);
    const restored = readExchangeSnapshot(flagged);
    expect(restored.ledger.markets.get(ABC)!.dataStatus).toBe(MarketDataStatus.BAD_TICK);
    expect(writeExchangeSnapshot(restored)).toEqual(flagged);
    flag(h, MarketDataStatus.OK);
    expect(writeExchangeSnapshot(h.ex)).toEqual(plain);
  });
});
