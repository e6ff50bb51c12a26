import { ALL_SYMBOLS, Flags, OrderType, StpMode, TimeInForce } from "../../engine/commands.ts";
import { formatPrice, formatQty, type Instrument, parsePrice, parseQty } from "../../engine/instrument.ts";
import { isDone, validClientOrderId } from "../../engine/orders.ts";
import { Reason, reasonText } from "../../engine/reasons.ts";
import { OrderState } from "../../engine/order-state.ts";
import type { OrderInfo } from "../order-entry/order-book-keeping.ts";
import type { OrderEntry } from "../order-entry/order-entry.ts";
import { ENGINE_STOPPED, SHUTTING_DOWN, type Fill, type NewOrderRequest, type OrderReports, type OrderSession, type Request, RequestKind, UNAVAILABLE } from "../order-entry/order-entry-types.ts";
import { TokenBucket } from "../order-entry/rate-limit.ts";
import { type FixEncoder, fixTimestamp, parseFixTimestamp } from "./codec.ts";
import { cxlRejReason, EXEC_INST_POST_ONLY, ExecType, FIX_ORD_TYPE, FIX_SIDE, FIX_TIF, MsgType, ORD_STATUS, ORD_TYPE, ordRejReason, SIDE, STP, TIF, Tag } from "./dialect.ts";
import type { Field, FixMessage } from "./message.ts";
import { Door } from "../order-entry/order-metrics.ts";

/** What the application layer needs of the FIX session it runs on. */
export interface FixSessionPort {
  sendApp(fields: Field[]): number;
  /** sendApp with the body written straight to the encoder (FixSession.sendAppWith). */
  sendAppWith(msgType: string, writeBody: (e: FixEncoder) => void): number;
  sendReject(ref: FixMessage, refTagId: number | undefined, reason: number, text: string): void;
}

/** SessionRejectReason (373) values the application layer uses. */
const REQUIRED_TAG_MISSING = 1;
const VALUE_INCORRECT = 5;
const INCORRECT_FORMAT = 6;

const NEW_ORDER_TAGS = [Tag.ClOrdID, Tag.Symbol, Tag.Side, Tag.OrderQty, Tag.OrdType] as const;
const CANCEL_TAGS = [Tag.ClOrdID] as const;
const REPLACE_TAGS = [Tag.ClOrdID, Tag.OrderQty] as const;
const MASS_CANCEL_TAGS = [Tag.ClOrdID, Tag.MassCancelRequestType] as const;

/** A FIX request in flight: the ids to echo when its answer comes back. */
interface FixRequest {
  msgType: string;
  clOrdId: string;
  origClOrdId: string;
  ordStatusReqId?: string;
  massCancelType?: string;
  possResend: boolean;
  fixSide: string;
}

/**
 * State every FIX session of the door shares: which ClOrdID currently names an order (a replace
 * gives it a new one, and a reconnected session cancels by it) and the ExecID sequence.
 */
export class FixDoor {
  private readonly current = new Map<number, string>();
  /** Open orders of a counterparty (account.SenderCompID) that disconnected without cancel-on-disconnect. */
  private readonly parked = new Map<string, number[]>();
  private readonly byClOrdId = new Map<string, number>();
  private lastExec = 0;
  /** Unique across restarts without persisting a counter: the start time leads every ExecID. */
  readonly execPrefix = `${Date.now().toString(36)}-`;
  readonly bySymbol = new Map<string, Instrument>();
  readonly byId = new Map<number, Instrument>();

  constructor(
    readonly entry: OrderEntry,
    instruments: Instrument[],
  ) {
    for (const i of instruments) {
      this.bySymbol.set(i.symbol, i);
      this.byId.set(i.id, i);
    }
  }

  execId(): string {
    return this.execPrefix + this.nextExec();
  }

  /** The counter part of the next ExecID, for a writer that puts execPrefix and the digits down itself. */
  nextExec(): number {
    return ++this.lastExec;
  }

  clOrdIdOf(o: OrderInfo): string {
    return this.current.get(o.orderId) ?? o.clientOrderId;
  }

  /** The order a ClOrdID names: an original client order id, or one given by a replace. */
  orderOf(account: number, clOrdId: string): OrderInfo | undefined {
    // Without replaces (the common case) there is no key to build and look up.
    if (this.byClOrdId.size > 0) {
      const replaced = this.byClOrdId.get(`${account}/${clOrdId}`);
      if (replaced !== undefined) return this.entry.orders.get(replaced);
    }
    const o = this.entry.orders.byClient(account, clOrdId);
    // Replaced away: the original id no longer names the order (FIX: OrigClOrdID is the latest).
    return o && (this.current.size === 0 || !this.current.has(o.orderId)) ? o : undefined;
  }

