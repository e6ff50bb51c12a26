/**
 * docs/matching.md, "Instruments": tickSize and lotSize are decimal strings; engine/instrument.ts
 * converts a client's decimal text to integer ticks / lots exactly (decimal.js, never binary
 * floating point, never rounding) and rejects PRICE_OFF_TICK / QUANTITY_OFF_LOT off the grid.
 * Limits: 1 ≤ price ≤ 1e11 ticks, 1 ≤ qty ≤ 1e12 lots.
 */
import { describe, expect, test } from "bun:test";
import { formatPrice, formatQty, makeInstrument, parsePrice, parseQty, type Instrument } from "../../engine/instrument.ts";
import { Reason, reasonName } from "../../engine/reasons.ts";

const cents = makeInstrument({ id: 1, symbol: "T", tickSize: "0.01", lotSize: "1", bandBps: 500 });
const tenths = makeInstrument({ id: 2, symbol: "D", tickSize: "0.1", lotSize: "0.001", bandBps: 500 });
const quarters = makeInstrument({ id: 3, symbol: "Q", tickSize: "0.25", lotSize: "0.5", bandBps: 500 });
const nickels = makeInstrument({ id: 4, symbol: "N", tickSize: "0.05", lotSize: "100", bandBps: 500 });
const fives = makeInstrument({ id: 5, symbol: "F", tickSize: "5", lotSize: "10", bandBps: 500 });

function expectValue(r: ReturnType<typeof parsePrice>, value: number, what: string): void {
  expect(r, `${what} must convert to exactly ${value}`).toEqual({ ok: true, value });
}

function expectReason(r: ReturnType<typeof parsePrice>, reason: number, what: string): void {
  expect(r, `${what} must be rejected ${reasonName(reason)}`).toEqual({ ok: false, reason });
}

describe("parsePrice converts decimal text to whole ticks exactly", () => {
  test("a price on the tick grid becomes a whole number of ticks", () => {
    expectValue(parsePrice(cents, "101.25"), 10125, '"101.25" at tick 0.01');
    expectValue(parsePrice(cents, "0.01"), 1, '"0.01" at tick 0.01 (one tick)');
    expectValue(parsePrice(cents, "7"), 700, '"7" at tick 0.01');
    expectValue(parsePrice(quarters, "101.25"), 405, '"101.25" at tick 0.25');
    expectValue(parsePrice(fives, "15"), 3, '"15" at tick 5');
  });

  test("conversion is decimal, not binary floating point", () => {
    // 0.3 / 0.1 is 2.9999999999999996 and 1.15 / 0.05 is 22.999999999999996 in doubles.
    expectValue(parsePrice(tenths, "0.3"), 3, '"0.3" at tick 0.1');
    expectValue(parsePrice(nickels, "1.15"), 23, '"1.15" at tick 0.05');
    expectValue(parsePrice(cents, "1.13"), 113, '"1.13" at tick 0.01');
    expectValue(parsePrice(cents, "4.35"), 435, '"4.35" at tick 0.01');
    expectValue(parsePrice(cents, "999999999.99"), 99999999999, '"999999999.99" at tick 0.01');
  });

  test("trailing zeros beyond the tick do not make a price off-tick", () => {
    expectValue(parsePrice(cents, "101.250000"), 10125, '"101.250000" at tick 0.01');
    expectValue(parsePrice(fives, "15.000"), 3, '"15.000" at tick 5');
  });

  test("a price off the tick grid is PRICE_OFF_TICK, never rounded", () => {
    expectReason(parsePrice(cents, "101.255"), Reason.PRICE_OFF_TICK, '"101.255" at tick 0.01');
    expectReason(parsePrice(cents, "0.001"), Reason.PRICE_OFF_TICK, '"0.001" at tick 0.01 (less than one tick)');
    expectReason(parsePrice(quarters, "101.3"), Reason.PRICE_OFF_TICK, '"101.3" at tick 0.25');
    expectReason(parsePrice(nickels, "1.17"), Reason.PRICE_OFF_TICK, '"1.17" at tick 0.05');
    expectReason(parsePrice(fives, "12"), Reason.PRICE_OFF_TICK, '"12" at tick 5');
  });

  test("a price off the grid by a tiny fraction is still PRICE_OFF_TICK (no rounding to a working precision)", () => {
    // 21+ significant digits: decimal.js rounds divisions to 20 significant digits by default.
    expectReason(parsePrice(cents, "100.0000000000000000001"), Reason.PRICE_OFF_TICK, '"100.0000000000000000001" at tick 0.01');
    expectReason(parsePrice(cents, "0.010000000000000000000001"), Reason.PRICE_OFF_TICK, '"0.010000000000000000000001" at tick 0.01');
  });

  test("zero and negative prices are INVALID_PRICE", () => {
    for (const text of ["0", "0.00", "-0", "-1", "-0.01", "-101.25"]) {
      expectReason(parsePrice(cents, text), Reason.INVALID_PRICE, `"${text}"`);
    }
  });

  test("text that is not a plain decimal is INVALID_PRICE", () => {
    for (const text of ["", " ", "abc", "1e3", "1E2", "0x10", "1,000", "1.2.3", "12abc", "NaN", "Infinity", "-", ".", "1/2", "٣"]) {
      expectReason(parsePrice(cents, text), Reason.INVALID_PRICE, JSON.stringify(text));
    }
  });

  test("a value that is not a string at all is INVALID_PRICE", () => {
    for (const v of [101.25, null, undefined, {}]) {
      expectReason(parsePrice(cents, v as unknown as string), Reason.INVALID_PRICE, `non-string ${String(v)}`);
    }
  });

  test("the largest price is 1e11 ticks; one tick more is INVALID_PRICE", () => {
    expectValue(parsePrice(cents, "1000000000"), 1e11, '"1000000000" at tick 0.01 (1e11 ticks)');
    expectReason(parsePrice(cents, "1000000000.01"), Reason.INVALID_PRICE, '"1000000000.01" at tick 0.01 (1e11 + 1 ticks)');
    expectReason(parsePrice(cents, "99999999999999999999999"), Reason.INVALID_PRICE, "a huge price");
  });
});

