import type { TlsConfig } from "./tls.ts";
import type { IdentityConfig, UserSeed } from "../gateway/auth/identity-config.ts";
import type { LoginGuardOptions } from "../gateway/auth/login-guard.ts";
import type { HistoryConfig } from "../history/config.ts";
import { readFileSync } from "node:fs";
import { type Command, CommandType, makeCommand } from "../engine/commands.ts";
import type { ExchangeConfig } from "../engine/exchange.ts";
import { makeInstrument, parsePrice, parseQty } from "../engine/instrument.ts";
import { parseAmount } from "../engine/money.ts";
import { OperatorError } from "../actors/operator-error.ts";
import type { ApiKeyConfig } from "../gateway/auth/keys.ts";
import type { FixConfig } from "../gateway/fix/config.ts";
import type { GatewayConfig } from "../gateway/ws/config.ts";
import { checkVenueLink, type VenueLinkConfig, VenueConfigError } from "../gateway/venue/link-config.ts";
import type { ReconcileConfig } from "./reconcile-config.ts";

/**
 * A deployment's configuration file: the exchange (currencies, instruments, tiers) and the
 * accounts to open and fund on a fresh data directory. Amounts and prices are decimal strings,
 * converted exactly; anything off-grid or unknown is an error naming the account and field.
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

/** Reads a configuration file; a missing, unreadable or malformed one is an OperatorError naming it. */
export function loadConfig(file: string): BourseConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") throw new OperatorError(`config file ${file} does not exist; pass --config FILE (config/demo.json is an example)`);
    throw new OperatorError(`cannot read config file ${file} (${code ?? (e as Error).message}); pass --config FILE`);
  }
  let parsed: BourseConfig;
  try {
    parsed = JSON.parse(text) as BourseConfig;
  } catch (e) {
    throw new OperatorError(`config file ${file} is not valid JSON (${(e as Error).message}); fix it, or pass --config FILE`);
  }
  if (parsed === null || typeof parsed !== "object" || !parsed.exchange) throw new OperatorError(`config file ${file} has no "exchange" section; see config/demo.json`);
  try {
    resolveVenues(parsed);
  } catch (e) {
    if (e instanceof VenueConfigError) throw new OperatorError(`config file ${file}: ${e.message}`);
    throw e;
  }
  return parsed;
}

/**
 * Checks the `venues` section and gives each routed instrument its venue's street account (the
 * engine knows a venue only by that account). Throws VenueConfigError naming the key.
 */
export function resolveVenues(config: BourseConfig): void {
  const venues = config.venues ?? {};
  for (const [name, v] of Object.entries(venues)) checkVenueLink(name, v);
  for (const [i, inst] of (config.exchange.instruments ?? []).entries()) {
    if (inst.venue === undefined) continue;
    const v = venues[inst.venue];
    if (!v) throw new VenueConfigError(`exchange.instruments[${i}].venue names ${JSON.stringify(inst.venue)}, which is not in the venues section`);
    // A venue that is only reconciled (routing: false) leaves its instruments on the local book.
    if (v.routing !== false) inst.venueAccount = v.account;
  }
}

/** The commands that open and fund the configured accounts (journaled like any other). */
export function seedCommands(config: BourseConfig): Command[] {
  const ex = config.exchange;
  const cmds: Command[] = [];
  for (const a of config.accounts ?? []) {
    cmds.push(makeCommand({ type: CommandType.OPEN_ACCOUNT, account: a.id, tier: a.tier }));
    for (const [code, text] of Object.entries(a.cash ?? {})) {
      const c = ex.currencies.find((x) => x.code === code);
      if (!c) throw new OperatorError(`account ${a.id}: unknown currency ${code}`);
      const amount = parseAmount(c, text);
      if (!amount.ok) throw new OperatorError(`account ${a.id}: bad ${code} amount ${text}`);
      cmds.push(makeCommand({ type: CommandType.DEPOSIT, account: a.id, currency: c.id, amount: amount.value }));
    }
    for (const [symbol, [qtyText, priceText]] of Object.entries(a.positions ?? {})) {
      const spec = ex.instruments.find((i) => i.symbol === symbol);
      if (!spec) throw new OperatorError(`account ${a.id}: unknown symbol ${symbol}`);
      const inst = makeInstrument(spec);
      const qty = parseQty(inst, qtyText);
      const price = parsePrice(inst, priceText);
      if (!qty.ok || !price.ok) throw new OperatorError(`account ${a.id}: bad ${symbol} position ${qtyText} @ ${priceText}`);
      cmds.push(makeCommand({ type: CommandType.DEPOSIT_POSITION, account: a.id, symbol: spec.id, qty: qty.value, price: price.value }));
    }
  }
  return cmds;
}
