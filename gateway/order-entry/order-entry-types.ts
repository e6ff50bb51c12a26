import type { OrderInfo } from "./order-book-keeping.ts";

// The contract between order entry and its doors: what a door asks for and how it is answered.
// Apart from OrderEntry itself so the pieces order entry is built from (the pending-request pool)
// can name these types without importing the class that owns them.

/** What a door asked for; the door's reports say which request they answer. */
export const RequestKind = {
  NEW_ORDER: 1,
  CANCEL: 2,
  AMEND: 3,
  MASS_CANCEL: 4,
  STATUS: 5,
} as const;

/** A new order in engine units (ticks, lots, µs), whichever protocol it came in. */
export interface NewOrderRequest {
  symbol: number;
  side: number;
  orderType: number;
  tif: number;
  stp: number;
  flags: number;
  price: number;
  stopPrice: number;
  qty: number;
  expireTime: number;
  clientOrderId: string;
}

/** A request in flight: who asked, so the delivered events can answer them. */
export interface Request {
  kind: number;
  /** The door's own handle for the request (echoed to a WebSocket client; a FIX door's lookup key). */
  requestId: number;
  symbol: number;
  orderId: number;
  clientOrderId: string;
  /** NEW_ORDER only. */
  order?: NewOrderRequest;
}

/** Engine unavailable (stopped after a failure): the door answers in its own "try later" form. */
export const UNAVAILABLE = -1;

/**
 * The engine stopped while the request was in flight: it may or may not be in the journal (a
 * batch written before a failed fdatasync can be on disk), so its outcome is unknown until the
 * exchange restarts and recovers. The door says so; a resend with the same client order id is safe.
 */
export const ENGINE_STOPPED = -2;

/**
 * The exchange is stopping for maintenance (a graceful stop, app/exchange.ts): a request that
 * arrives after the stop began never reaches the engine, so nothing of it exists; the door says
 * so and the client sends it again once the exchange is back.
 */
export const SHUTTING_DOWN = -3;

export interface Fill {
  tradeId: number;
  price: number;
  qty: number;
  /** The order took liquidity (else it was resting: the maker). */
  taker: boolean;
  time: number;
}

/**
 * How a door turns outcomes into its protocol's messages. The order entry core decides what
 * happened and to whom; each door only says it (binary frames, FIX ExecutionReports, …).
 */
export interface OrderReports {
  accepted(r: Request, o: OrderInfo, time: number): void;
  /** `reason` is a Reason code, UNAVAILABLE or ENGINE_STOPPED. */
  rejected(r: Request, orderId: number, reason: number): void;
  /**
   * A NEW_ORDER whose client order id already names an order: no second order was made. Returns
   * true if the session takes the order over (a resend after a reconnect: its reports come here
   * from now on), false if it only refuses the repeat.
   */
  duplicate(r: Request, o: OrderInfo): boolean;
  status(r: Request, o: OrderInfo): void;
  filled(o: OrderInfo, f: Fill): void;
  /** `r` is set when this answers the session's own cancel or mass cancel. */
  cancelled(r: Request | undefined, o: OrderInfo, cancelledQty: number, reason: number, expired: boolean, time: number): void;
  amended(r: Request | undefined, o: OrderInfo, keptPriority: boolean, oldPrice: number, oldQty: number, time: number): void;
  triggered(o: OrderInfo, stopPrice: number, lastPrice: number, time: number): void;
  massCancelDone(r: Request, cancelled: number, time: number): void;
  /**
   * A routed order's cancel was sent to its venue (docs/venues.md): the venue's answer ends the
   * order (`cancelled`) or refuses (`stateChanged` with VENUE_CANCEL_REFUSED) later.
   */
  pendingCancel(r: Request, o: OrderInfo, time: number): void;
  /**
   * A routed order's state changed on the venue's word with no fill or cancel to report it: the
   * venue accepted it (NEW), the link dropped (PENDING_UNKNOWN, VENUE_STATUS_UNKNOWN), the venue's
   * answer resolved it, or it refused a cancel (VENUE_CANCEL_REFUSED). `o.state` is the new state.
   */
  stateChanged(o: OrderInfo, reason: number, time: number): void;
}

/** A logged-in connection of any door. */
export interface OrderSession {
  readonly id: number;
  /** The door it came in by (order-metrics.ts Door): which counters its requests move. */
  readonly doorId: number;
  readonly account: number;
  readonly cancelOnDisconnect: boolean;
  readonly reports: OrderReports;
}
