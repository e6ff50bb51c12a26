import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { ErrorCode, RestError, retryAfter } from "./errors.ts";

/**
 * The REST door's request rate limits (docs/rest.md, Rate limits): a token bucket per caller once
 * it is authenticated (an API key, a user's session, the host operator), and one per peer address
 * for the routes that take no credentials. A request over the limit is refused before its handler
 * runs: 429 RATE_LIMITED with Retry-After, the shape order entry's own per-session order limit
 * answers in. A caller is limited only once its credentials checked out, so nobody can spend
 * another key's allowance by naming it; a bad signature is the login guard's to count.
 */

export interface RateLimitConfig {
  /** Requests a second one authenticated caller may make, sustained (0: no limit). Default 1,000. */
  perCallerPerSecond?: number;
  /** Requests a second one address may make to the routes that take no credentials (0: no limit). Default 1,000. */
  perAddressPerSecond?: number;
  /** Seconds of the rate a bucket holds: the burst a quiet client may send at once. Default 2. */
  burstSeconds?: number;
}

export const RATE_LIMIT_DEFAULTS = { perCallerPerSecond: 1_000, perAddressPerSecond: 1_000, burstSeconds: 2 } as const;

/** Buckets tracked at most per limiter; beyond it the full ones (idle long enough) are forgotten first. */
const MAX_TRACKED = 100_000;

/** Token buckets by key, refilled from a clock (ms) that tests may move. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;

  constructor(
    private readonly perSecond: number,
    burstSeconds: number,
    private readonly clock: () => number,
    private readonly maxTracked = MAX_TRACKED,
  ) {
    this.capacity = Math.max(1, perSecond * burstSeconds);
  }

  /** Takes one token for `key`: 0 when taken, else the ms until one is due (nothing taken). */
  take(key: string): number {
    if (this.perSecond <= 0) return 0;
    const now = this.clock();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxTracked) this.forget(now);
      b = { tokens: this.capacity, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.capacity, b.tokens + (Math.max(0, now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens < 1) return Math.ceil(((1 - b.tokens) / this.perSecond) * 1000);
    b.tokens -= 1;
    return 0;
  }

  get tracked(): number {
    return this.buckets.size;
  }

  /** Drops the buckets that have refilled (forgetting them changes nothing), else the oldest-made half. */
  private forget(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.capacity) this.buckets.delete(k);
    if (this.buckets.size < this.maxTracked) return;
    let drop = this.buckets.size / 2;
    for (const k of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(k);
    }
  }
}

/** The door's two limiters, and the one refusal they give. */
export class RestRateLimits {
  readonly callers: RateLimiter;
  readonly addresses: RateLimiter;

  constructor(c: RateLimitConfig | undefined, clock: () => number) {
    const burst = c?.burstSeconds ?? RATE_LIMIT_DEFAULTS.burstSeconds;
    this.callers = new RateLimiter(c?.perCallerPerSecond ?? RATE_LIMIT_DEFAULTS.perCallerPerSecond, burst, clock);
    this.addresses = new RateLimiter(c?.perAddressPerSecond ?? RATE_LIMIT_DEFAULTS.perAddressPerSecond, burst, clock);
  }

  /** Charges an authenticated caller ("key:<id>", "session:<id>", "host"); throws 429 over its limit. */
  caller(key: string): void {
    const wait = this.callers.take(key);
    if (wait > 0) throw limited(wait, "this caller");
  }

  address(address: string): void {
    const wait = this.addresses.take(address);
    if (wait > 0) throw limited(wait, "this address");
  }
}

function limited(waitMs: number, who: string): RestError {
  return new RestError(429, ErrorCode.RATE_LIMITED, `too many requests from ${who}; try again after Retry-After seconds`, undefined, retryAfter(waitMs));
}

/** The part of the door's RestEnv (auth.ts) this middleware uses: named here, so the two modules need not import each other. */
interface LimitsEnv {
  Bindings: { address?: string };
  Variables: { limits: RestRateLimits };
}

/**
 * The app-wide middleware: puts the limits on the context (as "limits", for the authentication
 * middleware to charge a caller once it is known) and charges the address at once when the route
 * takes no credentials (`open(method, path)`: the route as registered, OpenAPI spelling; no route
 * at all counts as open, so probing for paths is limited too) or the request brings none.
 */
export function rateLimits(limits: RestRateLimits, open: (method: string, path: string) => boolean): MiddlewareHandler<LimitsEnv> {
  return async (c, next) => {
    c.set("limits", limits);
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    // A request that brings no credentials at all to a route that needs them is the address's too (it will be a 401).
    const anonymous = c.req.header("authorization") === undefined && c.req.header("bourse-key") === undefined;
    if (anonymous || open(method, openApiPath(routePath(c, -1)))) limits.address(c.env?.address ?? "");
    await next();
  };
}

/** Hono's `/a/:b{re}` as OpenAPI's `/a/{b}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([^/{}]+)(\{[^}]*\})?/g, "{$1}");
}
