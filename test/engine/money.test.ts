/**
 * engine/money.ts: exact decimal ↔ unit conversion at the edge, the contract factor K, notionals
 * and fees rounded up (docs/accounts.md, Money and Settlement).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { makeInstrument } from "../../engine/instrument.ts";
import { Ledger } from "../../engine/ledger.ts";
import { checkCurrency, contractFactor, type CurrencySpec, feeOf, formatAmount, notional, type ParsedAmount, parseAmount } from "../../engine/money.ts";
import { Reason } from "../../engine/reasons.ts";
import { CURRENCIES, INSTRUMENTS, TIERS } from "./exchange-harness.ts";

const USD: CurrencySpec = { id: 1, code: "USD", scale: 2 };
const JPY: CurrencySpec = { id: 2, code: "JPY", scale: 0 };
const BTC: CurrencySpec = { id: 3, code: "BTC", scale: 8 };
const WEI: CurrencySpec = { id: 4, code: "ETH", scale: 18 };

const ok = (value: bigint): ParsedAmount => ({ ok: true, value });
const bad: ParsedAmount = { ok: false, reason: Reason.INVALID_AMOUNT };

describe("parseAmount", () => {
  test("converts decimal strings to units exactly", () => {
    expect(parseAmount(USD, "12.34")).toEqual(ok(1234n));
    expect(parseAmount(USD, "12.3")).toEqual(ok(1230n));
    expect(parseAmount(USD, "12")).toEqual(ok(1200n));
    expect(parseAmount(USD, "0.01")).toEqual(ok(1n));
    expect(parseAmount(USD, "000012.50")).toEqual(ok(1250n));
    expect(parseAmount(USD, "12.340000")).toEqual(ok(1234n));
    expect(parseAmount(JPY, "1500")).toEqual(ok(1500n));
    expect(parseAmount(BTC, "0.00000001")).toEqual(ok(1n));
    expect(parseAmount(BTC, "21000000")).toEqual(ok(2_100_000_000_000_000n));
    expect(parseAmount(WEI, "1.000000000000000001")).toEqual(ok(1_000_000_000_000_000_001n));
  });

  test("stays exact far beyond 2^53 and the float-tricky decimals", () => {
    expect(parseAmount(USD, "123456789012345678901234567890.12")).toEqual(ok(12345678901234567890123456789012n));
    expect(parseAmount(USD, "90071992547409.93")).toEqual(ok(9_007_199_254_740_993n)); // 2^53 + 1 units
    expect(parseAmount(USD, "0.29")).toEqual(ok(29n)); // 0.29 × 100 = 28.999999999999996 in floats
    expect(parseAmount(USD, "1.15")).toEqual(ok(115n));
    expect(parseAmount(WEI, "0.1")).toEqual(ok(100_000_000_000_000_000n));
  });

  test("never rounds: more decimals than the currency has is INVALID_AMOUNT", () => {
    expect(parseAmount(USD, "0.001")).toEqual(bad);
    expect(parseAmount(USD, "12.345")).toEqual(bad);
    expect(parseAmount(USD, "0.0000000000000000000000001")).toEqual(bad);
    expect(parseAmount(JPY, "1.5")).toEqual(bad);
    expect(parseAmount(BTC, "0.000000001")).toEqual(bad);
  });

  test("rejects zero, negatives and anything that is not a plain decimal", () => {
    for (const text of ["0", "0.00", "-1", "-0.01", "+1", "1e3", "1E-2", "0x10", "1,000", "1.", ".5", "", " ", "abc", "NaN", "Infinity", "1.2.3", "1 000"]) {
      expect(parseAmount(USD, text)).toEqual(bad);
    }
    expect(parseAmount(USD, "1".repeat(65))).toEqual(bad);
    expect(parseAmount(USD, 12 as unknown as string)).toEqual(bad);
  });

  test("surrounding whitespace is trimmed", () => {
    expect(parseAmount(USD, " 1.50 ")).toEqual(ok(150n));
  });
});

describe("formatAmount", () => {
  test("formats units as a decimal string with the currency's scale", () => {
    expect(formatAmount(USD, 1234n)).toBe("12.34");
    expect(formatAmount(USD, 5n)).toBe("0.05");
    expect(formatAmount(USD, 0n)).toBe("0.00");
    expect(formatAmount(USD, -5n)).toBe("-0.05");
    expect(formatAmount(USD, -1234n)).toBe("-12.34");
    expect(formatAmount(JPY, 1500n)).toBe("1500");
    expect(formatAmount(JPY, -7n)).toBe("-7");
    expect(formatAmount(BTC, 1n)).toBe("0.00000001");
    expect(formatAmount(WEI, 1_000_000_000_000_000_001n)).toBe("1.000000000000000001");
    expect(formatAmount(USD, 12345678901234567890123456789012n)).toBe("123456789012345678901234567890.12");
  });

  test("round trip: parseAmount(formatAmount(u)) = u for every positive amount", () => {
    fc.assert(
      fc.property(fc.constantFrom(USD, JPY, BTC, WEI), fc.bigInt({ min: 1n, max: 10n ** 40n }), (c, u) => {
        expect(parseAmount(c, formatAmount(c, u))).toEqual(ok(u));
      }),
      { numRuns: 500 },
    );
  });

  test("round trip: formatAmount(parseAmount(s)) is s normalized to the scale", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9]\d{0,20}$/), fc.stringMatching(/^\d{0,2}$/), (whole, frac) => {
        const text = frac === "" ? whole : `${whole}.${frac}`;
        const r = parseAmount(USD, text);
        expect(r.ok).toBe(true);
        if (r.ok) expect(formatAmount(USD, r.value)).toBe(`${whole}.${frac.padEnd(2, "0")}`);
      }),
      { numRuns: 300 },
    );
  });
});

describe("contractFactor and notional", () => {
  const inst = (tickSize: string, lotSize: string) => makeInstrument({ id: 1, symbol: "S", tickSize, lotSize, bandBps: 0 });

  test("K = tickSize × lotSize × 10^scale", () => {
    expect(contractFactor(inst("0.01", "1"), USD)).toBe(1n);
    expect(contractFactor(inst("0.05", "10"), USD)).toBe(50n);
    expect(contractFactor(inst("0.5", "0.001"), BTC)).toBe(50_000n);
    expect(contractFactor(inst("1", "1"), JPY)).toBe(1n);
    expect(contractFactor(inst("0.0001", "100"), USD)).toBe(1n);
    expect(contractFactor(inst("0.000000001", "0.000000001"), WEI)).toBe(1n);
    expect(contractFactor(inst("100", "1000"), WEI)).toBe(10n ** 23n);
  });

  test("a grid finer than one unit of the quote currency is a configuration error", () => {
    expect(() => contractFactor(inst("0.001", "1"), USD)).toThrow(/finer than one unit of USD/);
    expect(() => contractFactor(inst("0.5", "0.001"), USD)).toThrow(/raise the currency's scale/);
    expect(() => contractFactor(inst("0.1", "1"), JPY)).toThrow(/finer than one unit of JPY/);
    // The same error surfaces from the ledger's configuration.
    expect(
      () =>
        new Ledger({
          currencies: CURRENCIES,
          tiers: TIERS,
          instruments: [{ id: 9, symbol: "FINE", tickSize: "0.001", lotSize: "1", bandBps: 0, quote: "USD" }],
        }),
    ).toThrow(/FINE: tickSize × lotSize is finer than one unit of USD/);
    // …and the default instruments are fine.
    expect(() => new Ledger({ currencies: CURRENCIES, tiers: TIERS, instruments: INSTRUMENTS })).not.toThrow();
  });

  test("an instrument quoted in an unknown currency is a configuration error", () => {
    expect(() => new Ledger({ currencies: CURRENCIES, tiers: TIERS, instruments: [{ id: 9, symbol: "Q", tickSize: "1", lotSize: "1", bandBps: 0, quote: "GBP" }] })).toThrow(/quote currency GBP/);
  });

  test("notional = price × qty × K exactly, past 2^53", () => {
    expect(notional(10_000, 3, 1n)).toBe(30_000n);
    expect(notional(401, 7, 50n)).toBe(140_350n);
    expect(notional(1e11, 1e12, 100n)).toBe(10n ** 25n);
    expect(notional(99_999_999_999, 999_999_999_999, 7n)).toBe(99_999_999_999n * 999_999_999_999n * 7n);
  });

  test("checkCurrency validates the configuration", () => {
    expect(checkCurrency(USD)).toBe(USD);
    expect(() => checkCurrency({ id: -1, code: "USD", scale: 2 })).toThrow();
    expect(() => checkCurrency({ id: 1, code: "usd", scale: 2 })).toThrow();
    expect(() => checkCurrency({ id: 1, code: "USD", scale: 19 })).toThrow();
    expect(() => checkCurrency({ id: 1, code: "USD", scale: 1.5 })).toThrow();
    expect(() => new Ledger({ currencies: [USD, { ...JPY, id: USD.id }], tiers: TIERS, instruments: [] })).toThrow(/repeated/);
  });
});

describe("feeOf", () => {
  test("rounds up to a whole unit, in the exchange's favour", () => {
    // Tiny fills: 1 unit of notional at 1 bps costs a whole unit.
    expect(feeOf(1n, 1)).toBe(1n);
    expect(feeOf(1n, 10_000)).toBe(1n);
    expect(feeOf(9_999n, 1)).toBe(1n);
    expect(feeOf(10_000n, 1)).toBe(1n);
    expect(feeOf(10_001n, 1)).toBe(2n);
    expect(feeOf(20_000n, 1)).toBe(2n);
    expect(feeOf(12_345n, 20)).toBe(25n); // 24.69 → 25
    expect(feeOf(5_000n, 20)).toBe(10n); // exact
    expect(feeOf(1_000_000n, 10_000)).toBe(1_000_000n); // 100 % is the whole notional
  });

  test("zero fee rate or zero notional costs nothing", () => {
    expect(feeOf(0n, 20)).toBe(0n);
    expect(feeOf(123_456n, 0)).toBe(0n);
    expect(feeOf(0n, 0)).toBe(0n);
  });

  test("is exact past 2^53", () => {
    const n = 10n ** 25n + 1n;
    expect(feeOf(n, 3)).toBe((n * 3n) / 10_000n + 1n);
  });

  test("property: fee = ceil(n × bps / 10000): fee × 10000 ≥ n × bps > (fee − 1) × 10000", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 10_000 }), (n, bps) => {
        const f = feeOf(n, bps);
        const exact = n * BigInt(bps);
        expect(f * 10_000n >= exact).toBe(true);
        expect(exact > (f - 1n) * 10_000n || (f === 0n && exact === 0n)).toBe(true);
        expect(f <= n).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
