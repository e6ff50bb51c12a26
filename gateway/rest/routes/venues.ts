import { createRoute, z } from "@hono/zod-openapi";
import type { InstrumentSpec } from "../../../engine/instrument.ts";
import type { IdentityParts } from "../../auth/identity-parts.ts";
import { DONE_HOW, type DoneHow, VenueCorrections } from "../../auth/venue-corrections.ts";
import { callerAuth } from "../caller-auth.ts";
import { errorResponses } from "../errors.ts";
import type { RestApp, RouteDeps, RouteModule } from "../route-module.ts";
import { BEARER, body, json, valueOf } from "./route-parts.ts";

/**
 * Operators settle a venue break from the venue's own record (gateway/auth/venue-corrections.ts,
 * docs/venues.md): a fill the link never delivered, or the end of an order stuck PENDING_UNKNOWN.
 * Journaled with the operator as author and checked by the engine as a venue's report is.
 */

const Params = z.object({
  venue: z.string().min(1).max(64).openapi({ param: { name: "venue", in: "path" }, example: "V" }),
  orderId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).openapi({ param: { name: "orderId", in: "path" }, example: 42 }),
});
const Decimal = z.string().min(1).max(64).regex(/^[0-9]+(\.[0-9]+)?$/);
const FillBody = z.object({
  symbol: z.string().min(1).max(32),
  execId: z.string().regex(/^[\x21-\x7e]{1,64}$/).openapi({ description: "the venue's ExecID, from its drop copy" }),
  qty: Decimal,
  price: Decimal,
});
const HOW = Object.keys(DONE_HOW) as [DoneHow, ...DoneHow[]];
const DoneBody = z.object({ symbol: z.string().min(1).max(32), how: z.enum(HOW), cumQty: Decimal.openapi({ description: "the venue's CumQty: must equal what has settled here" }) });
const Result = z.object({ venue: z.string(), orderId: z.number().int(), command: z.enum(["fill", "done"]), seq: z.number().int().openapi({ description: "the journal's sequence number of the correction" }) }).openapi("VenueCorrection");

export function venueRoutes(id: IdentityParts, instruments: readonly InstrumentSpec[], venues: ReadonlyMap<string, number>): RouteModule {
  const corrections = new VenueCorrections(id.directory, instruments, venues);
  return (app: RestApp, deps: RouteDeps) => {
    const who = callerAuth(id, deps.signed);
    app.openapi(
      createRoute({
        method: "post",
        path: "/venues/{venue}/orders/{orderId}/fills",
        tags: ["operator"],
        summary: "Settle a fill the venue's record shows and its link never delivered (operators): checked as the venue's own report",
        security: BEARER,
        middleware: [who] as const,
        request: { params: Params, ...body(FillBody) },
        responses: { 200: json(Result), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const p = c.req.valid("param");
        return c.json(valueOf(await corrections.fill(c.get("caller"), p.venue, p.orderId, c.req.valid("json"))), 200);
      },
    );
    app.openapi(
      createRoute({
        method: "post",
        path: "/venues/{venue}/orders/{orderId}/done",
        tags: ["operator"],
        summary: "End a routed order as the venue's record shows it ended (operators): its CumQty must be what settled here",
        security: BEARER,
        middleware: [who] as const,
        request: { params: Params, ...body(DoneBody) },
        responses: { 200: json(Result), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const p = c.req.valid("param");
        return c.json(valueOf(await corrections.end(c.get("caller"), p.venue, p.orderId, c.req.valid("json"))), 200);
      },
    );
  };
}
