import { createRoute, z } from "@hono/zod-openapi";
import type { IdentityParts } from "../../auth/identity-parts.ts";
import type { KeyView, UserView } from "../../auth/administration.ts";
import { readsAll } from "../../auth/caller.ts";
import { SCOPES } from "../../auth/keys.ts";
import type { SessionInfo } from "../../auth/session-store.ts";
import type { SignedIn } from "../../auth/sign-in.ts";
import type { MiddlewareHandler } from "hono";
import type { RestEnv } from "../auth.ts";
import { callerAuth } from "../caller-auth.ts";
import { ErrorCode, errorResponses, RestError, retryAfter } from "../errors.ts";
import type { RestApp, RouteDeps, RouteModule } from "../route-module.ts";
import { ANY_CALLER, BEARER, BEARER_SCHEME, body, isoUs, json, origin, Totp, userCaller, valueOf } from "./route-parts.ts";

/**
 * Signing in, MFA, sessions, users and API keys over REST (docs/identity.md): the actions of
 * gateway/auth/sign-in.ts and administration.ts, each answered in the door's error shape.
 */


const iso = (ms: number) => new Date(ms).toISOString();

const Session = z
  .object({ id: z.string(), user: z.string(), address: z.string(), agent: z.string(), startedAt: z.string(), lastSeenAt: z.string(), expiresAt: z.string() })
  .openapi("Session");
const sessionJson = (s: SessionInfo) => ({ id: s.id, user: s.user, address: s.address, agent: s.agent, startedAt: iso(s.startedMs), lastSeenAt: iso(s.lastSeenMs), expiresAt: iso(s.expiresMs) });

const SignedInSchema = z
  .object({
    token: z.string().optional().openapi({ description: "the session's bearer token: Authorization: Bearer <token>" }),
    session: Session.optional(),
    otherSessions: z.array(Session).optional().openapi({ description: "the user's other live sessions: a session you did not start means your password is known" }),
    enrolment: z.object({ ticket: z.string(), expiresAt: z.string() }).optional().openapi({ description: "no TOTP yet: enrol with this ticket (POST /auth/mfa/enrol, then /auth/mfa/confirm)" }),
  })
  .openapi("SignedIn");
function signedInJson(s: SignedIn) {
  return s.kind === "enrol" ? { enrolment: { ticket: s.ticket, expiresAt: iso(s.expiresMs) } } : { token: s.token, session: sessionJson(s.session), otherSessions: s.others.map(sessionJson) };
}

const User = z
  .object({ id: z.number().int(), name: z.string(), role: z.enum(["trader", "operator", "auditor"]), accounts: z.array(z.number().int()), locked: z.boolean(), mfa: z.boolean(), createdAt: z.string().nullable(), lastLoginAt: z.string().nullable() })
  .openapi("User");
const userJson = (u: UserView) => ({ id: u.id, name: u.name, role: u.role as "trader", accounts: u.accounts, locked: u.locked, mfa: u.mfa, createdAt: isoUs(u.created), lastLoginAt: isoUs(u.lastLogin) });

const Key = z
  .object({ id: z.string(), account: z.number().int(), scopes: z.array(z.enum(SCOPES)), allowIps: z.array(z.string()), label: z.string(), createdBy: z.number().int(), createdAt: z.string().nullable(), revokedAt: z.string().nullable() })
  .openapi("ApiKey");
const keyJson = (k: KeyView) => ({ id: k.id, account: k.account, scopes: k.scopes, allowIps: k.allowIps, label: k.label, createdBy: k.createdBy, createdAt: isoUs(k.created), revokedAt: isoUs(k.revoked) });

const UserName = z.string().min(1).max(36);
const NameParam = z.object({ name: UserName.openapi({ param: { name: "name", in: "path" }, example: "alice" }) });

/** How long a sign-in refused busy waits before its 429 (see notBusy below). */
const BUSY_PAUSE_MS = 500;

