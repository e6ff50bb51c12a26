import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { type RestEnv, signedRequests } from "./auth.ts";
import { ErrorCode, RestError, restErrorHandler, restNotFound, validationHook } from "./errors.ts";
import { openApiPath, rateLimits, RestRateLimits } from "./rate-limit.ts";
import { docsRoutes } from "./routes/docs.ts";
import { meRoutes } from "./routes/me.ts";
import { publicRoutes } from "./routes/public.ts";
import { MAX_REMEMBERED_SIGNATURES, RecentSignatures, SIGNATURE_WINDOW_MS } from "./signature.ts";
import { REST_HEADERS } from "../../protocol/rest-signature.ts";
import { REST_BASE, type RestApp, type RestDeps, type RouteDeps, type RouteModule, SECURITY_SCHEMES } from "./route-module.ts";

export { REST_BASE, type RestApp, type RestDeps, type RouteDeps, type RouteModule, SECURITY_SCHEMES, SIGNED_SECURITY } from "./route-module.ts";

const MAX_BODY_BYTES = 64 * 1024;

/** The routes every REST door has; identity, orders and the rest add theirs through `extra`. */
export const ROUTE_MODULES: readonly RouteModule[] = [publicRoutes, meRoutes, docsRoutes];

/**
 * The REST door (docs/rest.md): an OpenAPIHono app whose routes are all under /api/v1, each
 * defined once with createRoute, so the zod schemas both validate requests and make the OpenAPI
 * document. Errors of every kind come out in one shape (errors.ts). Serve it with
 * `app.fetch(req, { address })` (gateway/ws/server.ts does, for paths under /api/v1).
 */
export function buildRestApp(deps: RestDeps, extra: readonly RouteModule[] = []): RestApp {
  const clock = deps.clock ?? Date.now;
  const windowMs = deps.config?.signatureWindowMs ?? SIGNATURE_WINDOW_MS;
  const replays = new RecentSignatures(deps.config?.maxRememberedSignatures ?? MAX_REMEMBERED_SIGNATURES);
  const maxBody = deps.config?.maxBodyBytes ?? MAX_BODY_BYTES;
  const app = new OpenAPIHono<RestEnv>({ defaultHook: validationHook }).basePath(REST_BASE) as RestApp;

  app.onError(restErrorHandler(deps.log));
  // Routes that take credentials, once every module has registered: the rest are limited per address.
  let guarded: Set<string> | undefined;
  const open = (method: string, path: string) => !(guarded ??= credentialedRoutes(app)).has(`${method} ${path}`);
  app.use("*", rateLimits(new RestRateLimits(deps.config?.rateLimit, clock), open));
  app.use(
    "*",
    bodyLimit({
      maxSize: maxBody,
      onError: () => {
        throw new RestError(413, ErrorCode.BODY_TOO_LARGE, `the body is larger than ${maxBody} bytes`);
      },
    }),
  );
  registerSecuritySchemes(app, windowMs);
  const routeDeps: RouteDeps = { ...deps, clock, signed: signedRequests({ keys: deps.keys, ...(deps.loginGuard ? { loginGuard: deps.loginGuard } : {}), replays, windowMs, clock, log: deps.log }) };
  for (const m of [...ROUTE_MODULES, ...extra]) m(app, routeDeps);

  const table = routeTable(app);
  app.notFound(restNotFound((path) => table.filter((r) => r.pattern.test(path)).map((r) => r.method)));
  return app;
}

/** Every method and path the app answers (Hono's routes, less middleware), in OpenAPI's {param} spelling. */
export function answeredRoutes(app: RestApp): { method: string; path: string }[] {
  const seen = new Set<string>();
  const out: { method: string; path: string }[] = [];
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    const path = r.path.replace(/:([^/{}]+)(\{[^}]*\})?/g, "{$1}");
    const k = `${r.method} ${path}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ method: r.method, path });
  }
  return out;
}

/** "METHOD /api/v1/path" of every documented route with a security requirement (a signature, a session or either). */
function credentialedRoutes(app: RestApp): Set<string> {
  const out = new Set<string>();
  for (const d of app.openAPIRegistry.definitions) {
    if (d.type !== "route" || !(d.route.security?.length ?? 0)) continue;
    out.add(`${d.route.method.toUpperCase()} ${openApiPath(REST_BASE + d.route.path)}`);
  }
  return out;
}

function routeTable(app: RestApp): { method: string; pattern: RegExp }[] {
  return answeredRoutes(app).map((r) => ({ method: r.method, pattern: new RegExp(`^${r.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`) }));
}

function registerSecuritySchemes(app: RestApp, windowMs: number): void {
  const reg = app.openAPIRegistry;
  reg.registerComponent("securitySchemes", SECURITY_SCHEMES.key, { type: "apiKey", in: "header", name: REST_HEADERS.key, description: "The API key id." });
  reg.registerComponent("securitySchemes", SECURITY_SCHEMES.timestamp, { type: "apiKey", in: "header", name: REST_HEADERS.timestamp, description: `ms since the epoch; within ${windowMs} ms of the server's clock.` });
  reg.registerComponent("securitySchemes", SECURITY_SCHEMES.signature, {
    type: "apiKey",
    in: "header",
    name: REST_HEADERS.signature,
    description: "HMAC-SHA256 under the key's secret over timestamp + METHOD + path with query + body, as 64 lower-case hex digits; each signature is accepted once (docs/rest.md, Signing).",
  });
}
