/**
 * engine/settlement.ts applyFill: average-cost position accounting (docs/accounts.md, Settlement).
 *
 * The identity the property asserts, derived from the rules. Let n be a fill's notional.
 *   - A fill in the direction of Q (or from zero) moves C by +n (buy) or −n (sell); realized R
 *     does not move. So R − C moves by −n for a buy, +n for a sell.
 *   - A fill against Q closes c lots with closing part a (the notional of those c lots) and closed
 *     basis b = trunc(C × c / |Q|). Long: R += a − b; short (b ≤ 0): R += −b − a. C −= b.
 *     So R − C moves by +a (a sell closing a long) or −a (a buy closing a short).
 *   - Any rest opens the other way at the fill price: C moves by ∓(n − a), R − C by ±(n − a).
 * Summed over any sequence of fills:
 *
 *     realized − cost = Σ sell notionals − Σ buy notionals          (exactly, in units)
 *
 * and when the position is flat (cost = 0) realized P&L is exactly the net cash of the fills.
 * Rounding the closed basis toward zero never leaves basis behind: at Q = 0 the cost is 0.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Position } from "../../engine/accounts.ts";
import { applyFill } from "../../engine/settlement.ts";

const K = 1n;
const n = (price: number, qty: number, k = K) => BigInt(price) * BigInt(qty) * k;
const buy = (p: Position, qty: number, price: number, k = K) => applyFill(p, qty, n(price, qty, k));
const sell = (p: Position, qty: number, price: number, k = K) => applyFill(p, -qty, n(price, qty, k));
const view = (p: Position) => ({ qty: p.qty, cost: p.cost, realized: p.realized });

describe("applyFill: longs", () => {
  test("open from flat: qty and cost, nothing realized", () => {
    const p = new Position();
    buy(p, 10, 100);
    expect(view(p)).toEqual({ qty: 10, cost: 1000n, realized: 0n });
  });

  test("add in the same direction: basis accumulates", () => {
    const p = new Position();
    buy(p, 10, 100);
    buy(p, 5, 130);
    expect(view(p)).toEqual({ qty: 15, cost: 1650n, realized: 0n });
  });

  test("partial close releases the proportional basis and realizes proceeds − basis", () => {
    const p = new Position();
    buy(p, 10, 100);
    buy(p, 5, 130); // average 110
    sell(p, 4, 120); // basis of 4 = 1650 × 4 / 15 = 440
    expect(view(p)).toEqual({ qty: 11, cost: 1210n, realized: 40n });
    sell(p, 1, 100); // basis 1210 / 11 = 110, a loss of 10
    expect(view(p)).toEqual({ qty: 10, cost: 1100n, realized: 30n });
  });

  test("full close releases the entire basis exactly, whatever the rounding on the way", () => {
    const p = new Position();
    buy(p, 1, 100);
    buy(p, 2, 101); // 302 for 3: not divisible
    sell(p, 1, 110); // trunc(302 / 3) = 100
    expect(view(p)).toEqual({ qty: 2, cost: 202n, realized: 10n });
    sell(p, 1, 110); // trunc(202 / 2) = 101
    expect(view(p)).toEqual({ qty: 1, cost: 101n, realized: 19n });
    sell(p, 1, 110); // the last lot takes all that is left
    expect(view(p)).toEqual({ qty: 0, cost: 0n, realized: 28n });
    expect(p.realized).toBe(330n - 302n);
  });

  test("closing the whole position in one fill releases the whole basis", () => {
    const p = new Position();
    buy(p, 3, 100);
    buy(p, 4, 101);
    sell(p, 7, 99);
    expect(view(p)).toEqual({ qty: 0, cost: 0n, realized: 693n - 704n });
  });

  test("flip long → short: closes the long at its basis, opens the rest at the fill price", () => {
    const p = new Position();
    buy(p, 10, 100);
    sell(p, 15, 120); // 10 close (1200 − 1000), 5 open short at 120
    expect(view(p)).toEqual({ qty: -5, cost: -600n, realized: 200n });
  });

  test("the contract factor scales notionals and P&L", () => {
    const p = new Position();
    buy(p, 2, 400, 50n);
    sell(p, 1, 410, 50n);
    expect(view(p)).toEqual({ qty: 1, cost: 20_000n, realized: 500n });
  });
});

describe("applyFill: shorts", () => {
  test("open a short: negative quantity and negative basis (what was received)", () => {
    const p = new Position();
    sell(p, 10, 100);
    expect(view(p)).toEqual({ qty: -10, cost: -1000n, realized: 0n });
    sell(p, 5, 94);
    expect(view(p)).toEqual({ qty: -15, cost: -1470n, realized: 0n });
  });

  test("buy-back: realized = basis received − cost of the buy-back", () => {
    const p = new Position();
    sell(p, 10, 100);
    buy(p, 4, 90); // basis of 4 = −400; +400 − 360
    expect(view(p)).toEqual({ qty: -6, cost: -600n, realized: 40n });
    buy(p, 6, 110); // the rest: +600 − 660
    expect(view(p)).toEqual({ qty: 0, cost: 0n, realized: -20n });
  });

  test("the closed basis of a short rounds toward zero, and the last lot takes the rest", () => {
    const p = new Position();
    sell(p, 1, 100);
    sell(p, 2, 101); // −302 for −3
    buy(p, 1, 100); // trunc(−302 / 3) = −100 (toward zero)
    expect(view(p)).toEqual({ qty: -2, cost: -202n, realized: 0n });
    buy(p, 2, 95);
    expect(view(p)).toEqual({ qty: 0, cost: 0n, realized: 202n - 190n });
  });

  test("flip short → long", () => {
    const p = new Position();
    sell(p, 5, 100);
    buy(p, 8, 90); // 5 close: 500 − 450; 3 open long at 90
    expect(view(p)).toEqual({ qty: 3, cost: 270n, realized: 50n });
  });
});

interface Fill {
  qty: number; // signed
  price: number;
}

/** The doc's rule written out with exact rationals: closed basis = trunc(C × c / |Q|). */
function reference(fills: Fill[], k: bigint) {
  let q = 0;
  let c = 0n;
  let r = 0n;
  for (const f of fills) {
    const amount = BigInt(f.price) * BigInt(Math.abs(f.qty)) * k;
    if (q === 0 || Math.sign(q) === Math.sign(f.qty)) {
      q += f.qty;
      c += f.qty > 0 ? amount : -amount;
      continue;
    }
    const closing = Math.min(Math.abs(q), Math.abs(f.qty));
    const closingAmount = BigInt(f.price) * BigInt(closing) * k;
    const basis = (c * BigInt(closing)) / BigInt(Math.abs(q)); // BigInt division truncates toward zero
    r += q > 0 ? closingAmount - basis : -basis - closingAmount;
    c -= basis;
    q += f.qty > 0 ? closing : -closing;
    const rest = Math.abs(f.qty) - closing;
    if (rest > 0) {
      q += f.qty > 0 ? rest : -rest;
      const restAmount = BigInt(f.price) * BigInt(rest) * k;
      c += f.qty > 0 ? restAmount : -restAmount;
    }
  }
  return { qty: q, cost: c, realized: r };
}

