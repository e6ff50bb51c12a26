import type { Sequencer } from "../actors/runtime.ts";
import { EngineStoppedError, InvalidCommandError } from "../actors/runtime.ts";
import { Actor, ALL_SYMBOLS, Command, CommandType } from "../engine/commands.ts";
import { type EventBuffer, EventType, F } from "../engine/events.ts";
import { OrderState } from "../engine/orders.ts";
import { Reason, reasonText } from "../engine/reasons.ts";
import { type OrderInfo, OrderBookkeeping } from "./order-book-keeping.ts";
import {
  type Amend,
  type Cancel,
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
  type MassCancel,
  MessageType,
  type NewOrder,
  type OrderStatusRequest,
} from "./protocol/index.ts";
import type { Session } from "./session.ts";

/** A request in flight: who asked, so the delivered events can answer them. */
interface Pending {
  session: Session;
  requestId: number;
  type: number;
  symbol: number;
  orderId: number;
  clientOrderId: string;
  /** NEW_ORDER fields echoed in the ACK. */
  order?: NewOrder;
}

/**
 * Order entry: a logged-in session's requests become commands for the sequencer, and the events
 * each command produced — delivered only once journaled — become that session's answers and the
 * execution reports of every session whose orders they touched.
 */
export class OrderEntry {
  readonly orders = new OrderBookkeeping();
  private readonly pending = new Map<number, Pending>();
  private readonly sessions = new Map<number, Session>();
  private nextToken = 1;
  private readonly cmd = new Command();

  constructor(readonly sequencer: Sequencer) {}

  attach(s: Session): void {
    this.sessions.set(s.id, s);
  }

  /** Every open session (the slow-consumer sweep walks them). */
  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** The session closed: cancel its orders if it asked for that, and stop routing to it. */
  detach(s: Session): void {
    this.sessions.delete(s.id);
    if (s.cancelOnDisconnect && s.loggedIn) {
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
      if (token !== 0) this.pending.delete(token);
      if (e instanceof InvalidCommandError) return e.reason;
      if (e instanceof EngineStoppedError) return -1;
      throw e;
    }
  }

  private track(p: Pending): number {
    const token = this.nextToken++;
    this.pending.set(token, p);
    return token;
  }

  private fail(s: Session, requestId: number, type: number, symbol: number, orderId: number, clientOrderId: string, reason: number): void {
    if (reason === -1) {
      const n = encodeError(s.w, { type: MessageType.ERROR, seq: s.nextSeq(), requestId, code: ErrorCode.UNAVAILABLE, reason: 0, messageType: type, text: errorText(ErrorCode.UNAVAILABLE) });
      s.send(n);
      return;
    }
    const n = encodeReject(s.w, { type: MessageType.REJECT, seq: s.nextSeq(), requestId, reason, requestType: type, symbol, orderId, time: 0, clientOrderId, text: reasonText(reason) });
    s.send(n);
  }

  newOrder(s: Session, m: NewOrder): void {
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
    const token = this.track({ session: s, requestId: m.requestId, type: m.type, symbol: m.symbol, orderId: 0, clientOrderId: m.clientOrderId, order: m });
    const r = this.submit(c, token);
    if (r !== Reason.OK) this.fail(s, m.requestId, m.type, m.symbol, 0, m.clientOrderId, r);
  }

  /** CANCEL and AMEND name an order by id, or by client order id when the id is 0. */
  private resolve(s: Session, orderId: number, clientOrderId: string): number {
    if (orderId !== 0) return orderId;
    return this.orders.byClient(s.account, clientOrderId)?.orderId ?? 0;
  }

  cancel(s: Session, m: Cancel): void {
    const orderId = this.resolve(s, m.orderId, m.clientOrderId);
    if (orderId === 0) return this.fail(s, m.requestId, m.type, m.symbol, 0, m.clientOrderId, Reason.UNKNOWN_ORDER);
    const c = this.cmd.reset();
    c.type = CommandType.CANCEL;
    c.orderId = orderId;
    c.account = s.account;
    c.symbol = m.symbol;
    c.actor = Actor.SESSION;
    c.session = s.id;
    const token = this.track({ session: s, requestId: m.requestId, type: m.type, symbol: m.symbol, orderId, clientOrderId: m.clientOrderId });
    const r = this.submit(c, token);
    if (r !== Reason.OK) this.fail(s, m.requestId, m.type, m.symbol, orderId, m.clientOrderId, r);
  }

  amend(s: Session, m: Amend): void {
    const orderId = this.resolve(s, m.orderId, m.clientOrderId);
    if (orderId === 0) return this.fail(s, m.requestId, m.type, m.symbol, 0, m.clientOrderId, Reason.UNKNOWN_ORDER);
    const c = this.cmd.reset();
    c.type = CommandType.AMEND;
    c.orderId = orderId;
    c.account = s.account;
    c.symbol = m.symbol;
    c.price = m.price;
    c.stopPrice = m.stopPrice;
    c.qty = m.qty;
    c.actor = Actor.SESSION;
    c.session = s.id;
    const token = this.track({ session: s, requestId: m.requestId, type: m.type, symbol: m.symbol, orderId, clientOrderId: m.clientOrderId });
    const r = this.submit(c, token);
    if (r !== Reason.OK) this.fail(s, m.requestId, m.type, m.symbol, orderId, m.clientOrderId, r);
  }

