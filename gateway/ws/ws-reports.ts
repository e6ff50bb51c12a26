import { ALL_SYMBOLS } from "../../engine/commands.ts";
import { reasonText } from "../../engine/reasons.ts";
import type { OrderInfo } from "../order-entry/order-book-keeping.ts";
import { ENGINE_STOPPED, type Fill, type OrderReports, type Request, RequestKind, SHUTTING_DOWN, UNAVAILABLE } from "../order-entry/order-entry-types.ts";
import {
  type Ack,
  type Amended,
  type Cancelled,
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
  type ErrorMessage,
  errorText,
  type Execution,
  type FrameWriter,
  Liquidity,
  type MassCancelDone,
  MessageType,
  type OrderStatus,
  type Reject,
  type Triggered,
} from "../../protocol/index.ts";

/** The WebSocket message type each request kind arrived as (echoed in a REJECT). */
const REQUEST_TYPE: Record<number, number> = {
  [RequestKind.NEW_ORDER]: MessageType.NEW_ORDER,
  [RequestKind.CANCEL]: MessageType.CANCEL,
  [RequestKind.AMEND]: MessageType.AMEND,
  [RequestKind.MASS_CANCEL]: MessageType.MASS_CANCEL,
  [RequestKind.STATUS]: MessageType.ORDER_STATUS_REQUEST,
};

// One message object per type, refilled for each report: the encoders take a message object and
// keep nothing, and an object literal per report was garbage on every order. Encoding is
// synchronous, so every session can share them.
const ack: Ack = { type: MessageType.ACK, seq: 0, requestId: 0, symbol: 0, orderId: 0, time: 0, side: 0, orderType: 0, tif: 0, stp: 0, flags: 0, price: 0, stopPrice: 0, qty: 0, leaves: 0, expireTime: 0, clientOrderId: "" };
const reject: Reject = { type: MessageType.REJECT, seq: 0, requestId: 0, reason: 0, requestType: 0, symbol: 0, orderId: 0, time: 0, clientOrderId: "", text: "" };
const error: ErrorMessage = { type: MessageType.ERROR, seq: 0, requestId: 0, code: 0, reason: 0, messageType: 0, text: "" };
const status: OrderStatus = { type: MessageType.ORDER_STATUS, seq: 0, requestId: 0, symbol: 0, orderId: 0, submitTime: 0, side: 0, orderType: 0, tif: 0, state: 0, price: 0, stopPrice: 0, qty: 0, filled: 0, leaves: 0, clientOrderId: "" };
const execution: Execution = { type: MessageType.EXECUTION, seq: 0, symbol: 0, orderId: 0, tradeId: 0, time: 0, side: 0, liquidity: 0, state: 0, price: 0, qty: 0, leaves: 0, cumQty: 0, clientOrderId: "" };
const cancelled: Cancelled = { type: MessageType.CANCELLED, seq: 0, requestId: 0, symbol: 0, orderId: 0, time: 0, side: 0, state: 0, reason: 0, price: 0, cancelledQty: 0, leaves: 0, cumQty: 0, clientOrderId: "" };
const amended: Amended = { type: MessageType.AMENDED, seq: 0, requestId: 0, symbol: 0, orderId: 0, time: 0, side: 0, keptPriority: false, price: 0, qty: 0, leaves: 0, oldPrice: 0, oldQty: 0, clientOrderId: "" };
const triggered: Triggered = { type: MessageType.TRIGGERED, seq: 0, symbol: 0, orderId: 0, time: 0, side: 0, orderType: 0, stopPrice: 0, lastPrice: 0, leaves: 0, clientOrderId: "" };
const massCancelDone: MassCancelDone = { type: MessageType.MASS_CANCEL_DONE, seq: 0, requestId: 0, symbol: 0, cancelled: 0, time: 0 };

/** The fields every report about one order carries (each report message names them as an ACK does). */
type OrderMessage = Pick<Ack, "seq" | "symbol" | "orderId" | "side" | "leaves" | "clientOrderId">;

/** Stamps the next sequence number and the order's own fields on a report message; the caller adds the rest. */
function forOrder<M extends OrderMessage>(m: M, s: ReportTarget, o: OrderInfo): M {
  m.seq = s.nextSeq();
  m.symbol = o.symbol;
  m.orderId = o.orderId;
  m.side = o.side;
  m.leaves = o.leaves;
  m.clientOrderId = o.clientOrderId;
  return m;
}

/** forOrder for a report that answers a request (none: the engine acted on its own), at `time`. */
function forRequest<M extends OrderMessage & Pick<Ack, "requestId" | "time">>(m: M, s: ReportTarget, o: OrderInfo, r: Request | undefined, time: number): M {
  forOrder(m, s, o);
  m.requestId = r?.requestId ?? 0;
  m.time = time;
  return m;
}

/** The order's terms as it was accepted (an ACK and an ORDER_STATUS carry them). */
function withTerms<M extends Pick<Ack, "orderType" | "tif" | "price" | "stopPrice" | "qty">>(m: M, o: OrderInfo): M {
  m.orderType = o.orderType;
  m.tif = o.tif;
  m.price = o.price;
  m.stopPrice = o.stopPrice;
  m.qty = o.qty;
  return m;
}

/** The text of the UNAVAILABLE error that answers a request in flight when the engine stopped (docs/protocol.md). */
export const ENGINE_STOPPED_TEXT = "engine stopped: outcome unknown until the exchange restarts; then query it (a resend with the same client order id is safe)";

