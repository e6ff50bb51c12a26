/**
 * The schema and the TypeScript types of the sections (which live with the code that reads them)
 * must agree: a key added to, removed from or retyped in one alone fails the typecheck here.
 * Nothing imports this file; `tsc` checks it with the rest.
 */
import type { z } from "zod";
import type { AccountSeed, BourseConfig } from "../config-types.ts";
import type { ExchangeConfig } from "../../engine/exchange.ts";
import type { GatewayConfig } from "../../gateway/ws/config.ts";
import type { FixConfig } from "../../gateway/fix/config.ts";
import type { HistoryConfig } from "../../history/config.ts";
import type { LoginGuardOptions } from "../../gateway/auth/login-guard.ts";
import type { TlsConfig } from "../tls.ts";
import type { IdentityConfig, UserSeed } from "../../gateway/auth/identity-config.ts";
import type { VenueLinkConfig } from "../../gateway/venue/link-config.ts";
import type { ReconcileConfig } from "../reconcile-config.ts";
import type { accountSchema, userSchema } from "./accounts.ts";
import type { fixSchema, gatewaySchema, identitySchema, loginSchema, tlsSchema } from "./doors.ts";
import type { exchangeSchema } from "./exchange.ts";
import type { bourseConfigSchema } from "./index.ts";
import type { historySchema, reconcileSchema, venueSchema } from "./operations.ts";

/** True when A and B are each assignable to the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AllTrue<T> = false extends T[keyof T] ? false : true;
/** The same keys at every depth (an optional key added to one side alone leaves the two mutually assignable). */
type SameKeys<A, B> = [A] extends [readonly (infer E)[]]
  ? [B] extends [readonly (infer F)[]]
    ? SameKeys<E, F>
    : false
  : [A] extends [object]
    ? [B] extends [object]
      ? string extends keyof A | keyof B
        ? true // a map (cash by currency), or tiers' monitoring, which the engine types loosely as one
        : Same<keyof A, keyof B> extends true
        ? AllTrue<{ [K in keyof A]-?: SameKeys<NonNullable<A[K]>, NonNullable<B[K & keyof B]>> }>
          : false
      : false
    : true;
type Agree<A, B> = Same<A, B> extends true ? SameKeys<A, B> : false;
type In<S extends z.ZodType> = z.input<S>;

// The types the code reads and the schema must agree; a key added to one alone fails here.
// ExchangeConfig's instruments also carry venueAccount, which Bourse sets from `venues` (never the file).
type FileExchange = Omit<ExchangeConfig, "instruments"> & { instruments: Omit<ExchangeConfig["instruments"][number], "venueAccount">[] };
const agree: {
  exchange: Agree<In<typeof exchangeSchema>, FileExchange>;
  account: Agree<In<typeof accountSchema>, AccountSeed>;
  user: Agree<In<typeof userSchema>, UserSeed>;
  gateway: Agree<In<typeof gatewaySchema>, GatewayConfig>;
  fix: Agree<In<typeof fixSchema>, FixConfig>;
  tls: Agree<In<typeof tlsSchema>, TlsConfig>;
  login: Agree<In<typeof loginSchema>, LoginGuardOptions>;
  identity: Agree<In<typeof identitySchema>, IdentityConfig>;
  history: Agree<In<typeof historySchema>, HistoryConfig>;
  reconcile: Agree<In<typeof reconcileSchema>, ReconcileConfig>;
  venue: Agree<In<typeof venueSchema>, VenueLinkConfig>;
  whole: Same<keyof In<typeof bourseConfigSchema>, keyof BourseConfig>;
} = { exchange: true, account: true, user: true, gateway: true, fix: true, tls: true, login: true, identity: true, history: true, reconcile: true, venue: true, whole: true };
void agree;
