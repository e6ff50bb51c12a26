/**
 * The gateway's read model of orders stays bounded under traffic (issue 12): open orders are all
 * kept, done ones only the most recent `keepDone`, oldest leaving first with their client order
 * id. A retry of an older one is still answered with the existing order: the engine's idempotency
 * window sends its DUPLICATE, which the door answers from the event (order-entry.ts).
 */
import { describe, expect, test } from "bun:test";
import { OrderState } from "../../engine/orders.ts";
import { type OrderInfo, OrderBookkeeping } from "../../gateway/order-entry/order-book-keeping.ts";

function order(orderId: number, clientOrderId: string): OrderInfo {
  return { orderId, account: 7, symbol: 1, side: 0, orderType: 0, tif: 1, clientOrderId, session: 3, submitTime: orderId, state: OrderState.NEW, price: 100, stopPrice: 0, qty: 1, filled: 0, leaves: 1, notional: 0 };
}

describe("the gateway's order read model", () => {
  test("keeps every open order and only the last keepDone done ones, forgetting their client ids", () => {
    const b = new OrderBookkeeping(1_000);
    const resting = order(1, "resting");
    b.add(resting);
    for (let i = 2; i <= 5_001; i++) {
      const o = order(i, `c-${i}`);
      b.add(o);
      o.state = OrderState.CANCELLED;
      o.leaves = 0;
      b.finished(o);
    }
    expect(b.get(1)).toBe(resting);
    expect(b.byClient(7, "resting")).toBe(resting);
    expect(b.openOf(3)).toEqual([resting]);
    // The last 1,000 done orders, and nothing before them.
    expect(b.get(4_002)?.clientOrderId).toBe("c-4002");
    expect(b.byClient(7, "c-4002")?.orderId).toBe(4_002);
    expect(b.get(4_001)).toBeUndefined();
    expect(b.byClient(7, "c-4001")).toBeUndefined();
    expect(b.byClient(7, "c-2")).toBeUndefined();
  });
});
