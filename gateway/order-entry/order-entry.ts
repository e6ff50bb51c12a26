import { EngineStoppedError, InvalidCommandError } from "../../actors/runtime.ts";
import type { Sequencer } from "../../actors/sequencer.ts";
import { Actor, Command, CommandType, OrderType } from "../../engine/commands.ts";
import { type DeliveredEvents, readDeliveries } from "../../actors/delivered-events.ts";
import { Accepted, Amended, Cancelled, Duplicate, EventType, OrderStateChange, Rejected, Route, RouteKind, StopTriggered, Trade } from "../../engine/events.ts";
import { OrderState } from "../../engine/orders.ts";
import { Reason } from "../../engine/reasons.ts";
import { type OrderInfo, OrderBookkeeping } from "./order-book-keeping.ts";
import type { OrderHistory } from "./order-history.ts";
import { ENGINE_STOPPED, type NewOrderRequest, type OrderSession, RequestKind, SHUTTING_DOWN, UNAVAILABLE } from "./order-entry-types.ts";
import { type Pending, PendingRequests } from "./pending-requests.ts";
import type { OrderMetrics } from "./order-metrics.ts";

/**
 * Order entry, shared by every door: a session's requests become commands for the sequencer, and
 * the events each command produced — delivered only once journaled — become that session's answers
 * and the execution reports of every session whose orders they touched, whatever door it came in
 * by (a FIX order can trade against a WebSocket one).
 */
export class OrderEntry {
  readonly orders = new OrderBookkeeping();
  private readonly pending = new PendingRequests();
  private readonly sessions = new Map<number, OrderSession>();
  private nextToken = 1;
  private nextSession = 1;
  private readonly cmd = new Command();
  private readonly batchHooks: (() => void)[] = [];

  /** A graceful stop has begun: new requests are refused SHUTTING_DOWN, those in flight are answered. */
  private closing = false;
  private idleWaiters: (() => void)[] = [];

  /** Finished orders beyond the read model, answered from the history store (app/exchange.ts sets it); null: none. */
  history: OrderHistory | null = null;
  /** Counts for /metrics (app/exchange.ts sets it); null: nothing counted, nothing timed. */
  metrics: OrderMetrics | null = null;

  constructor(readonly sequencer: Sequencer) {}

  /** Session ids are unique across doors: the engine records them with each command. */
  sessionId(): number {
    return this.nextSession++;
  }

  /** Delivers durable events to the sessions until the returned function is called. */
  listen(): () => void {
    return this.sequencer.onDelivery(
      readDeliveries((batch) => {
        const hooks = this.batchHooks;
        for (let i = 0; i < hooks.length; i++) hooks[i]!();
        this.deliver(batch);
      }),
    );
  }

  /** Runs before each delivery (a door starts holding its writes to send them together). */
  onBatch(fn: () => void): void {
    this.batchHooks.push(fn);
  }

  attach(s: OrderSession): void {
    this.sessions.set(s.id, s);
  }

  /** The session closed: cancel its orders if it asked for that, and stop routing to it. */
  detach(s: OrderSession): void {
    if (!this.sessions.delete(s.id)) return;
    if (s.cancelOnDisconnect && s.account >= 0) {
      for (const o of this.orders.openOf(s.id)) {
        const c = this.cmd.reset();
        c.type = CommandType.CANCEL;
        c.orderId = o.orderId;
        c.account = o.account;
        c.symbol = o.symbol;
        c.actor = Actor.SYSTEM;
        c.session = s.id;
        this.submit(c, 0);
      }
    }
    this.orders.forgetSession(s.id);
  }

  private submit(c: Command, token: number): number {
    try {
      this.sequencer.submit(c, token);
      return Reason.OK;
    } catch (e) {
      if (token !== 0) this.pending.remove(token);
      if (e instanceof InvalidCommandError) return e.reason;
      if (e instanceof EngineStoppedError) return UNAVAILABLE;
      throw e;
    }
  }

  /** A request object for a session's request, counted for /metrics. */
  private request(s: OrderSession, kind: number, requestId: number, symbol: number, orderId: number, clientOrderId: string): Pending {
    this.metrics?.command(s.doorId, kind);
    return this.pending.acquire(s, kind, requestId, symbol, orderId, clientOrderId);
  }

  private send(p: Pending, c: Command): void {
    if (this.closing) return this.refuse(p, p.orderId, SHUTTING_DOWN);
    const token = this.nextToken++;
    if (this.metrics !== null) p.sentAt = performance.now();
    this.pending.add(token, p);
    const r = this.submit(c, token);
    if (r !== Reason.OK) this.refuse(p, p.orderId, r);
  }

