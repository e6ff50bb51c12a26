/**
 * protocol/decimal-units.ts (the SDK's BigInt conversions) against engine/instrument.ts (the
 * server's): the same text gives the same ticks or the same reason, and the same ticks the same
 * text, for random sizes and inputs — so a client never formats or refuses a price the server
 * would not.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as engine from "../../engine/instrument.ts";
import { formatUnits, MAX_PRICE_TICKS, MAX_QTY_LOTS, MAX_TEXT, unitGrid } from "../../protocol/decimal-units.ts";
import { formatPrice, formatQty, parsePrice, parseQty } from "../../protocol/shared.ts";

const size = fc
  .tuple(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 9 }))
  .map(([num, scale]) => (scale === 0 ? String(num) : (num / 10 ** scale).toFixed(scale)))
  .filter((s) => Number(s) > 0);
const instrument = fc.tuple(size, size).map(([tickSize, lotSize]) => engine.makeInstrument({ id: 1, symbol: "T", tickSize, lotSize, bandBps: 0 }));
/** Prices as people and programs write them, and the malformed ones a door must refuse. */
const text = fc.oneof(
  fc.tuple(fc.nat({ max: 1e9 }), fc.nat({ max: 99_999 })).map(([i, f]) => `${i}.${f}`),
  fc.nat({ max: 1e12 }).map(String),
  fc.stringMatching(/^-?\d{0,20}(\.\d{0,20})?$/),
  fc.constantFrom(" 1.5", "1.5 ", "1e3", "0x10", "+1", "-0", "0.0", ".5", "5.", "", "１", "1.2.3", "9".repeat(MAX_TEXT + 1)),
  fc.string({ maxLength: 12 }),
);

describe("protocol/decimal-units", () => {
  test("parses every text as the engine does: same ticks and lots, same reason", () => {
    fc.assert(
      fc.property(instrument, text, (inst, t) => {
        expect(parsePrice(inst, t)).toEqual(engine.parsePrice(inst, t));
        expect(parseQty(inst, t)).toEqual(engine.parseQty(inst, t));
      }),
      { numRuns: 3000 },
    );
  });

  test("formats every integer as the engine does, signs and zero included", () => {
    fc.assert(
      fc.property(instrument, fc.integer({ min: -1e12, max: 1e12 }), (inst, units) => {
        expect(formatPrice(inst, units)).toBe(engine.formatPrice(inst, units));
        expect(formatQty(inst, units)).toBe(engine.formatQty(inst, units));
      }),
      { numRuns: 3000 },
    );
  });

  test("a size's grid drops trailing zeros and takes an exponent", () => {
    expect(unitGrid("0.010")).toEqual({ num: 1n, scale: 2 });
    expect(unitGrid("5")).toEqual({ num: 5n, scale: 0 });
    expect(unitGrid("1e-8")).toEqual({ num: 1n, scale: 8 });
    expect(formatUnits("0.5", 3)).toBe("1.5");
    expect(() => unitGrid("0")).toThrow(RangeError);
    expect(() => unitGrid("abc")).toThrow(RangeError);
  });

  test("holds the engine's bounds", () => {
    expect([MAX_TEXT, MAX_PRICE_TICKS, MAX_QTY_LOTS]).toEqual([engine.MAX_TEXT, engine.MAX_PRICE_TICKS, engine.MAX_QTY_LOTS]);
  });
});
