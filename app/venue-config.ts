/**
 * An external venue orders are routed to (docs/reconciliation.md, "Our executions against the
 * venue's"): the config's top-level `venues: { NAME: VenueConfig }`, named by the `venue` of each
 * instrument routed there. A fill from the venue settles as a trade between the client's order and
 * the venue's *street* account, so reconciliation tells our client-side fills (every account but
 * the street one) from the street side by `account`, and checks the venue's commission by `feeBps`.
 * The routing's configuration of a venue (gateway/venue/link-config.ts, VenueLinkConfig: its
 * connection and session ids) holds these same fields, so a `venues` entry is both.
 */
export interface VenueConfig {
  /** The street account: the counterparty of every fill from this venue. */
  account: number;
  /** The venue's commission in basis points of a fill's notional; absent: its commission is not checked. */
  feeBps?: number;
}
