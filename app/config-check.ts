/**
 * A configuration checked at start, before any directory is opened: a mistake in it is one line
 * naming the file, the account and the field, not an account that silently never opens (an
 * OPEN_ACCOUNT with an unknown tier is rejected by the engine, and then every order of that
 * account is UNKNOWN_ACCOUNT) or a seed that throws half-way.
 */
import { type BourseConfig, seedCommands } from "./config.ts";
import { OperatorError } from "../actors/operator-error.ts";
import { checkMonitoring } from "../history/monitoring/settings.ts";

export function checkConfig(config: BourseConfig, file: string): void {
  const ex = config.exchange;
  for (const key of ["currencies", "instruments", "tiers"] as const) {
    if (!Array.isArray(ex[key])) throw new OperatorError(`${file}: exchange.${key} must be a list`);
  }
  const tiers = new Set(ex.tiers.map((t) => t.id));
  for (const t of ex.tiers) {
    const problems = checkMonitoring(`exchange.tiers (id ${t.id}).monitoring`, t.monitoring);
    if (problems.length > 0) throw new OperatorError(`${file}: ${problems.join("; ")}`);
  }
  const accounts = new Set<number>();
  const keys = new Set<string>();
  for (const a of config.accounts ?? []) {
    const who = `account ${a.id}${a.name ? ` (${a.name})` : ""}`;
    if (!Number.isSafeInteger(a.id) || a.id < 0) throw new OperatorError(`${file}: account id ${JSON.stringify(a.id)} must be a non-negative integer`);
    if (accounts.has(a.id)) throw new OperatorError(`${file}: account ${a.id} is listed twice`);
    if (a.id === (ex.feeAccount ?? 0)) throw new OperatorError(`${file}: ${who} is the fee account (exchange.feeAccount), which the exchange opens itself; give it another id`);
    accounts.add(a.id);
    if (!tiers.has(a.tier)) {
      throw new OperatorError(`${file}: ${who} names tier ${a.tier}, which exchange.tiers does not define (it defines ${[...tiers].join(", ") || "none"}); fix the account's tier or add the tier`);
    }
    for (const k of a.apiKeys ?? []) {
      if (keys.has(k.id)) throw new OperatorError(`${file}: API key id ${k.id} is given to more than one account`);
      keys.add(k.id);
    }
  }
  // The seed's own checks: unknown currencies and symbols, amounts off the currency's scale.
  try {
    seedCommands(config);
  } catch (e) {
    throw new OperatorError(`${file}: ${(e as Error).message}; fix the account's balances`, { cause: e });
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