  massCancel(s: Session, m: MassCancel): void {
    const c = this.cmd.reset();
    c.type = CommandType.MASS_CANCEL;
    c.account = s.account;
    c.symbol = m.symbol;
    c.actor = Actor.SESSION;
    c.session = s.id;
    const token = this.track({ session: s, requestId: m.requestId, type: m.type, symbol: m.symbol, orderId: 0, clientOrderId: "" });
    const r = this.submit(c, token);
    if (r !== Reason.OK) this.fail(s, m.requestId, m.type, m.symbol, 0, "", r);
  }

  status(s: Session, m: OrderStatusRequest): void {
    const o = m.orderId !== 0 ? this.orders.get(m.orderId) : this.orders.byClient(s.account, m.clientOrderId);
    if (!o || o.account !== s.account) return this.fail(s, m.requestId, m.type, m.symbol, m.orderId, m.clientOrderId, Reason.UNKNOWN_ORDER);
    this.sendStatus(s, m.requestId, o);
  }

  private sendStatus(s: Session, requestId: number, o: OrderInfo): void {
    const n = encodeOrderStatus(s.w, {
      type: MessageType.ORDER_STATUS,
      seq: s.nextSeq(),
      requestId,
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
    });
    s.send(n);
  }

  private live(o: OrderInfo | undefined): Session | undefined {
    return o && o.session !== 0 ? this.sessions.get(o.session) : undefined;
  }

