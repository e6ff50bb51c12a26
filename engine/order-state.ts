/**
 * The states an order passes through, as numbers on the wire and in the audit trail. A leaf module
 * (it imports nothing) so the wire protocol and the SDK can share it without the rest of the engine.
 */
export const OrderState = {
  /** Before its first transition (the audit event that creates an order comes from NONE). */
  NONE: -1,
  PENDING: 0,
  NEW: 1,
  PARTIALLY_FILLED: 2,
  FILLED: 3,
  CANCELLED: 4,
  EXPIRED: 5,
  REJECTED: 6,
  /**
   * A routed order whose state at the venue is not known: the link to the venue dropped after the
   * order (or a cancel of it) was sent and before the venue answered. Never guessed: it leaves this
   * state only on the venue's own word (a status answer, a resent report, docs/venues.md).
   */
  PENDING_UNKNOWN: 7,
} as const;
