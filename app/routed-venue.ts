/**
 * A venue of the config as reconciliation needs it (docs/reconciliation.md): its street account,
 * its commission rate, and the instruments routed to it, checked, with an error that names what
 * is wrong in the config.
 */
import type { VenueConfig } from "./venue-config.ts";

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