/** The identity routes, on the parts the exchange started (app/identity.ts). */
export function identityRoutes(id: IdentityParts): RouteModule {
  return (app: RestApp, deps: RouteDeps) => {
    app.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, { type: "http", scheme: "bearer", description: "A session token from POST /api/v1/auth/login, or the host operator's token (<dataDir>/operator.token)." });
    const who = callerAuth(id, deps.signed);
    const admin = id.administration;
    /**
     * A full hasher refuses before the body is read or validated, and answers only after a pause:
     * a client that retries at once would otherwise turn refusals into a flood that costs the
     * event loop more than the verifies it spares (bench/login.ts measured it); a pause costs a
     * timer, and slows each retrying connection to a few attempts a second.
     */
    const notBusy: MiddlewareHandler<RestEnv> = async (c, next) => {
      if (id.signIn.busy) {
        id.audit.record({ timeMs: deps.clock(), door: "rest", address: c.env?.address ?? "", subject: "user:?", outcome: "busy" });
        await Bun.sleep(BUSY_PAUSE_MS);
        throw new RestError(429, ErrorCode.BUSY, "too many sign-ins at once; try again in a second", undefined, retryAfter(1_000));
      }
      await next();
    };

    app.openapi(
      createRoute({
        method: "post",
        path: "/auth/login",
        tags: ["identity"],
        summary: "Sign in with password and TOTP code (or a recovery code); without TOTP enrolled, an enrolment ticket",
        middleware: [notBusy] as const,
        request: body(z.object({ user: UserName, password: z.string().min(1).max(256), totp: Totp, recoveryCode: z.string().max(32).optional() })),
        responses: { 200: json(SignedInSchema, "A session, or an enrolment ticket"), ...errorResponses(400, 401, 403, 429) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        const r = await id.signIn.signIn(b.user, b.password, { ...(b.totp ? { code: b.totp } : {}), ...(b.recoveryCode ? { recoveryCode: b.recoveryCode } : {}) }, origin(c));
        if (!r.ok && r.code === "BUSY") await Bun.sleep(BUSY_PAUSE_MS);
        return c.json(signedInJson(valueOf(r)), 200);
      },
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/auth/mfa/enrol",
        tags: ["identity"],
        summary: "Start TOTP enrolment: a new secret, its otpauth:// URI and a QR code (SVG)",
        request: body(z.object({ ticket: z.string().min(1).max(64) })),
        responses: { 200: json(z.object({ secret: z.string(), uri: z.string(), qrSvg: z.string() }).openapi("Enrolment")), ...errorResponses(400, 401) },
      }),
      async (c) => c.json(valueOf(await id.signIn.enrolStart(c.req.valid("json").ticket)), 200),
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/auth/mfa/confirm",
        tags: ["identity"],
        summary: "Finish enrolment with the app's first code: ten recovery codes (shown once) and a session",
        request: body(z.object({ ticket: z.string().min(1).max(64), totp: z.string().max(16) })),
        responses: { 200: json(z.object({ recoveryCodes: z.array(z.string()), token: z.string().optional(), session: Session.optional(), otherSessions: z.array(Session).optional() }).openapi("Enrolled")), ...errorResponses(400, 401, 403, 409) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        const r = valueOf(await id.signIn.enrolConfirm(b.ticket, b.totp, origin(c)));
        return c.json({ recoveryCodes: r.recoveryCodes, ...signedInJson(r.signedIn) }, 200);
      },
    );

    app.openapi(
      createRoute({ method: "post", path: "/auth/logout", tags: ["identity"], summary: "End this session", security: BEARER, middleware: [who] as const, responses: { 200: json(z.object({ revoked: z.boolean() })), ...errorResponses(401, 403) } }),
      (c) => {
        const u = userCaller(c);
        return c.json({ revoked: valueOf(id.signIn.revokeSession(u, u.session.id)) }, 200);
      },
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/auth/password",
        tags: ["identity"],
        summary: "Change the password; every other session of the user ends",
        security: BEARER,
        middleware: [who] as const,
        request: body(z.object({ current: z.string().min(1).max(256), new: z.string().min(1).max(1024) })),
        responses: { 200: json(z.object({ revokedSessions: z.number().int() })), ...errorResponses(400, 401, 403, 429) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        return c.json(valueOf(await id.signIn.changePassword(userCaller(c), b.current, b.new)), 200);
      },
    );

    app.openapi(
      createRoute({ method: "get", path: "/sessions", tags: ["identity"], summary: "My live sessions: address, agent, start, last seen", security: BEARER, middleware: [who] as const, responses: { 200: json(z.object({ sessions: z.array(Session) })), ...errorResponses(401, 403) } }),
      (c) => c.json({ sessions: id.signIn.listSessions(userCaller(c)).map(sessionJson) }, 200),
    );

    app.openapi(
      createRoute({
        method: "delete",
        path: "/sessions/{id}",
        tags: ["identity"],
        summary: "End one of my sessions",
        security: BEARER,
        middleware: [who] as const,
        request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }) }) },
        responses: { 200: json(z.object({ revoked: z.boolean() })), ...errorResponses(401, 403, 404) },
      }),
      (c) => c.json({ revoked: valueOf(id.signIn.revokeSession(userCaller(c), c.req.valid("param").id)) }, 200),
    );

    // ---- users (operators; auditors read)

    app.openapi(
      createRoute({ method: "get", path: "/users", tags: ["operator"], summary: "Every user (operators and auditors)", security: BEARER, middleware: [who] as const, responses: { 200: json(z.object({ users: z.array(User) })), ...errorResponses(401, 403) } }),
      (c) => c.json({ users: valueOf(admin.listUsers(c.get("caller"))).map(userJson) }, 200),
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/users",
        tags: ["operator"],
        summary: "Add a user with a one-time initial password (shown once)",
        security: BEARER,
        middleware: [who] as const,
        request: body(z.object({ name: UserName, role: z.enum(["trader", "operator", "auditor"]), accounts: z.array(z.number().int().min(0)).max(64).optional() })),
        responses: { 201: json(z.object({ user: User, initialPassword: z.string() })), ...errorResponses(400, 401, 403, 404, 409, 429) },
      }),
      async (c) => {
        const r = valueOf(await admin.addUser(c.get("caller"), c.req.valid("json")));
        return c.json({ user: userJson(r.user), initialPassword: r.initialPassword }, 201);
      },
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/users/{name}/lock",
        tags: ["operator"],
        summary: "Lock (ending every session) or unlock a user",
        security: BEARER,
        middleware: [who] as const,
        request: { params: NameParam, ...body(z.object({ locked: z.boolean() })) },
        responses: { 200: json(User), ...errorResponses(400, 401, 403, 404) },
      }),
      async (c) => c.json(userJson(valueOf(await admin.lockUser(c.get("caller"), c.req.valid("param").name, c.req.valid("json").locked))), 200),
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/users/{name}/reset-mfa",
        tags: ["operator"],
        summary: "Remove a user's TOTP and recovery codes (a lost phone); the next sign-in enrols again",
        security: BEARER,
        middleware: [who] as const,
        request: { params: NameParam },
        responses: { 200: json(User), ...errorResponses(401, 403, 404) },
      }),
      async (c) => c.json(userJson(valueOf(await admin.resetMfa(c.get("caller"), c.req.valid("param").name))), 200),
    );

    app.openapi(
      createRoute({
        method: "put",
        path: "/users/{name}/accounts/{account}",
        tags: ["operator"],
        summary: "Grant a user an account (grant: true) or take it back",
        security: BEARER,
        middleware: [who] as const,
        request: { params: NameParam.extend({ account: z.coerce.number().int().min(0).openapi({ param: { name: "account", in: "path" } }) }), ...body(z.object({ grant: z.boolean() })) },
        responses: { 200: json(User), ...errorResponses(400, 401, 403, 404) },
      }),
      async (c) => {
        const p = c.req.valid("param");
        return c.json(userJson(valueOf(await admin.grant(c.get("caller"), p.name, p.account, c.req.valid("json").grant))), 200);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/audit/sign-ins",
        tags: ["operator"],
        summary: "The latest sign-in attempts, with door, address and outcome (operators and auditors)",
        security: BEARER,
        middleware: [who] as const,
        request: { query: z.object({ subject: z.string().max(80).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
        responses: { 200: json(z.object({ attempts: z.array(z.object({ time: z.string(), door: z.string(), address: z.string(), subject: z.string(), outcome: z.string() })) })), ...errorResponses(400, 401, 403) },
      }),
      (c) => {
        if (!readsAll(c.get("caller"))) throw new RestError(403, ErrorCode.NOT_PERMITTED, "only an operator or auditor may read the audit log");
        const q = c.req.valid("query");
        return c.json({ attempts: id.audit.recent(q.limit, q.subject).map((a) => ({ time: iso(a.timeMs), door: a.door, address: a.address, subject: a.subject, outcome: a.outcome })) }, 200);
      },
    );

    // ---- API keys

    app.openapi(
      createRoute({
        method: "get",
        path: "/keys",
        tags: ["identity"],
        summary: "API keys the caller may see (never their secrets)",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { query: z.object({ account: z.coerce.number().int().min(0).optional() }) },
        responses: { 200: json(z.object({ keys: z.array(Key) })), ...errorResponses(400, 401, 403) },
      }),
      (c) => c.json({ keys: valueOf(admin.listKeys(c.get("caller"), c.req.valid("query").account)).map(keyJson) }, 200),
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/keys",
        tags: ["identity"],
        summary: "Create an API key (a user needs a fresh TOTP code); the secret is shown once",
        security: BEARER,
        middleware: [who] as const,
        request: body(z.object({ account: z.number().int().min(0), scopes: z.array(z.enum(SCOPES)).min(1).max(3).optional(), allowIps: z.array(z.string().max(64)).min(1).max(32).optional(), label: z.string().max(64).optional(), totp: Totp })),
        responses: { 201: json(z.object({ key: Key, secret: z.string() })), ...errorResponses(400, 401, 403, 404, 429) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        const r = valueOf(await admin.createKey(c.get("caller"), { account: b.account, ...(b.scopes ? { scopes: b.scopes } : {}), ...(b.allowIps ? { allowIps: b.allowIps } : {}), ...(b.label !== undefined ? { label: b.label } : {}), ...(b.totp ? { code: b.totp } : {}) }, origin(c)));
        return c.json({ key: keyJson(r.key), secret: r.secret }, 201);
      },
    );

    app.openapi(
      createRoute({
        method: "delete",
        path: "/keys/{id}",
        tags: ["identity"],
        summary: "Revoke an API key: its live sessions on every door are told and closed",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { params: z.object({ id: z.string().min(1).max(36).openapi({ param: { name: "id", in: "path" } }) }) },
        responses: { 200: json(Key), ...errorResponses(401, 403, 404) },
      }),
      async (c) => c.json(keyJson(valueOf(await admin.revokeKey(c.get("caller"), c.req.valid("param").id))), 200),
    );
  };
}
