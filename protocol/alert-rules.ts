/**
 * The numbers an ALERT frame (docs/protocol.md) gives a monitoring rule and a severity, as names:
 * the wire's own table, for the SDK. The history store numbers its rules the same way
 * (history/monitoring/alerts.ts, which the protocol may not import); a test holds the two equal.
 */
export const ALERT_RULES: Readonly<Record<number, string>> = {
  1: "LARGE_ORDER",
  2: "LARGE_FILL",
  3: "UNUSUAL_HOUR",
  4: "RAPID_POSITION",
  5: "REJECT_BURST",
  6: "QUICK_WITHDRAWAL",
  7: "NEW_DESTINATION_WITHDRAWAL",
  8: "VENUE_MARKET_DATA",
  9: "RECONCILIATION_BREAK",
  10: "VENUE_BREAK",
};

export const ALERT_SEVERITIES: Readonly<Record<number, "low" | "medium" | "high">> = { 1: "low", 2: "medium", 3: "high" };