  inUse(account: number, clOrdId: string): boolean {
    return this.byClOrdId.has(`${account}/${clOrdId}`) || this.entry.orders.byClient(account, clOrdId) !== undefined;
  }

  replaced(o: OrderInfo, clOrdId: string): void {
    const old = this.current.get(o.orderId);
    if (old !== undefined) this.byClOrdId.delete(`${o.account}/${old}`);
    this.current.set(o.orderId, clOrdId);
    this.byClOrdId.set(`${o.account}/${clOrdId}`, o.orderId);
  }

  /** The session left: its open orders wait for the counterparty to log on again. */
  park(key: string, s: OrderSession): void {
    const ids = this.entry.orders.openOf(s.id).map((o) => o.orderId);
    if (ids.length > 0) this.parked.set(key, ids);
  }

  /** The counterparty is back: its still-open orders report to the new session. */
  claim(key: string, s: OrderSession): void {
    const ids = this.parked.get(key);
    if (!ids) return;
    this.parked.delete(key);
    for (const id of ids) {
      const o = this.entry.orders.get(id);
      if (o && o.session === 0 && o.leaves > 0) this.entry.orders.own(o, s.id);
    }
  }

  /** A done order's replacement ids are forgotten; its original id stays with the order entry's history. */
  done(o: OrderInfo): void {
    const id = this.current.get(o.orderId);
    if (id === undefined) return;
    this.current.delete(o.orderId);
    this.byClOrdId.delete(`${o.account}/${id}`);
  }
}

const NO_FIELDS: readonly Field[] = [];


/** The messages that change orders: a key without the trade scope may send none of them. */
const TRADING: ReadonlySet<string> = new Set([MsgType.NewOrderSingle, MsgType.OrderCancelRequest, MsgType.OrderCancelReplaceRequest, MsgType.OrderMassCancelRequest]);

/**
 * One logged-on FIX session's orders: NewOrderSingle, OrderCancelRequest,
 * OrderCancelReplaceRequest, OrderStatusRequest and OrderMassCancelRequest become order entry
 * requests; their outcomes and every fill come back as ExecutionReports, OrderCancelRejects and
 * OrderMassCancelReports (docs/fix.md). A malformed request gets a session Reject and changes nothing.
 */
export class FixOrderSession implements OrderSession, OrderReports {
  readonly id: number;
  readonly doorId = Door.FIX;
  readonly reports = this;
  private readonly requests = new Map<number, FixRequest>();
  private nextRequest = 1;
  private readonly bucket: TokenBucket;

  constructor(
    private readonly door: FixDoor,
    private readonly session: FixSessionPort,
    /** The counterparty: account and SenderCompID. */
    private readonly key: string,
    readonly account: number,
    readonly cancelOnDisconnect: boolean,
    ratePerSecond: number,
    /** The key's `trade` scope; without it only OrderStatusRequest is taken. */
    private readonly mayTrade = true,
  ) {
    this.id = door.entry.sessionId();
    this.bucket = new TokenBucket(ratePerSecond);
    door.entry.attach(this);
    door.claim(key, this);
  }

  /** The connection ended (logout or drop). */
  close(): void {
    if (!this.cancelOnDisconnect) this.door.park(this.key, this);
    this.door.entry.detach(this);
  }

  onMessage(m: FixMessage): void {
    if (!this.mayTrade && m.msgType !== MsgType.OrderStatusRequest && TRADING.has(m.msgType)) {
      // BusinessRejectReason 6: not authorized.
      this.session.sendApp([
        [Tag.MsgType, MsgType.BusinessMessageReject],
        [Tag.RefSeqNum, String(m.seqNum)],
        [Tag.RefMsgType, m.msgType],
        [Tag.BusinessRejectReason, "6"],
        [Tag.Text, "this API key has no trade scope"],
      ]);
      return;
    }
    switch (m.msgType) {
      case MsgType.NewOrderSingle:
        return this.onNewOrder(m);
      case MsgType.OrderCancelRequest:
        return this.onCancel(m);
      case MsgType.OrderCancelReplaceRequest:
        return this.onReplace(m);
      case MsgType.OrderStatusRequest:
        return this.onStatusRequest(m);
      case MsgType.OrderMassCancelRequest:
        return this.onMassCancel(m);
      default:
        this.session.sendApp([
          [Tag.MsgType, MsgType.BusinessMessageReject],
          [Tag.RefSeqNum, String(m.seqNum)],
          [Tag.RefMsgType, m.msgType],
          [Tag.BusinessRejectReason, "3"],
          [Tag.Text, `unsupported message type ${m.msgType}`],
        ]);
    }
  }