  /** Answers a request that never reached the engine, and gives its object back. */
  private refuse(p: Pending, orderId: number, reason: number): void {
    this.metrics?.reject(p.session.doorId, reason);
    p.session.reports.rejected(p, orderId, reason);
    this.pending.release(p);
  }

  newOrder(s: OrderSession, requestId: number, m: NewOrderRequest): void {
    const c = this.cmd.reset();
    c.type = CommandType.NEW_ORDER;
    c.account = s.account;
    c.symbol = m.symbol;
    c.side = m.side;
    c.orderType = m.orderType;
    c.tif = m.tif;
    c.stp = m.stp;
    c.flags = m.flags;
    c.price = m.price;
    c.stopPrice = m.stopPrice;
    c.qty = m.qty;
    c.expireTime = m.expireTime;
    c.clientOrderId = m.clientOrderId;
    c.actor = Actor.SESSION;
    c.session = s.id;
    const p = this.request(s, RequestKind.NEW_ORDER, requestId, m.symbol, 0, m.clientOrderId);
    p.order = m;
    this.send(p, c);
  }

  /** An order of this session's account, by id, or by client order id when the id is 0. */
  find(s: OrderSession, orderId: number, clientOrderId: string): OrderInfo | undefined {
    const o = orderId !== 0 ? this.orders.get(orderId) : this.orders.byClient(s.account, clientOrderId);
    return o && o.account === s.account ? o : undefined;
  }

  private resolve(s: OrderSession, orderId: number, clientOrderId: string): number {
    if (orderId !== 0) return orderId;
    return this.orders.byClient(s.account, clientOrderId)?.orderId ?? 0;
  }

  cancel(s: OrderSession, requestId: number, symbol: number, orderId: number, clientOrderId: string): void {
    const p = this.request(s, RequestKind.CANCEL, requestId, symbol, this.resolve(s, orderId, clientOrderId), clientOrderId);
    if (p.orderId === 0) return this.refuse(p, 0, Reason.UNKNOWN_ORDER);
    const c = this.cmd.reset();
    c.type = CommandType.CANCEL;
    c.orderId = p.orderId;
    c.account = s.account;
    c.symbol = symbol;
    c.actor = Actor.SESSION;
    c.session = s.id;
    this.send(p, c);
  }

  amend(s: OrderSession, requestId: number, symbol: number, orderId: number, clientOrderId: string, price: number, stopPrice: number, qty: number): void {
    const p = this.request(s, RequestKind.AMEND, requestId, symbol, this.resolve(s, orderId, clientOrderId), clientOrderId);
    if (p.orderId === 0) return this.refuse(p, 0, Reason.UNKNOWN_ORDER);
    // 0 keeps the order's limit or stop price, as an omitted Price or StopPx does in FIX G. It is
    // filled in here, so the journal holds the price the engine used and replay needs no rule. A
    // stop market order's 0 price is left alone: the engine reads it as "keep the cap".
    const o = this.orders.get(p.orderId);
    if (o !== undefined) {
      const t = o.orderType;
      if (price === 0 && (t === OrderType.LIMIT || t === OrderType.STOP_LIMIT)) price = o.price;
      if (stopPrice === 0 && (t === OrderType.STOP || t === OrderType.STOP_LIMIT)) stopPrice = o.stopPrice;
    }
    const c = this.cmd.reset();
    c.type = CommandType.AMEND;
    c.orderId = p.orderId;
    c.account = s.account;
    c.symbol = symbol;
    c.price = price;
    c.stopPrice = stopPrice;
    c.qty = qty;
    c.actor = Actor.SESSION;
    c.session = s.id;
    p.stopPrice = stopPrice;
    this.send(p, c);
  }

  massCancel(s: OrderSession, requestId: number, symbol: number): void {
    const c = this.cmd.reset();
    c.type = CommandType.MASS_CANCEL;
    c.account = s.account;
    c.symbol = symbol;
    c.actor = Actor.SESSION;
    c.session = s.id;
    this.send(this.request(s, RequestKind.MASS_CANCEL, requestId, symbol, 0, ""), c);
  }

