import { createRoute, z } from "@hono/zod-openapi";
import type { InstrumentSpec } from "../../../engine/instrument.ts";
import type { IdentityParts } from "../../auth/identity-parts.ts";
import { MARKET_DATA_STATUS_NAMES, MarketControl, type MarketDataStatusName } from "../../auth/market-control.ts";
import { callerAuth } from "../caller-auth.ts";
import { errorResponses } from "../errors.ts";
import type { RestApp, RouteDeps, RouteModule } from "../route-module.ts";
import { BEARER, body, json, valueOf } from "./route-parts.ts";

/**
 * Operators halt and resume an instrument (gateway/auth/market-control.ts): the engine's HALT and
 * RESUME, journaled with the operator as their author; and set its venue market data status by hand
 * (MARKET_DATA_STATUS, docs/venues.md). An auditor reads and may not; a key never.
 */

const SymbolParam = z.object({ symbol: z.string().min(1).max(32).openapi({ param: { name: "symbol", in: "path" }, example: "BTC-USD" }) });
const Result = z.object({ symbol: z.string(), halted: z.boolean(), seq: z.number().int().openapi({ description: "the journal's sequence number of the command" }) }).openapi("MarketControl");

const STATUS_NAMES = Object.keys(MARKET_DATA_STATUS_NAMES) as [MarketDataStatusName, ...MarketDataStatusName[]];
const MarketDataBody = z.object({ status: z.enum(STATUS_NAMES).openapi({ description: "ok: trusted; stale; bad_tick (docs/venues.md)" }) });
const MarketDataResult = z.object({ symbol: z.string(), status: z.enum(STATUS_NAMES), seq: z.number().int().openapi({ description: "the journal's sequence number of the command" }) }).openapi("MarketDataStatus");

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
    app.openapi(
      createRoute({
        method: "put",
        path: "/instruments/{symbol}/market-data",
        tags: ["operator"],
        summary: "Flag (stale, bad_tick) or clear (ok) an instrument's venue market data: while flagged, market and stop orders are refused MARKET_DATA_STALE or MARKET_DATA_BAD_TICK, limits go on (operators)",
        security: BEARER,
        middleware: [who] as const,
        request: { params: SymbolParam, ...body(MarketDataBody) },
        responses: { 200: json(MarketDataResult), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => c.json(valueOf(await control.setMarketData(c.get("caller"), c.req.valid("param").symbol, c.req.valid("json").status)), 200),
    );
  };
}
