import { createRoute, z } from "@hono/zod-openapi";
import Decimal from "decimal.js";
import { ALL_SYMBOLS, Flags, OrderType, Side, StpMode, TimeInForce } from "../../../engine/commands.ts";
import { formatPrice, formatQty, type Instrument, parsePrice, parseQty } from "../../../engine/instrument.ts";
import { Reason, reasonName, reasonText } from "../../../engine/reasons.ts";
import type { IdentityParts } from "../../auth/identity-parts.ts";
import type { OrderInfo } from "../../order-entry/order-book-keeping.ts";
import { ENGINE_STOPPED, SHUTTING_DOWN, UNAVAILABLE } from "../../order-entry/order-entry-types.ts";
import { callerAuth } from "../caller-auth.ts";
import { ErrorCode, errorResponses, RestError, retryAfter } from "../errors.ts";
import type { OrderAnswer, RestOrderDesk } from "../rest-orders.ts";
import type { RestApp, RouteDeps, RouteModule } from "../route-module.ts";
import { accountFor, ANY_CALLER, body, json } from "./route-parts.ts";

/**
 * Orders over REST (docs/rest.md, Orders): place, cancel, amend (cancel-replace), mass-cancel, list open, one order's
 * status — through the order entry every door shares (gateway/rest/rest-orders.ts), with the same
 * checks and reasons. Prices and quantities are decimal strings on the instrument's grid (off it is
 * refused, never rounded). A key acts for its account within its scopes; a trader's session for a
 * granted account (`account` names it when the trader has several); operators and auditors read.
 */

const SIDES = { buy: Side.BUY, sell: Side.SELL } as const;
const TYPES = { limit: OrderType.LIMIT, market: OrderType.MARKET, stop: OrderType.STOP, stop_limit: OrderType.STOP_LIMIT } as const;
const TIFS = { gtc: TimeInForce.GTC, ioc: TimeInForce.IOC, fok: TimeInForce.FOK, day: TimeInForce.DAY, gtd: TimeInForce.GTD } as const;
const STPS = { cancel_newest: StpMode.CANCEL_NEWEST, cancel_oldest: StpMode.CANCEL_OLDEST, cancel_both: StpMode.CANCEL_BOTH, decrement_and_cancel: StpMode.DECREMENT_AND_CANCEL, none: StpMode.NONE } as const;
const STATES = ["pending", "new", "partially_filled", "filled", "cancelled", "expired", "rejected", "pending_unknown"] as const;
const nameOf = <T extends Record<string, number>>(table: T, code: number) => (Object.keys(table) as (keyof T & string)[]).find((k) => table[k] === code)!;

const Decimal_ = z.string().min(1).max(40).openapi({ example: "60000.5" });
const NewOrder = z
  .object({
    account: z.number().int().min(0).optional().openapi({ description: "a trader's session: which granted account (needed when it has several); a key: its own, or omitted" }),
    symbol: z.string().min(1).max(32).openapi({ example: "BTC-USD" }),
    side: z.enum(["buy", "sell"]),
    type: z.enum(["limit", "market", "stop", "stop_limit"]).default("limit"),
    timeInForce: z.enum(["gtc", "ioc", "fok", "day", "gtd"]).optional().openapi({ description: "default gtc, ioc for market orders" }),
    price: Decimal_.optional(),
    stopPrice: Decimal_.optional(),
    qty: Decimal_,
    clientOrderId: z.string().min(1).max(36).optional().openapi({ description: "1–36 printable ASCII; a repeat within the idempotency window answers 409 with the order it names" }),
    postOnly: z.boolean().optional(),
    selfTrade: z.enum(["cancel_newest", "cancel_oldest", "cancel_both", "decrement_and_cancel", "none"]).optional(),
    expireTime: z.string().datetime().optional().openapi({ description: "good-till-date expiry (timeInForce gtd), ISO 8601" }),
  })
  .openapi("NewOrder");

const Order = z
  .object({
    orderId: z.number().int(),
    clientOrderId: z.string(),
    account: z.number().int(),
    symbol: z.string(),
    side: z.enum(["buy", "sell"]),
    type: z.enum(["limit", "market", "stop", "stop_limit"]),
    timeInForce: z.enum(["gtc", "ioc", "fok", "day", "gtd"]),
    price: z.string().nullable(),
    stopPrice: z.string().nullable(),
    qty: z.string(),
    filledQty: z.string(),
    leavesQty: z.string(),
    averagePrice: z.string().nullable(),
    state: z.enum(STATES),
    submittedAt: z.string().nullable(),
  })
  .openapi("Order");

const Amend = z
  .object({
    price: Decimal_.optional().openapi({ description: "the new limit price; omitted keeps the order's" }),
    stopPrice: Decimal_.optional().openapi({ description: "the new trigger price of a stop not yet triggered; omitted keeps the order's" }),
    qty: Decimal_.optional().openapi({ description: "the new total quantity (filled included); omitted keeps the order's" }),
  })
  .refine((a) => a.price !== undefined || a.stopPrice !== undefined || a.qty !== undefined, { message: "give price, stopPrice or qty" })
  .openapi("AmendOrder");

