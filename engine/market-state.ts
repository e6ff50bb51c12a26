/**
 * A symbol's market state (session, halt). A leaf module (it imports nothing) so the wire protocol and
 * the SDK can share it without the rest of the engine. What a symbol's STATUS event reports.
 */
export const MarketState = {
  OPEN: 0,
  CLOSED: 1,
  HALTED: 2,
} as const;
