import { OperatorError } from "../../actors/operator-error.ts";

/**
 * A venue's market-data settings (docs/venues.md "Market data from the venue"), under
 * `venues[].marketData` in the configuration. Every key is optional; `marketDataSettings` fills the
 * defaults and refuses a value it cannot use with a message naming the key.
 */
export interface VenueMarketDataConfig {
  /** No update of an instrument for this long and it is flagged STALE. Default 5000 ms. */
  staleMs?: number;
  /** A print more than this many basis points from the last good price is a bad tick. Default 1000 (10 %). */
  bandBps?: number;
  /** In-band prints in a row that clear a bad tick. Default 3. */
  clearAfterGoodPrints?: number;
  /** How often the guard looks for stale instruments. Default 1000 ms (staleMs is then exact to it). */
  checkEveryMs?: number;
}

export type MarketDataSettings = Required<VenueMarketDataConfig>;

export const MARKET_DATA_DEFAULTS: MarketDataSettings = { staleMs: 5000, bandBps: 1000, clearAfterGoodPrints: 3, checkEveryMs: 1000 };

/** The limits each key is held to: [min, max], integers. */
const RANGE: Record<keyof MarketDataSettings, [number, number]> = {
  staleMs: [1, 86_400_000],
  // 10,000 bps would let a price fall to 0 and still be in band.
  bandBps: [1, 9_999],
  clearAfterGoodPrints: [1, 1_000],
  checkEveryMs: [1, 60_000],
};

/** The settings of `raw` (a venue's `marketData` section, or undefined) over the defaults; `where` names it in errors. */
export function marketDataSettings(raw: unknown, where = "venues[].marketData"): MarketDataSettings {
  if (raw === undefined) return { ...MARKET_DATA_DEFAULTS };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new OperatorError(`${where} must be an object`);
  const out = { ...MARKET_DATA_DEFAULTS };
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in RANGE)) throw new OperatorError(`${where}.${key} is not a setting (known: ${Object.keys(RANGE).join(", ")})`);
    const [min, max] = RANGE[key as keyof MarketDataSettings];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw new OperatorError(`${where}.${key} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
    }
    out[key as keyof MarketDataSettings] = value;
  }
  return out;
}
