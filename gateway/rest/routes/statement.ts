import { createRoute, z } from "@hono/zod-openapi";
import type { ExchangeConfig } from "../../../engine/exchange.ts";
import { statementCsv } from "../../../history/statement.ts";
import type { HistoryStore } from "../../../history/store.ts";
import type { Logger } from "../../../log/logger.ts";
import type { IdentityParts } from "../../auth/identity-parts.ts";
import { callerAuth } from "../caller-auth.ts";
import { ErrorCode, errorResponses, RestError } from "../errors.ts";
import type { RestApp, RouteDeps, RouteModule } from "../route-module.ts";
import { accountFor, ANY_CALLER, TimeBound } from "./route-parts.ts";

/**
 * An account's statement as CSV (history/statement.ts: opening balances, every cash movement with
 * its balance after it, realized P&L, closing balances), streamed as the HTTP body: the statement
 * reads the store a page at a time and the body pulls one chunk at a time, so neither end holds the
 * whole file and a slow client slows only the reads for it. `read` scope or a session that may read
 * the account (a granted trader, an operator or an auditor for any).
 */

const Query = z.object({
  account: z.coerce.number().int().min(0).optional(),
  from: TimeBound.optional().openapi({ description: "the statement's start (included), ISO 8601 or epoch ms; default the account's beginning", example: "2026-12-01T00:00:00Z" }),
  to: TimeBound.optional().openapi({ description: "its end (excluded); default now", example: "2027-01-01T00:00:00Z" }),
});

export function statementRoutes(id: IdentityParts, history: () => HistoryStore | null, exchange: ExchangeConfig): RouteModule {
  return (app: RestApp, deps: RouteDeps) => {
    const who = callerAuth(id, deps.signed);

    app.openapi(
      createRoute({
        method: "get",
        path: "/statement",
        tags: ["account"],
        summary: "The account's statement for a time range as CSV (RFC 4180), streamed",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { query: Query },
        responses: {
          200: {
            description: "text/csv with a header row; columns time, type, currency, amount, balance, symbol, side, quantity, price, liquidity, fee, order_id, trade_id, reference (docs/rest.md, Statements)",
            headers: { "Content-Disposition": { schema: { type: "string" }, description: 'attachment; filename="statement-<account>-<from>-<to>.csv"' } },
            content: { "text/csv": { schema: z.string() } },
          },
          ...errorResponses(400, 401, 403, 503),
        },
      }),
      (c) => {
        const q = c.req.valid("query");
        const account = accountFor(c.get("caller"), q.account, "read");
        const store = history();
        if (!store) throw new RestError(503, ErrorCode.HISTORY_UNAVAILABLE, "the history store is not available (disabled, or not answering yet): statements cannot be made now");
        const from = q.from ?? 0;
        const to = q.to ?? deps.clock() * 1000;
        if (to <= from) throw new RestError(400, ErrorCode.INVALID_INPUT, "to must be after from", [{ in: "query", field: "to", message: "must be after from" }]);
        const name = `statement-${account}-${day(from)}-${day(to)}.csv`;
        return new Response(csvBody(statementCsv(store, exchange, { account, from, to }), deps.log, account), {
          status: 200,
          headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}"`, "cache-control": "no-store" },
        }) as never;
      },
    );
  };
}

const day = (us: number) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 10);

/**
 * The statement's chunks as a byte stream, pulled as the client reads: one chunk in flight, never
 * the file. A store failure after the headers went out can no longer change the status: the
 * stream errors (the client sees a cut body, not a statement that looks whole) and the server logs it.
 */
export function csvBody(chunks: AsyncGenerator<string>, log: Logger, account: number): ReadableStream<Uint8Array> {
  const utf8 = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(ctl) {
        try {
          const n = await chunks.next();
          if (n.done) ctl.close();
          else ctl.enqueue(utf8.encode(n.value));
        } catch (err) {
          log.error("statement stream failed", { account, err });
          ctl.error(err);
        }
      },
      async cancel() {
        // The client went away: end the store's cursors.
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
