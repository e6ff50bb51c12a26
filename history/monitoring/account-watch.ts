/**
 * What the rules remember of one account, kept by the monitor (history/monitoring/monitor.ts) and
 * written to the store with every batch that changed it, so a writer that stops and resumes judges
 * the next command exactly as one that never stopped. Only what a window still needs is kept: old
 * entries go when the account is next touched. Plain numbers and strings, so JSON round-trips it
 * exactly (a float's shortest text reads back as the same float).
 */
export class AccountWatch {
  /** Orders seen, and the running weighted mean of ln(notional): exp of it is the usual order. */
  orders = 0;
  orderLog = 0;
  fills = 0;
  fillLog = 0;
  /** Orders per hour of the day (UTC), and the time of the first. */
  hours: number[] = new Array<number>(24).fill(0);
  firstOrder = 0;
  /** Times of recent rejects and cancels. */
  flows: number[] = [];
  /** Recent deposits: [time, currency, amount in units as text]. */
  deposits: [number, number, string][] = [];
  /** Recent destinations added: [time, destination]. */
  destinations: [number, string][] = [];
  /** Per symbol, recent fills in buckets of time ([bucket start, net notional, gross notional, fills]) and their sums. */
  moves: Record<string, { buckets: [number, number, number, number][]; net: number; gross: number; fills: number }> = {};
  /** Orders counted in `hours`. */
  hourTotal = 0;
  /** Per rule, the engine time before which it stays quiet. */
  quietUntil: Record<string, number> = {};

  static from(json: string): AccountWatch {
    return Object.assign(new AccountWatch(), JSON.parse(json) as Partial<AccountWatch>);
  }

  /** Raises `rule` unless it fired for this account less than `cooldownUs` ago. */
  mayFire(rule: number, time: number, cooldownUs: number): boolean {
    if (time < (this.quietUntil[rule] ?? 0)) return false;
    this.quietUntil[rule] = time + cooldownUs;
    return true;
  }
}

/** Drops the entries of a time-ordered list older than `since` (each entry's time first, or itself). */
export function dropBefore<T>(list: T[], since: number, timeOf: (e: T) => number): void {
  let i = 0;
  while (i < list.length && timeOf(list[i]!) < since) i++;
  if (i > 0) list.splice(0, i);
}
