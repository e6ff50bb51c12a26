import type { TlsConfig } from "./tls.ts";
import type { IdentityConfig, UserSeed } from "../gateway/auth/identity-config.ts";
import type { LoginGuardOptions } from "../gateway/auth/login-guard.ts";
import type { HistoryConfig } from "../history/config.ts";
import type { ExchangeConfig } from "../engine/exchange.ts";
import type { ApiKeyConfig } from "../gateway/auth/keys.ts";
import type { FixConfig } from "../gateway/fix/config.ts";
import type { GatewayConfig } from "../gateway/ws/config.ts";
import type { VenueLinkConfig } from "../gateway/venue/link-config.ts";
import type { ReconcileConfig } from "./reconcile-config.ts";

/**
 * A deployment's configuration file: the exchange (currencies, instruments, tiers) and the
 * accounts to open and fund on a fresh data directory. Amounts and prices are decimal strings,
 * converted exactly; anything off-grid or unknown is an error naming the key. Every key, its default and
 * meaning: app/config-schema/ (checked to agree with these types) and docs/configuration.md.
 */
export interface AccountSeed {
  id: number;
  name?: string;
  tier: number;
  /** Currency code → amount. */
  cash?: Record<string, string>;
  /** Symbol → [quantity, cost price per unit]. */
  positions?: Record<string, [string, string]>;
  /** API keys for the gateways (gateway/auth/keys.ts). */
  apiKeys?: ApiKeyConfig[];
}

/** The whole file: the exchange, the accounts, and each door's own section (its config type lives with the door). */
export interface BourseConfig {
  exchange: ExchangeConfig;
  accounts?: AccountSeed[];
  gateway?: GatewayConfig;
  fix?: FixConfig;
  history?: HistoryConfig;
  /** Failed logins per key and address before a lock (gateway/auth/login-guard.ts). */
  login?: LoginGuardOptions;
  /** TLS on both doors (app/tls.ts). */
  tls?: TlsConfig;
  /** The master key, sessions and password hashing (gateway/auth/identity-config.ts). */
  identity?: IdentityConfig;
  /** Users to create on a fresh data directory, after the accounts. */
  users?: UserSeed[];
  /** External venues orders may be routed to (docs/venues.md), by name; an instrument's `venue` names one. */
  venues?: Record<string, VenueLinkConfig>;
  /** The server's end-of-day reconciliation (app/reconcile-config.ts). */
  reconcile?: ReconcileConfig;
  /**
   * GET /metrics on the WebSocket/HTTP port, in the Prometheus text format (docs/metrics.md).
   * `enabled` defaults to true; false turns the endpoint off (404) and stops the counting.
   */
  metrics?: { enabled?: boolean };
}

