/**
 * Our deposits and withdrawals of a day against a custody or bank statement's (docs/
 * reconciliation.md "Custody"). Pure: movements in, breaks out.
 *
 * Matching, in three passes, each over what the ones before left:
 *   1. by reference, where both sides have one: the same reference is the same movement; a
 *      different amount is AMOUNT_MISMATCH. (Bourse's DEPOSIT and WITHDRAW commands carry no
 *      transaction reference today — a withdrawal's destination names an address, not a
 *      movement — so our side has none and this pass is for when one is added.)
 *   2. by (account, currency, type, amount) with the bank's time within the tolerance of ours,
 *      counting multiplicity: two deposits of 100 need two at the bank. Within a group both sides
 *      are sorted by time and paired greedily, which pairs as many as any pairing could when every
 *      pair must lie within one window.
 *   3. by (account, currency, type) within the tolerance, any amount, the nearest amounts paired
 *      first: AMOUNT_MISMATCH, the difference (bank − ours) at stake.
 * What is left is MISSING_AT_BANK (ours) or MISSING_AT_BOURSE (the bank's).
 */
import type { Assets } from "./assets.ts";
import { type Break, BreakKind, makeBreak, type PlainRecord } from "./breaks.ts";

export interface Movement {
  account: number;
  currency: number;
  type: "deposit" | "withdrawal";
  /** Positive, minor units. */
  amount: bigint;
  /** UTC µs. */
  time: number;
  /** "" when the side has none. */
  reference: string;
  /** Natural key, for the break id: a journal seq/idx/n, or the bank's reference or fields. */
  key: string;
  /** What the report shows. */
  record: PlainRecord;
}

export interface CustodyResult {
  matched: number;
  breaks: Break[];
}

/** What is left of both sides, grouped by `key`. */
function groups(ours: Set<Movement>, bank: Set<Movement>, key: (m: Movement) => string): Iterable<{ ours: Movement[]; bank: Movement[] }> {
  const out = new Map<string, { ours: Movement[]; bank: Movement[] }>();
  const group = (m: Movement) => out.get(key(m)) ?? out.set(key(m), { ours: [], bank: [] }).get(key(m))!;
  for (const o of ours) group(o).ours.push(o);
  for (const b of bank) group(b).bank.push(b);
  return out.values();
}

export function matchCustody(ours: readonly Movement[], bank: readonly Movement[], toleranceUs: number, dayText: string, assets: Assets): CustodyResult {
  const breaks: Break[] = [];
  const oursLeft = new Set(ours);
  const bankLeft = new Set(bank);
  let matched = 0;
  const pair = (o: Movement, b: Movement) => {
    oursLeft.delete(o);
    bankLeft.delete(b);
    if (o.amount === b.amount && o.account === b.account && o.currency === b.currency && o.type === b.type) matched++;
    else breaks.push(mismatch(o, b));
  };
  const mismatch = (o: Movement, b: Movement) =>
    makeBreak(BreakKind.AMOUNT_MISMATCH, [dayText, o.key, b.key], {
      day: dayText, account: o.account, asset: assets.currency(o.currency), ours: o.record, theirs: b.record,
      amount: assets.money(o.currency, b.amount - o.amount),
      text: `${o.type} of ${assets.money(o.currency, o.amount)} ${assets.currency(o.currency)} booked by Bourse is ${assets.money(b.currency, b.amount)} at the bank`,
    });

  // 1. References.
  const byRef = new Map<string, Movement[]>();
  for (const o of ours) if (o.reference !== "") (byRef.get(o.reference) ?? byRef.set(o.reference, []).get(o.reference)!).push(o);
  for (const b of bank) {
    if (b.reference === "") continue;
    const o = byRef.get(b.reference)?.shift();
    if (o) pair(o, b);
  }
  // 2. Same amount, within the tolerance.
  for (const g of groups(oursLeft, bankLeft, (m) => `${m.account}|${m.currency}|${m.type}|${m.amount}`)) {
    g.ours.sort((a, b) => a.time - b.time);
    g.bank.sort((a, b) => a.time - b.time);
    let i = 0;
    let j = 0;
    while (i < g.ours.length && j < g.bank.length) {
      const o = g.ours[i]!;
      const b = g.bank[j]!;
      if (Math.abs(o.time - b.time) <= toleranceUs) {
        pair(o, b);
        i++;
        j++;
      } else if (o.time < b.time) i++;
      else j++;
    }
  }
  // 3. Any amount within the tolerance: the nearest amounts first (then the nearest times), so a
  // bank's 999.90 pairs with our 1,000.00 rather than with our 20.00 of the same minute.
  for (const g of groups(oursLeft, bankLeft, (m) => `${m.account}|${m.currency}|${m.type}`)) {
    const candidates: { o: Movement; b: Movement; amount: bigint; time: number }[] = [];
    for (const o of g.ours) {
      for (const b of g.bank) {
        const time = Math.abs(o.time - b.time);
        if (time <= toleranceUs) candidates.push({ o, b, amount: o.amount > b.amount ? o.amount - b.amount : b.amount - o.amount, time });
      }
    }
    candidates.sort((x, y) => (x.amount < y.amount ? -1 : x.amount > y.amount ? 1 : x.time - y.time));
    for (const c of candidates) if (oursLeft.has(c.o) && bankLeft.has(c.b)) pair(c.o, c.b);
  }
  for (const o of oursLeft) {
    breaks.push(
      makeBreak(BreakKind.MISSING_AT_BANK, [dayText, o.key], {
        day: dayText, account: o.account, asset: assets.currency(o.currency), ours: o.record, theirs: null,
        amount: assets.money(o.currency, o.amount),
        text: `${o.type} of ${assets.money(o.currency, o.amount)} ${assets.currency(o.currency)} booked by Bourse is not on the custody statement`,
      }),
    );
  }
  for (const b of bankLeft) {
    breaks.push(
      makeBreak(BreakKind.MISSING_AT_BOURSE, [dayText, b.key], {
        day: dayText, account: b.account, asset: assets.currency(b.currency), ours: null, theirs: b.record,
        amount: assets.money(b.currency, b.amount),
        text: `${b.type} of ${assets.money(b.currency, b.amount)} ${assets.currency(b.currency)} on the custody statement was not booked by Bourse`,
      }),
    );
  }
  return { matched, breaks };
}
