import type { RestConfig } from "../rest/config.ts";

/** The WebSocket door's section of the configuration file ("gateway"). */
export interface GatewayConfig {
  host?: string;
  port?: number;
  /** Per-session order-entry rate limit (new orders, cancels, amends per second). */
  maxOrdersPerSecond?: number;
  /** Bytes a subscriber may have queued before it is cut off as too slow. */
  backpressureLimitBytes?: number;
  /** The REST door on this port (docs/rest.md). */
  rest?: RestConfig;
}
