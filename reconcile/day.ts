/**
 * The day a reconciliation covers: a UTC calendar day, [start, end) in engine µs. Reconciliation
 * is by UTC day because engine time is UTC; a desk in another zone asks for the UTC day(s) it needs.
 */

export const DAY_US = 86_400_000_000;

export interface UtcDay {
  /** "YYYY-MM-DD". */
  text: string;
  /** Engine µs: start ≤ time < end. */
  start: number;
  end: number;
}

/** "2026-05-29" → its bounds; anything that is not a real calendar date is refused. */
export function utcDay(text: string): UtcDay {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || !Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== text) throw new RangeError(`--date must be a calendar day as YYYY-MM-DD (UTC), not ${JSON.stringify(text)}`);
  return { text, start: ms * 1000, end: ms * 1000 + DAY_US };
}

/** The UTC day holding engine time `us`. */
export function dayOf(us: number): UtcDay {
  return utcDay(new Date(Math.floor(us / 1000)).toISOString().slice(0, 10));
}