const AccountQuery = z.object({ account: z.coerce.number().int().min(0).optional() });
const OrderParam = z.object({ orderId: z.coerce.number().int().min(1).openapi({ param: { name: "orderId", in: "path" }, example: 1 }) });

export function orderRoutes(id: IdentityParts, desk: () => RestOrderDesk, instruments: readonly Instrument[]): RouteModule {
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
  const byId = new Map(instruments.map((i) => [i.id, i]));

  function orderJson(o: OrderInfo) {
    const inst = byId.get(o.symbol)!;
    const priced = o.orderType === OrderType.LIMIT || o.orderType === OrderType.STOP_LIMIT;
    const stopped = o.orderType === OrderType.STOP || o.orderType === OrderType.STOP_LIMIT;
    // The notional is in ticks × lots: the average price is notional ÷ lots, in ticks, as a decimal of the tick.
    const average = o.filled > 0 && Number.isFinite(o.notional) ? inst.tick.mul(new Decimal(o.notional).div(o.filled)).toString() : null;
    return {
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      account: o.account,
      symbol: inst.symbol,
      side: nameOf(SIDES, o.side),
      type: nameOf(TYPES, o.orderType),
      timeInForce: nameOf(TIFS, o.tif),
      price: priced && o.price > 0 ? formatPrice(inst, o.price) : null,
      stopPrice: stopped && o.stopPrice > 0 ? formatPrice(inst, o.stopPrice) : null,
      qty: formatQty(inst, o.qty),
      filledQty: formatQty(inst, o.filled),
      leavesQty: formatQty(inst, o.leaves),
      averagePrice: average,
      state: STATES[o.state] ?? "pending",
      submittedAt: o.submitTime > 0 ? new Date(Math.floor(o.submitTime / 1000)).toISOString() : null,
    };
  }

  function refused(reason: number): never {
    if (reason === SHUTTING_DOWN) throw new RestError(503, ErrorCode.SHUTTING_DOWN, "the exchange is shutting down: the request was not taken; send it again once the exchange is back", undefined, retryAfter(5_000));
    if (reason === UNAVAILABLE || reason === ENGINE_STOPPED) throw new RestError(503, ErrorCode.ENGINE_STOPPED, reason === ENGINE_STOPPED ? "engine stopped: outcome unknown; query the order, or resend it with the same clientOrderId (never a second order)" : "the engine is not running");
    if (reason === Reason.UNKNOWN_ORDER) throw new RestError(404, reasonName(reason), reasonText(reason));
    if (reason === Reason.RATE_LIMITED) throw new RestError(429, reasonName(reason), reasonText(reason), undefined, retryAfter(1_000));
    throw new RestError(400, reasonName(reason), reasonText(reason));
  }

  /** The order an answer names, or its refusal thrown as the door's error. */
  function orderOf(a: OrderAnswer): OrderInfo {
    if (a.kind === "rejected") refused(a.reason);
    if (a.kind === "duplicate") throw new RestError(409, "DUPLICATE_CLIENT_ORDER_ID", "this clientOrderId already names an order; no second order was made", { order: orderJson(a.order) });
    if (a.kind === "mass-cancelled") throw new RestError(500, ErrorCode.INTERNAL, "internal error");
    return a.order;
  }

  return (app: RestApp, deps: RouteDeps) => {
    const who = callerAuth(id, deps.signed);

    app.openapi(
      createRoute({
        method: "post",
        path: "/orders",
        tags: ["orders"],
        summary: "Place an order: answered once it is journaled (accepted, possibly already filled) or refused with the engine's reason",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: body(NewOrder),
        responses: { 201: json(Order, "Accepted"), ...errorResponses(400, 401, 403, 409, 429, 503) },
      }),
      async (c) => {
        const b = c.req.valid("json");
        const account = accountFor(c.get("caller"), b.account, "trade");
        const inst = bySymbol.get(b.symbol);
        if (!inst) refused(Reason.UNKNOWN_SYMBOL);
        const type = TYPES[b.type];
        const price = b.price === undefined ? { ok: true as const, value: 0 } : parsePrice(inst, b.price);
        if (!price.ok) refused(price.reason);
        const stop = b.stopPrice === undefined ? { ok: true as const, value: 0 } : parsePrice(inst, b.stopPrice);
        if (!stop.ok) refused(stop.reason);
        const qty = parseQty(inst, b.qty);
        if (!qty.ok) refused(qty.reason);
        const tif = TIFS[b.timeInForce ?? (type === OrderType.MARKET ? "ioc" : "gtc")];
        const a = await desk().newOrder(account, {
          symbol: inst.id,
          side: SIDES[b.side],
          orderType: type,
          tif,
          stp: STPS[b.selfTrade ?? "cancel_newest"],
          flags: b.postOnly ? Flags.POST_ONLY : 0,
          price: price.value,
          stopPrice: stop.value,
          qty: qty.value,
          expireTime: b.expireTime ? Date.parse(b.expireTime) * 1000 : 0,
          clientOrderId: b.clientOrderId ?? "",
        });
        return c.json(orderJson(orderOf(a)), 201);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/orders",
        tags: ["orders"],
        summary: "The account's open orders, oldest first",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { query: AccountQuery.extend({ symbol: z.string().max(32).optional() }) },
        responses: { 200: json(z.object({ orders: z.array(Order) })), ...errorResponses(400, 401, 403) },
      }),
      (c) => {
        const q = c.req.valid("query");
        const account = accountFor(c.get("caller"), q.account, "read");
        const sym = q.symbol === undefined ? undefined : bySymbol.get(q.symbol)?.id ?? -2;
        return c.json({ orders: desk().open(account).filter((o) => sym === undefined || o.symbol === sym).map(orderJson) }, 200);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: "/orders/{orderId}",
        tags: ["orders"],
        summary: "One order, open or finished (finished ones from the history store when the doors have let them go)",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { params: OrderParam, query: AccountQuery },
        responses: { 200: json(Order), ...errorResponses(400, 401, 403, 404) },
      }),
      async (c) => {
        const account = accountFor(c.get("caller"), c.req.valid("query").account, "read");
        return c.json(orderJson(orderOf(await desk().status(account, c.req.valid("param").orderId, ""))), 200);
      },
    );

    app.openapi(
      createRoute({
        method: "delete",
        path: "/orders/{orderId}",
        tags: ["orders"],
        summary: "Cancel an open order",
        description: "200 with the cancelled order; 202 with the order as it is when it is routed to an external venue and the cancel was sent there (the venue's answer ends it: GET /orders/{orderId}).",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { params: OrderParam, query: AccountQuery },
        responses: { 200: json(Order), 202: json(Order), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const account = accountFor(c.get("caller"), c.req.valid("query").account, "trade");
        const orderId = c.req.valid("param").orderId;
        const o = desk().open(account).find((x) => x.orderId === orderId);
        if (!o) refused(Reason.UNKNOWN_ORDER);
        const a = await desk().cancel(account, o.symbol, orderId, "");
        if (a.kind === "cancel-pending") return c.json(orderJson(a.order), 202);
        return c.json(orderJson(orderOf(a)), 200);
      },
    );

    app.openapi(
      createRoute({
        method: "patch",
        path: "/orders/{orderId}",
        tags: ["orders"],
        summary: "Cancel-replace an open order in place (the engine's AMEND): a new price, trigger or total quantity; it keeps its queue place only when the price is unchanged and the quantity not raised",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { params: OrderParam, query: AccountQuery, ...body(Amend) },
        responses: { 200: json(Order, "Amended"), ...errorResponses(400, 401, 403, 404, 429, 503) },
      }),
      async (c) => {
        const account = accountFor(c.get("caller"), c.req.valid("query").account, "trade");
        const orderId = c.req.valid("param").orderId;
        const b = c.req.valid("json");
        const o = desk().open(account).find((x) => x.orderId === orderId);
        if (!o) refused(Reason.UNKNOWN_ORDER);
        const inst = byId.get(o.symbol)!;
        const price = b.price === undefined ? { ok: true as const, value: 0 } : parsePrice(inst, b.price);
        if (!price.ok) refused(price.reason);
        const stop = b.stopPrice === undefined ? { ok: true as const, value: 0 } : parsePrice(inst, b.stopPrice);
        if (!stop.ok) refused(stop.reason);
        const qty = b.qty === undefined ? { ok: true as const, value: o.qty } : parseQty(inst, b.qty);
        if (!qty.ok) refused(qty.reason);
        return c.json(orderJson(orderOf(await desk().amend(account, o.symbol, orderId, price.value, stop.value, qty.value))), 200);
      },
    );

    app.openapi(
      createRoute({
        method: "delete",
        path: "/orders",
        tags: ["orders"],
        summary: "Cancel every open order of the account, or of one symbol",
        security: ANY_CALLER,
        middleware: [who] as const,
        request: { query: AccountQuery.extend({ symbol: z.string().max(32).optional() }) },
        responses: { 200: json(z.object({ cancelled: z.number().int() })), ...errorResponses(400, 401, 403, 503) },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const account = accountFor(c.get("caller"), q.account, "trade");
        const inst = q.symbol === undefined ? undefined : bySymbol.get(q.symbol);
        if (q.symbol !== undefined && !inst) refused(Reason.UNKNOWN_SYMBOL);
        const a = await desk().massCancel(account, inst?.id ?? ALL_SYMBOLS);
        if (a.kind !== "mass-cancelled") orderOf(a);
        return c.json({ cancelled: a.kind === "mass-cancelled" ? a.count : 0 }, 200);
      },
    );
  };
}
