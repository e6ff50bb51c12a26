import { createRoute, z } from "@hono/zod-openapi";
import type { InstrumentSpec } from "../../../engine/instrument.ts";
import type { IdentityParts } from "../../auth/identity-parts.ts";
import { MarketControl } from "../../auth/market-control.ts";
import { callerAuth } from "../caller-auth.ts";
import { errorResponses } from "../errors.ts";
import type { RestApp, RouteDeps, RouteModule } from "../route-module.ts";
import { BEARER, json, valueOf } from "./route-parts.ts";

/**
 * Operators halt and resume an instrument (gateway/auth/market-control.ts): the engine's HALT and
 * RESUME, journaled with the operator as their author. An auditor reads and may not; a key never.
 */

const SymbolParam = z.object({ symbol: z.string().min(1).max(32).openapi({ param: { name: "symbol", in: "path" }, example: "BTC-USD" }) });
const Result = z.object({ symbol: z.string(), halted: z.boolean(), seq: z.number().int().openapi({ description: "the journal's sequence number of the command" }) }).openapi("MarketControl");

export function marketControlRoutes(id: IdentityParts, instruments: readonly InstrumentSpec[]): RouteModule {
  const control = new MarketControl(id.directory, instruments);
  return (app: RestApp, deps: RouteDeps) => {
    const who = callerAuth(id, deps.signed);
    for (const halt of [true, false]) {
      app.openapi(
        createRoute({
          method: "post",
          path: `/instruments/{symbol}/${halt ? "halt" : "resume"}`,
          tags: ["operator"],
          summary: halt
            ? "Halt trading in an instrument until resumed: resting-type orders queue, market, IOC and FOK orders are refused SYMBOL_HALTED (operators)"
            : "Resume trading in a halted instrument: the queued orders join the book (operators)",
          security: BEARER,
          middleware: [who] as const,
          request: { params: SymbolParam },
          responses: { 200: json(Result), ...errorResponses(400, 401, 403, 404, 503) },
        }),
        async (c) => {
          const symbol = c.req.valid("param").symbol;
          return c.json(valueOf(await (halt ? control.halt(c.get("caller"), symbol) : control.resume(c.get("caller"), symbol))), 200);
        },
      );
    }
  };
}
