/**
 * The custody matcher as a property: any set of movements against the same set re-ordered and
 * time-shifted within the tolerance matches whole; removing or altering k of them gives exactly k
 * breaks of the matching kind.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Assets } from "../../reconcile/assets.ts";
import { BreakKind } from "../../reconcile/breaks.ts";
import { matchCustody, type Movement } from "../../reconcile/custody-match.ts";
import { demoConfig } from "../history/journal-fixture.ts";

const assets = new Assets(demoConfig.exchange);
const TOL = 15 * 60 * 1_000_000;
const DAY_START = Date.UTC(2026, 4, 29) * 1000;

const movement = fc.record({
  account: fc.integer({ min: 1, max: 3 }),
  currency: fc.constantFrom(1, 2),
  type: fc.constantFrom("deposit" as const, "withdrawal" as const),
  // Few distinct amounts and times close together: many look-alikes, so multiplicity matters.
  amount: fc.constantFrom(100n, 250n, 1_000_000n),
  time: fc.integer({ min: 0, max: 3 * 3600 }).map((s) => DAY_START + s * 1_000_000),
  withReference: fc.boolean(),
});

/** Ours and the bank's view of the same movements: the bank's shuffled, shifted within the tolerance, some with references. */
const sameMovements = fc
  .array(movement, { minLength: 1, maxLength: 40 })
  .chain((ms) =>
    fc.record({
      ms: fc.constant(ms),
      shifts: fc.array(fc.integer({ min: -TOL, max: TOL }), { minLength: ms.length, maxLength: ms.length }),
      order: fc.shuffledSubarray(ms.map((_, i) => i), { minLength: ms.length, maxLength: ms.length }),
    }),
  )
  .map(({ ms, shifts, order }) => {
    const ours: Movement[] = ms.map((m, i) => ({ ...m, reference: m.withReference ? `ref-${i}` : "", key: `o${i}`, record: { i } }));
    const bank: Movement[] = order.map((i) => ({ ...ours[i]!, time: ours[i]!.time + shifts[i]!, key: `b${i}`, record: { i } }));
    return { ours, bank };
  });

const match = (ours: Movement[], bank: Movement[]) => matchCustody(ours, bank, TOL, "2026-05-29", assets);
const kinds = (r: ReturnType<typeof match>) => r.breaks.map((b) => b.kind).sort();

describe("custody matching", () => {
  test("the same movements, re-ordered and shifted within the tolerance, match whole", () => {
    fc.assert(
      fc.property(sameMovements, ({ ours, bank }) => {
        const r = match(ours, bank);
        expect(r.breaks).toEqual([]);
        expect(r.matched).toBe(ours.length);
      }),
      { numRuns: 300 },
    );
  });

  test("k removed from the bank's side: exactly k MISSING_AT_BANK; k removed from ours: exactly k MISSING_AT_BOURSE", () => {
    fc.assert(
      fc.property(sameMovements, fc.integer({ min: 0, max: 40 }), fc.boolean(), ({ ours, bank }, k0, fromBank) => {
        const k = k0 % (ours.length + 1);
        const r = fromBank ? match(ours, bank.slice(k)) : match(ours.slice(k), bank);
        expect(kinds(r)).toEqual(Array(k).fill(fromBank ? BreakKind.MISSING_AT_BANK : BreakKind.MISSING_AT_BOURSE));
        expect(r.matched).toBe(ours.length - k);
      }),
      { numRuns: 300 },
    );
  });

  test("k amounts altered at the bank: exactly k AMOUNT_MISMATCH, the differences at stake (look-alikes further apart than the tolerance)", () => {
    // When two look-alikes lie within the tolerance of one bank row, which is "the" movement whose
    // amount changed is ambiguous (docs/reconciliation.md); here each has one candidate.
    const spaced = sameMovements.map(({ ours, bank }) => {
      const at = (i: number) => DAY_START + i * 3 * TOL;
      const o = ours.map((m, i) => ({ ...m, time: at(i) }));
      const b = bank.map((m) => {
        const i = Number(m.key.slice(1));
        return { ...m, time: at(i) + Math.trunc((m.time - ours[i]!.time) / 2) };
      });
      return { ours: o, bank: b };
    });
    fc.assert(
      fc.property(spaced, fc.integer({ min: 0, max: 40 }), ({ ours, bank }, k0) => {
        const k = k0 % (ours.length + 1);
        // An altered amount no movement has, so it cannot pass for another one.
        const altered = bank.map((b, i) => (i < k ? { ...b, amount: b.amount + 7n + BigInt(i) } : b));
        const r = match(ours, altered);
        expect(kinds(r)).toEqual(Array(k).fill(BreakKind.AMOUNT_MISMATCH));
        const stake = r.breaks.map((b) => b.amount).sort();
        const expected = altered.slice(0, k).map((b, i) => assets.money(b.currency, 7n + BigInt(i))).sort();
        expect(stake).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  test("look-alikes pair by nearest time: our 10:00 deposit with the bank's 10:00, not with one merely inside the window", () => {
    const dep = (key: string, min: number, amount = 100n): Movement => ({ account: 3, currency: 2, type: "deposit", amount, time: DAY_START + min * 60e6, reference: "", key, record: { key } });
    // Ours at 10:00 and 10:08:43; the bank's 10:00 one, and the 10:08:43 one with a different amount booked at 10:02.
    const r = match([dep("o1", 600), dep("o0", 608.72)], [dep("b0", 608.72), dep("b1", 602, 108n)]);
    expect(r.breaks.map((b) => [b.kind, b.ours, b.theirs])).toEqual([[BreakKind.AMOUNT_MISMATCH, { key: "o1" }, { key: "b1" }]]);
  });

  test("a time outside the tolerance is not the same movement", () => {
    const o: Movement = { account: 1, currency: 1, type: "deposit", amount: 100n, time: DAY_START + 3600e6, reference: "", key: "o", record: {} };
    expect(match([o], [{ ...o, time: o.time + TOL, key: "b" }]).breaks).toEqual([]);
    expect(kinds(match([o], [{ ...o, time: o.time + TOL + 1, key: "b" }]))).toEqual([BreakKind.MISSING_AT_BANK, BreakKind.MISSING_AT_BOURSE]);
  });

  test("a reference on both sides pairs the movement whatever its time; a different amount is AMOUNT_MISMATCH", () => {
    const o: Movement = { account: 1, currency: 1, type: "deposit", amount: 100n, time: DAY_START, reference: "R1", key: "o", record: {} };
    const r = match([o], [{ ...o, amount: 90n, time: o.time + 5 * TOL, key: "b" }]);
    expect(r.breaks.map((b) => [b.kind, b.amount])).toEqual([[BreakKind.AMOUNT_MISMATCH, "-0.000010"]]);
  });
});
