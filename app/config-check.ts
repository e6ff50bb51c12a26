/**
 * A configuration checked at start, before any directory is opened: a mistake in it is one line
 * naming the file and the key (`accounts[2].tier`), not an account that silently never opens (an
 * OPEN_ACCOUNT with an unknown tier is rejected by the engine, and then every order of that
 * account is UNKNOWN_ACCOUNT) or a seed that throws half-way.
 */
import { type BourseConfig, seedCommands } from "./config.ts";
import { OperatorError } from "../actors/operator-error.ts";
import { checkMonitoring } from "../history/monitoring/settings.ts";
import { validateConfig } from "./config-validate.ts";
import { Ledger } from "../engine/ledger.ts";
import { EngineConfigError } from "../engine/errors.ts";

export function checkConfig(config: BourseConfig, file: string): void {
  // Kinds and ranges first (app/config-schema/); then what the schema cannot see: ids that must be
  // unique, names that must name something defined elsewhere in the file.
  validateConfig(config, file);
  const ex = config.exchange;
  const fail = (where: string, what: string): never => {
    throw new OperatorError(`${file}: ${where}: ${what}`);
  };
  unique(ex.currencies, (c) => c.id, "exchange.currencies", "id", fail);
  unique(ex.currencies, (c) => c.code, "exchange.currencies", "code", fail);
  unique(ex.instruments, (i) => i.id, "exchange.instruments", "id", fail);
  unique(ex.instruments, (i) => i.symbol, "exchange.instruments", "symbol", fail);
  unique(ex.tiers, (t) => t.id, "exchange.tiers", "id", fail);
  const codes = ex.currencies.map((c) => c.code);
  const defined = `exchange.currencies defines ${codes.join(", ") || "none"}`;
  for (const [i, inst] of ex.instruments.entries()) {
    for (const side of ["base", "quote"] as const) {
      const code = inst[side];
      if (code !== undefined && !codes.includes(code)) fail(`exchange.instruments[${i}].${side}`, `unknown currency ${code} (${defined})`);
    }
    if (inst.quote === undefined) fail(`exchange.instruments[${i}].quote`, `missing; the instrument's quote currency (${defined})`);
  }
  for (const [i, t] of ex.tiers.entries()) {
    const problems = checkMonitoring(`exchange.tiers[${i}].monitoring`, t.monitoring);
    if (problems.length > 0) throw new OperatorError(`${file}: ${problems.join("; ")}`);
    for (const code of Object.keys(t.maxNotional ?? {})) if (!codes.includes(code)) fail(`exchange.tiers[${i}].maxNotional.${code}`, `unknown currency ${code} (${defined})`);
  }
  // What only the engine's own construction finds (a tick × lot finer than the quote currency's scale, an unknown time zone).
  try {
    new Ledger(ex);
  } catch (e) {
    if (e instanceof EngineConfigError) fail("exchange", e.message);
    throw e;
  }
  const tiers = new Set(ex.tiers.map((t) => t.id));
  const accounts = new Map<number, number>();
  const keys = new Map<string, string>();
  for (const [i, a] of (config.accounts ?? []).entries()) {
    const at = `accounts[${i}]`;
    const who = `account ${a.id}${a.name ? ` (${a.name})` : ""}`;
    if (accounts.has(a.id)) fail(`${at}.id`, `account ${a.id} is listed twice (also accounts[${accounts.get(a.id)}])`);
    if (a.id === (ex.feeAccount ?? 0)) fail(`${at}.id`, `${who} is the fee account (exchange.feeAccount), which the exchange opens itself; give it another id`);
    accounts.set(a.id, i);
    if (!tiers.has(a.tier)) fail(`${at}.tier`, `${who} names tier ${a.tier}, which exchange.tiers does not define (it defines ${[...tiers].join(", ") || "none"}); fix the account's tier or add the tier`);
    for (const [j, k] of (a.apiKeys ?? []).entries()) {
      if (keys.has(k.id)) fail(`${at}.apiKeys[${j}].id`, `API key id ${k.id} is given to more than one account (also ${keys.get(k.id)})`);
      keys.set(k.id, `${at}.apiKeys[${j}]`);
    }
  }
  unique(config.users ?? [], (u) => u.name, "users", "name", fail);
  // The seed's own checks: unknown currencies and symbols, amounts off the currency's scale.
  try {
    seedCommands(config);
  } catch (e) {
    throw new OperatorError(`${file}: ${(e as Error).message}; fix the account's balances`, { cause: e });
  }
}

/** The first repeat of a key that must be unique in a list, by its path. */
function unique<T>(items: readonly T[], key: (t: T) => unknown, list: string, field: string, fail: (where: string, what: string) => never): void {
  const seen = new Map<unknown, number>();
  for (const [i, item] of items.entries()) {
    const k = key(item);
    if (seen.has(k)) fail(`${list}[${i}].${field}`, `${JSON.stringify(k)} is used twice (also ${list}[${seen.get(k)}])`);
    seen.set(k, i);
  }
}

/**
 * Accounts are opened and funded only on a fresh directory (journaled there like any command); a
 * config that names accounts a recovered directory lacks gets this warning once at start, instead
 * of their every order being rejected UNKNOWN_ACCOUNT without a word (README: Accounts on a
 * recovered directory). Null when every configured account is there.
 */
export function missingAccountsWarning(config: BourseConfig, file: string, dataDir: string, present: Iterable<number>): string | null {
  const have = new Set(present);
  const missing = (config.accounts ?? []).filter((a) => !have.has(a.id));
  if (missing.length === 0) return null;
  const names = missing.map((a) => `${a.id}${a.name ? ` (${a.name})` : ""}`).join(", ");
  return `warning: ${file} names accounts ${names} that ${dataDir} does not have: accounts are opened only on a fresh data directory, so their orders will be rejected UNKNOWN_ACCOUNT`;
}