  status(s: OrderSession, requestId: number, symbol: number, orderId: number, clientOrderId: string): void {
    const r = this.request(s, RequestKind.STATUS, requestId, symbol, orderId, clientOrderId);
    const o = this.find(s, orderId, clientOrderId);
    if (o) {
      s.reports.status(r, o);
      this.pending.release(r);
    } else if (this.history) void this.statusFromHistory(this.history, s, r, orderId, clientOrderId);
    else this.refuse(r, orderId, Reason.UNKNOWN_ORDER);
  }

  /** The answer for an order the read model has let go of, from the history store (off the order path: only status asks it). */
  private async statusFromHistory(history: OrderHistory, s: OrderSession, r: Pending, orderId: number, clientOrderId: string): Promise<void> {
    let o: OrderInfo | undefined;
    try {
      o = await history.find(s.account, orderId, clientOrderId);
    } catch {
      // A store that cannot answer (PostgreSQL down) knows no more than the read model did.
      o = undefined;
    }
    try {
      if (o) s.reports.status(r, o);
      else return this.refuse(r, orderId, Reason.UNKNOWN_ORDER);
    } catch {
      // The session closed while the store answered.
    }
    this.pending.release(r);
  }

  /**
   * The engine stopped and will deliver nothing more: every request still waiting for its command
   * gets an ENGINE_STOPPED answer instead of silence until the client's timeout. Returns how many.
   */
  failPending(): number {
    const all = this.pending.takeAll();
    for (const p of all) {
      this.metrics?.reject(p.session.doorId, ENGINE_STOPPED);
      try {
        p.session.reports.rejected(p, p.orderId, ENGINE_STOPPED);
      } catch {
        // A session that cannot be written to (closed meanwhile) must not keep the others from their answers.
      }
      this.pending.release(p);
    }
    return all.length;
  }

