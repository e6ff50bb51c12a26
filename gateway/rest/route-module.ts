import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import type { Logger } from "../../log/logger.ts";
import type { ApiKeys } from "../auth/keys.ts";
import type { LoginGuard } from "../auth/login-guard.ts";
import type { Availability } from "../ws/health.ts";
import type { RestEnv } from "./auth.ts";
import type { RestConfig } from "./config.ts";

/**
 * What a route module (gateway/rest/routes/*.ts) is given and how it plugs in: kept apart from
 * app.ts, which imports the modules, so a module can name these without a circle.
 */

/** Where the REST door lives on the WebSocket door's port. */
export const REST_BASE = "/api/v1";

export interface RestDeps {
  keys: ApiKeys;
  /** Shared with the other doors (gateway/auth/login-guard.ts); without one, failures are not counted. */
  loginGuard?: LoginGuard;
  /** The exchange's instruments (the configuration file's exchange.instruments). */
  instruments: readonly InstrumentSpec[];
  /** The engine's state, for /status and requireEngine. */
  availability: Pick<Availability, "state" | "stopped">;
  log: Logger;
  config?: RestConfig;
  /** ms since the epoch; default Date.now (tests move it). */
  clock?: () => number;
}

/** What a route module gets: the deps, with the clock settled and the signed-request middleware built once. */
export interface RouteDeps extends RestDeps {
  clock: () => number;
  /** Put first in a signed route's `middleware`; then c.get("auth") is the caller (gateway/rest/auth.ts). */
  signed: MiddlewareHandler<RestEnv>;
}

export type RestApp = OpenAPIHono<RestEnv>;

/** A file of routes: registers them on the app with createRoute (paths below REST_BASE), so the document has them. */
export type RouteModule = (app: RestApp, deps: RouteDeps) => void;

/** The names the OpenAPI document gives the three signature headers. */
export const SECURITY_SCHEMES = { key: "BourseKey", timestamp: "BourseTimestamp", signature: "BourseSignature" } as const;

/** A signed route's `security`: all three headers together. */
export const SIGNED_SECURITY = [{ [SECURITY_SCHEMES.key]: [], [SECURITY_SCHEMES.timestamp]: [], [SECURITY_SCHEMES.signature]: [] }];
