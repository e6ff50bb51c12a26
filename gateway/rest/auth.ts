import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../log/logger.ts";
import type { Caller } from "../auth/caller.ts";
import { AuthRefusal, authenticate } from "../auth/authenticate.ts";
import type { ApiKeys, Scope } from "../auth/keys.ts";
import type { LoginGuard } from "../auth/login-guard.ts";
import { ErrorCode, RestError, retryAfter } from "./errors.ts";
import type { RestRateLimits } from "./rate-limit.ts";
import { readSignatureHeaders, type RecentSignatures } from "./signature.ts";

/** Who a signed request comes from: on the context as c.get("auth") after signedRequests. */
export interface RestAuth {
  account: number;
  keyId: string;
  scopes: readonly Scope[];
}

/** What the server passes with each request (Bun.serve's fetch → app.fetch(req, bindings)). */
export interface RestBindings {
  /** The peer's address (srv.requestIP(req)); "" when unknown (app.request() in a test). */
  address?: string;
}

export interface RestEnv {
  Bindings: RestBindings;
  /** `auth` after signedRequests; `caller` after callerAuth (gateway/rest/caller-auth.ts): a key, a user's session or the host operator; `limits` from the app (rate-limit.ts). */
  Variables: { auth: RestAuth; caller: Caller; limits: RestRateLimits };
}

export interface SignedRequestsOptions {
  keys: ApiKeys;
  /** Shared with the other doors: failures here lock a key or address there too. */
  loginGuard?: LoginGuard;
  replays: RecentSignatures;
  windowMs: number;
  /** ms since the epoch. */
  clock: () => number;
  log: Logger;
}

/**
 * The middleware of every signed route: checks BOURSE-KEY, BOURSE-TIMESTAMP and BOURSE-SIGNATURE
 * through the one authenticate() the other doors use (the same keys, login guard and allowlists)
 * and puts { account, keyId, scopes } on the context as "auth". It reads the whole body (the
 * signature covers it); Hono keeps it for the route's validator.
 */
export function signedRequests(o: SignedRequestsOptions): MiddlewareHandler<RestEnv> {
  return async (c, next) => {
    const h = readSignatureHeaders(c.req.raw.headers);
    if ("missing" in h) throw new RestError(401, ErrorCode.MISSING_CREDENTIALS, `sign the request: header ${h.missing} is missing or malformed (docs/rest.md, Signing)`, { header: h.missing });
    const body = new Uint8Array(await c.req.arrayBuffer());
    const nowMs = o.clock();
    if (o.replays.full(nowMs)) throw new RestError(503, ErrorCode.BUSY, "too many signed requests in the window; try again shortly", undefined, retryAfter(o.windowMs));
    const url = new URL(c.req.url);
    const address = c.env?.address ?? "";
    const auth = authenticate(o.keys, {
      keyId: h.keyId,
      proof: { kind: "signature", timestamp: h.timestamp, method: c.req.method, pathWithQuery: url.pathname + url.search, body, signature: h.signature, windowMs: o.windowMs, replays: o.replays },
      address,
      nowMs,
      ...(o.loginGuard ? { guard: o.loginGuard } : {}),
    });
    if (!auth.ok) {
      const e = refusal(auth.refusal, nowMs, auth.retryAfterMs);
      // The same line as the other doors' failed logins (docs/logging.md), so one query finds them all.
      o.log.info("login failed", { door: "rest", remote: address, key: h.keyId, reason: e.code, ...(auth.retryAfterMs !== undefined ? { retryAfterMs: auth.retryAfterMs } : {}) });
      throw e;
    }
    c.set("auth", { account: auth.account, keyId: auth.keyId, scopes: auth.scopes });
    // Charged only now that the key is proven: naming another's key spends nothing of its allowance.
    c.get("limits")?.caller(`key:${auth.keyId}`);
    await next();
  };
}

function refusal(r: AuthRefusal, nowMs: number, retryAfterMs = 1000): RestError {
  switch (r) {
    case AuthRefusal.LOCKED:
      // Not that the signature was wrong: it was not checked.
      return new RestError(429, ErrorCode.RATE_LIMITED, "too many failed attempts for this key or address; try again later", undefined, retryAfter(retryAfterMs));
    case AuthRefusal.STALE_TIMESTAMP:
      return new RestError(401, ErrorCode.STALE_TIMESTAMP, "BOURSE-TIMESTAMP is outside the receive window of the server's clock", { serverTime: nowMs });
    case AuthRefusal.REPLAYED:
      return new RestError(401, ErrorCode.REPLAYED, "this signature was accepted already; sign each request afresh");
    case AuthRefusal.ADDRESS_NOT_ALLOWED:
      return new RestError(403, ErrorCode.NOT_PERMITTED, "this API key may not be used from this address");
    case AuthRefusal.BAD_CREDENTIALS:
      return new RestError(401, ErrorCode.AUTH_FAILED, "unknown API key or wrong signature");
  }
}

/** After signedRequests: refuses (403 NOT_PERMITTED) a key without `scope`. */
export function requireScope(scope: Scope): MiddlewareHandler<RestEnv> {
  return async (c, next) => {
    if (!c.get("auth").scopes.includes(scope)) throw new RestError(403, ErrorCode.NOT_PERMITTED, `this API key has no ${scope} scope`, { scope });
    await next();
  };
}

/** Refuses (503 ENGINE_STOPPED) while the engine is stopped: for routes that need it (order entry). */
export function requireEngine(availability: { stopped: boolean }): MiddlewareHandler<RestEnv> {
  return async (_c, next) => {
    if (availability.stopped) throw new RestError(503, ErrorCode.ENGINE_STOPPED, "the engine has stopped; GET /api/v1/status says why");
    await next();
  };
}
