import type { OrderInfo } from "../order-entry/order-book-keeping.ts";
import type { OrderEntry } from "../order-entry/order-entry.ts";
import { type NewOrderRequest, type OrderReports, type OrderSession, type Request, RequestKind } from "../order-entry/order-entry-types.ts";
import { Door } from "../order-entry/order-metrics.ts";

/** How order entry answered one REST request. */
export type OrderAnswer =
  | { kind: "accepted"; order: OrderInfo }
  | { kind: "duplicate"; order: OrderInfo }
  | { kind: "status"; order: OrderInfo }
  | { kind: "cancelled"; order: OrderInfo }
  /** A routed order's cancel was sent to its venue; the order is as it was until the venue answers (docs/venues.md). */
  | { kind: "cancel-pending"; order: OrderInfo }
  | { kind: "amended"; order: OrderInfo }
  | { kind: "mass-cancelled"; count: number }
  /** `reason`: an engine Reason, UNAVAILABLE or ENGINE_STOPPED (order-entry-types.ts). */
  | { kind: "rejected"; reason: number };

/**
 * The REST door's place in order entry: one session per account, attached for as long as the door
 * runs, through which every REST order request of that account goes — the same order entry, risk,
 * idempotency and reasons as the WebSocket and FIX doors, so a REST order trades with theirs and
 * each owner hears of it on its own door. A request waits for its answer (the command's delivery
 * after the journal made it durable) and is answered from it; what happens to an order later
 * (fills, expiry) is not pushed here: REST asks (GET /orders/{id}), the WebSocket door pushes.
 */
export class RestOrderDesk {
  private readonly sessions = new Map<number, RestOrderSession>();

  constructor(private readonly orderEntry: OrderEntry) {}

  /** The account's session, attached on first use. */
  session(account: number): RestOrderSession {
    let s = this.sessions.get(account);
    if (!s) {
      s = new RestOrderSession(this.orderEntry.sessionId(), account);
      this.orderEntry.attach(s);
      this.sessions.set(account, s);
    }
    return s;
  }

  newOrder(account: number, m: NewOrderRequest): Promise<OrderAnswer> {
    const s = this.session(account);
    return s.ask((id) => this.orderEntry.newOrder(s, id, m));
  }

  cancel(account: number, symbol: number, orderId: number, clientOrderId: string): Promise<OrderAnswer> {
    const s = this.session(account);
    return s.ask((id) => this.orderEntry.cancel(s, id, symbol, orderId, clientOrderId));
  }

  /** Cancel-replace in place: `price`/`stopPrice` 0 keep the order's own; `qty` is the new total (the engine's AMEND). */
  amend(account: number, symbol: number, orderId: number, price: number, stopPrice: number, qty: number): Promise<OrderAnswer> {
    const s = this.session(account);
    return s.ask((id) => this.orderEntry.amend(s, id, symbol, orderId, "", price, stopPrice, qty));
  }

  massCancel(account: number, symbol: number): Promise<OrderAnswer> {
    const s = this.session(account);
    return s.ask((id) => this.orderEntry.massCancel(s, id, symbol));
  }

  status(account: number, orderId: number, clientOrderId: string): Promise<OrderAnswer> {
    const s = this.session(account);
    return s.ask((id) => this.orderEntry.status(s, id, 0, orderId, clientOrderId));
  }

  /** An account's open orders as the doors' read model has them. */
  open(account: number): OrderInfo[] {
    return this.orderEntry.orders.openOfAccount(account);
  }

  /** Sessions leave order entry (the door stops); REST orders are never cancelled on a disconnect. */
  close(): void {
    for (const s of this.sessions.values()) this.orderEntry.detach(s);
    this.sessions.clear();
  }
}

/** One account's REST session: requests by id, each resolved by the report that answers it. */
export class RestOrderSession implements OrderSession, OrderReports {
  readonly cancelOnDisconnect = false;
  readonly doorId = Door.REST;
  readonly reports: OrderReports = this;
  private nextRequest = 1;
  private readonly waiting = new Map<number, (a: OrderAnswer) => void>();

  constructor(
    readonly id: number,
    readonly account: number,
  ) {}

  /** Sends a request with a fresh id; resolves with its answer (some answer synchronously, before `send` returns). */
  ask(send: (requestId: number) => void): Promise<OrderAnswer> {
    const id = this.nextRequest++;
    return new Promise<OrderAnswer>((resolve) => {
      this.waiting.set(id, resolve);
      send(id);
    });
  }

  private answer(r: Request, a: OrderAnswer): void {
    // The request object is pooled: only its id is read, here and now.
    const resolve = this.waiting.get(r.requestId);
    if (!resolve) return;
    this.waiting.delete(r.requestId);
    resolve(a);
  }

  accepted(r: Request, o: OrderInfo): void {
    this.answer(r, { kind: "accepted", order: o });
  }

  rejected(r: Request, _orderId: number, reason: number): void {
    this.answer(r, { kind: "rejected", reason });
  }

  duplicate(r: Request, o: OrderInfo): boolean {
    this.answer(r, { kind: "duplicate", order: o });
    // The order keeps reporting to the session that placed it: a REST repeat only learns of it.
    return false;
  }

  status(r: Request, o: OrderInfo): void {
    this.answer(r, { kind: "status", order: o });
  }

  cancelled(r: Request | undefined, o: OrderInfo): void {
    // A mass cancel's orders come here too, with its request: that request is answered by massCancelDone.
    if (r && r.kind === RequestKind.CANCEL) this.answer(r, { kind: "cancelled", order: o });
  }

  massCancelDone(r: Request, cancelled: number): void {
    this.answer(r, { kind: "mass-cancelled", count: cancelled });
  }

  amended(r: Request | undefined, o: OrderInfo): void {
    // An amend from another door (or none: the engine's own) is not this session's to answer.
    if (r && r.kind === RequestKind.AMEND) this.answer(r, { kind: "amended", order: o });
  }

  pendingCancel(r: Request, o: OrderInfo): void {
    if (r.kind === RequestKind.CANCEL) this.answer(r, { kind: "cancel-pending", order: o });
  }

  // Later events of an order are not pushed to a REST client.
  stateChanged(): void {}
  filled(): void {}
  triggered(): void {}
}