describe("applyFill: properties", () => {
  const fill = fc.record({
    qty: fc.integer({ min: 1, max: 40 }).chain((q) => fc.constantFrom(q, -q)),
    price: fc.integer({ min: 1, max: 2000 }),
  });
  const arb = fc.tuple(fc.array(fill, { minLength: 1, maxLength: 60 }), fc.constantFrom(1n, 7n, 50n, 10n ** 12n));

  test("realized − cost = Σ sells − Σ buys after every fill; flat means zero basis; basis follows the position", () => {
    fc.assert(
      fc.property(arb, ([fills, k]) => {
        const p = new Position();
        let sells = 0n;
        let buys = 0n;
        let qty = 0;
        let minP = Infinity;
        let maxP = 0;
        let partialCloses = 0;
        for (const f of fills) {
          const amount = BigInt(f.price) * BigInt(Math.abs(f.qty)) * k;
          const before = p.qty;
          // A fill that closes part of the position (not all of it) may round its basis.
          if (before !== 0 && Math.sign(before) !== Math.sign(f.qty) && Math.abs(f.qty) < Math.abs(before)) partialCloses++;
          applyFill(p, f.qty, amount);
          if (f.qty > 0) buys += amount;
          else sells += amount;
          qty += f.qty;
          // Quantity is the plain sum of the fills.
          expect(p.qty).toBe(qty);
          // The exact identity.
          expect(p.realized - p.cost).toBe(sells - buys);
          // Flat ⇔ no basis; otherwise the basis has the position's sign.
          if (p.qty === 0) {
            expect(p.cost).toBe(0n);
            expect(p.realized).toBe(sells - buys);
            minP = Infinity;
            maxP = 0;
            partialCloses = 0;
          } else {
            expect(p.cost > 0n).toBe(p.qty > 0);
            // Prices that opened what is left bound the basis: rounding toward zero can only keep
            // a fraction of a unit per partial close on the books, never lose one.
            if (Math.sign(before) !== Math.sign(p.qty)) {
              minP = f.price;
              maxP = f.price;
              partialCloses = 0;
            } else if (Math.sign(f.qty) === Math.sign(p.qty)) {
              minP = Math.min(minP, f.price);
              maxP = Math.max(maxP, f.price);
            }
            const abs = p.cost < 0n ? -p.cost : p.cost;
            const lots = BigInt(Math.abs(p.qty));
            expect(abs >= BigInt(minP) * lots * k).toBe(true);
            expect(abs <= BigInt(maxP) * lots * k + BigInt(partialCloses)).toBe(true);
          }
        }
        expect(view(p)).toEqual(reference(fills, k));
      }),
      { numRuns: 1000 },
    );
  });

  test("closing out in any number of pieces releases exactly the basis: realized = proceeds − what was paid", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ qty: fc.integer({ min: 1, max: 30 }), price: fc.integer({ min: 1, max: 999 }) }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 999 }),
        fc.boolean(),
        (opens, pieces, exitPrice, short) => {
          const p = new Position();
          const dir = short ? -1 : 1;
          let paid = 0n;
          let total = 0;
          for (const o of opens) {
            applyFill(p, dir * o.qty, n(o.price, o.qty));
            paid += n(o.price, o.qty);
            total += o.qty;
          }
          let left = total;
          let proceeds = 0n;
          for (const piece of pieces) {
            if (left === 0) break;
            const q = Math.min(piece, left);
            applyFill(p, -dir * q, n(exitPrice, q));
            proceeds += n(exitPrice, q);
            left -= q;
          }
          if (left > 0) {
            applyFill(p, -dir * left, n(exitPrice, left));
            proceeds += n(exitPrice, left);
          }
          expect(p.qty).toBe(0);
          expect(p.cost).toBe(0n);
          expect(p.realized).toBe(short ? paid - proceeds : proceeds - paid);
        },
      ),
      { numRuns: 500 },
    );
  });
});
