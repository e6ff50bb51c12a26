/**
 * The configuration file's schema: every key, its kind, its default and its meaning, in one place.
 * loadConfig and the BourseExchange constructor validate against it (app/config-validate.ts),
 * `bourse config reference` prints docs/configuration.md from it (app/config-reference.ts), and
 * types-agree.ts fails the typecheck if it and the TypeScript types of the sections ever disagree.
 */
import { accountSchema, userSchema } from "./accounts.ts";
import { fixSchema, gatewaySchema, identitySchema, loginSchema, tlsSchema } from "./doors.ts";
import { exchangeSchema } from "./exchange.ts";
import { list, object, optional, required, words } from "./keys.ts";
import { historySchema, metricsSchema, reconcileSchema, venuesSchema } from "./operations.ts";

export const bourseConfigSchema = object({
  exchange: required(exchangeSchema, "The exchange: currencies, instruments and tiers (what the engine is built from)."),
  accounts: optional(list(accountSchema, "a list of accounts"), "Accounts opened and funded on a fresh data directory (journaled there like any command).", []),
  users: optional(list(userSchema, "a list of users"), "Users created on a fresh data directory, after the accounts (docs/identity.md).", []),
  gateway: optional(gatewaySchema, "The WebSocket door, with HTTP and REST on the same port.", words("the defaults below")),
  fix: optional(fixSchema, "The FIX 4.4 acceptor (docs/fix.md).", words("the defaults below")),
  tls: optional(tlsSchema, "TLS on both doors.", words("plain TCP")),
  login: optional(loginSchema, "Failed logins per key and address before a lock, on every door together.", words("the defaults below")),
  identity: optional(identitySchema, "The master key, user sessions and password hashing (docs/identity.md).", words("the defaults below")),
  history: optional(historySchema, "The history store (docs/history.md).", words("SQLite in the data directory")),
  reconcile: optional(reconcileSchema, "The server's scheduled end-of-day reconciliation (docs/reconciliation.md).", words("the defaults below")),
  venues: optional(venuesSchema, "External venues orders may be routed to, by name (docs/venues.md); an instrument's venue names one.", words("none")),
  metrics: optional(metricsSchema, "GET /metrics on the WebSocket/HTTP port, in the Prometheus text format (docs/metrics.md).", words("on")),
});
