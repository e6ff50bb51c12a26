import type { Exchange } from "../engine/exchange.ts";
import { OrderState } from "../engine/orders.ts";
import type { OrderInfo } from "./order-book-keeping.ts";

/**
 * The open orders of a recovered exchange as the doors' read model holds them, so that after a
 * restart a client can still ask for an order's status, cancel it by its client order id, and (once
 * it claims it again: a resend, or a FIX logon of the same counterparty) hear its fills. They
 * belong to no session until then. Read on the engine's thread before any command runs.
 */
export function recoveredOrders(exchange: Exchange): OrderInfo[] {
  const out: OrderInfo[] = [];
  for (const v of exchange.book.openOrders()) {
    const o = exchange.open.get(v.orderId);
    // Σ price × qty in ticks × lots: the notional in quote units over the contract factor, exact.
    const notional = o?.market ? Number(o.filledNotional / o.market.k) : Number.NaN;
    out.push({
      orderId: v.orderId,
      account: v.account,
      symbol: v.symbol,
      side: v.side,
      orderType: v.orderType,
      tif: v.tif,
      clientOrderId: o?.clientOrderId ?? "",
      session: 0,
      submitTime: o?.submitTime ?? 0,
      state: o?.state ?? (v.filled > 0 ? OrderState.PARTIALLY_FILLED : OrderState.NEW),
      price: v.price,
      stopPrice: v.stopPrice,
      qty: v.qty,
      filled: v.filled,
      leaves: v.leaves,
      notional,
    });
  }
  return out;
}
