import { ALL_SYMBOLS } from "../engine/commands.ts";
import { reasonText } from "../engine/reasons.ts";
import type { OrderInfo } from "./order-book-keeping.ts";
import { type Fill, type OrderReports, type Request, RequestKind, UNAVAILABLE } from "./order-entry.ts";
import {
  encodeAck,
  encodeAmended,
  encodeCancelled,
  encodeError,
  encodeExecution,
  encodeMassCancelDone,
  encodeOrderStatus,
  encodeReject,
  encodeTriggered,
  ErrorCode,
  errorText,
  Liquidity,
  MessageType,
} from "./protocol/index.ts";
import type { Session } from "./session.ts";

/** The WebSocket message type each request kind arrived as (echoed in a REJECT). */
const REQUEST_TYPE: Record<number, number> = {
  [RequestKind.NEW_ORDER]: MessageType.NEW_ORDER,
  [RequestKind.CANCEL]: MessageType.CANCEL,
  [RequestKind.AMEND]: MessageType.AMEND,
  [RequestKind.MASS_CANCEL]: MessageType.MASS_CANCEL,
  [RequestKind.STATUS]: MessageType.ORDER_STATUS_REQUEST,
};

/** Order entry outcomes as binary frames on one WebSocket session (docs/protocol.md). */
export class WsReports implements OrderReports {
  constructor(private readonly s: Session) {}

  accepted(r: Request, o: OrderInfo, time: number): void {
    const s = this.s;
    const m = r.order!;
    s.send(encodeAck(s.w, { type: MessageType.ACK, seq: s.nextSeq(), requestId: r.requestId, symbol: o.symbol, orderId: o.orderId, time, side: o.side, orderType: o.orderType, tif: o.tif, stp: m.stp, flags: m.flags, price: o.price, stopPrice: o.stopPrice, qty: o.qty, leaves: o.leaves, expireTime: m.expireTime, clientOrderId: o.clientOrderId }));
  }

  rejected(r: Request, orderId: number, reason: number): void {
    const s = this.s;
    const type = REQUEST_TYPE[r.kind]!;
    if (reason === UNAVAILABLE) {
      s.send(encodeError(s.w, { type: MessageType.ERROR, seq: s.nextSeq(), requestId: r.requestId, code: ErrorCode.UNAVAILABLE, reason: 0, messageType: type, text: errorText(ErrorCode.UNAVAILABLE) }));
      return;
    }
    s.send(encodeReject(s.w, { type: MessageType.REJECT, seq: s.nextSeq(), requestId: r.requestId, reason, requestType: type, symbol: r.symbol, orderId, time: 0, clientOrderId: r.clientOrderId, text: reasonText(reason) }));
  }

  /** A resent order is answered with its current state and reports here from now on (docs/protocol.md, idempotent retries). */
  duplicate(r: Request, o: OrderInfo): boolean {
    this.status(r, o);
    return true;
  }

  status(r: Request, o: OrderInfo): void {
    const s = this.s;
    s.send(
      encodeOrderStatus(s.w, {
        type: MessageType.ORDER_STATUS,
        seq: s.nextSeq(),
        requestId: r.requestId,
        symbol: o.symbol,
        orderId: o.orderId,
        submitTime: o.submitTime,
        side: o.side,
        orderType: o.orderType,
        tif: o.tif,
        state: o.state,
        price: o.price,
        stopPrice: o.stopPrice,
        qty: o.qty,
        filled: o.filled,
        leaves: o.leaves,
        clientOrderId: o.clientOrderId,
      }),
    );
  }

  filled(o: OrderInfo, f: Fill): void {
    const s = this.s;
    s.send(encodeExecution(s.w, { type: MessageType.EXECUTION, seq: s.nextSeq(), symbol: o.symbol, orderId: o.orderId, tradeId: f.tradeId, time: f.time, side: o.side, liquidity: f.taker ? Liquidity.TAKER : Liquidity.MAKER, state: o.state, price: f.price, qty: f.qty, leaves: o.leaves, cumQty: o.filled, clientOrderId: o.clientOrderId }));
  }

  cancelled(r: Request | undefined, o: OrderInfo, cancelledQty: number, reason: number, _expired: boolean, time: number): void {
    const s = this.s;
    s.send(encodeCancelled(s.w, { type: MessageType.CANCELLED, seq: s.nextSeq(), requestId: r?.requestId ?? 0, symbol: o.symbol, orderId: o.orderId, time, side: o.side, state: o.state, reason, price: o.price, cancelledQty, leaves: o.leaves, cumQty: o.filled, clientOrderId: o.clientOrderId }));
  }

  amended(r: Request | undefined, o: OrderInfo, keptPriority: boolean, oldPrice: number, oldQty: number, time: number): void {
    const s = this.s;
    s.send(encodeAmended(s.w, { type: MessageType.AMENDED, seq: s.nextSeq(), requestId: r?.requestId ?? 0, symbol: o.symbol, orderId: o.orderId, time, side: o.side, keptPriority, price: o.price, qty: o.qty, leaves: o.leaves, oldPrice, oldQty, clientOrderId: o.clientOrderId }));
  }

  triggered(o: OrderInfo, stopPrice: number, lastPrice: number, time: number): void {
    const s = this.s;
    s.send(encodeTriggered(s.w, { type: MessageType.TRIGGERED, seq: s.nextSeq(), symbol: o.symbol, orderId: o.orderId, time, side: o.side, orderType: o.orderType, stopPrice, lastPrice, leaves: o.leaves, clientOrderId: o.clientOrderId }));
  }

  massCancelDone(r: Request, cancelled: number, time: number): void {
    const s = this.s;
    s.send(encodeMassCancelDone(s.w, { type: MessageType.MASS_CANCEL_DONE, seq: s.nextSeq(), requestId: r.requestId, symbol: r.symbol === ALL_SYMBOLS ? ALL_SYMBOLS : r.symbol, cancelled, time }));
  }
}
