import { marketDataSettings, type VenueMarketDataConfig } from "./market-data-config.ts";

/**
 * How Bourse reaches one external venue (the `venues` section of the configuration, docs/venues.md):
 * a FIX 4.4 initiator session to the venue's acceptor. Which instruments go there is said by each
 * instrument's `venue`; which local account stands for the venue (its street account) by `account`.
 */
export interface VenueLinkConfig {
  /** The venue's street account: the counterparty of every fill it reports. Must be opened (accounts section). */
  account: number;
  /** The venue's commission in basis points of a fill's notional, for reconciliation against its drop copy (docs/reconciliation.md); absent: not checked. */
  feeBps?: number;
  /** The venue's FIX acceptor; required unless `enabled` is false. */
  host?: string;
  port?: number;
  /** Our CompID (49) and the venue's (56); required unless `enabled` is false. */
  senderCompId?: string;
  targetCompId?: string;
  /** Logon Username (553) and Password (554), if the venue asks for them. The password is read from this environment variable, never the file. */
  username?: string;
  passwordEnv?: string;
  /** HeartBtInt (108) asked for at Logon, seconds. Default 30. */
  heartBtIntSec?: number;
  /** First wait before reconnecting after a failed connect or a dropped session, ms; doubles up to `maxReconnectMs`. Defaults 1000 and 30000. */
  reconnectMs?: number;
  maxReconnectMs?: number;
  /** false: configured but not connected (its instruments stay unavailable). Default true. */
  enabled?: boolean;
  /**
   * false: Bourse does not route to this venue — it trades on our own book through its street
   * account (a liquidity provider's arrangement) and only its drop copy is reconciled against
   * those fills (docs/reconciliation.md). No connection; its instruments keep the local book.
   * Default true.
   */
  routing?: boolean;
  /**
   * The venue's market data over the same session (FIX MarketDataRequest), watched for staleness and
   * bad ticks (docs/venues.md "Market data from the venue"). false: the venue sends none; nothing is
   * watched and market and stop orders rely on the venue's own protections. Default: on, with the defaults.
   */
  marketData?: VenueMarketDataConfig | false;
}

/** A venue to connect to: its section, checked, with `enabled` not false. */
export type VenueConnection = VenueLinkConfig & { host: string; port: number; senderCompId: string; targetCompId: string };

/** A configuration error in the `venues` section, naming the venue and key. */
export class VenueConfigError extends Error {
  override name = "VenueConfigError";
}

const COMP_ID = /^[\x21-\x7e]{1,64}$/;

/** Checks one venue's section; throws VenueConfigError naming `venues.<name>.<key>`. */
export function checkVenueLink(name: string, c: VenueLinkConfig): void {
  const at = (key: string) => `venues.${name}.${key}`;
  if (!Number.isSafeInteger(c.account) || c.account <= 0) throw new VenueConfigError(`${at("account")} must be the id of the venue's street account (a positive integer)`);
  if (c.feeBps !== undefined && (!Number.isFinite(c.feeBps) || c.feeBps < 0 || c.feeBps > 10_000)) throw new VenueConfigError(`${at("feeBps")} must be a number of basis points from 0 to 10000`);
  if (c.enabled === false || c.routing === false) return;
  if (typeof c.host !== "string" || c.host === "") throw new VenueConfigError(`${at("host")} must be the venue's FIX host`);
  if (!Number.isInteger(c.port) || c.port! <= 0 || c.port! > 65535) throw new VenueConfigError(`${at("port")} must be a TCP port`);
  if (!COMP_ID.test(c.senderCompId ?? "")) throw new VenueConfigError(`${at("senderCompId")} must be 1-64 printable ASCII characters`);
  if (!COMP_ID.test(c.targetCompId ?? "")) throw new VenueConfigError(`${at("targetCompId")} must be 1-64 printable ASCII characters`);
  const hb = c.heartBtIntSec ?? 30;
  if (!Number.isInteger(hb) || hb < 1 || hb > 300) throw new VenueConfigError(`${at("heartBtIntSec")} must be 1-300 seconds`);
  if (c.marketData !== false) {
    try {
      marketDataSettings(c.marketData, at("marketData"));
    } catch (e) {
      throw new VenueConfigError((e as Error).message);
    }
  }
  if (c.passwordEnv !== undefined && (c.passwordEnv === "" || process.env[c.passwordEnv] === undefined)) throw new VenueConfigError(`${at("passwordEnv")} names environment variable ${c.passwordEnv}, which is not set`);
}