  /** Every tag present (else a session Reject naming the first missing one). */
  private required(m: FixMessage, tags: readonly number[]): boolean {
    for (const tag of tags) {
      const v = m.get(tag);
      if (v === undefined || v === "") {
        this.session.sendReject(m, tag, REQUIRED_TAG_MISSING, `required tag ${tag} missing`);
        return false;
      }
    }
    return true;
  }

  /** An enum value: mapped, or undefined after a session Reject naming the tag. */
  private oneOf<T>(m: FixMessage, tag: number, value: string, table: Record<string, T>): T | undefined {
    const v = table[value];
    if (v === undefined) this.session.sendReject(m, tag, VALUE_INCORRECT, `value ${value} is not supported for tag ${tag}`);
    return v;
  }

  private track(m: FixMessage, clOrdId: string, origClOrdId = ""): number {
    const id = this.nextRequest++;
    this.requests.set(id, { msgType: m.msgType, clOrdId, origClOrdId, possResend: m.get(Tag.PossResend) === "Y", fixSide: m.get(Tag.Side) ?? "1", ordStatusReqId: m.get(Tag.OrdStatusReqID), massCancelType: m.get(Tag.MassCancelRequestType) });
    return id;
  }

  private limited(kind: number, requestId: number, symbol: number): boolean {
    if (this.bucket.allow()) return false;
    this.rejected({ kind, requestId, symbol, orderId: 0, clientOrderId: "" }, 0, Reason.RATE_LIMITED);
    return true;
  }

  private onNewOrder(m: FixMessage): void {
    if (!this.required(m, NEW_ORDER_TAGS)) return;
    const clOrdId = m.get(Tag.ClOrdID)!;
    const symbolText = m.get(Tag.Symbol)!;
    const sideText = m.get(Tag.Side)!;
    const qtyText = m.get(Tag.OrderQty)!;
    const typeText = m.get(Tag.OrdType)!;
    const side = this.oneOf(m, Tag.Side, sideText, SIDE);
    const orderType = side !== undefined ? this.oneOf(m, Tag.OrdType, typeText, ORD_TYPE) : undefined;
    // FIX's default TimeInForce is Day; a market order cannot rest, so its default is IOC.
    const tifText = m.get(Tag.TimeInForce) ?? (orderType === OrderType.MARKET ? "3" : "0");
    const tif = orderType !== undefined ? this.oneOf(m, Tag.TimeInForce, tifText, TIF) : undefined;
    const stp = tif !== undefined ? (m.has(Tag.SelfTradePrevention) ? this.oneOf(m, Tag.SelfTradePrevention, m.get(Tag.SelfTradePrevention)!, STP) : StpMode.CANCEL_NEWEST) : undefined;
    if (side === undefined || orderType === undefined || tif === undefined || stp === undefined) return;
    let flags = 0;
    for (const inst of (m.get(Tag.ExecInst) ?? "").split(" ")) {
      if (inst === "") continue;
      if (inst !== EXEC_INST_POST_ONLY) return this.session.sendReject(m, Tag.ExecInst, VALUE_INCORRECT, `ExecInst ${inst} is not supported (only 6, post-only)`);
      flags |= Flags.POST_ONLY;
    }
    let expireTime = 0;
    if (tif === TimeInForce.GTD) {
      const t = m.get(Tag.ExpireTime);
      if (t === undefined) return this.session.sendReject(m, Tag.ExpireTime, REQUIRED_TAG_MISSING, "ExpireTime (126) is required with TimeInForce 6 (GTD)");
      const ms = parseFixTimestamp(t);
      if (Number.isNaN(ms)) return this.session.sendReject(m, Tag.ExpireTime, INCORRECT_FORMAT, "ExpireTime must be a UTCTimestamp");
      expireTime = ms * 1000;
    }
    const id = this.track(m, clOrdId);
    const r: Request = { kind: RequestKind.NEW_ORDER, requestId: id, symbol: -1, orderId: 0, clientOrderId: clOrdId };
    const refuse = (reason: number, text?: string) => this.rejectNew(r, reason, text);
    if (!validClientOrderId(clOrdId)) return refuse(Reason.INVALID_CLIENT_ORDER_ID);
    const account = m.get(Tag.Account);
    if (account !== undefined && account !== String(this.account)) return refuse(Reason.UNKNOWN_ACCOUNT, `Account ${account} is not this session's account (${this.account})`);
    const inst = this.door.bySymbol.get(symbolText);
    if (!inst) return refuse(Reason.UNKNOWN_SYMBOL, `unknown symbol ${symbolText}`);
    r.symbol = inst.id;
    const qty = parseQty(inst, qtyText);
    if (!qty.ok) return refuse(qty.reason);
    let price = 0;
    let stopPrice = 0;
    const priceText = m.get(Tag.Price);
    const stopText = m.get(Tag.StopPx);
    const limit = orderType === OrderType.LIMIT || orderType === OrderType.STOP_LIMIT;
    const stop = orderType === OrderType.STOP || orderType === OrderType.STOP_LIMIT;
    if (limit) {
      if (priceText === undefined) return refuse(Reason.INVALID_PRICE, "Price (44) is required for OrdType 2 and 4");
      const p = parsePrice(inst, priceText);
      if (!p.ok) return refuse(p.reason);
      price = p.value;
    } else if (priceText !== undefined) return refuse(Reason.INVALID_PRICE, "Price (44) is only for limit and stop-limit orders");
    if (stop) {
      if (stopText === undefined) return refuse(Reason.INVALID_STOP_PRICE, "StopPx (99) is required for OrdType 3 and 4");
      const p = parsePrice(inst, stopText);
      if (!p.ok) return refuse(p.reason === Reason.INVALID_PRICE ? Reason.INVALID_STOP_PRICE : p.reason);
      stopPrice = p.value;
    } else if (stopText !== undefined) return refuse(Reason.INVALID_STOP_PRICE, "StopPx (99) is only for stop orders");
    if (this.limited(RequestKind.NEW_ORDER, id, inst.id)) return;
    const order: NewOrderRequest = { symbol: inst.id, side, orderType, tif, stp, flags, price, stopPrice, qty: qty.value, expireTime, clientOrderId: clOrdId };
    this.door.entry.newOrder(this, id, order);
  }

