/**
 * What transaction monitoring writes (docs/monitoring.md): one alert row per rule that fired, for
 * one account, on one journaled command. Keyed by (seq, rule, account) — the command that tripped
 * the rule — so a rebuild or a resumed writer writes the same alert again, never a second one.
 */

/** The rules, by the number stored and the name the doors show. */
export const Rule = {
  LARGE_ORDER: 1,
  LARGE_FILL: 2,
  UNUSUAL_HOUR: 3,
  RAPID_POSITION: 4,
  REJECT_BURST: 5,
  QUICK_WITHDRAWAL: 6,
  NEW_DESTINATION_WITHDRAWAL: 7,
  /** An instrument's venue market data was flagged stale or bad (market-data-flag.ts); no account's doing. */
  VENUE_MARKET_DATA: 8,
  /**
   * A routed order's venue sent a report the engine refused to settle (docs/venues.md): a fill for an
   * unknown order, a repeated ExecID, an over-fill, a price outside the limit, a status that
   * disagrees with what settled. Filed under the venue's street account.
   */
  /**
   * The server's end-of-day reconciliation found open breaks (docs/reconciliation.md). Raised by
   * the server, not the writer: not derived from the journal, so a rebuild keeps it (RAISED_OUTSIDE_WRITER).
   */
  RECONCILIATION_BREAK: 9,
  /**
   * A routed order's venue sent a report the engine refused to settle (docs/venues.md): a fill for an
   * unknown order, a repeated ExecID, an over-fill, a price outside the limit, a status that
   * disagrees with what settled. Filed under the venue's street account.
   */
  VENUE_BREAK: 10,
} as const;

/** Rules whose alerts the history writer does not raise: `reset()` (a rebuild in place) keeps their rows, as it keeps resolutions. */
export const RAISED_OUTSIDE_WRITER: readonly number[] = [Rule.RECONCILIATION_BREAK];

export type RuleName = keyof typeof Rule;

export const RULE_NAMES: readonly RuleName[] = Object.keys(Rule) as RuleName[];

export function ruleName(rule: number): RuleName {
  return RULE_NAMES.find((n) => Rule[n] === rule) ?? ("UNKNOWN" as RuleName);
}

export const Severity = { LOW: 1, MEDIUM: 2, HIGH: 3 } as const;
export const SEVERITY_NAMES = ["", "low", "medium", "high"] as const;

export interface AlertRow {
  seq: number;
  rule: number;
  account: number;
  /** Engine time of the command (µs). */
  time: number;
  severity: number;
  /** One line a person reads. */
  text: string;
  /** The figures behind it, as compact JSON. */
  detail: string;
}

/** An alert with its acknowledgement, as the store lists it. */
export interface AlertView extends AlertRow {
  /** `seq.rule.account`: the id the doors use. */
  id: string;
  ackedBy: string | null;
  /** Wall-clock ms of the acknowledgement. */
  ackedAt: number | null;
  note: string | null;
}

export function alertId(a: { seq: number; rule: number; account: number }): string {
  return `${a.seq}.${a.rule}.${a.account}`;
}

/** The key an id names, or null when it is not one. */
export function parseAlertId(id: string): { seq: number; rule: number; account: number } | null {
  const m = /^(\d{1,15})\.(\d{1,3})\.(\d{1,15})$/.exec(id);
  if (!m) return null;
  return { seq: Number(m[1]), rule: Number(m[2]), account: Number(m[3]) };
}

/** A time range in engine µs (as history/store.ts TimeRange). */
interface TimeRange {
  from?: number;
  to?: number;
}

export interface AlertQuery extends TimeRange {
  /** open: not yet acknowledged. */
  state?: "open" | "acknowledged";
  account?: number;
  rule?: number;
  cursor?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface AlertKey {
  seq: number;
  rule: number;
  account: number;
}

/** What ack() found: acknowledged now, already acknowledged (by whom, kept as it was), or no such alert. */
export type AckOutcome = { acked: true; alert: AlertView } | { acked: false; alert: AlertView } | null;

/** One account's rule state as the store keeps it, written with the batch that changed it. */
export interface MonitorStateRow {
  account: number;
  state: string;
}
