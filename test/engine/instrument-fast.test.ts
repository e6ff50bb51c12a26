/**
 * engine/instrument.ts converts prices and quantities on doubles when every intermediate is an
 * integer below 2^53, and with decimal.js otherwise. The two must be indistinguishable: for any
 * text and any tick or lot, parsePrice / parseQty give what the Decimal reference (toUnitsDecimal)
 * gives — the same value, or the same reason (INVALID_* vs *_OFF_*) — and formatPrice / formatQty
 * print what `unit.mul(n).toFixed(unit.decimalPlaces())` prints.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  Decimal,
  formatPrice,
  formatQty,
  formatUnitsDecimal,
  gridOf,
  type Instrument,
  MAX_PRICE_TICKS,
  MAX_QTY_LOTS,
  MAX_TEXT,
  makeInstrument,
  parsePrice,
  parseQty,
  toUnitsDecimal,
} from "../../engine/instrument.ts";
import { Reason } from "../../engine/reasons.ts";

const RUNS = Number(process.env.INSTRUMENT_FUZZ_RUNS ?? 3000);

/** Sizes people use, and awkward ones: non-powers of ten, thirds, integers, tiny, huge, and sizes with no fast grid at all. */
const SIZES = [
  "0.5", "0.05", "0.001", "0.25", "5", "1e-8", "0.00000001", "0.01", "1", "10", "100", "500", "0.1", "0.3", "3", "7", "2.5",
  "0.0001", "0.000001", "0.125", "0.0025", "12.5", "0.000000000000001", "0.0000000000000001", "1e-30", "123456789.123",
  "9007199254740991", "90071992547409910", "0.9007199254740991", "1000000000000", "0.10",
];

let nextId = 1;
const inst = (tickSize: string, lotSize: string): Instrument => makeInstrument({ id: nextId++, symbol: `S${nextId}`, tickSize, lotSize, bandBps: 0 });
const instArb = fc.tuple(fc.constantFrom(...SIZES), fc.constantFrom(...SIZES)).map(([t, l]) => inst(t, l));

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });

/** Text that is the unit times an integer, maybe off by a little, with random leading and trailing zeros. */
function nearGridArb(unit: Decimal): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.oneof(fc.bigInt({ min: -3n, max: 1000n }), fc.bigInt({ min: 0n, max: 10n ** 13n }), fc.bigInt({ min: 0n, max: 10n ** 20n })),
      fc.constantFrom("0", "0", "1", "-1", "0.1", "0.0001", "1e-9", "1e-17", "0.5"),
      fc.nat({ max: 20 }),
      fc.nat({ max: 3 }),
    )
    .map(([n, delta, trailing, leading]) => {
      let s = unit.mul(n.toString()).plus(unit.mul(delta)).toFixed();
      if (trailing > 0) s += (s.includes(".") ? "" : ".") + "0".repeat(trailing);
      return "0".repeat(leading) + s;
    });
}

/** Strings near the grammar's edges: signs, exponents, whitespace, stray dots, unicode digits, over-long text. */
const adversarialArb = fc.oneof(
  fc.constantFrom(
    "", " ", ".", "-", "+", "+1", "+0.5", "-0", "-0.0", "0", "00", "0.", ".5", "5.", "1..5", "1.2.3", "1e3", "1E3", "1e-3", "0x10",
    "Infinity", "NaN", " 1", "1 ", "\t1\n", "\u00a01", "1\u2028", "\ufeff1", "٣", "１", "1,5", "1_000", "0.5\u0000",
    "9007199254740993", "9007199254740992", "900719925474099.3", "0.9007199254740993", "99999999999999999999",
    "100000000000", "100000000000.0", "100000000000.5", "1000000000000", "1000000000001", "0.000000000000000000001",
    "1".padEnd(MAX_TEXT, "0"), "1".padEnd(MAX_TEXT + 1, "0"), " ".repeat(MAX_TEXT) + "1", `0.${"0".repeat(MAX_TEXT - 3)}1`,
  ),
  fc.tuple(fc.constantFrom("", "-", "+", " ", "0", "00"), digits(0, 25), fc.constantFrom("", ".", ".."), digits(0, 25), fc.constantFrom("", " ", "e2", "E-1", "0", "\n"))
    .map(([a, b, c, d, e]) => a + b + c + d + e),
  fc.string({ unit: fc.constantFrom(..."0123456789.-+ eE"), maxLength: 30 }),
  fc.string({ maxLength: 12 }),
);