  /** The order a cancel or replace names: OrderID (37) if given, else OrigClOrdID (41). */
  private target(m: FixMessage): OrderInfo | undefined {
    const orderId = m.get(Tag.OrderID);
    if (orderId !== undefined && /^[1-9][0-9]{0,15}$/.test(orderId)) {
      const o = this.door.entry.orders.get(Number(orderId));
      return o && o.account === this.account ? o : undefined;
    }
    const orig = m.get(Tag.OrigClOrdID);
    return orig === undefined ? undefined : this.door.orderOf(this.account, orig);
  }

  private onCancel(m: FixMessage): void {
    if (!this.required(m, CANCEL_TAGS)) return;
    const clOrdId = m.get(Tag.ClOrdID)!;
    if (!m.has(Tag.OrigClOrdID) && !m.has(Tag.OrderID)) return this.session.sendReject(m, Tag.OrigClOrdID, REQUIRED_TAG_MISSING, "OrigClOrdID (41) or OrderID (37) is required");
    const id = this.track(m, clOrdId, m.get(Tag.OrigClOrdID) ?? "");
    const o = this.target(m);
    if (!o) return this.rejected({ kind: RequestKind.CANCEL, requestId: id, symbol: -1, orderId: 0, clientOrderId: clOrdId }, 0, Reason.UNKNOWN_ORDER);
    this.requests.get(id)!.origClOrdId = this.door.clOrdIdOf(o);
    if (this.limited(RequestKind.CANCEL, id, o.symbol)) return;
    this.door.entry.cancel(this, id, o.symbol, o.orderId, "");
  }