describe("parseQty converts decimal text to whole lots exactly", () => {
  test("a quantity on the lot grid becomes a whole number of lots", () => {
    expectValue(parseQty(cents, "25"), 25, '"25" at lot 1');
    expectValue(parseQty(tenths, "0.5"), 500, '"0.5" at lot 0.001');
    expectValue(parseQty(tenths, "0.001"), 1, '"0.001" at lot 0.001 (one lot)');
    expectValue(parseQty(quarters, "2.5"), 5, '"2.5" at lot 0.5');
    expectValue(parseQty(nickels, "300"), 3, '"300" at lot 100');
  });

  test("conversion is decimal, not binary floating point", () => {
    // 0.007 / 0.001 is 7.000000000000001 in doubles.
    expectValue(parseQty(tenths, "0.007"), 7, '"0.007" at lot 0.001');
    expectValue(parseQty(tenths, "1.001"), 1001, '"1.001" at lot 0.001');
  });

  test("a quantity off the lot grid is QUANTITY_OFF_LOT, never rounded", () => {
    expectReason(parseQty(cents, "2.5"), Reason.QUANTITY_OFF_LOT, '"2.5" at lot 1');
    expectReason(parseQty(tenths, "0.0005"), Reason.QUANTITY_OFF_LOT, '"0.0005" at lot 0.001');
    expectReason(parseQty(quarters, "0.75"), Reason.QUANTITY_OFF_LOT, '"0.75" at lot 0.5');
    expectReason(parseQty(nickels, "150"), Reason.QUANTITY_OFF_LOT, '"150" at lot 100');
  });

  test("a quantity off the grid by a tiny fraction is still QUANTITY_OFF_LOT (no rounding to a working precision)", () => {
    expectReason(parseQty(cents, "5.000000000000000000001"), Reason.QUANTITY_OFF_LOT, '"5.000000000000000000001" at lot 1');
  });

  test("zero and negative quantities are INVALID_QUANTITY", () => {
    for (const text of ["0", "0.000", "-0", "-1", "-0.5"]) {
      expectReason(parseQty(tenths, text), Reason.INVALID_QUANTITY, `"${text}"`);
    }
  });

  test("text that is not a plain decimal is INVALID_QUANTITY", () => {
    for (const text of ["", "ten", "1e3", "0x10", "1_000", "5 lots", "+-1"]) {
      expectReason(parseQty(cents, text), Reason.INVALID_QUANTITY, JSON.stringify(text));
    }
  });

  test("the largest quantity is 1e12 lots; one lot more is INVALID_QUANTITY", () => {
    expectValue(parseQty(cents, "1000000000000"), 1e12, '"1000000000000" at lot 1');
    expectReason(parseQty(cents, "1000000000001"), Reason.INVALID_QUANTITY, '"1000000000001" at lot 1');
    expectValue(parseQty(tenths, "1000000000"), 1e12, '"1000000000" at lot 0.001 (1e12 lots)');
    expectReason(parseQty(tenths, "1000000000.001"), Reason.INVALID_QUANTITY, '"1000000000.001" at lot 0.001');
  });
});

