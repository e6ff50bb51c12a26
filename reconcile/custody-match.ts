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
 *      counting multiplicity: two deposits of 100 need two at the bank. Within a group, as many
 *      pairs as any pairing has, and of those the closest in time (closestPairs).
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

/** Above this many (ours × bank) in one group, pass 2 pairs greedily instead (as many pairs, not always the closest). */
const MAX_DP_CELLS = 4_000_000;

/**
 * Pass 2's pairing of look-alikes, both sorted by time: as many pairs within the tolerance as any
 * pairing has, and of those the one with the least total time apart — so a bank's 10:00 deposit of
 * 100 pairs with our 10:00 one, not with our 09:52 one that merely lies within the window (which
 * would leave ours at 10:00 to be mistaken for something else). Pairs of two sorted lists never
 * need to cross, so a table over prefixes finds it.
 */
function closestPairs(ours: readonly Movement[], bank: readonly Movement[], tol: number): [number, number][] {
  const n = ours.length;
  const m = bank.length;
  const out: [number, number][] = [];
  if ((n + 1) * (m + 1) > MAX_DP_CELLS) {
    // Greedy over both sorted lists: the most pairs any pairing within one window can have.
    for (let i = 0, j = 0; i < n && j < m; ) {
      const d = ours[i]!.time - bank[j]!.time;
      if (Math.abs(d) <= tol) out.push([i++, j++]);
      else if (d < 0) i++;
      else j++;
    }
    return out;
  }
  // count[i][j], cost[i][j]: the best pairing of ours[i..] with bank[j..] (most pairs, then least time apart).
  const w = m + 1;
  const count = new Int32Array((n + 1) * w);
  const cost = new Float64Array((n + 1) * w);
  const better = (c1: number, s1: number, c2: number, s2: number) => c1 > c2 || (c1 === c2 && s1 < s2);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      let c = count[(i + 1) * w + j]!;
      let s = cost[(i + 1) * w + j]!;
      if (better(count[i * w + j + 1]!, cost[i * w + j + 1]!, c, s)) {
        c = count[i * w + j + 1]!;
        s = cost[i * w + j + 1]!;
      }
      const d = Math.abs(ours[i]!.time - bank[j]!.time);
      if (d <= tol && better(count[(i + 1) * w + j + 1]! + 1, cost[(i + 1) * w + j + 1]! + d, c, s)) {
        c = count[(i + 1) * w + j + 1]! + 1;
        s = cost[(i + 1) * w + j + 1]! + d;
      }
      count[i * w + j] = c;
      cost[i * w + j] = s;
    }
  }
  for (let i = 0, j = 0; i < n && j < m; ) {
    const d = Math.abs(ours[i]!.time - bank[j]!.time);
    const here = count[i * w + j]!;
    if (d <= tol && count[(i + 1) * w + j + 1]! + 1 === here && cost[(i + 1) * w + j + 1]! + d === cost[i * w + j]!) out.push([i++, j++]);
    else if (count[(i + 1) * w + j]! === here && cost[(i + 1) * w + j]! === cost[i * w + j]!) i++;
    else j++;
  }
  return out;
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
    for (const [i, j] of closestPairs(g.ours, g.bank, toleranceUs)) pair(g.ours[i]!, g.bank[j]!);
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