  private onReplace(m: FixMessage): void {
    if (!this.required(m, REPLACE_TAGS)) return;
    const clOrdId = m.get(Tag.ClOrdID)!;
    const qtyText = m.get(Tag.OrderQty)!;
    if (!m.has(Tag.OrigClOrdID) && !m.has(Tag.OrderID)) return this.session.sendReject(m, Tag.OrigClOrdID, REQUIRED_TAG_MISSING, "OrigClOrdID (41) or OrderID (37) is required");
    const id = this.track(m, clOrdId, m.get(Tag.OrigClOrdID) ?? "");
    const r: Request = { kind: RequestKind.AMEND, requestId: id, symbol: -1, orderId: 0, clientOrderId: clOrdId };
    const o = this.target(m);
    if (!o) return this.rejected(r, 0, Reason.UNKNOWN_ORDER);
    r.orderId = o.orderId;
    r.symbol = o.symbol;
    this.requests.get(id)!.origClOrdId = this.door.clOrdIdOf(o);
    const refuse = (reason: number, text: string) => this.rejectCancel(r, this.requests.get(id)!, o, reason, text);
    if (!validClientOrderId(clOrdId)) return refuse(Reason.INVALID_CLIENT_ORDER_ID, reasonText(Reason.INVALID_CLIENT_ORDER_ID));
    if (this.door.inUse(this.account, clOrdId)) return refuse(Reason.DUPLICATE_ORDER_ID, `ClOrdID ${clOrdId} is already in use`);
    const inst = this.door.byId.get(o.symbol)!;
    const symbol = m.get(Tag.Symbol);
    if (symbol !== undefined && symbol !== inst.symbol) return refuse(Reason.INVALID_COMBINATION, "a replace cannot change the Symbol");
    const side = m.get(Tag.Side);
    if (side !== undefined && side !== FIX_SIDE[o.side]) return refuse(Reason.INVALID_COMBINATION, "a replace cannot change the Side");
    const type = m.get(Tag.OrdType);
    if (type !== undefined && type !== FIX_ORD_TYPE[o.orderType]) return refuse(Reason.INVALID_COMBINATION, "a replace cannot change the OrdType");
    const qty = parseQty(inst, qtyText);
    if (!qty.ok) return refuse(qty.reason, reasonText(qty.reason));
    // Unchanged prices may be omitted: a replace that only changes the quantity keeps them. An
    // omitted one goes as 0, "keep", which the order entry fills in by the rule both doors share.
    let price = 0;
    let stopPrice = 0;
    const priceText = m.get(Tag.Price);
    if (priceText !== undefined) {
      const p = parsePrice(inst, priceText);
      if (!p.ok) return refuse(p.reason, reasonText(p.reason));
      price = p.value;
    }
    const stopText = m.get(Tag.StopPx);
    if (stopText !== undefined) {
      const p = parsePrice(inst, stopText);
      if (!p.ok) return refuse(Reason.INVALID_STOP_PRICE, reasonText(Reason.INVALID_STOP_PRICE));
      stopPrice = p.value;
    }
    if (this.limited(RequestKind.AMEND, id, o.symbol)) return;
    this.door.entry.amend(this, id, o.symbol, o.orderId, "", price, stopPrice, qty.value);
  }

  private onStatusRequest(m: FixMessage): void {
    const clOrdId = m.get(Tag.ClOrdID) ?? "";
    if (clOrdId === "" && !m.has(Tag.OrderID)) return this.session.sendReject(m, Tag.ClOrdID, REQUIRED_TAG_MISSING, "ClOrdID (11) or OrderID (37) is required");
    const id = this.track(m, clOrdId);
    const o = m.has(Tag.OrderID) ? this.target(m) : this.door.orderOf(this.account, clOrdId);
    const r: Request = { kind: RequestKind.STATUS, requestId: id, symbol: o?.symbol ?? -1, orderId: o?.orderId ?? 0, clientOrderId: clOrdId };
    if (o) return this.status(r, o);
    const history = this.door.entry.history;
    if (!history) return this.rejected(r, 0, Reason.UNKNOWN_ORDER);
    // An order the read model has let go of (or from before a restart): the history store answers.
    const orderIdText = m.get(Tag.OrderID);
    const orderId = orderIdText !== undefined && /^[1-9][0-9]{0,15}$/.test(orderIdText) ? Number(orderIdText) : 0;
    if (orderId === 0 && clOrdId === "") return this.rejected(r, 0, Reason.UNKNOWN_ORDER);
    void history.find(this.account, orderId, clOrdId).then(
      (found) => (found ? this.status({ ...r, symbol: found.symbol, orderId: found.orderId }, found) : this.rejected(r, 0, Reason.UNKNOWN_ORDER)),
      () => this.rejected(r, 0, Reason.UNKNOWN_ORDER),
    );
  }

