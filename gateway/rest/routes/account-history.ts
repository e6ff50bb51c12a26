import { createRoute, z } from "@hono/zod-openapi";
import { OrderType, TimeInForce } from "../../../engine/commands.ts";
import { formatPrice, formatQty, type Instrument } from "../../../engine/instrument.ts";
import { type CurrencySpec, formatAmount } from "../../../engine/money.ts";
import { reasonName } from "../../../engine/reasons.ts";
import type { HistoryStore, OrderView } from "../../../history/store.ts";
import { CashKind, type CashRow, type ExecutionRow, type OrderEventRow } from "../../../history/rows.ts";
import type { IdentityParts } from "../../auth/identity-parts.ts";
import { callerAuth } from "../caller-auth.ts";
import { ErrorCode, errorResponses, RestError } from "../errors.ts";
import type { RestApp, RouteDeps, RouteModule } from "../route-module.ts";
import { accountFor, ANY_CALLER, isoUs, json, TimeBound } from "./route-parts.ts";

/**
 * An account's history over REST from the history store (docs/history.md): orders with their
 * final or current state, one order with its audit trail and fills, executions and cash movements,
 * newest first, in keyset pages (`next` → `cursor`). As far as the store covers the journal: each
 * answer says how far (`historySeq`).
 */

const STATES = ["pending", "new", "partially_filled", "filled", "cancelled", "expired", "rejected", "pending_unknown"] as const;
const SIDES = ["buy", "sell"] as const;
const TYPES = { [OrderType.LIMIT]: "limit", [OrderType.MARKET]: "market", [OrderType.STOP]: "stop", [OrderType.STOP_LIMIT]: "stop_limit" } as Record<number, string>;
const TIFS = { [TimeInForce.GTC]: "gtc", [TimeInForce.IOC]: "ioc", [TimeInForce.FOK]: "fok", [TimeInForce.DAY]: "day", [TimeInForce.GTD]: "gtd" } as Record<number, string>;
const CASH_KINDS = { [CashKind.DEPOSIT]: "deposit", [CashKind.WITHDRAWAL]: "withdrawal", [CashKind.TRADE]: "trade", [CashKind.FEE]: "fee", [CashKind.FEE_INCOME]: "fee_income" } as Record<number, string>;

const Paging = {
  account: z.coerce.number().int().min(0).optional(),
  from: TimeBound.optional(),
  to: TimeBound.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
};

