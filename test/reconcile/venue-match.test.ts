/**
 * The venue matcher's properties (reconcile/venue-match.ts), over random orders: however both
 * sides split the same fills, no break; into otherwise identical fills, one random change gives
 * exactly the break of that change, with its amount.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Decimal } from "../../engine/instrument.ts";
import { BreakKind } from "../../reconcile/breaks.ts";
import { canonical, type Fill } from "../../reconcile/venue-fill.ts";
import { matchOrder } from "../../reconcile/venue-match.ts";

const TOL = 5_000_000;
const FEE_BPS = 3;
const rules = { toleranceUs: TOL, feeBps: FEE_BPS, minorUnit: () => "0.000001" };
const D = (x: string) => new Decimal(x);
const text = (d: Decimal) => canonical(d.toFixed());
const LOT = new Decimal("0.001");
const TICK = new Decimal("0.5");
const T0 = 1_780_000_000_000_000;

/** A canonical fill of an order: lots, ticks, and its slot (10 s apart, so two fills of an order are never within the tolerance). */
interface Canon {
  lots: number;
  ticks: number;
  slot: number;
}
interface Order {
  order: number;
  side: number;
  fills: Canon[];
}

const orderArb = (order: number) =>
  fc.record({
    order: fc.constant(order),
    side: fc.integer({ min: 0, max: 1 }),
    // Distinct quantities within an order: two fills alike in everything but time are the one ambiguity the docs name.
    fills: fc.uniqueArray(fc.record({ lots: fc.integer({ min: 1, max: 60 }), ticks: fc.integer({ min: 190, max: 210 }), slot: fc.nat(1000) }), { minLength: 1, maxLength: 6, selector: (f) => f.lots }),
  });
const ordersArb = fc.array(fc.nat(), { minLength: 1, maxLength: 4 }).chain((ids) => fc.tuple(...ids.map((_, i) => orderArb(i + 1))));

let ids = 0;
function fill(o: Order, lots: number, ticks: number, time: number, venue: boolean): Fill {
  const qty = LOT.mul(lots);
  const px = TICK.mul(ticks);
  return { order: o.order, time, side: o.side, qty: text(qty), px: text(px), id: `${venue ? "X" : "S"}${++ids}`, commission: venue ? text(qty.mul(px).mul(FEE_BPS).div(10_000)) : null, symbol: 1, account: 7, record: { clOrdId: String(o.order) } };
}
const timeOf = (c: Canon, i: number) => T0 + (c.slot * 7 + i) * 10_000_000;

/** A fill's lots split into 1–3 pieces by `cuts` (fractions), each piece up to 2 s after the fill. */
function split(o: Order, c: Canon, i: number, cuts: number[], venue: boolean): Fill[] {
  const points = [...new Set(cuts.map((x) => Math.floor(x * c.lots)).filter((p) => p > 0 && p < c.lots))].sort((a, b) => a - b);
  const bounds = [0, ...points, c.lots];
  return bounds.slice(1).map((b, k) => fill(o, b - bounds[k]!, c.ticks, timeOf(c, i) + k * 900_000, venue));
}

const cutsArb = fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }), { minLength: 6, maxLength: 6 });

describe("the venue matcher", () => {
  test("the same fills split differently on each side: no break", () => {
    fc.assert(
      fc.property(ordersArb, cutsArb, cutsArb, (orders, oursCuts, venueCuts) => {
        for (const o of orders) {
          const ours = o.fills.flatMap((c, i) => split(o, c, i, oursCuts[i]!, false));
          const venue = o.fills.flatMap((c, i) => split(o, c, i, venueCuts[i]!, true));
          expect(matchOrder(ours, venue, rules)).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });

  const changes = ["MISSING_AT_VENUE", "MISSING_IN_OURS", "DUPLICATE", "QUANTITY", "PRICE", "SIDE", "FEE", "TIME"] as const;
  test("one change to otherwise identical fills: exactly that break, with its amount", () => {
    fc.assert(
      fc.property(orderArb(1), fc.nat(), fc.constantFrom(...changes), fc.integer({ min: 1, max: 9 }), fc.boolean(), (o, pick, change, k, up) => {
        const ours = o.fills.map((c, i) => fill(o, c.lots, c.ticks, timeOf(c, i), false));
        const venue = o.fills.map((c, i) => fill(o, c.lots, c.ticks, timeOf(c, i) + (up ? 1 : -1) * 1_000_000, true));
        const at = pick % ours.length;
        const f = ours[at]!;
        const v = venue[at]!;
        const sign = up ? 1 : -1;
        const repriced = (x: Fill) => (x.commission = text(D(x.qty).mul(x.px).mul(FEE_BPS).div(10_000)));
        const notional = (x: Fill) => D(x.qty).mul(x.px);
        let amount: Decimal;
        switch (change) {
          case "MISSING_AT_VENUE":
            venue.splice(at, 1);
            amount = notional(f);
            break;
          case "MISSING_IN_OURS": {
            const extra = fill(o, 61 + k, 200, v.time + sign * k * 1_000_000, true);
            venue.push(extra);
            amount = notional(extra);
            break;
          }
          case "DUPLICATE":
            ours.push({ ...f, id: "S-again", time: f.time + k * 100 });
            amount = notional(f);
            break;
          case "QUANTITY":
            v.qty = text(D(v.qty).add(LOT.mul(up || D(v.qty).lte(LOT.mul(k)) ? k : -k)));
            repriced(v);
            amount = D(f.qty).sub(v.qty);
            break;
          case "PRICE":
            v.px = text(D(v.px).add(TICK.mul(sign * k)));
            repriced(v);
            amount = D(f.px).sub(v.px).mul(f.qty);
            break;
          case "SIDE":
            v.side = 1 - v.side;
            amount = notional(f);
            break;
          case "FEE":
            v.commission = text(D(v.commission!).add(new Decimal("0.000001").mul(sign * k)));
            amount = new Decimal("0.000001").mul(sign * k);
            break;
          case "TIME":
            v.time = f.time + sign * (TOL + k * 1_000_000);
            amount = notional(f);
            break;
        }
        const found = matchOrder(ours, venue, rules);
        expect(found.map((x) => [x.kind, x.amount.toFixed()])).toEqual([[BreakKind[change], amount!.toFixed()]]);
      }),
      { numRuns: 1000 },
    );
  });

  test("without the venue's rate, its commission is not checked", () => {
    const o: Order = { order: 1, side: 0, fills: [] };
    const v = fill(o, 5, 200, T0, true);
    v.commission = "999";
    expect(matchOrder([fill(o, 5, 200, T0, false)], [v], { ...rules, feeBps: undefined })).toEqual([]);
    expect(matchOrder([fill(o, 5, 200, T0, false)], [v], rules).map((x) => x.kind)).toEqual([BreakKind.FEE]);
  });

  test("split differently with other totals: one break for the order's totals", () => {
    const o: Order = { order: 1, side: 1, fills: [] };
    const ours = [fill(o, 10, 200, T0, false)];
    expect(matchOrder(ours, [fill(o, 5, 200, T0, true), fill(o, 4, 200, T0 + 1e6, true)], rules).map((x) => [x.kind, x.amount.toFixed()])).toEqual([["QUANTITY", "0.001"]]);
    expect(matchOrder(ours, [fill(o, 5, 200, T0, true), fill(o, 5, 201, T0 + 1e6, true)], rules).map((x) => [x.kind, x.amount.toFixed()])).toEqual([["PRICE", "-0.0025"]]);
  });
});