  private onMassCancel(m: FixMessage): void {
    if (!this.required(m, MASS_CANCEL_TAGS)) return;
    const clOrdId = m.get(Tag.ClOrdID)!;
    const type = m.get(Tag.MassCancelRequestType)!;
    const id = this.track(m, clOrdId);
    const r: Request = { kind: RequestKind.MASS_CANCEL, requestId: id, symbol: ALL_SYMBOLS, orderId: 0, clientOrderId: clOrdId };
    if (type === "1") {
      const symbol = m.get(Tag.Symbol);
      const inst = symbol === undefined ? undefined : this.door.bySymbol.get(symbol);
      if (!inst) return this.massCancelReport(r, "0", 0, "0", `unknown symbol ${symbol ?? "(none)"}`);
      r.symbol = inst.id;
    } else if (type !== "7") return this.massCancelReport(r, "0", 0, "99", "MassCancelRequestType must be 1 (by Symbol) or 7 (all orders)");
    if (this.limited(RequestKind.MASS_CANCEL, id, r.symbol)) return;
    this.door.entry.massCancel(this, id, r.symbol);
  }

  // ---- reports ---------------------------------------------------------------------------------

  private take(r: Request | undefined): FixRequest | undefined {
    if (!r) return undefined;
    const q = this.requests.get(r.requestId);
    this.requests.delete(r.requestId);
    return q;
  }

  /**
   * The fields every ExecutionReport about a known order carries. The most frequent message the
   * door sends, so it goes straight to the session's encoder rather than through a Field[].
   */
  private report(o: OrderInfo, execType: string, clOrdId: string, origClOrdId: string, time: number, extra: readonly Field[] = NO_FIELDS, ordStatus = ORD_STATUS[o.state] ?? "0"): void {
    const door = this.door;
    const inst = door.byId.get(o.symbol)!;
    this.session.sendAppWith(MsgType.ExecutionReport, (e) => {
      // ClOrdID is required in an ExecutionReport: an order placed without one (over the WebSocket door, asked for by OrderID) says NONE.
      e.intField(Tag.OrderID, o.orderId).field(Tag.ClOrdID, clOrdId || "NONE");
      if (origClOrdId !== "" && origClOrdId !== clOrdId) e.field(Tag.OrigClOrdID, origClOrdId);
      e.idField(Tag.ExecID, door.execPrefix, door.nextExec())
        .field(Tag.ExecType, execType)
        .field(Tag.OrdStatus, ordStatus)
        .field(Tag.Account, String(o.account))
        .field(Tag.Symbol, inst.symbol)
        .field(Tag.Side, FIX_SIDE[o.side]!)
        .field(Tag.OrdType, FIX_ORD_TYPE[o.orderType]!)
        .field(Tag.OrderQty, formatQty(inst, o.qty));
      if (o.orderType === OrderType.LIMIT || o.orderType === OrderType.STOP_LIMIT) e.field(Tag.Price, formatPrice(inst, o.price));
      if (o.orderType === OrderType.STOP || o.orderType === OrderType.STOP_LIMIT) e.field(Tag.StopPx, formatPrice(inst, o.stopPrice));
      e.field(Tag.TimeInForce, FIX_TIF[o.tif] ?? "0");
      for (const [tag, value] of extra) e.field(tag, value);
      e.field(Tag.LeavesQty, formatQty(inst, o.leaves))
        .field(Tag.CumQty, formatQty(inst, o.filled))
        .field(Tag.AvgPx, avgPx(inst, o))
        .field(Tag.TransactTime, fixTimestamp(Math.floor(time / 1000)));
    });
  }

  accepted(r: Request, o: OrderInfo, time: number): void {
    this.take(r);
    // A routed order is accepted by our risk and sent on: Pending New until its venue accepts it.
    this.report(o, o.state === OrderState.PENDING ? ExecType.PendingNew : ExecType.New, o.clientOrderId, "", time);
  }

  /** A routed order's cancel went to its venue: Pending Cancel now, Canceled (or an OrderCancelReject) on the venue's answer. */
  pendingCancel(r: Request, o: OrderInfo, time: number): void {
    const q = this.take(r);
    const current = this.door.clOrdIdOf(o);
    this.report(o, ExecType.PendingCancel, q ? q.clOrdId : current, q ? current : "", time, NO_FIELDS, "6");
  }

