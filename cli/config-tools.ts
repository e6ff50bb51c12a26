/**
 * `bourse config check` and `bourse config reference` (docs/configuration.md): the configuration
 * file alone, nothing else opened. check is what an operator runs before a restart.
 */
import { OperatorError } from "../actors/operator-error.ts";
import { loadConfig, readConfigJson } from "../app/config.ts";
import { configProblems } from "../app/config-validate.ts";
import { configReference } from "../app/config-reference.ts";
import { checkServeConfig } from "../app/exchange.ts";

/** Prints every problem of `file` (one line each, naming the file and the key) and returns 1, or a summary and 0. */
export function configCheck(file: string): number {
  const raw = readConfigJson(file);
  const problems = configProblems(raw);
  if (problems.length > 0) {
    for (const p of problems) console.error(`bourse: ${file}: ${p}`);
    console.error(`bourse: ${file}: ${problems.length} problem${problems.length > 1 ? "s" : ""}; docs/configuration.md has every key`);
    return 1;
  }
  // The kinds are right: now what serve checks before it opens anything (the keys' agreement, the venues' environment).
  try {
    const config = loadConfig(file);
    checkServeConfig(config, file);
    const ex = config.exchange;
    console.log(`${file}: ok (${ex.currencies.length} currencies, ${ex.instruments.length} instruments, ${ex.tiers.length} tiers, ${config.accounts?.length ?? 0} accounts, ${config.users?.length ?? 0} users, ${Object.keys(config.venues ?? {}).length} venues)`);
    return 0;
  } catch (e) {
    if (!(e instanceof OperatorError)) throw e;
    console.error(`bourse: ${e.message}`);
    return 1;
  }
}

export function printConfigReference(): number {
  process.stdout.write(configReference());
  return 0;
}
