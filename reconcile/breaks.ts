/**
 * A break: one disagreement between two records that should say the same thing, as the exceptions
 * report lists it. Its id is a hash of its kind and the natural keys of what disagrees (a journal
 * seq and event index, an account and currency, a bank reference), never of when it was found, so
 * the same break found by tomorrow's run has today's id: an operator's resolution (docs/
 * reconciliation.md) stays attached to it.
 */

export const BreakKind = {
  /** The journal implies a row the history store does not hold. */
  MISSING_IN_HISTORY: "MISSING_IN_HISTORY",
  /** The history store holds a row the journal does not imply. */
  EXTRA_IN_HISTORY: "EXTRA_IN_HISTORY",
  /** The history store holds a row's key more than once. */
  DUPLICATE_IN_HISTORY: "DUPLICATE_IN_HISTORY",
  /** Both hold the row, with different fields (the text names them). */
  FIELD_MISMATCH: "FIELD_MISMATCH",
  /** End of day: the engine's balance and the history store's differ. */
  BALANCE_MISMATCH: "BALANCE_MISMATCH",
  POSITION_MISMATCH: "POSITION_MISMATCH",
  /** Custody: a deposit or withdrawal we booked that the bank statement does not show. */
  MISSING_AT_BANK: "MISSING_AT_BANK",
  /** Custody: a movement the bank shows that we did not book. */
  MISSING_AT_BOURSE: "MISSING_AT_BOURSE",
  /** Custody: the same movement, for a different amount. */
  AMOUNT_MISMATCH: "AMOUNT_MISMATCH",
  /** Venue: a fill of ours on a routed symbol that the venue's drop copy does not show. */
  MISSING_AT_VENUE: "MISSING_AT_VENUE",
  /** Venue: a fill the drop copy shows that we did not settle. */
  MISSING_IN_OURS: "MISSING_IN_OURS",
  /** Venue: the same ExecID twice in the drop copy, or one venue fill settled twice on our side. */
  DUPLICATE: "DUPLICATE",
  /** Venue: the same fill (or order, when split differently), a different quantity. */
  QUANTITY: "QUANTITY",
  PRICE: "PRICE",
  SIDE: "SIDE",
  /** Venue: its commission is not feeBps of the fill's notional. */
  FEE: "FEE",
  /** Venue: the same fill, its time further from ours than the tolerance. */
  TIME: "TIME",
  /**
   * Venue: a report the engine refused to settle as the venue sent it (a fill for an unknown order, a
   * repeated ExecID, an over-fill, a price outside the limit, a CumQty unlike ours; docs/venues.md):
   * found in the journal, nothing settled.
   */
  VENUE_REPORT_REFUSED: "VENUE_REPORT_REFUSED",
} as const;
export type BreakKind = (typeof BreakKind)[keyof typeof BreakKind];

export const BREAK_KINDS: readonly BreakKind[] = Object.values(BreakKind);

/** A record as the report shows it: plain JSON values (exact integers and amounts as strings). */
export type PlainRecord = Record<string, string | number | boolean | null>;

export interface Break {
  id: string;
  kind: BreakKind;
  /** The UTC day reconciled, YYYY-MM-DD. */
  day: string;
  account: number;
  /** The currency code or symbol the break is in ("" when neither applies). */
  asset: string;
  /** Our record (journal, engine) and theirs (history store, bank); null on the side that lacks it. */
  ours: PlainRecord | null;
  theirs: PlainRecord | null;
  /** What is at stake, a decimal string in `asset` (a signed difference for a mismatch). */
  amount: string;
  text: string;
  /** How an operator resolved it (docs/reconciliation.md), or null: open. */
  resolution: BreakResolution | null;
}

/** A resolution as the report shows it (history/store.ts Resolution, without the id it is under). */
export interface BreakResolution {
  action: "accepted" | "adjusted";
  reason: string;
  commandSeq: number;
  operator: string;
  /** ISO 8601 UTC. */
  at: string;
}

/** A break's id: the first 16 hex digits of SHA-256 over its kind and natural keys. */
export function breakId(kind: BreakKind, keys: readonly (string | number)[]): string {
  return new Bun.CryptoHasher("sha256").update(`${kind}|${keys.join("|")}`).digest("hex").slice(0, 16);
}

export function makeBreak(kind: BreakKind, keys: readonly (string | number)[], b: Omit<Break, "id" | "kind" | "resolution">): Break {
  return { id: breakId(kind, keys), kind, ...b, resolution: null };
}

/** A break id as breakId makes it: the CLI refuses anything else before opening the store. */
export const BREAK_ID = /^[0-9a-f]{16}$/;

/** A row as a plain record: BigInts (money) become their exact decimal digits. */
export function plain(row: object | null): PlainRecord | null {
  if (row === null) return null;
  const out: PlainRecord = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === "bigint" ? v.toString() : (v as string | number | boolean | null);
  return out;
}
