/**
 * An external venue orders are routed to (docs/reconciliation.md, "Our executions against the
 * venue's"): the config's top-level `venues: { NAME: VenueConfig }`, named by the `venue` of each
 * instrument routed there. A fill from the venue settles as a trade between the client's order and
 * the venue's *street* account, so reconciliation tells our client-side fills (every account but
 * the street one) from the street side by `account`, and checks the venue's commission by `feeBps`.
 * The routing (connection, session ids) adds its own fields to this same interface.
 */
export interface VenueConfig {
  /** The street account: the counterparty of every fill from this venue. */
  account: number;
  /** The venue's commission in basis points of a fill's notional; absent: its commission is not checked. */
  feeBps?: number;
}

/** An instrument's spec as the config may give it: `venue` names the venue its orders are routed to. */
export interface RoutedInstrument {
  id: number;
  symbol: string;
  venue?: string;
}

/** The venue `name` of the config with the ids of the instruments routed to it; a clear error when the config lacks it. */
export function venueOf(venues: Record<string, VenueConfig> | undefined, instruments: readonly RoutedInstrument[], name: string): VenueConfig & { name: string; symbols: number[] } {
  const v = venues?.[name];
  if (v === undefined) throw new RangeError(`the config has no venue ${JSON.stringify(name)} (venues: ${Object.keys(venues ?? {}).join(", ") || "none"})`);
  if (!Number.isSafeInteger(v.account) || v.account <= 0) throw new RangeError(`venues.${name}.account must be the street account's id, a positive whole number`);
  if (v.feeBps !== undefined && (!Number.isFinite(v.feeBps) || v.feeBps < 0 || v.feeBps > 10_000)) throw new RangeError(`venues.${name}.feeBps must be a number of basis points from 0 to 10000`);
  const symbols = instruments.filter((i) => i.venue === name).map((i) => i.id);
  if (symbols.length === 0) throw new RangeError(`no instrument is routed to venue ${JSON.stringify(name)} (an instrument names it with "venue": "${name}")`);
  return { name, account: v.account, feeBps: v.feeBps, symbols };
}
