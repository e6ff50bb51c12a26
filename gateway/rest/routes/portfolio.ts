import { createRoute, z } from "@hono/zod-openapi";
import type { PortfolioRead } from "../../../actors/sequencer.ts";
import { EngineStoppedError } from "../../../actors/stop-listeners.ts";
import type { Portfolio } from "../../../engine/pnl.ts";
import type { IdentityParts } from "../../auth/identity-parts.ts";
import type { Caller } from "../../auth/caller.ts";
import { callerAuth } from "../caller-auth.ts";
import { ErrorCode, errorResponses, RestError } from "../errors.ts";
import type { RestApp, RouteDeps, RouteModule } from "../route-module.ts";
import { accountFor, ANY_CALLER, json } from "./route-parts.ts";

/**
 * Balances and positions over REST (issue 16, begun): the engine's own account state, read between
 * commands (EngineHost.portfolio: after everything submitted before the read, answered once all of
 * it is durable), valued at the
 * mark; money as decimal strings of the currency, quantities of the instrument.
 */

const Balance = z
  .object({
    currency: z.string(),
    total: z.string().openapi({ description: "the balance" }),
    reserved: z.string().openapi({ description: "held by open buy orders and withdrawals awaiting approval" }),
    available: z.string(),
    equity: z.string().openapi({ description: "the balance plus the marked value of positions quoted in this currency: the account's value in it" }),
  })
  .openapi("Balance");
const Position = z
  .object({
    symbol: z.string(),
    qty: z.string(),
    averageCost: z.string(),
    markPrice: z.string().nullable(),
    realizedPnl: z.string(),
    unrealizedPnl: z.string(),
  })
  .openapi("Position");

export function portfolioRoutes(id: IdentityParts, read: (account: number) => Promise<PortfolioRead>): RouteModule {
  return (app: RestApp, deps: RouteDeps) => {
    const who = callerAuth(id, deps.signed);

    async function portfolioOf(caller: Caller, asked: number | undefined): Promise<Portfolio> {
      const account = accountFor(caller, asked, "read");
      let p: Portfolio | undefined;
      try {
        p = (await read(account)).portfolio;
      } catch (e) {
        if (e instanceof EngineStoppedError) throw new RestError(503, ErrorCode.ENGINE_STOPPED, "the engine is not running; GET /api/v1/status says why");
        throw e;
      }
      if (!p) throw new RestError(404, "UNKNOWN_ACCOUNT", `no account ${account}`);
      return p;
    }
    const query = { query: z.object({ account: z.coerce.number().int().min(0).optional() }) };

    app.openapi(
      createRoute({
        method: "get",
        path: "/balances",
        tags: ["account"],
        summary: "Cash per currency: total, reserved, available, and equity (the account's value)",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: query,
        responses: { 200: json(z.object({ account: z.number().int(), balances: z.array(Balance) })), ...errorResponses(400, 401, 403, 404) },
      }),
      async (c) => {
        const p = await portfolioOf(c.get("caller"), c.req.valid("query").account);
        return c.json({ account: p.account, balances: p.cash.map((x) => ({ currency: x.currency, total: x.text.balance, reserved: x.text.reserved, available: x.text.available, equity: x.text.equity })) }, 200);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/positions",
        tags: ["account"],
        summary: "Positions with average cost, realized and unrealized P&L at the mark",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: query,
        responses: { 200: json(z.object({ account: z.number().int(), positions: z.array(Position) })), ...errorResponses(400, 401, 403, 404) },
      }),
      async (c) => {
        const p = await portfolioOf(c.get("caller"), c.req.valid("query").account);
        return c.json({ account: p.account, positions: p.positions.map((x) => ({ symbol: x.name, qty: x.text.qty, averageCost: x.text.averageCost, markPrice: x.text.mark === "" ? null : x.text.mark, realizedPnl: x.text.realized, unrealizedPnl: x.text.unrealized })) }, 200);
      },
    );
  };
}