describe("formatPrice and formatQty write ticks and lots back as decimal text", () => {
  test("formatPrice writes the price with the tick's number of decimals", () => {
    expect(formatPrice(cents, 10125), "10125 ticks of 0.01").toBe("101.25");
    expect(formatPrice(cents, 100), "100 ticks of 0.01 keeps two decimals").toBe("1.00");
    expect(formatPrice(cents, 1), "1 tick of 0.01").toBe("0.01");
    expect(formatPrice(quarters, 405), "405 ticks of 0.25").toBe("101.25");
    expect(formatPrice(nickels, 23), "23 ticks of 0.05").toBe("1.15");
    expect(formatPrice(tenths, 3), "3 ticks of 0.1").toBe("0.3");
    expect(formatPrice(fives, 3), "3 ticks of 5").toBe("15");
    expect(formatPrice(cents, 1e11), "1e11 ticks of 0.01, no exponent").toBe("1000000000.00");
  });

  test("formatQty writes the quantity with the lot's number of decimals", () => {
    expect(formatQty(tenths, 500), "500 lots of 0.001").toBe("0.500");
    expect(formatQty(tenths, 7), "7 lots of 0.001").toBe("0.007");
    expect(formatQty(cents, 25), "25 lots of 1").toBe("25");
    expect(formatQty(quarters, 5), "5 lots of 0.5").toBe("2.5");
    expect(formatQty(nickels, 3), "3 lots of 100").toBe("300");
    expect(formatQty(cents, 1e12), "1e12 lots of 1, no exponent").toBe("1000000000000");
  });

  test("parse(format(x)) gives x back", () => {
    const insts: Instrument[] = [cents, tenths, quarters, nickels, fives];
    for (const inst of insts) {
      for (const n of [1, 2, 3, 7, 99, 100, 12345, 99999999999, 1e11]) {
        expect(parsePrice(inst, formatPrice(inst, n)), `${inst.symbol}: price ${n} ticks round-trips`).toEqual({ ok: true, value: n });
      }
      for (const n of [1, 3, 1000, 123456789, 1e12]) {
        expect(parseQty(inst, formatQty(inst, n)), `${inst.symbol}: qty ${n} lots round-trips`).toEqual({ ok: true, value: n });
      }
    }
  });
});

describe("makeInstrument checks its spec", () => {
  test("tickSize and lotSize must be positive decimals", () => {
    for (const tickSize of ["0", "-0.01", "abc", ""]) {
      expect(() => makeInstrument({ id: 9, symbol: "X", tickSize, lotSize: "1", bandBps: 0 }), `tickSize ${JSON.stringify(tickSize)} must throw`).toThrow();
    }
    for (const lotSize of ["0", "-1", "lot"]) {
      expect(() => makeInstrument({ id: 9, symbol: "X", tickSize: "1", lotSize, bandBps: 0 }), `lotSize ${JSON.stringify(lotSize)} must throw`).toThrow();
    }
  });

  test("bandBps must be an integer in [0, 10000]", () => {
    for (const bandBps of [-1, 10_001, 2.5, Number.NaN]) {
      expect(() => makeInstrument({ id: 9, symbol: "X", tickSize: "1", lotSize: "1", bandBps }), `bandBps ${bandBps} must throw`).toThrow();
    }
    for (const bandBps of [0, 10_000]) {
      expect(() => makeInstrument({ id: 9, symbol: "X", tickSize: "1", lotSize: "1", bandBps }), `bandBps ${bandBps} is allowed`).not.toThrow();
    }
  });

  test("referencePrice is optional (0 = none) and must be ticks in [0, 1e11]", () => {
    expect(makeInstrument({ id: 9, symbol: "X", tickSize: "1", lotSize: "1", bandBps: 0 }).referencePrice, "a missing referencePrice means none (0)").toBe(0);
    for (const referencePrice of [-1, 1.5, 1e11 + 1]) {
      expect(
        () => makeInstrument({ id: 9, symbol: "X", tickSize: "1", lotSize: "1", bandBps: 0, referencePrice }),
        `referencePrice ${referencePrice} must throw`,
      ).toThrow();
    }
  });

  test("id must be a non-negative integer and symbol non-empty", () => {
    expect(() => makeInstrument({ id: -1, symbol: "X", tickSize: "1", lotSize: "1", bandBps: 0 }), "id -1 must throw").toThrow();
    expect(() => makeInstrument({ id: 1.5, symbol: "X", tickSize: "1", lotSize: "1", bandBps: 0 }), "id 1.5 must throw").toThrow();
    expect(() => makeInstrument({ id: 1, symbol: "", tickSize: "1", lotSize: "1", bandBps: 0 }), "empty symbol must throw").toThrow();
  });
});
