/**
 * averageCostText (engine/pnl.ts) against the definition it replaced: cost / (qty × K) × tickSize
 * in decimal.js, to the tick's decimals + 4, half up — the same text for any cost, quantity,
 * contract factor and tick size.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { Decimal } from "../../engine/instrument.ts";
import { averageCostText } from "../../engine/pnl.ts";

function byDecimal(cost: bigint, qty: number, k: bigint, tick: Decimal): string {
  if (qty === 0) return "0";
  return new Decimal(cost.toString()).div(new Decimal(qty).mul(k.toString())).mul(tick).toDecimalPlaces(tick.decimalPlaces() + 4).toString();
}

const ticks = ["0.5", "0.01", "0.05", "1", "25", "0.0001", "0.00000001", "0.125"].map((t) => new Decimal(t));

test("the same text as decimal.js for random positions", () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.bigInt({ min: 1n, max: 10n ** 12n }),
      fc.constantFrom(...ticks),
      (cost, qty, k, tick) => {
        expect(averageCostText(cost, qty, k, tick)).toBe(byDecimal(cost, qty, k, tick));
      },
    ),
    { numRuns: 20_000 },
  );
});

test("edges: flat, exact, a half to round, negative", () => {
  const half = new Decimal("0.5");
  expect(averageCostText(0n, 0, 1n, half)).toBe("0");
  expect(averageCostText(290_000n, 10, 1n, half)).toBe(byDecimal(290_000n, 10, 1n, half));
  for (const [c, q] of [[1n, 3], [-1n, 3], [5n, -2], [-5n, -2], [1n, 200_000]] as const) {
    expect(averageCostText(c, q, 1n, new Decimal("1"))).toBe(byDecimal(c, q, 1n, new Decimal("1")));
  }
});
