/** The `accounts` and `users` sections: what a fresh data directory is seeded with (app/config.ts AccountSeed, gateway/auth/identity-config.ts UserSeed). */
import { SCOPES } from "../../gateway/auth/keys.ts";
import { decimal, int, keyDocs, printable, sized, list, map, object, oneOf, optional, required, text, words } from "./keys.ts";
import { z } from "zod";

export const apiKeySchema = object({
  id: required(printable(), "The key id a client logs in with (FIX Username 553, the WebSocket LOGIN). Unique."),
  secret: required(sized(16, 42), "The HMAC secret (FIX Password 554); kept sealed once journaled (hence at most 42 characters).", { secret: true }),
  scopes: optional(list(oneOf(SCOPES), "a non-empty list of scopes").min(1).readonly(), 'What the key may do: "read", "trade", "withdraw".', ["read", "trade"]),
  fixCompIds: optional(list(printable(), "a list of CompIDs").readonly(), "The FIX SenderCompIDs that are this key's (no other key may use them).", words("registered by first use")),
  allowIps: optional(list(text(), "a non-empty list of addresses and CIDR subnets").min(1).readonly(), 'Where the key may log on from ("10.0.0.0/8", "2001:db8::/32").', words("anywhere")),
  label: optional(text(), "A note for operators (key list)."),
});

const position = z.tuple([decimal(), decimal()]);
keyDocs.add(position, { type: 'a pair of decimal strings ["quantity", "cost price"]' });

export const accountSchema = object({
  id: required(int(0), "The account number (not exchange.feeAccount). Unique."),
  name: optional(text(), "A name for people (logs, statements)."),
  tier: required(int(0), "The tier (an id of exchange.tiers) the account's fees and limits come from."),
  cash: optional(map("currency code", decimal()), "Opening cash per currency code, a decimal in its units.", {}),
  positions: optional(map("symbol", position), 'Opening positions per symbol: ["quantity", "cost price per unit"].', {}),
  apiKeys: optional(list(apiKeySchema, "a list of API keys"), "The account's API keys for the doors (journaled on a fresh data directory).", []),
});

export const userSchema = object({
  name: required(text(), "The login name. Unique."),
  role: required(oneOf(["trader", "operator", "auditor"]), "What the user may do (docs/identity.md)."),
  accounts: optional(list(int(0), "a list of account ids"), "The accounts a trader acts for.", []),
  password: optional(text(), "An initial password, public on purpose (the demo's); TOTP is enrolled at the first sign-in either way.", words("a random one, printed once to the terminal"), { secret: true }),
});