function expectSameParse(i: Instrument, text: string): void {
  expect(parsePrice(i, text), `parsePrice(${i.tickSize}, ${JSON.stringify(text)})`).toEqual(
    toUnitsDecimal(text, i.tick, MAX_PRICE_TICKS, Reason.INVALID_PRICE, Reason.PRICE_OFF_TICK),
  );
  expect(parseQty(i, text), `parseQty(${i.lotSize}, ${JSON.stringify(text)})`).toEqual(
    toUnitsDecimal(text, i.lot, MAX_QTY_LOTS, Reason.INVALID_QUANTITY, Reason.QUANTITY_OFF_LOT),
  );
}

describe("parsePrice / parseQty agree with the Decimal reference on every input", () => {
  test("text near the tick grid (on it, off it by a little, with leading and trailing zeros)", () => {
    fc.assert(
      fc.property(
        instArb.chain((i) => fc.tuple(fc.constant(i), fc.oneof(nearGridArb(i.tick), nearGridArb(i.lot)))),
        ([i, text]) => expectSameParse(i, text),
      ),
      { numRuns: RUNS },
    );
  });

  test("adversarial and random text", () => {
    fc.assert(fc.property(instArb, adversarialArb, (i, text) => expectSameParse(i, text)), { numRuns: RUNS });
  });

  test("every size against every adversarial constant", () => {
    for (const t of SIZES) {
      const i = inst(t, t);
      for (const text of ["1", "0.5", "5", "0.05", "0.001", "1e-8", "0.00000001", "30000", "30000.5", "100000000000", "0.000", "-1", "+1", " 1", "1.", ".1"]) {
        expectSameParse(i, text);
      }
    }
  });

  test("a non-string is refused like the reference refuses it", () => {
    const i = inst("0.5", "0.001");
    for (const v of [1, null, undefined, {}, ["1"]]) expectSameParse(i, v as unknown as string);
  });

  test("the demo instruments' sizes and ordinary prices take the fast path", () => {
    for (const t of ["0.5", "0.05", "0.001", "0.01", "5", "1e-8", "0.25"]) expect(gridOf(new Decimal(t))).not.toBeNull();
    expect(gridOf(new Decimal("1e-30"))).toBeNull();
    expect(gridOf(new Decimal("90071992547409910"))).toBeNull();
  });
});

describe("formatPrice / formatQty print what decimal.js prints", () => {
  const unitsArb = fc.oneof(
    fc.integer({ min: -5, max: 1000 }),
    fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.constantFrom(0, -0, 1, MAX_PRICE_TICKS, MAX_QTY_LOTS, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e21, 0.5, -1.5, 1e-7),
  );

  test("random units on every size", () => {
    fc.assert(
      fc.property(instArb, unitsArb, (i, n) => {
        expect(formatPrice(i, n)).toBe(formatUnitsDecimal(i.tick, n));
        expect(formatQty(i, n)).toBe(formatUnitsDecimal(i.lot, n));
      }),
      { numRuns: RUNS },
    );
  });

  test("the instrument's own decimals, zero-padded, as before", () => {
    const eth = inst("0.05", "0.01");
    expect(formatPrice(eth, 40001)).toBe("2000.05");
    expect(formatQty(eth, 150)).toBe("1.50");
    expect(formatQty(eth, 0)).toBe("0.00");
    expect(formatQty(eth, -0)).toBe("0.00");
    expect(formatPrice(inst("1e-8", "1"), 1)).toBe("0.00000001");
    expect(formatPrice(inst("5", "1"), 7)).toBe("35");
  });

  test("repeated and many values (the text cache, past its bound) print the same as the first time", () => {
    const i = inst("0.05", "0.001");
    for (let round = 0; round < 3; round++) {
      for (let n = -50; n < 10_000; n += round + 1) {
        expect(formatPrice(i, n)).toBe(formatUnitsDecimal(i.tick, n));
        expect(formatQty(i, n)).toBe(formatUnitsDecimal(i.lot, n));
      }
      expect(formatQty(i, -0)).toBe("0.000");
      expect(formatQty(i, 0)).toBe("0.000");
    }
  });

  test("format then parse is the identity on the grid", () => {
    fc.assert(
      fc.property(instArb, fc.integer({ min: 1, max: MAX_PRICE_TICKS }), (i, n) => {
        const r = parsePrice(i, formatPrice(i, n));
        expect(r).toEqual(toUnitsDecimal(formatPrice(i, n), i.tick, MAX_PRICE_TICKS, Reason.INVALID_PRICE, Reason.PRICE_OFF_TICK));
      }),
      { numRuns: RUNS },
    );
  });
});