export function accountHistoryRoutes(id: IdentityParts, history: () => HistoryStore | null, instruments: readonly Instrument[], currencies: readonly CurrencySpec[]): RouteModule {
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
  const byId = new Map(instruments.map((i) => [i.id, i]));
  const cur = new Map(currencies.map((c) => [c.id, c]));

  function store(): HistoryStore {
    const s = history();
    if (!s) throw new RestError(503, "HISTORY_UNAVAILABLE", "the history store is not available (disabled, or not answering yet): history cannot be read now");
    return s;
  }

  function symbolId(symbol: string | undefined): number | undefined {
    if (symbol === undefined) return undefined;
    const inst = bySymbol.get(symbol);
    if (!inst) throw new RestError(404, "UNKNOWN_SYMBOL", `unknown symbol ${symbol}`);
    return inst.id;
  }

  const orderJson = (o: OrderView) => {
    const inst = byId.get(o.symbol)!;
    return {
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      symbol: inst.symbol,
      side: SIDES[o.side] ?? "buy",
      type: TYPES[o.orderType] ?? "limit",
      timeInForce: TIFS[o.tif] ?? "gtc",
      price: o.price > 0 ? formatPrice(inst, o.price) : null,
      stopPrice: o.stopPrice > 0 ? formatPrice(inst, o.stopPrice) : null,
      qty: formatQty(inst, o.qty),
      filledQty: formatQty(inst, o.filled),
      leavesQty: formatQty(inst, o.leaves),
      state: STATES[o.state] ?? "pending",
      submittedAt: isoUs(o.time),
      updatedAt: isoUs(o.updated),
    };
  };
  const fillJson = (e: ExecutionRow) => {
    const inst = byId.get(e.symbol)!;
    const c = cur.get(e.currency)!;
    return { tradeId: e.tradeId, orderId: e.orderId, symbol: inst.symbol, side: SIDES[e.side] ?? "buy", price: formatPrice(inst, e.price), qty: formatQty(inst, e.qty), liquidity: e.liquidity === 1 ? "maker" : "taker", notional: formatAmount(c, e.notional), fee: formatAmount(c, e.fee), feeCurrency: c.code, time: isoUs(e.time) };
  };
  const eventJson = (ev: OrderEventRow) => {
    const inst = byId.get(ev.symbol)!;
    return { time: isoUs(ev.time), from: STATES[ev.fromState] ?? "none", to: STATES[ev.toState] ?? "none", reason: reasonName(ev.reason), price: ev.price > 0 ? formatPrice(inst, ev.price) : null, qty: formatQty(inst, ev.qty), filledQty: formatQty(inst, ev.filled), leavesQty: formatQty(inst, ev.leaves), seq: ev.seq };
  };
  const cashJson = (r: CashRow) => {
    const c = cur.get(r.currency)!;
    return { time: isoUs(r.time), currency: c.code, kind: CASH_KINDS[r.kind] ?? String(r.kind), amount: formatAmount(c, r.amount), balance: formatAmount(c, r.balance), tradeId: r.tradeId === 0 ? null : r.tradeId, destination: r.ref === "" ? null : r.ref, seq: r.seq };
  };
  const progress = async (s: HistoryStore) => (await s.progress()).seq;
  /** A page read; the store's refusal of a query (a cursor it did not give) is the caller's 400. */
  async function listing<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (e) {
      if (e instanceof RangeError) throw new RestError(400, ErrorCode.INVALID_INPUT, e.message, [{ in: "query", field: "cursor", message: e.message }]);
      throw e;
    }
  }

  return (app: RestApp, deps: RouteDeps) => {
    const who = callerAuth(id, deps.signed);
    const page = <T extends z.ZodType>(name: string, item: T) => z.object({ historySeq: z.number().int(), [name]: z.array(item), next: z.string().nullable() });

    app.openapi(
      createRoute({
        method: "get",
        path: "/order-history",
        tags: ["history"],
        summary: "The account's orders, newest first, with their state (from the history store)",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { query: z.object({ ...Paging, symbol: z.string().max(32).optional(), state: z.enum(["open", "closed"]).optional() }) },
        responses: { 200: json(page("orders", z.record(z.string(), z.unknown()))), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const account = accountFor(c.get("caller"), q.account, "read");
        const s = store();
        const historySeq = await progress(s);
        const p = await listing(() => s.orders({ account, ...(q.symbol ? { symbol: symbolId(q.symbol) } : {}), ...(q.state ? { state: q.state } : {}), ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}), ...(q.cursor ? { cursor: q.cursor } : {}), limit: q.limit }));
        return c.json({ historySeq, orders: p.rows.map(orderJson), next: p.next }, 200);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/orders/{orderId}/trail",
        tags: ["history"],
        summary: "One order with its audit trail (every state change, who and why) and its fills",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { params: z.object({ orderId: z.coerce.number().int().min(1).openapi({ param: { name: "orderId", in: "path" }, example: 1 }) }), query: z.object({ account: Paging.account }) },
        responses: { 200: json(z.record(z.string(), z.unknown())), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const account = accountFor(c.get("caller"), c.req.valid("query").account, "read");
        const s = store();
        const historySeq = await progress(s);
        const r = await s.order(c.req.valid("param").orderId);
        // Another account's order is as unknown as one that never was.
        if (!r || r.order.account !== account) throw new RestError(404, "UNKNOWN_ORDER", "no such order for this account in the history store (yet)");
        return c.json({ historySeq, order: orderJson(r.order), trail: r.trail.map(eventJson), fills: r.executions.map(fillJson) }, 200);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/executions",
        tags: ["history"],
        summary: "The account's fills, newest first, with liquidity, notional and fee",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { query: z.object({ ...Paging, symbol: z.string().max(32).optional(), orderId: z.coerce.number().int().min(1).optional() }) },
        responses: { 200: json(page("executions", z.record(z.string(), z.unknown()))), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const account = accountFor(c.get("caller"), q.account, "read");
        const s = store();
        const historySeq = await progress(s);
        const p = await listing(() => s.executions({ account, ...(q.symbol ? { symbol: symbolId(q.symbol) } : {}), ...(q.orderId ? { orderId: q.orderId } : {}), ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}), ...(q.cursor ? { cursor: q.cursor } : {}), limit: q.limit }));
        return c.json({ historySeq, executions: p.rows.map(fillJson), next: p.next }, 200);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/cash-movements",
        tags: ["history"],
        summary: "The account's cash movements (deposits, withdrawals, trades, fees), newest first, each with the balance after it",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { query: z.object({ ...Paging, currency: z.string().max(16).optional() }) },
        responses: { 200: json(page("movements", z.record(z.string(), z.unknown()))), ...errorResponses(400, 401, 403, 503) },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const account = accountFor(c.get("caller"), q.account, "read");
        const currency = q.currency === undefined ? undefined : currencies.find((x) => x.code === q.currency)?.id;
        if (q.currency !== undefined && currency === undefined) throw new RestError(400, "UNKNOWN_CURRENCY", `unknown currency ${q.currency}`);
        const s = store();
        const historySeq = await progress(s);
        const p = await listing(() => s.cash({ account, ...(currency !== undefined ? { currency } : {}), ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}), ...(q.cursor ? { cursor: q.cursor } : {}), limit: q.limit }));
        return c.json({ historySeq, movements: p.rows.map(cashJson), next: p.next }, 200);
      },
    );
  };
}
