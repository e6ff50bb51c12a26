import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Command, CommandType, makeCommand, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import { EventBuffer, decodeEvents } from "../../engine/events.ts";
import { MatchingEngine } from "../../engine/matching.ts";
import { readSnapshot, writeSnapshot } from "../../engine/snapshot.ts";

const INSTRUMENTS = [
  { id: 1, symbol: "AAA", tickSize: "0.01", lotSize: "1", bandBps: 500, referencePrice: 100 },
  // Guards on, so snapshots carry halts, the volatility window and the queue of a halted book.
  { id: 7, symbol: "BBB-USD", tickSize: "0.5", lotSize: "0.001", bandBps: 1000, tradeBandBps: 400, volatilityBps: 300, volatilityWindowUs: 100, haltUs: 60 },
];

/** A compact random command: enough variety to leave resting orders, stops and GTD deadlines. */
const commandArb = fc.record({
  kind: fc.integer({ min: 0, max: 11 }),
  symbol: fc.constantFrom(1, 7),
  side: fc.constantFrom(Side.BUY, Side.SELL),
  price: fc.integer({ min: 95, max: 105 }),
  qty: fc.integer({ min: 1, max: 8 }),
  account: fc.integer({ min: 1, max: 3 }),
  target: fc.integer({ min: 1, max: 60 }),
  tif: fc.constantFrom(TimeInForce.GTC, TimeInForce.DAY, TimeInForce.GTD, TimeInForce.IOC),
});

type Raw = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;

function toCommand(r: Raw, i: number): Command {
  const time = 1_000 + i * 10;
  const base = { time, symbol: r.symbol, account: r.account, side: r.side, qty: r.qty, price: r.price };
  if (r.kind <= 4) {
    return makeCommand({ ...base, type: CommandType.NEW_ORDER, orderId: i + 1, tif: r.tif, expireTime: time + 50 });
  }
  if (r.kind === 5) {
    return makeCommand({ ...base, type: CommandType.NEW_ORDER, orderId: i + 1, orderType: OrderType.STOP_LIMIT, stopPrice: r.price + (r.side === Side.BUY ? 3 : -3) });
  }
  if (r.kind === 6) return makeCommand({ ...base, type: CommandType.CANCEL, orderId: r.target });
  if (r.kind === 7) return makeCommand({ ...base, type: CommandType.AMEND, orderId: r.target });
  if (r.kind === 8) return makeCommand({ ...base, type: CommandType.NEW_ORDER, orderId: i + 1, orderType: OrderType.MARKET, tif: TimeInForce.IOC });
  if (r.kind === 10) return makeCommand({ ...base, type: CommandType.HALT, expireTime: r.target % 2 === 0 ? time + r.target * 5 : 0 });
  if (r.kind === 11) return makeCommand({ ...base, type: CommandType.RESUME });
  return makeCommand({ ...base, type: CommandType.TICK });
}

function run(engine: MatchingEngine, cmds: Command[]): ReturnType<typeof decodeEvents>[] {
  const out = new EventBuffer();
  return cmds.map((c) => {
    out.reset();
    engine.execute(c, out);
    return decodeEvents(out);
  });
}

describe("snapshot", () => {
  test("an empty engine round-trips to the same bytes", () => {
    const bytes = writeSnapshot(new MatchingEngine(INSTRUMENTS));
    expect(writeSnapshot(readSnapshot(bytes))).toEqual(bytes);
  });

  // The restored engine fills its pool in canonical order, not the original's, so equal bytes
  // also show the layout is independent of slot assignment.
  test("a restored engine has the same bytes and produces the same events as the original", () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 80 }), fc.array(commandArb, { maxLength: 40 }), (before, after) => {
        const original = new MatchingEngine(INSTRUMENTS);
        run(original, before.map(toCommand));
        const bytes = writeSnapshot(original);
        const restored = readSnapshot(bytes);
        expect(writeSnapshot(restored)).toEqual(bytes);
        expect(restored.openOrders()).toEqual(original.openOrders());

        const rest = after.map((r, i) => toCommand(r, before.length + i));
        expect(run(restored, rest)).toEqual(run(original, rest));
        expect(writeSnapshot(restored)).toEqual(writeSnapshot(original));
      }),
      { numRuns: 150 },
    );
  });

  test("a truncated or foreign snapshot is refused with a clear error", () => {
    const bytes = writeSnapshot(new MatchingEngine(INSTRUMENTS));
    expect(() => readSnapshot(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    expect(() => readSnapshot(new Uint8Array(16))).toThrow(/bad magic/);
  });
});