/** The text of the UNAVAILABLE error that answers a request sent after a graceful stop began (docs/protocol.md). */
export const SHUTTING_DOWN_TEXT = "the exchange is shutting down: the request was not taken; send it again once the exchange is back";

/** What the reports write to: one WebSocket session's frame writer, sequence numbers and send. */
export interface ReportTarget {
  readonly w: FrameWriter;
  nextSeq(): number;
  send(length: number): void;
}

/** Order entry outcomes as binary frames on one WebSocket session (docs/protocol.md). */
export class WsReports implements OrderReports {
  constructor(private readonly s: ReportTarget) {}

  accepted(r: Request, o: OrderInfo, time: number): void {
    const s = this.s;
    const n = r.order!;
    const m = withTerms(forRequest(ack, s, o, r, time), o);
    m.stp = n.stp;
    m.flags = n.flags;
    m.expireTime = n.expireTime;
    s.send(encodeAck(s.w, m));
  }

  rejected(r: Request, orderId: number, reason: number): void {
    const s = this.s;
    const type = REQUEST_TYPE[r.kind]!;
    if (reason === UNAVAILABLE || reason === ENGINE_STOPPED || reason === SHUTTING_DOWN) {
      const e = error;
      e.seq = s.nextSeq();
      e.requestId = r.requestId;
      e.code = ErrorCode.UNAVAILABLE;
      e.reason = 0;
      e.messageType = type;
      e.text = reason === ENGINE_STOPPED ? ENGINE_STOPPED_TEXT : reason === SHUTTING_DOWN ? SHUTTING_DOWN_TEXT : errorText(ErrorCode.UNAVAILABLE);
      s.send(encodeError(s.w, e));
      return;
    }
    const m = reject;
    m.seq = s.nextSeq();
    m.requestId = r.requestId;
    m.reason = reason;
    m.requestType = type;
    m.symbol = r.symbol;
    m.orderId = orderId;
    m.time = 0;
    m.clientOrderId = r.clientOrderId;
    m.text = reasonText(reason);
    s.send(encodeReject(s.w, m));
  }

  /** A resent order is answered with its current state and reports here from now on (docs/protocol.md, idempotent retries). */
  duplicate(r: Request, o: OrderInfo): boolean {
    this.status(r, o);
    return true;
  }

  status(r: Request, o: OrderInfo): void {
    this.sendStatus(r.requestId, o);
  }

  private sendStatus(requestId: number, o: OrderInfo): void {
    const s = this.s;
    const m = withTerms(forOrder(status, s, o), o);
    m.requestId = requestId;
    m.submitTime = o.submitTime;
    m.state = o.state;
    m.filled = o.filled;
    s.send(encodeOrderStatus(s.w, m));
  }

  filled(o: OrderInfo, f: Fill): void {
    const s = this.s;
    const m = forOrder(execution, s, o);
    m.tradeId = f.tradeId;
    m.time = f.time;
    m.liquidity = f.taker ? Liquidity.TAKER : Liquidity.MAKER;
    m.state = o.state;
    m.price = f.price;
    m.qty = f.qty;
    m.cumQty = o.filled;
    s.send(encodeExecution(s.w, m));
  }

  cancelled(r: Request | undefined, o: OrderInfo, cancelledQty: number, reason: number, _expired: boolean, time: number): void {
    const s = this.s;
    const m = forRequest(cancelled, s, o, r, time);
    m.state = o.state;
    m.reason = reason;
    m.price = o.price;
    m.cancelledQty = cancelledQty;
    m.cumQty = o.filled;
    s.send(encodeCancelled(s.w, m));
  }

  amended(r: Request | undefined, o: OrderInfo, keptPriority: boolean, oldPrice: number, oldQty: number, time: number): void {
    const s = this.s;
    const m = forRequest(amended, s, o, r, time);
    m.keptPriority = keptPriority;
    m.price = o.price;
    m.qty = o.qty;
    m.oldPrice = oldPrice;
    m.oldQty = oldQty;
    s.send(encodeAmended(s.w, m));
  }

  /** A routed order's cancel went to its venue: the cancel is answered with the order's status; the venue's CANCELLED (or a refusal) follows unsolicited. */
  pendingCancel(r: Request, o: OrderInfo): void {
    this.status(r, o);
  }

  /** A routed order's state changed on its venue's word: an unsolicited ORDER_STATUS (requestId 0). */
  stateChanged(o: OrderInfo): void {
    this.sendStatus(0, o);
  }

  triggered(o: OrderInfo, stopPrice: number, lastPrice: number, time: number): void {
    const s = this.s;
    const m = forOrder(triggered, s, o);
    m.time = time;
    m.orderType = o.orderType;
    m.stopPrice = stopPrice;
    m.lastPrice = lastPrice;
    s.send(encodeTriggered(s.w, m));
  }

  massCancelDone(r: Request, count: number, time: number): void {
    const s = this.s;
    const m = massCancelDone;
    m.seq = s.nextSeq();
    m.requestId = r.requestId;
    m.symbol = r.symbol === ALL_SYMBOLS ? ALL_SYMBOLS : r.symbol;
    m.cancelled = count;
    m.time = time;
    s.send(encodeMassCancelDone(s.w, m));
  }
}
