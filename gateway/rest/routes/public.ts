import { createRoute, z } from "@hono/zod-openapi";
import { makeInstrument } from "../../../engine/instrument.ts";
import type { RestApp, RouteDeps } from "../route-module.ts";
import { ErrorCode, errorResponses, RestError } from "../errors.ts";

/** What anyone may ask, unsigned: the server's clock, the engine's state, the instruments. */

const TimeSchema = z
  .object({
    iso: z.string().openapi({ example: "2026-12-07T14:00:00.000Z" }),
    epochMs: z.number().int().openapi({ example: 1796652000000, description: "ms since the epoch: what BOURSE-TIMESTAMP is compared with" }),
  })
  .openapi("Time");

const StatusSchema = z
  .object({
    state: z.enum(["running", "closing", "stopped"]).openapi({ description: "running: taking orders; closing: a clean shutdown has begun; stopped: the engine stopped (reason says why)" }),
    reason: z.string().optional(),
    seq: z.number().int().openapi({ description: "the last journaled sequence number" }),
  })
  .openapi("Status");

const InstrumentSchema = z
  .object({
    id: z.number().int(),
    symbol: z.string().openapi({ example: "BTC-USD" }),
    base: z.string().openapi({ example: "BTC", description: "currency code; \"\" when none" }),
    quote: z.string().openapi({ example: "USD" }),
    tickSize: z.string().openapi({ example: "0.5", description: "decimal string: prices are multiples of it" }),
    lotSize: z.string().openapi({ example: "0.001", description: "decimal string: quantities are multiples of it" }),
  })
  .openapi("Instrument");

const SYMBOL = /^[\x21-\x7e]{1,32}$/;

const SymbolParam = z.object({
  symbol: z.string().regex(SYMBOL).openapi({ param: { name: "symbol", in: "path" }, example: "BTC-USD" }),
});

const InstrumentsQuery = z.object({
  base: z.string().regex(/^[A-Z0-9]{1,12}$/).optional().openapi({ param: { name: "base", in: "query" }, example: "BTC", description: "only instruments with this base currency" }),
  quote: z.string().regex(/^[A-Z0-9]{1,12}$/).optional().openapi({ param: { name: "quote", in: "query" }, example: "USD", description: "only instruments with this quote currency" }),
});

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

export function publicRoutes(app: RestApp, deps: RouteDeps): void {
  const instruments = deps.instruments.map((spec) => {
    const i = makeInstrument(spec);
    return { id: i.id, symbol: i.symbol, base: i.base, quote: i.quote, tickSize: i.tickSize, lotSize: i.lotSize };
  });
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));

  app.openapi(createRoute({ method: "get", path: "/time", tags: ["public"], summary: "The server's clock", responses: { 200: json(TimeSchema, "The server's time") } }), (c) => {
    const now = deps.clock();
    return c.json({ iso: new Date(now).toISOString(), epochMs: now }, 200);
  });

  app.openapi(createRoute({ method: "get", path: "/status", tags: ["public"], summary: "The engine's state", responses: { 200: json(StatusSchema, "The engine's state (200 even when stopped: the state says so)") } }), (c) => c.json(deps.availability.state(), 200));

  app.openapi(
    createRoute({ method: "get", path: "/instruments", tags: ["public"], summary: "The instruments", request: { query: InstrumentsQuery }, responses: { 200: json(z.array(InstrumentSchema), "The instruments, in configuration order"), ...errorResponses(400) } }),
    (c) => {
      const q = c.req.valid("query");
      return c.json(
        instruments.filter((i) => (q.base === undefined || i.base === q.base) && (q.quote === undefined || i.quote === q.quote)),
        200,
      );
    },
  );

  app.openapi(
    createRoute({ method: "get", path: "/instruments/{symbol}", tags: ["public"], summary: "One instrument", request: { params: SymbolParam }, responses: { 200: json(InstrumentSchema, "The instrument"), ...errorResponses(400, 404) } }),
    (c) => {
      const i = bySymbol.get(c.req.valid("param").symbol);
      if (!i) throw new RestError(404, ErrorCode.NOT_FOUND, "no such instrument");
      return c.json(i, 200);
    },
  );
}
