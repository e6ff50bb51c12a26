/**
 * Where order entry looks up an order its read model no longer holds: one that finished long ago,
 * or before a restart. The history store has every order with its state now, so a status request
 * for it is answered (FILLED, CANCELLED, …) instead of UNKNOWN_ORDER.
 */
import type { HistoryStore, OrderRecord } from "../../history/store.ts";
import type { OrderInfo } from "./order-book-keeping.ts";

export interface OrderHistory {
  /** The account's order by id (0: by client order id instead); undefined when it is not the account's or not there. */
  find(account: number, orderId: number, clientOrderId: string): Promise<OrderInfo | undefined>;
}

export function orderHistory(store: HistoryStore): OrderHistory {
  return {
    async find(account, orderId, clientOrderId) {
      const rec = orderId !== 0 ? await store.order(orderId) : await store.orderByClientId(account, clientOrderId);
      // Another account's order is answered as if it did not exist: an id tells nobody what is not theirs.
      return rec && rec.order.account === account ? toInfo(rec) : undefined;
    },
  };
}

function toInfo(r: OrderRecord): OrderInfo {
  const o = r.order;
  return {
    orderId: o.orderId, account: o.account, symbol: o.symbol, side: o.side, orderType: o.orderType, tif: o.tif, price: o.price, stopPrice: o.stopPrice,
    qty: o.qty, filled: o.filled, leaves: o.leaves, clientOrderId: o.clientOrderId, submitTime: o.time, state: o.state,
    notional: r.executions.reduce((n, e) => n + e.price * e.qty, 0),
    session: 0,
  };
}
