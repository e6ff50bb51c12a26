/**
 * The venue comparison for one order (ClOrdID): our fills of it against the venue's, after the
 * drop copy's repeated ExecIDs were taken out (reconcile/venue-vs-ours.ts). Pure: the same fills
 * give the same findings, which is what the property test (test/reconcile/venue-match.test.ts) holds.
 *
 * In three steps (docs/reconciliation.md):
 *   1. fill by fill: a fill of ours and one of the venue's with the same side, quantity and price,
 *      their times within the tolerance, are the same fill (the nearest in time first);
 *   2. what is left on both sides with the same side, total quantity and total notional (so the
 *      same volume-weighted price) is the same fills split differently (the venue's 2 × 5 against
 *      our 1 × 10, or the reverse): not a break, though a fill further than the tolerance from every
 *      fill on the other side is a TIME break of the order;
 *   3. otherwise the leftovers pair in time order when both sides have as many (each pair's side,
 *      quantity, price and time compared), else the order's totals are: SIDE, QUANTITY or PRICE.
 * Ours left over with no venue fill is MISSING_AT_VENUE — or DUPLICATE when it repeats a fill of
 * ours that the venue matched (same side, quantity, price, within the tolerance): one venue fill
 * settled twice. The venue's left over is MISSING_IN_OURS. Every venue fill that matched is checked
 * for its commission: feeBps of its own notional, exact, to within one minor unit of the currency
 * (a venue rounds its commission to it, either way).
 */
import { Decimal } from "../engine/instrument.ts";
import { BreakKind } from "./breaks.ts";
import { absLess, canonical, type Fill, mulScaled, notionalOf, type Scaled, scaled, subScaled } from "./venue-fill.ts";

export interface Finding {
  kind: BreakKind;
  ours: Fill[];
  theirs: Fill[];
  /** What is at stake: in the symbol (QUANTITY) or its quote currency (every other kind). */
  amount: Decimal;
  text: string;
}

export interface MatchRules {
  toleranceUs: number;
  /** The venue's commission rate; undefined: not checked. */
  feeBps?: number;
  /** One minor unit of the quote currency of `symbol` (the commission's rounding allowance), decimal text. */
  minorUnit(symbol: number): string;
}

const ZERO = new Decimal(0);
const byTime = (a: Fill, b: Fill) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const sameFill = (a: Fill, b: Fill) => a.side === b.side && a.qty === b.qty && a.px === b.px;
const sum = (fs: Fill[], f: (x: Fill) => Decimal) => fs.reduce((s, x) => s.add(f(x)), ZERO);
const qtyOf = (f: Fill) => new Decimal(f.qty);
const secs = (us: number) => `${(us / 1e6).toFixed(3)} s`;

