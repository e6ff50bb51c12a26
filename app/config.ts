import { readFileSync } from "node:fs";
import { validateConfig } from "./config-validate.ts";
import { type Command, CommandType, makeCommand } from "../engine/commands.ts";
import { makeInstrument, parsePrice, parseQty } from "../engine/instrument.ts";
import { parseAmount } from "../engine/money.ts";
import { OperatorError } from "../actors/operator-error.ts";
import { checkVenueLink, VenueConfigError } from "../gateway/venue/link-config.ts";

export type { AccountSeed, BourseConfig } from "./config-types.ts";
import type { BourseConfig } from "./config-types.ts";

/** Reads a configuration file; a missing, unreadable or malformed one, or one the schema refuses, is an OperatorError naming it. */
export function loadConfig(file: string): BourseConfig {
  const parsed = readConfigJson(file);
  // Every key known, of its kind and in range (app/config-schema/, docs/configuration.md), before anything reads it.
  validateConfig(parsed, file);
  try {
    resolveVenues(parsed);
  } catch (e) {
    if (e instanceof VenueConfigError) throw new OperatorError(`${file}: ${e.message}`);
    throw e;
  }
  return parsed;
}

/** The file's JSON, unchecked; a missing, unreadable or malformed file is an OperatorError naming it. */
export function readConfigJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") throw new OperatorError(`config file ${file} does not exist; pass --config FILE (config/demo.json is an example)`);
    throw new OperatorError(`cannot read config file ${file} (${code ?? (e as Error).message}); pass --config FILE`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OperatorError(`config file ${file} is not valid JSON (${(e as Error).message}); fix it, or pass --config FILE`);
  }
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
  for (const [i, a] of (config.accounts ?? []).entries()) {
    const at = `accounts[${i}]`;
    cmds.push(makeCommand({ type: CommandType.OPEN_ACCOUNT, account: a.id, tier: a.tier }));
    for (const [code, text] of Object.entries(a.cash ?? {})) {
      const c = ex.currencies.find((x) => x.code === code);
      if (!c) throw new OperatorError(`${at}.cash.${code}: account ${a.id}: unknown currency ${code} (exchange.currencies defines ${ex.currencies.map((x) => x.code).join(", ")})`);
      const amount = parseAmount(c, text);
      if (!amount.ok) throw new OperatorError(`${at}.cash.${code}: account ${a.id}: bad ${code} amount ${text} (at most ${c.scale} decimal places)`);
      cmds.push(makeCommand({ type: CommandType.DEPOSIT, account: a.id, currency: c.id, amount: amount.value }));
    }
    for (const [symbol, [qtyText, priceText]] of Object.entries(a.positions ?? {})) {
      const spec = ex.instruments.find((i) => i.symbol === symbol);
      if (!spec) throw new OperatorError(`${at}.positions.${symbol}: account ${a.id}: unknown symbol ${symbol}`);
      const inst = makeInstrument(spec);
      const qty = parseQty(inst, qtyText);
      const price = parsePrice(inst, priceText);
      if (!qty.ok || !price.ok) throw new OperatorError(`${at}.positions.${symbol}: account ${a.id}: bad ${symbol} position ${qtyText} @ ${priceText} (off the lot or tick size)`);
      cmds.push(makeCommand({ type: CommandType.DEPOSIT_POSITION, account: a.id, symbol: spec.id, qty: qty.value, price: price.value }));
    }
  }
  return cmds;
}