  /** A routed order's state changed on its venue's word (docs/venues.md). */
  stateChanged(o: OrderInfo, reason: number, time: number): void {
    const clOrdId = this.door.clOrdIdOf(o);
    if (reason === Reason.VENUE_CANCEL_REFUSED) {
      this.session.sendApp([
        [Tag.MsgType, MsgType.OrderCancelReject],
        [Tag.OrderID, String(o.orderId)],
        [Tag.ClOrdID, clOrdId || "NONE"],
        [Tag.OrigClOrdID, clOrdId || "NONE"],
        [Tag.OrdStatus, ORD_STATUS[o.state] ?? "0"],
        [Tag.CxlRejResponseTo, "1"],
        [Tag.CxlRejReason, "0"],
        [Tag.Text, reasonText(reason)],
      ]);
      return;
    }
    const execType = o.state === OrderState.NEW && reason === Reason.OK ? ExecType.New : ExecType.OrderStatus;
    this.report(o, execType, clOrdId, "", time, reason === Reason.OK ? NO_FIELDS : [[Tag.Text, reasonText(reason)]]);
  }

  rejected(r: Request, orderId: number, reason: number): void {
    const q = this.take(r);
    if (!q) return;
    switch (r.kind) {
      case RequestKind.NEW_ORDER:
        return this.rejectNew(r, reason, undefined, q);
      case RequestKind.CANCEL:
      case RequestKind.AMEND:
        return this.rejectCancel(r, q, orderId !== 0 ? this.door.entry.orders.get(orderId) : undefined, reason, unavailableText(reason, "requests") ?? reasonText(reason));
      case RequestKind.STATUS:
        return this.sendRejectReport(r, q, "5", "unknown order", ExecType.OrderStatus);
      case RequestKind.MASS_CANCEL:
        return this.massCancelReport(r, "0", 0, "99", unavailableText(reason, "requests") ?? reasonText(reason), q);
    }
  }

  private rejectNew(r: Request, reason: number, text?: string, q = this.take(r)): void {
    if (!q) return;
    const unavailable = unavailableText(reason, "orders");
    this.sendRejectReport(r, q, unavailable !== null ? "0" : ordRejReason(reason), text ?? unavailable ?? reasonText(reason), ExecType.Rejected);
  }

  /** An ExecutionReport for an order that does not exist (rejected, or unknown to a status request). */
  private sendRejectReport(r: Request, q: FixRequest, ordRejReason: string, text: string, execType: string): void {
    const inst = this.door.byId.get(r.symbol);
    const f: Field[] = [
      [Tag.MsgType, MsgType.ExecutionReport],
      [Tag.OrderID, r.orderId !== 0 ? String(r.orderId) : "NONE"],
      [Tag.ClOrdID, q.clOrdId || "NONE"],
      [Tag.ExecID, this.door.execId()],
      [Tag.ExecType, execType],
      [Tag.OrdStatus, "8"],
      [Tag.OrdRejReason, ordRejReason],
      [Tag.Account, String(this.account)],
      [Tag.Symbol, inst?.symbol ?? "[N/A]"],
      [Tag.Side, q.fixSide],
      [Tag.LeavesQty, "0"],
      [Tag.CumQty, "0"],
      [Tag.AvgPx, "0"],
      [Tag.TransactTime, fixTimestamp(Date.now())],
      [Tag.Text, text],
    ];
    if (q.ordStatusReqId !== undefined) f.push([Tag.OrdStatusReqID, q.ordStatusReqId]);
    this.session.sendApp(f);
  }

  private rejectCancel(r: Request, q: FixRequest, o: OrderInfo | undefined, reason: number, text: string): void {
    this.requests.delete(r.requestId);
    this.session.sendApp([
      [Tag.MsgType, MsgType.OrderCancelReject],
      [Tag.OrderID, o ? String(o.orderId) : "NONE"],
      [Tag.ClOrdID, q.clOrdId || "NONE"],
      [Tag.OrigClOrdID, q.origClOrdId === "" ? "NONE" : q.origClOrdId],
      [Tag.OrdStatus, o ? (ORD_STATUS[o.state] ?? "0") : "8"],
      [Tag.CxlRejResponseTo, r.kind === RequestKind.AMEND ? "2" : "1"],
      [Tag.CxlRejReason, reason === UNAVAILABLE || reason === SHUTTING_DOWN ? "99" : cxlRejReason(reason)],
      [Tag.Text, text],
    ]);
  }