export function matchOrder(oursIn: readonly Fill[], venueIn: readonly Fill[], rules: MatchRules): Finding[] {
  const ours = [...oursIn].sort(byTime);
  const venue = [...venueIn].sort(byTime);
  const out: Finding[] = [];
  const tol = rules.toleranceUs;

  // 1. Fill by fill.
  const used = new Uint8Array(venue.length);
  const paired: [Fill, Fill][] = [];
  const leftOurs: Fill[] = [];
  const pool = new Map<string, number[]>();
  venue.forEach((v, i) => {
    const k = `${v.side}|${v.qty}|${v.px}`;
    const l = pool.get(k);
    if (l) l.push(i);
    else pool.set(k, [i]);
  });
  for (const f of ours) {
    let best = -1;
    for (const i of pool.get(`${f.side}|${f.qty}|${f.px}`) ?? []) {
      if (used[i] || Math.abs(venue[i]!.time - f.time) > tol) continue;
      if (best < 0 || Math.abs(venue[i]!.time - f.time) < Math.abs(venue[best]!.time - f.time)) best = i;
    }
    if (best < 0) leftOurs.push(f);
    else {
      used[best] = 1;
      paired.push([f, venue[best]!]);
    }
  }
  const leftVenue = venue.filter((_, i) => !used[i]);
  const matchedVenue = paired.map(([o, v]) => ({ ours: [o], v }));

  if (leftOurs.length > 0 && leftVenue.length === 0) {
    for (const f of leftOurs) {
      const twin = paired.find(([o]) => sameFill(o, f) && Math.abs(o.time - f.time) <= tol);
      if (twin) out.push({ kind: BreakKind.DUPLICATE, ours: [f, twin[0]], theirs: [twin[1]], amount: notionalOf(f), text: `order ${f.order}: our fill ${f.id} repeats fill ${twin[0].id}, which the venue shows once (ExecID ${twin[1].id})` });
      else out.push({ kind: BreakKind.MISSING_AT_VENUE, ours: [f], theirs: [], amount: notionalOf(f), text: `order ${f.order}: our fill ${f.id} is not in the venue's drop copy` });
    }
  } else if (leftVenue.length > 0 && leftOurs.length === 0) {
    for (const v of leftVenue) out.push({ kind: BreakKind.MISSING_IN_OURS, ours: [], theirs: [v], amount: notionalOf(v), text: `the venue's fill ExecID ${v.id} is not among ours${v.order < 0 ? " (its ClOrdID is none of our order ids)" : ` (ClOrdID ${v.order})`}` });
  } else if (leftVenue.length > 0) {
    const sides = new Set([...leftOurs, ...leftVenue].map((f) => f.side));
    const oQty = sum(leftOurs, qtyOf);
    const vQty = sum(leftVenue, qtyOf);
    const oNot = sum(leftOurs, notionalOf);
    const vNot = sum(leftVenue, notionalOf);
    const order = leftOurs[0]!.order;
    if (sides.size === 1 && oQty.eq(vQty) && oNot.eq(vNot)) {
      // 2. Split differently: the same totals.
      for (const v of leftVenue) matchedVenue.push({ ours: leftOurs, v });
      const far = (a: Fill[], b: Fill[]) => a.some((x) => b.every((y) => Math.abs(x.time - y.time) > tol));
      // Against every fill of the order on the other side: step 1 may have paired a piece of a split fill with a look-alike.
      if (far(leftOurs, venue) || far(leftVenue, ours)) {
        out.push({ kind: BreakKind.TIME, ours: leftOurs, theirs: leftVenue, amount: oNot, text: `order ${order}: split differently, and a fill is further than ${secs(tol)} from every fill on the other side` });
      }
    } else if (leftOurs.length === leftVenue.length) {
      // 3a. As many on both sides: pair them in time order.
      leftOurs.forEach((o, i) => {
        const v = leftVenue[i]!;
        matchedVenue.push({ ours: [o], v });
        const pair = { ours: [o], theirs: [v] };
        const what = `order ${o.order}: our fill ${o.id} and the venue's ExecID ${v.id}`;
        if (o.side !== v.side) out.push({ kind: BreakKind.SIDE, ...pair, amount: notionalOf(o), text: `${what} differ in side (ours ${sideName(o)}, the venue's ${sideName(v)})` });
        if (o.qty !== v.qty) out.push({ kind: BreakKind.QUANTITY, ...pair, amount: qtyOf(o).sub(v.qty), text: `${what} differ in quantity (ours ${o.qty}, the venue's ${v.qty})` });
        if (o.px !== v.px) out.push({ kind: BreakKind.PRICE, ...pair, amount: new Decimal(o.px).sub(v.px).mul(o.qty), text: `${what} differ in price (ours ${o.px}, the venue's ${v.px})` });
        if (Math.abs(o.time - v.time) > tol) out.push({ kind: BreakKind.TIME, ...pair, amount: notionalOf(o), text: `${what} are ${secs(Math.abs(o.time - v.time))} apart (tolerance ${secs(tol)})` });
      });
    } else {
      // 3b. Split differently and not the same totals: the order's totals disagree.
      for (const v of leftVenue) matchedVenue.push({ ours: leftOurs, v });
      const both = { ours: leftOurs, theirs: leftVenue };
      if (sides.size > 1) out.push({ kind: BreakKind.SIDE, ...both, amount: oNot, text: `order ${order}: our fills and the venue's are not all on one side` });
      else if (!oQty.eq(vQty)) out.push({ kind: BreakKind.QUANTITY, ...both, amount: oQty.sub(vQty), text: `order ${order}: our fills total ${oQty}, the venue's ${vQty}` });
      else out.push({ kind: BreakKind.PRICE, ...both, amount: oNot.sub(vNot), text: `order ${order}: the same quantity ${oQty} at an average price of ${oNot.div(oQty).toSignificantDigits(20)} ours, ${vNot.div(vQty).toSignificantDigits(20)} the venue's` });
    }
  }

  // The commission of every venue fill that matched.
  if (rules.feeBps !== undefined) {
    // Exact, in scaled integers (the common case, every matched fill); Decimal only for a break's figures.
    const rate = rateOf(rules.feeBps);
    for (const { ours: o, v } of matchedVenue) {
      const expected: Scaled = mulScaled(mulScaled(scaled(v.qty), scaled(v.px)), rate);
      const paid = scaled(v.commission ?? "0");
      if (!absLess(subScaled(paid, expected), scaled(rules.minorUnit(v.symbol)))) {
        const exp = notionalOf(v).mul(rules.feeBps).mul("0.0001");
        out.push({ kind: BreakKind.FEE, ours: o, theirs: [v], amount: new Decimal(v.commission ?? "0").sub(exp), text: `ExecID ${v.id}: commission ${v.commission ?? "0"}, where ${rules.feeBps} bps of its notional ${notionalOf(v)} is ${exp}` });
      }
    }
  }
  return out;
}

const rates = new Map<number, Scaled>();
/** feeBps as a fraction of the notional, exact (bps may have decimals). */
function rateOf(bps: number): Scaled {
  let r = rates.get(bps);
  if (!r) rates.set(bps, (r = scaled(canonical(new Decimal(bps).mul("0.0001").toFixed()))));
  return r;
}

const sideName = (f: Fill) => (f.side === 0 ? "buy" : "sell");
