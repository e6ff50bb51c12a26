import { expect, test } from "bun:test";
import fc from "fast-check";
import { Cash, FOLD } from "../../engine/accounts.ts";
import { OmsOrder } from "../../engine/orders.ts";

// Steps near the fold, so sums cross 2^52 in both directions, plus plain small ones.
const amount = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -(FOLD - 1), max: FOLD - 1 }), fc.constantFrom(FOLD - 1, -(FOLD - 1), 1, -1));
const op = fc.record({
  kind: fc.constantFrom("addBalance", "addReserved", "setBalance", "setReserved", "covers"),
  x: amount,
  big: fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }),
});

test("Cash stays exact through hot-path additions, folds past 2^52 and plain BigInt sets", () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const cash = new Cash();
      let balance = 0n;
      let reserved = 0n;
      for (const { kind, x, big } of ops) {
        if (kind === "addBalance") {
          cash.addBalance(x);
          balance += BigInt(x);
        } else if (kind === "addReserved") {
          cash.addReserved(x);
          reserved += BigInt(x);
        } else if (kind === "setBalance") {
          cash.balance = big;
          balance = big;
        } else if (kind === "setReserved") {
          cash.reserved = big;
          reserved = big;
        } else {
          expect(cash.covers(x)).toBe(balance - reserved >= BigInt(x));
          expect(cash.covers(big)).toBe(balance - reserved >= big);
        }
        expect(cash.balance).toBe(balance);
        expect(cash.reserved).toBe(reserved);
        expect(cash.available).toBe(balance - reserved);
      }
    }),
    { numRuns: 500 },
  );
});

test("an order's reservation switches representation at 2^52 without losing a unit", () => {
  const o = new OmsOrder(1, 1, 1, 0, 0, 0, "", 0, 0, 0);
  for (const v of [0n, 1n, (1n << 52n) - 1n, 1n << 52n, (1n << 80n) + 7n, 5n]) {
    o.reserved = v;
    expect(o.reserved).toBe(v);
    expect(o.reservedNum >= 0).toBe(v < 1n << 52n);
  }
});

test("repeated large additions past 2^53 stay exact (odd totals included)", () => {
  const cash = new Cash();
  let model = 0n;
  for (const x of [FOLD - 1, FOLD - 1, FOLD - 1, 3, -(FOLD - 1), FOLD - 1, FOLD - 1]) {
    cash.addBalance(x);
    cash.addReserved(-x);
    model += BigInt(x);
    expect(cash.balance).toBe(model);
    expect(cash.reserved).toBe(-model);
  }
  expect(cash.covers(Number.MAX_SAFE_INTEGER)).toBe(true);
});
