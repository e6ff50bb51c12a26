import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type Caller, mayAct, mayRead } from "../../auth/caller.ts";
import type { Outcome } from "../../auth/outcome.ts";
import type { Origin } from "../../auth/sign-in.ts";
import type { RestEnv } from "../auth.ts";
import { failureError } from "../caller-auth.ts";
import { ErrorCode, RestError } from "../errors.ts";
import { SIGNED_SECURITY } from "../route-module.ts";

/** What the identity and account route modules share: security, JSON request and answer shapes, and the caller's origin. */

export const BEARER_SCHEME = "BearerSession";
/** A user's session or the host operator's token. */
export const BEARER = [{ [BEARER_SCHEME]: [] }];
/** A session, the host operator, or a signed key. */
export const ANY_CALLER = [...BEARER, ...SIGNED_SECURITY];

/** A JSON answer of `schema`. */
export const json = <T extends z.ZodType>(schema: T, description = "") => ({ content: { "application/json": { schema } }, description });
/** A required JSON body of `schema`. */
export const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });

export const Totp = z.string().max(16).optional().openapi({ description: "a fresh one-time code from the authenticator app" });
export const AccountParam = z.object({ account: z.coerce.number().int().min(0).openapi({ param: { name: "account", in: "path" }, example: 1 }) });

/** Engine time (µs) as ISO 8601, null for 0 (never). */
/** A time bound in a query: ISO 8601 or epoch ms, given to the handler as engine µs. */
export const TimeBound = z
  .string()
  .max(40)
  .refine((t) => /^\d{1,16}$/.test(t) || !Number.isNaN(Date.parse(t)), "an ISO 8601 time or epoch ms")
  .transform((t) => (/^\d{1,16}$/.test(t) ? Number(t) * 1000 : Date.parse(t) * 1000));

export const isoUs = (us: number) => (us === 0 ? null : new Date(Math.floor(us / 1000)).toISOString());

export function origin(c: Context<RestEnv>): Origin {
  return { door: "rest", address: c.env?.address ?? "", agent: (c.req.header("user-agent") ?? "").slice(0, 200) };
}

/** The value of an action, or its refusal thrown as the door's error. */
export function valueOf<T>(o: Outcome<T>): T {
  if (!o.ok) throw failureError(o);
  return o.value;
}

export function userCaller(c: Context<RestEnv>): Caller & { kind: "user" } {
  const caller = c.get("caller");
  if (caller.kind !== "user") throw new RestError(403, ErrorCode.NOT_PERMITTED, "this needs a signed-in user's session (POST /api/v1/auth/login)");
  return caller;
}

/**
 * The account a request acts on: the one asked for, else a key's own, else a trader's only granted
 * one; refused unless the caller may `read` it (or `trade` for it).
 */
export function accountFor(c: Caller, asked: number | undefined, scope: "read" | "trade"): number {
  let account = asked;
  if (account === undefined) {
    if (c.kind === "key") account = c.account;
    else if (c.kind === "user" && c.user.accounts.size === 1) account = [...c.user.accounts][0]!;
    else throw new RestError(400, ErrorCode.INVALID_INPUT, "name the account (account)", [{ in: "query", field: "account", message: "required for this caller" }]);
  }
  const ok = scope === "trade" ? mayAct(c, account, "trade") : mayRead(c, account);
  if (!ok) throw new RestError(403, ErrorCode.NOT_PERMITTED, `not permitted to ${scope} account ${account}`);
  return account;
}