  duplicate(r: Request, o: OrderInfo): boolean {
    const q = this.take(r);
    if (!q) return false;
    // A resend flagged PossResend is the same order asked again: its status, and this session
    // takes it over. Anything else reusing a ClOrdID is refused, and the order that holds it (and
    // the session it reports to) is left alone.
    if (q.possResend) {
      this.report(o, ExecType.OrderStatus, this.door.clOrdIdOf(o), "", o.submitTime || Date.now() * 1000);
      return true;
    }
    this.sendRejectReport({ ...r, orderId: 0 }, q, "6", `duplicate ClOrdID ${q.clOrdId}: it names order ${o.orderId}`, ExecType.Rejected);
    return false;
  }

  status(r: Request, o: OrderInfo): void {
    const q = this.take(r);
    this.report(o, ExecType.OrderStatus, this.door.clOrdIdOf(o), "", Date.now() * 1000, q?.ordStatusReqId !== undefined ? [[Tag.OrdStatusReqID, q.ordStatusReqId]] : []);
  }

  filled(o: OrderInfo, f: Fill): void {
    const inst = this.door.byId.get(o.symbol)!;
    this.report(o, ExecType.Trade, this.door.clOrdIdOf(o), "", f.time, [
      [Tag.LastQty, formatQty(inst, f.qty)],
      [Tag.LastPx, formatPrice(inst, f.price)],
    ]);
    if (isDone(o.state)) this.door.done(o);
  }

  cancelled(r: Request | undefined, o: OrderInfo, _qty: number, reason: number, expired: boolean, time: number): void {
    const q = this.take(r?.kind === RequestKind.CANCEL ? r : undefined);
    const current = this.door.clOrdIdOf(o);
    // A cancel that leaves quantity (decrement-and-cancel STP) restates the order rather than ending it.
    const execType = o.leaves > 0 ? "D" : expired ? ExecType.Expired : ExecType.Canceled;
    this.report(o, execType, q ? q.clOrdId : current, q ? current : "", time, [[Tag.Text, reasonText(reason)]]);
    if (isDone(o.state)) this.door.done(o);
  }

  amended(r: Request | undefined, o: OrderInfo, _kept: boolean, _oldPrice: number, _oldQty: number, time: number): void {
    const q = this.take(r);
    const prev = this.door.clOrdIdOf(o);
    if (q) this.door.replaced(o, q.clOrdId);
    this.report(o, ExecType.Replaced, q ? q.clOrdId : prev, prev, time);
  }

  triggered(o: OrderInfo, _stopPrice: number, _lastPrice: number, time: number): void {
    this.report(o, ExecType.Triggered, this.door.clOrdIdOf(o), "", time);
  }

  massCancelDone(r: Request, cancelled: number, _time: number): void {
    const q = this.take(r);
    this.massCancelReport(r, q?.massCancelType ?? "7", cancelled, undefined, undefined, q);
  }

  private massCancelReport(r: Request, response: string, affected: number, rejectReason?: string, text?: string, q = this.take(r)): void {
    const f: Field[] = [
      [Tag.MsgType, MsgType.OrderMassCancelReport],
      [Tag.ClOrdID, q?.clOrdId || r.clientOrderId || "NONE"],
      [Tag.OrderID, "NONE"],
      [Tag.MassCancelRequestType, q?.massCancelType ?? "7"],
      [Tag.MassCancelResponse, rejectReason === undefined ? response : "0"],
    ];
    if (rejectReason !== undefined) f.push([Tag.MassCancelRejectReason, rejectReason]);
    f.push([Tag.TotalAffectedOrders, String(affected)]);
    if (text !== undefined) f.push([Tag.Text, text]);
    this.session.sendApp(f);
  }
}

/** Text (58) for a request the engine could not take (null: the reason is an engine Reason). docs/fix.md. */
function unavailableText(reason: number, what: string): string | null {
  if (reason === UNAVAILABLE) return `the exchange is not accepting ${what}; try again later`;
  if (reason === SHUTTING_DOWN) return `the exchange is shutting down: ${what} not taken; send it again once the exchange is back`;
  if (reason === ENGINE_STOPPED) return "engine stopped: outcome unknown until the exchange restarts; then query it (resending the same ClOrdID never makes a second order)";
  return null;
}

/** Average fill price, exact to six places past the tick's own. 0 before the first fill. */
function avgPx(inst: Instrument, o: OrderInfo): string {
  if (o.filled === 0 || !Number.isFinite(o.notional)) return "0";
  return inst.tick.mul(o.notional).div(o.filled).toDecimalPlaces(inst.tick.decimalPlaces() + 6).toFixed();
}