  /**
   * The first step of a graceful stop (app/exchange.ts): from now on a request is refused
   * SHUTTING_DOWN before it reaches the engine, while every request already sent is still answered
   * as its command is delivered. Cancel-on-disconnect cancels, which are the exchange's own, still
   * go in as the sessions close. Resolves once nothing is in flight, or after `ms` with how many
   * still are (their clients learn the outcome after the restart, as after a crash).
   */
  async close(ms: number): Promise<number> {
    this.closing = true;
    if (this.pending.size === 0) return 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise<void>((resolve) => this.idleWaiters.push(resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    return this.pending.size;
  }

  /** Requests sent to the engine and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  private live(o: OrderInfo | undefined): OrderSession | undefined {
    return o && o.session !== 0 ? this.sessions.get(o.session) : undefined;
  }

  /** One command's durable events → answers and execution reports. */
  deliver(batch: DeliveredEvents): void {
    const token = batch.token;
    const p = token !== 0 ? this.pending.remove(token) : undefined;
    this.answer(p, batch);
    if (p && this.metrics !== null) this.metrics.acked(p.session.doorId, p.kind, (performance.now() - p.sentAt) / 1000);
    // Not in a finally: if a report threw, the object is only not reused.
    if (p) this.pending.release(p);
    if (this.closing && p && this.pending.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private answer(p: Pending | undefined, r: DeliveredEvents): void {
    const time = r.time;
    const d = r.data;
    let massCancelled = 0;
    // Risk (R1) rejects come alone; a book reject of a new order follows its PENDING audit event.
    let rejectedByBook = false;
    while (r.next()) if (r.type === EventType.ORDER_STATE && OrderStateChange.to(d, r.at) === OrderState.REJECTED) rejectedByBook = true;
    r.rewind();
    // A routed order whose change this batch already reported (its venue ack, a refused cancel): its ORDER_STATE says nothing new.
    let told = -1;
    while (r.next()) {
      const b = r.at;
      const type = r.type;
      switch (type) {
        case EventType.ACCEPTED: {
          const orderId = Accepted.orderId(d, b);
          const routed = this.orders.get(orderId);
          if (routed) {
            // A routed order the venue has now accepted: its client had the PENDING answer already.
            routed.state = OrderState.NEW;
            this.live(routed)?.reports.stateChanged(routed, Reason.OK, time);
            told = orderId;
            break;
          }
          const mine = p && p.kind === RequestKind.NEW_ORDER ? p : undefined;
          const o: OrderInfo = {
            orderId,
            account: Accepted.account(d, b),
            symbol: r.symbol,
            side: Accepted.side(d, b),
            orderType: Accepted.orderType(d, b),
            tif: Accepted.tif(d, b),
            clientOrderId: mine?.clientOrderId ?? "",
            session: mine?.session.id ?? 0,
            submitTime: time,
            state: OrderState.NEW,
            price: Accepted.price(d, b),
            stopPrice: Accepted.stopPrice(d, b),
            qty: Accepted.qty(d, b),
            filled: 0,
            leaves: Accepted.leaves(d, b),
            notional: 0,
          };
          this.orders.add(o);
          if (mine) {
            mine.orderId = orderId;
            mine.session.reports.accepted(mine, o, time);
          }
          break;
        }
        case EventType.REJECTED:
          if (p) {
            // A book reject of a new order happens after risk accepted it: the order existed
            // (PENDING → REJECTED) and holds its client id, so remember it for a repeat.
            if (p.kind === RequestKind.NEW_ORDER && rejectedByBook) this.rememberRejected(p, Rejected.orderId(d, b), time);
            this.metrics?.reject(p.session.doorId, Rejected.reason(d, b));
            p.session.reports.rejected(p, p.orderId, Rejected.reason(d, b));
          }
          break;
        case EventType.DUPLICATE: {
          // The retry of an order that exists: no second order; the door says whether it claims it.
          if (!p) break;
          let o = this.orders.get(Duplicate.orderId(d, b));
          if (!o) {
            // Not in this gateway's memory (placed before a restart): answer from the event itself.
            const m = p.order!;
            const filled = Duplicate.filled(d, b);
            const leaves = Duplicate.leaves(d, b);
            o = { orderId: Duplicate.orderId(d, b), account: Duplicate.account(d, b), symbol: r.symbol, side: Duplicate.side(d, b), orderType: m.orderType, tif: m.tif, clientOrderId: p.clientOrderId, session: 0, submitTime: 0, state: Duplicate.state(d, b), price: Duplicate.price(d, b), stopPrice: m.stopPrice, qty: filled + leaves, filled, leaves, notional: NaN };
            this.orders.add(o);
          }
          p.orderId = o.orderId;
          if (p.session.reports.duplicate(p, o)) this.orders.own(o, p.session.id);
          break;
        }
        case EventType.TRADE:
          this.fill(Trade.takerOrderId(d, b), true, d, b, time);
          this.fill(Trade.makerOrderId(d, b), false, d, b, time);
          break;
        case EventType.CANCELLED:
        case EventType.EXPIRED: {
          const o = this.orders.get(Cancelled.orderId(d, b));
          if (!o) break;
          const qty = Cancelled.qty(d, b);
          o.leaves = Cancelled.leaves(d, b);
          const reason = Cancelled.reason(d, b);
          // The venue rejected a routed order it never accepted (engine: only then this reason ends an order).
          o.state = o.leaves > 0 ? o.state : type === EventType.EXPIRED ? OrderState.EXPIRED : reason === Reason.VENUE_REJECTED ? OrderState.REJECTED : OrderState.CANCELLED;
          if (reason === Reason.MASS_CANCEL) massCancelled++;
          const answers = p && p.orderId === o.orderId && p.kind === RequestKind.CANCEL ? p : p && p.kind === RequestKind.MASS_CANCEL && reason === Reason.MASS_CANCEL ? p : undefined;
          const owner = this.live(o);
          (answers?.session ?? owner)?.reports.cancelled(answers, o, qty, reason, type === EventType.EXPIRED, time);
          // Cancelled by another session of the account: the one the order reports to hears too.
          if (answers && owner && owner !== answers.session) owner.reports.cancelled(undefined, o, qty, reason, type === EventType.EXPIRED, time);
          this.orders.finished(o);
          break;
        }
        case EventType.AMENDED: {
          const o = this.orders.get(Amended.orderId(d, b));
          if (!o) break;
          o.price = Amended.price(d, b);
          o.qty = Amended.qty(d, b);
          o.leaves = Amended.leaves(d, b);
          const answers = p && p.orderId === o.orderId && p.kind === RequestKind.AMEND ? p : undefined;
          // A later amend that keeps the trigger (0) sends this one, so it must follow the order's.
          if (answers !== undefined && answers.stopPrice > 0 && (o.orderType === OrderType.STOP || o.orderType === OrderType.STOP_LIMIT)) o.stopPrice = answers.stopPrice;
          const owner = this.live(o);
          const kept = Amended.keptPriority(d, b) === 1;
          (answers?.session ?? owner)?.reports.amended(answers, o, kept, Amended.oldPrice(d, b), Amended.oldQty(d, b), time);
          if (answers && owner && owner !== answers.session) owner.reports.amended(undefined, o, kept, Amended.oldPrice(d, b), Amended.oldQty(d, b), time);
          break;
        }
        case EventType.STOP_TRIGGERED: {
          const o = this.orders.get(StopTriggered.orderId(d, b));
          if (o) this.live(o)?.reports.triggered(o, StopTriggered.stopPrice(d, b), StopTriggered.lastPrice(d, b), time);
          break;
        }
        case EventType.ORDER_STATE: {
          const o = this.orders.get(OrderStateChange.orderId(d, b));
          if (!o) break;
          const from = OrderStateChange.from(d, b);
          const to = OrderStateChange.to(d, b);
          o.state = to;
          // The venue link dropped, or its answer resolved the order without a fill or a cancel to say so.
          const unknown = to === OrderState.PENDING_UNKNOWN || (from === OrderState.PENDING_UNKNOWN && (to === OrderState.NEW || to === OrderState.PARTIALLY_FILLED));
          if (unknown && o.orderId !== told) this.live(o)?.reports.stateChanged(o, OrderStateChange.reason(d, b), time);
          break;
        }
        case EventType.ROUTE:
          told = this.routed(p, r.symbol, d, b, time);
          break;
      }
    }
    if (p && p.kind === RequestKind.MASS_CANCEL) p.session.reports.massCancelDone(p, massCancelled, time);
  }

  /**
   * A ROUTE event: a routed order accepted by risk and sent to its venue (its client is answered now,
   * PENDING; the venue's ack follows), a cancel of one sent, or a cancel the venue refused. Returns
   * the order id whose change this reported.
   */
  private routed(p: Pending | undefined, symbol: number, d: Float64Array, b: number, time: number): number {
    const orderId = Route.orderId(d, b);
    switch (Route.kind(d, b)) {
      case RouteKind.NEW: {
        const mine = p && p.kind === RequestKind.NEW_ORDER ? p : undefined;
        const o: OrderInfo = {
          orderId,
          account: Route.account(d, b),
          symbol,
          side: Route.side(d, b),
          orderType: Route.orderType(d, b),
          tif: Route.tif(d, b),
          clientOrderId: mine?.clientOrderId ?? "",
          session: mine?.session.id ?? 0,
          submitTime: time,
          state: OrderState.PENDING,
          price: mine?.order?.price ?? Route.price(d, b),
          stopPrice: Route.stopPrice(d, b),
          qty: Route.qty(d, b),
          filled: 0,
          leaves: Route.leaves(d, b),
          notional: 0,
        };
        this.orders.add(o);
        if (mine) {
          mine.orderId = orderId;
          mine.session.reports.accepted(mine, o, time);
        }
        return orderId;
      }
      case RouteKind.CANCEL: {
        const o = this.orders.get(orderId);
        if (o && p && p.kind === RequestKind.CANCEL && p.orderId === orderId) p.session.reports.pendingCancel(p, o, time);
        return orderId;
      }
      default: {
        const o = this.orders.get(orderId);
        if (o) this.live(o)?.reports.stateChanged(o, Reason.VENUE_CANCEL_REFUSED, time);
        return orderId;
      }
    }
  }

  private rememberRejected(p: Pending, orderId: number, time: number): void {
    const m = p.order!;
    if (m.clientOrderId === "") return;
    const o: OrderInfo = {
      orderId,
      account: p.session.account,
      symbol: m.symbol,
      side: m.side,
      orderType: m.orderType,
      tif: m.tif,
      clientOrderId: m.clientOrderId,
      session: 0,
      submitTime: time,
      state: OrderState.REJECTED,
      price: m.price,
      stopPrice: m.stopPrice,
      qty: m.qty,
      filled: 0,
      leaves: 0,
      notional: 0,
    };
    this.orders.add(o);
    this.orders.finished(o);
  }

  private fill(orderId: number, taker: boolean, d: Float64Array, b: number, time: number): void {
    const o = this.orders.get(orderId);
    if (!o) return;
    const qty = Trade.qty(d, b);
    o.filled += qty;
    o.notional += qty * Trade.price(d, b);
    o.leaves = taker ? Trade.takerLeaves(d, b) : Trade.makerLeaves(d, b);
    o.state = o.leaves === 0 ? OrderState.FILLED : OrderState.PARTIALLY_FILLED;
    this.live(o)?.reports.filled(o, { tradeId: Trade.tradeId(d, b), price: Trade.price(d, b), qty, taker, time });
    this.orders.finished(o);
  }
}
