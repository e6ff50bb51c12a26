import { createRoute, z } from "@hono/zod-openapi";
import type { IdentityParts } from "../../auth/identity-parts.ts";
import type { WithdrawalView } from "../../auth/administration.ts";
import { callerAuth } from "../caller-auth.ts";
import { errorResponses } from "../errors.ts";
import { type RestApp, type RouteDeps, type RouteModule, SIGNED_SECURITY } from "../route-module.ts";
import { AccountParam, BEARER, body, isoUs, json, origin, Totp, valueOf } from "./route-parts.ts";

/**
 * Accounts while the exchange runs: operators open them, credit deposits, set tiers and symbol
 * access; destinations are whitelisted (operators, or a trader with a fresh code) and withdrawals
 * go only to those (a trader with a fresh code, or a key with the withdraw scope). Each is the
 * engine's own journaled command with the caller in its audit fields (gateway/auth/administration.ts).
 */

const Decimal = z.string().max(64).openapi({ example: "100.50", description: "a decimal string in the currency's units" });
const Ok = z.object({ account: z.number().int(), tier: z.number().int() }).openapi("AccountTier");
const Money = z.object({ account: z.number().int(), currency: z.string(), amount: z.string(), seq: z.number().int() });

export function accountAdminRoutes(id: IdentityParts): RouteModule {
  return (app: RestApp, deps: RouteDeps) => {
    const who = callerAuth(id, deps.signed);
    const admin = id.administration;

    app.openapi(
      createRoute({
        method: "post",
        path: "/accounts",
        tags: ["operator"],
        summary: "Open an account on a tier",
        security: BEARER,
        middleware: [who] as const,
        request: body(z.object({ account: z.number().int().min(0), tier: z.number().int().min(0) })),
        responses: { 201: json(Ok), ...errorResponses(400, 401, 403, 409, 503) },
      }),
      async (c) => c.json(valueOf(await admin.openAccount(c.get("caller"), c.req.valid("json"))), 201),
    );

    app.openapi(
      createRoute({
        method: "put",
        path: "/accounts/{account}/tier",
        tags: ["operator"],
        summary: "Move an account to another tier (fees and limits)",
        security: BEARER,
        middleware: [who] as const,
        request: { params: AccountParam, ...body(z.object({ tier: z.number().int().min(0) })) },
        responses: { 200: json(Ok), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => c.json(valueOf(await admin.setTier(c.get("caller"), { account: c.req.valid("param").account, tier: c.req.valid("json").tier })), 200),
    );

    app.openapi(
      createRoute({
        method: "put",
        path: "/accounts/{account}/symbols/{symbol}",
        tags: ["operator"],
        summary: "Allow or deny a symbol to an account, or clear the setting",
        security: BEARER,
        middleware: [who] as const,
        request: { params: AccountParam.extend({ symbol: z.string().min(1).max(32).openapi({ param: { name: "symbol", in: "path" }, example: "BTC-USD" }) }), ...body(z.object({ access: z.enum(["allow", "deny", "clear"]) })) },
        responses: { 200: json(z.object({ account: z.number().int(), symbol: z.string(), access: z.enum(["allow", "deny", "clear"]) })), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const p = c.req.valid("param");
        return c.json(valueOf(await admin.symbolAccess(c.get("caller"), { account: p.account, symbol: p.symbol, access: c.req.valid("json").access })), 200);
      },
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/accounts/{account}/deposits",
        tags: ["operator"],
        summary: "Credit a deposit that arrived (operators)",
        security: BEARER,
        middleware: [who] as const,
        request: { params: AccountParam, ...body(z.object({ currency: z.string().min(1).max(16), amount: Decimal })) },
        responses: { 201: json(Money), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        return c.json(valueOf(await admin.deposit(c.get("caller"), { account: c.req.valid("param").account, currency: b.currency, amount: b.amount })), 201);
      },
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/accounts/{account}/destinations",
        tags: ["account"],
        summary: "Whitelist a withdrawal destination; usable after the cooling-off period",
        security: BEARER,
        middleware: [who] as const,
        request: { params: AccountParam, ...body(z.object({ destination: z.string().min(1).max(96), totp: Totp })) },
        responses: { 201: json(z.object({ account: z.number().int(), destination: z.string(), activeFrom: z.string() })), ...errorResponses(400, 401, 403, 404, 429, 503) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        const r = valueOf(await admin.addDestination(c.get("caller"), { account: c.req.valid("param").account, destination: b.destination, ...(b.totp ? { code: b.totp } : {}) }, origin(c)));
        return c.json({ account: r.account, destination: r.destination, activeFrom: new Date(Math.floor(r.activeFrom / 1000)).toISOString() }, 201);
      },
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/accounts/{account}/withdrawals",
        tags: ["account"],
        summary: "Withdraw to a whitelisted, active destination (a trader with a fresh code, or a key with the withdraw scope)",
        security: [...BEARER, ...SIGNED_SECURITY],
        middleware: [who] as const,
        request: { params: AccountParam, ...body(z.object({ currency: z.string().min(1).max(16), amount: Decimal, destination: z.string().min(1).max(96), totp: Totp })) },
        responses: { 201: json(Money.extend({ destination: z.string(), status: z.enum(["paid", "awaiting-approval"]), withdrawal: z.number().int().optional().openapi({ description: "its id while it awaits an operator's approval" }) })), ...errorResponses(400, 401, 403, 404, 429, 503) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        return c.json(valueOf(await admin.withdraw(c.get("caller"), { account: c.req.valid("param").account, currency: b.currency, amount: b.amount, destination: b.destination, ...(b.totp ? { code: b.totp } : {}) }, origin(c))), 201);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/withdrawals",
        tags: ["account"],
        summary: "Withdrawals awaiting an operator's approval that the caller may see",
        security: [...BEARER, ...SIGNED_SECURITY],
        middleware: [who] as const,
        request: { query: z.object({ account: z.coerce.number().int().min(0).optional() }) },
        responses: { 200: json(z.object({ withdrawals: z.array(Pending) })), ...errorResponses(400, 401, 403) },
      }),
      (c) => c.json({ withdrawals: valueOf(admin.listWithdrawals(c.get("caller"), c.req.valid("query").account)).map(pendingJson) }, 200),
    );

    for (const approve of [true, false]) {
      app.openapi(
        createRoute({
          method: "post",
          path: `/accounts/{account}/withdrawals/{id}/${approve ? "approve" : "reject"}`,
          tags: ["operator"],
          summary: approve ? "Approve a withdrawal awaiting approval: it is paid" : "Reject a withdrawal awaiting approval: its amount is released",
          security: BEARER,
          middleware: [who] as const,
          request: { params: AccountParam.extend({ id: z.coerce.number().int().min(1).openapi({ param: { name: "id", in: "path" }, example: 1 }) }) },
          responses: { 200: json(Pending.extend({ status: z.enum(["paid", "rejected"]), seq: z.number().int() })), ...errorResponses(400, 401, 403, 404, 503) },
        }),
        async (c) => {
          const p = c.req.valid("param");
          const r = valueOf(await admin.settleWithdrawal(c.get("caller"), p.account, p.id, approve));
          return c.json({ ...pendingJson(r), status: r.status, seq: r.seq }, 200);
        },
      );
    }
  };
}

const Pending = z.object({ account: z.number().int(), id: z.number().int(), currency: z.string(), amount: z.string(), destination: z.string(), requestedAt: z.string() }).openapi("PendingWithdrawal");
function pendingJson(w: WithdrawalView) {
  return { account: w.account, id: w.id, currency: w.currency, amount: w.amount, destination: w.destination, requestedAt: isoUs(w.time) ?? "" };
}