  /** One command's durable events → answers and execution reports. */
  deliver(token: number, ev: EventBuffer, from: number, to: number, time: number): void {
    const p = token !== 0 ? this.pending.get(token) : undefined;
    if (p) this.pending.delete(token);
    const d = ev.data;
    let massCancelled = 0;
    // Risk (R1) rejects come alone; a book reject of a new order follows its PENDING audit event.
    let rejectedByBook = false;
    for (let i = from; i < to; i++) if (d[i * 14 + F.TYPE] === EventType.ORDER_STATE && d[i * 14 + F.B] === OrderState.REJECTED) rejectedByBook = true;
    for (let i = from; i < to; i++) {
      const b = i * 14;
      const type = d[b + F.TYPE]!;
      switch (type) {
        case EventType.ACCEPTED: {
          const orderId = d[b + F.ORDER_ID]!;
          const mine = p && p.type === MessageType.NEW_ORDER ? p : undefined;
          const o: OrderInfo = {
            orderId,
            account: d[b + F.ACCOUNT]!,
            symbol: d[b + F.SYMBOL]!,
            side: d[b + F.SIDE]!,
            orderType: d[b + F.A]!,
            tif: d[b + F.B]!,
            clientOrderId: mine?.clientOrderId ?? "",
            session: mine?.session.id ?? 0,
            submitTime: time,
            state: OrderState.NEW,
            price: d[b + F.PRICE]!,
            stopPrice: d[b + F.C]!,
            qty: d[b + F.QTY]!,
            filled: 0,
            leaves: d[b + F.LEAVES]!,
          };
          this.orders.add(o);
          if (mine) {
            const m = mine.order!;
            const s = mine.session;
            const n = encodeAck(s.w, { type: MessageType.ACK, seq: s.nextSeq(), requestId: mine.requestId, symbol: o.symbol, orderId, time, side: o.side, orderType: o.orderType, tif: o.tif, stp: m.stp, flags: m.flags, price: o.price, stopPrice: o.stopPrice, qty: o.qty, leaves: o.leaves, expireTime: m.expireTime, clientOrderId: o.clientOrderId });
            s.send(n);
          }
          break;
        }
        case EventType.REJECTED:
          if (p) {
            // A book reject of a new order happens after risk accepted it: the order existed
            // (PENDING → REJECTED) and holds its client id, so remember it for a repeat.
            if (p.type === MessageType.NEW_ORDER && p.order && rejectedByBook) this.rememberRejected(p, d[b + F.ORDER_ID]!, time);
            this.fail(p.session, p.requestId, p.type, p.symbol, p.orderId, p.clientOrderId, d[b + F.A]!);
          }
          break;
        case EventType.DUPLICATE: {
          // The retry of an order that exists: answer with its status; from now on it reports here.
          if (!p) break;
          let o = this.orders.get(d[b + F.ORDER_ID]!);
          if (!o) {
            // Not in this gateway's memory (placed before a restart): answer from the event itself.
            const m = p.order!;
            o = { orderId: d[b + F.ORDER_ID]!, account: d[b + F.ACCOUNT]!, symbol: d[b + F.SYMBOL]!, side: d[b + F.SIDE]!, orderType: m.orderType, tif: m.tif, clientOrderId: p.clientOrderId, session: 0, submitTime: 0, state: d[b + F.A]!, price: d[b + F.PRICE]!, stopPrice: m.stopPrice, qty: d[b + F.QTY]! + d[b + F.LEAVES]!, filled: d[b + F.QTY]!, leaves: d[b + F.LEAVES]! };
            this.orders.add(o);
          }
          this.orders.own(o, p.session.id);
          this.sendStatus(p.session, p.requestId, o);
          break;
        }
        case EventType.TRADE:
          this.fill(d[b + F.ORDER_ID]!, Liquidity.TAKER, d, b, time);
          this.fill(d[b + F.A]!, Liquidity.MAKER, d, b, time);
          break;
        case EventType.CANCELLED:
        case EventType.EXPIRED: {
          const o = this.orders.get(d[b + F.ORDER_ID]!);
          if (!o) break;
          const qty = d[b + F.QTY]!;
          o.leaves = d[b + F.LEAVES]!;
          o.state = o.leaves > 0 ? o.state : type === EventType.EXPIRED ? OrderState.EXPIRED : OrderState.CANCELLED;
          const reason = d[b + F.A]!;
          if (reason === Reason.MASS_CANCEL) massCancelled++;
          const answers = p && p.orderId === o.orderId && p.type === MessageType.CANCEL ? p : p && p.type === MessageType.MASS_CANCEL && reason === Reason.MASS_CANCEL ? p : undefined;
          const s = answers?.session ?? this.live(o);
          if (s) {
            const n = encodeCancelled(s.w, { type: MessageType.CANCELLED, seq: s.nextSeq(), requestId: answers?.requestId ?? 0, symbol: o.symbol, orderId: o.orderId, time, side: o.side, state: o.state, reason, price: o.price, cancelledQty: qty, leaves: o.leaves, cumQty: o.filled, clientOrderId: o.clientOrderId });
            s.send(n);
          }
          this.orders.finished(o);
          break;
        }
        case EventType.AMENDED: {
          const o = this.orders.get(d[b + F.ORDER_ID]!);
          if (!o) break;
          o.price = d[b + F.PRICE]!;
          o.qty = d[b + F.QTY]!;
          o.leaves = d[b + F.LEAVES]!;
          const answers = p && p.orderId === o.orderId && p.type === MessageType.AMEND ? p : undefined;
          const s = answers?.session ?? this.live(o);
          if (s) {
            const n = encodeAmended(s.w, { type: MessageType.AMENDED, seq: s.nextSeq(), requestId: answers?.requestId ?? 0, symbol: o.symbol, orderId: o.orderId, time, side: o.side, keptPriority: d[b + F.A] === 1, price: o.price, qty: o.qty, leaves: o.leaves, oldPrice: d[b + F.B]!, oldQty: d[b + F.C]!, clientOrderId: o.clientOrderId });
            s.send(n);
          }
          break;
        }
        case EventType.STOP_TRIGGERED: {
          const o = this.orders.get(d[b + F.ORDER_ID]!);
          const s = this.live(o);
          if (o && s) {
            const n = encodeTriggered(s.w, { type: MessageType.TRIGGERED, seq: s.nextSeq(), symbol: o.symbol, orderId: o.orderId, time, side: o.side, orderType: o.orderType, stopPrice: d[b + F.PRICE]!, lastPrice: d[b + F.A]!, leaves: d[b + F.LEAVES]!, clientOrderId: o.clientOrderId });
            s.send(n);
          }
          break;
        }
        case EventType.ORDER_STATE: {
          const o = this.orders.get(d[b + F.ORDER_ID]!);
          if (o) o.state = d[b + F.B]!;
          break;
        }
      }
    }
    if (p && p.type === MessageType.MASS_CANCEL) {
      const s = p.session;
      const n = encodeMassCancelDone(s.w, { type: MessageType.MASS_CANCEL_DONE, seq: s.nextSeq(), requestId: p.requestId, symbol: p.symbol === ALL_SYMBOLS ? ALL_SYMBOLS : p.symbol, cancelled: massCancelled, time });
      s.send(n);
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
    };
    this.orders.add(o);
    this.orders.finished(o);
  }

  private fill(orderId: number, liquidity: number, d: Float64Array, b: number, time: number): void {
    const o = this.orders.get(orderId);
    if (!o) return;
    const qty = d[b + F.QTY]!;
    o.filled += qty;
    o.leaves = liquidity === Liquidity.TAKER ? d[b + F.LEAVES]! : d[b + F.C]!;
    o.state = o.leaves === 0 ? OrderState.FILLED : OrderState.PARTIALLY_FILLED;
    const s = this.live(o);
    if (s) {
      const n = encodeExecution(s.w, { type: MessageType.EXECUTION, seq: s.nextSeq(), symbol: o.symbol, orderId, tradeId: d[b + F.D]!, time, side: o.side, liquidity, state: o.state, price: d[b + F.PRICE]!, qty, leaves: o.leaves, cumQty: o.filled, clientOrderId: o.clientOrderId });
      s.send(n);
    }
    this.orders.finished(o);
  }
}
