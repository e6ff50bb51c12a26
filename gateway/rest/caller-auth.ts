import type { MiddlewareHandler } from "hono";
import type { IdentityParts } from "../auth/identity-parts.ts";
import type { Failure } from "../auth/outcome.ts";
import type { RestEnv } from "./auth.ts";
import { ErrorCode, RestError, retryAfter } from "./errors.ts";

/** The REST status of each kind of refusal an identity action gives (gateway/auth/outcome.ts). */
const STATUS: Record<Failure["kind"], number> = { "bad-input": 400, auth: 401, forbidden: 403, "not-found": 404, conflict: 409, "rate-limited": 429, unavailable: 503 };

/** A refused action as the REST door's error: its code and message, the status of its kind, Retry-After when it has one. */
export function failureError(f: Failure): RestError {
  return new RestError(STATUS[f.kind], f.code, f.message, undefined, f.retryAfterMs !== undefined ? retryAfter(f.retryAfterMs) : undefined);
}

/**
 * Who is calling, for the routes that users, operators and keys share: `Authorization: Bearer`
 * with a session token (a signed-in user) or the host operator's token, else a signed request (an
 * API key, through the door's signature check `signed`). Puts a Caller on the context as "caller".
 * A session that has not yet been told that another session of its user started is told now, in
 * the Bourse-Notice header.
 */
export function callerAuth(id: IdentityParts, signed: MiddlewareHandler<RestEnv>): MiddlewareHandler<RestEnv> {
  return async (c, next) => {
    const authorization = c.req.header("authorization");
    if (authorization === undefined) {
      return signed(c, async () => {
        const a = c.get("auth");
        c.set("caller", { kind: "key", keyId: a.keyId, account: a.account, scopes: a.scopes });
        await next();
      });
    }
    const m = /^Bearer ([\x21-\x7e]{1,256})$/.exec(authorization);
    if (!m) throw new RestError(401, ErrorCode.MISSING_CREDENTIALS, "Authorization must be 'Bearer <session token>' (POST /api/v1/auth/login gives one)");
    const token = m[1]!;
    if (id.operatorToken.matches(token)) {
      c.get("limits")?.caller("host");
      c.set("caller", { kind: "host" });
      return next();
    }
    const s = id.signIn.session(token);
    if (!s.ok) throw failureError(s);
    c.get("limits")?.caller(`session:${s.value.session.id}`);
    c.set("caller", s.value);
    const notices = id.signIn.takeNotices(s.value.session.id);
    if (notices.length > 0) c.header("bourse-notice", notices.join(" | "));
    await next();
  };
}
