import { Flags, formatPrice, formatQty, OrderType, Reason, reasonName, reasonText, Side, StpMode, TimeInForce } from "../protocol/shared.ts";
import type { Instrument } from "./instrument.ts";
import {
  type Ack,
  type Amended,
  Channel,
  type ClientMessage,
  decodeServer,
  encodeClient,
  errorName,
  FrameWriter,
  isProtocolError,
  type LoginResult,
  type MassCancelDone,
  MessageType,
  type OrderStatus,
  type ServerMessage,
  signLogin,
  type Cancelled,
  type Execution,
  type Triggered,
  CANDLE_CHANNEL,
} from "../protocol/index.ts";
import { type AmendReport, type CancelReport, type OrderAck, type OrderStatusReport, type Report, withDecimals } from "./decimals.ts";
import { type BookOrder, bookOrder, LocalBook, LocalL3Book } from "./local-book.ts";
import { LocalPortfolio, type PortfolioState } from "./local-portfolio.ts";
import { type AlertNotice, alertNotice } from "./alert-notices.ts";
import { type BestBidOffer, bestBidOffer, CANDLE_INTERVALS, type CandleBar, candleBar, type CandleInterval, MarketStreams, type MarketStatusUpdate, marketStatus, type TradePrint, tradePrints } from "./market-streams.ts";
import * as check from "./validate.ts";
import { InvalidArgument } from "./validate.ts";

export { InvalidArgument } from "./validate.ts";
export type { AmendReport, CancelReport, Fill, OrderAck, OrderStatusReport, Report, TriggerReport } from "./decimals.ts";
export type { BookOrder, Level, TickLevel } from "./local-book.ts";
export type { Balance, Holding, PortfolioState } from "./local-portfolio.ts";
export type { AlertNotice } from "./alert-notices.ts";
export type { BestBidOffer, CandleBar, CandleInterval, MarketStateName, MarketStatusUpdate, TradePrint } from "./market-streams.ts";

/** Alerts kept for an alerts() reader that is behind; past it new ones are dropped (REST has them all). */
const MAX_QUEUED_ALERTS = 10_000;

/** A request the exchange refused: `reason` is the engine's code (engine/reasons.ts). */
export class RejectError extends Error {
  override readonly name = "RejectError";
  constructor(
    readonly reason: number,
    readonly reasonName: string,
    message: string,
  ) {
    super(message);
  }
}

/** The server answered with a protocol error (ERROR frame), or the connection closed. */
export class ProtocolFailure extends Error {
  override readonly name = "ProtocolFailure";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface OrderRequest {
  symbol: string;
  side: "buy" | "sell";
  /** Default "limit". */
  type?: "limit" | "market" | "stop" | "stop-limit";
  /** Decimal text in the instrument's units: required for limit and stop-limit; for market and stop orders, an optional cap. */
  price?: string;
  /** Trigger price, stop and stop-limit only (and required there). */
  stopPrice?: string;
  qty: string;
  /** Default GTC, IOC for a market order (which takes IOC or FOK only). */
  tif?: "GTC" | "IOC" | "FOK" | "DAY" | "GTD";
  /** GTD expiry, µs since the epoch: required with GTD, refused without it. */
  expireTime?: number;
  /** Limit orders that are not IOC or FOK only. */
  postOnly?: boolean;
  /** Default "cancel-newest". */
  stp?: "cancel-newest" | "cancel-oldest" | "cancel-both" | "decrement" | "none";
  /** 1–36 printable ASCII characters without spaces. */
  clientOrderId?: string;
}

/** Names an order: by the exchange's id, or by the client order id it was placed with. */
export type OrderRef = { orderId: number; clientOrderId?: undefined } | { clientOrderId: string; orderId?: undefined };

/** What an amend changes. `qty` is the new total (filled part included); an absent price or stop price stays as it is. */
export interface AmendRequest {
  qty: string;
  price?: string;
  stopPrice?: string;
}

const TYPES = { limit: OrderType.LIMIT, market: OrderType.MARKET, stop: OrderType.STOP, "stop-limit": OrderType.STOP_LIMIT } as const;
const TIFS = { GTC: TimeInForce.GTC, IOC: TimeInForce.IOC, FOK: TimeInForce.FOK, DAY: TimeInForce.DAY, GTD: TimeInForce.GTD } as const;
const STPS = { "cancel-newest": StpMode.CANCEL_NEWEST, "cancel-oldest": StpMode.CANCEL_OLDEST, "cancel-both": StpMode.CANCEL_BOTH, decrement: StpMode.DECREMENT_AND_CANCEL, none: StpMode.NONE } as const;
const names = <T extends object>(o: T) => Object.keys(o) as (keyof T & string)[];
const ORDER_FIELDS = ["symbol", "side", "type", "price", "stopPrice", "qty", "tif", "expireTime", "postOnly", "stp", "clientOrderId"] as const;

/** A report as it arrives, before the SDK puts decimals on it (reports() does, as they are read). */
type RawReport = Execution | Cancelled | Amended | Triggered | OrderStatus;

type Waiter = { resolve: (m: ServerMessage) => void; reject: (e: Error) => void };

/**
 * The Bourse client: one WebSocket, order entry with promises, market data as async iterators.
 * Every call checks its arguments before anything is sent and throws InvalidArgument naming the
 * field and what it accepts; prices and quantities go in and come back as decimal strings in the
 * instrument's units (docs/sdk.md).
 *
 *   const c = await BourseClient.connect("ws://127.0.0.1:7070/ws");
 *   await c.login("alice-demo", secret);
 *   const ack = await c.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30010.5", qty: "0.25" });
 *   for await (const book of c.book("BTC-USD")) console.log(book.bestBid()?.price, book.bestAsk()?.price);
 */
export class BourseClient {
  private readonly w = new FrameWriter(256);
  private readonly waiters = new Map<number, Waiter>();
  private nextRequest = 1;
  private hello!: { nonce: Uint8Array; serverTime: number };
  private readonly instruments = new Map<string, Instrument>();
  private readonly byId = new Map<number, Instrument>();
  private readonly reportQueue: RawReport[] = [];
  private reportWake: (() => void) | null = null;
  private readonly books = new Map<number, LocalBook>();
  /** The account's portfolio while portfolio() is read, and who to wake on a change. */
  private held: LocalPortfolio | null = null;
  private portfolioWake: (() => void) | null = null;
  /** Alerts not yet read while alerts() is read (null: not subscribed), and who to wake. */
  private alertQueue: AlertNotice[] | null = null;
  private alertWake: (() => void) | null = null;
  private readonly l3Books = new Map<number, LocalL3Book>();
  private readonly bookWakers = new Map<number, Set<() => void>>();
  private readonly streams = new MarketStreams();
  /** Session sequence numbers: a gap means a message was missed. */
  lastSeq = 0;
  gaps = 0;
  account = -1;
  closed = false;
  private endedWith: (e: { code: number; reason: string }) => void = () => {};
  /**
   * Resolves when the connection closes, with the WebSocket close code and the server's reason
   * (1008 "API key revoked" when the key was revoked, 1001 at a server shutdown).
   */
  readonly ended = new Promise<{ code: number; reason: string }>((resolve) => (this.endedWith = resolve));
  /** Frames sent so far (tests: that a refused call sent nothing). */
  framesSent = 0;

  private constructor(private readonly ws: WebSocket) {}

  /**
   * Connects to a ws:// or wss:// URL. `tls.ca`: the PEM certificate to trust for wss:// (an
   * exchange's self-signed one, `<dataDir>/tls/cert.pem`); Bun and Node take it, a browser trusts its own store.
   */
  static connect(url: string, opts: { tls?: { ca?: string } } = {}): Promise<BourseClient> {
    if (typeof url !== "string" || !/^wss?:\/\/./.test(url)) return Promise.reject(new InvalidArgument("url", 'a ws:// or wss:// URL such as "ws://127.0.0.1:7070/ws"', url, `url must be a ws:// or wss:// URL (got ${JSON.stringify(url)})`));
    const ws = opts.tls ? new (WebSocket as unknown as new (url: string, o: unknown) => WebSocket)(url, { tls: opts.tls }) : new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const c = new BourseClient(ws);
    return new Promise((resolve, reject) => {
      ws.onmessage = (e) => {
        const m = decodeServer(new Uint8Array(e.data as ArrayBuffer));
        if (!isProtocolError(m) && m.type === MessageType.HELLO) {
          c.hello = { nonce: m.nonce, serverTime: m.serverTime };
          c.lastSeq = m.seq;
          ws.onmessage = (ev) => c.onFrame(new Uint8Array(ev.data as ArrayBuffer));
          resolve(c);
        }
      };
      ws.onerror = () => reject(new ProtocolFailure(0, `cannot connect to ${url}`));
      ws.onclose = (e) => c.onClose(e.code, e.reason);
    });
  }

  private onClose(code: number, reason: string): void {
    this.closed = true;
    this.endedWith({ code, reason });
    const err = new ProtocolFailure(code, `connection closed: ${code} ${reason}`);
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
    this.reportWake?.();
    this.portfolioWake?.();
    this.alertWake?.();
    for (const set of this.bookWakers.values()) for (const wake of set) wake();
    this.streams.close();
  }

  private onFrame(bytes: Uint8Array): void {
    const m = decodeServer(bytes);
    if (isProtocolError(m)) return;
    if (m.type >= 0x40 && m.type < 0x80) {
      const seq = (m as { seq: number }).seq;
      if (seq !== this.lastSeq + 1) this.gaps++;
      this.lastSeq = seq;
    }
    switch (m.type) {
      case MessageType.L2_SNAPSHOT:
      case MessageType.L2_UPDATE: {
        const book = this.books.get(m.symbol);
        if (!book) return;
        const ok = m.type === MessageType.L2_SNAPSHOT ? (book.load(m), true) : book.apply(m);
        if (!ok) this.resync(m.symbol, Channel.L2);
        for (const wake of this.bookWakers.get(m.symbol) ?? []) wake();
        return;
      }
      case MessageType.L3_SNAPSHOT:
      case MessageType.L3_UPDATE: {
        if (m.type === MessageType.L3_SNAPSHOT) this.l3Waiters.get(m.symbol)?.shift()?.(m);
        const book = this.l3Books.get(m.symbol);
        if (!book) return;
        const ok = m.type === MessageType.L3_SNAPSHOT ? (book.load(m), book.ready) : book.apply(m);
        if (!ok) this.resync(m.symbol, Channel.L3);
        for (const wake of this.bookWakers.get(m.symbol) ?? []) wake();
        return;
      }
      case MessageType.TRADES:
      case MessageType.BBO:
      case MessageType.CANDLE:
      case MessageType.MARKET_STATUS:
        this.streams.deliver(m);
        return;
      case MessageType.EXECUTION:
      case MessageType.TRIGGERED:
        this.report(m);
        return;
      case MessageType.PORTFOLIO:
        if (this.held && !this.held.fold(m)) this.resubscribePortfolio();
        this.portfolioWake?.();
        break;
      case MessageType.ALERT:
        if (this.alertQueue && this.alertQueue.length < MAX_QUEUED_ALERTS) this.alertQueue.push(alertNotice(m));
        this.alertWake?.();
        return;
      case MessageType.CANCELLED:
      case MessageType.AMENDED:
      case MessageType.ORDER_STATUS:
        // requestId 0: unsolicited (a cancel by the system; a routed order's state at its venue).
        if (m.requestId === 0) return this.report(m);
        break;
    }
    const requestId = (m as { requestId?: number }).requestId ?? 0;
    const w = this.waiters.get(requestId);
    if (!w) return;
    // A mass cancel's CANCELLED frames precede its MASS_CANCEL_DONE; only the latter answers it.
    if (m.type === MessageType.CANCELLED && this.massCancels.has(requestId)) return this.report(m);
    this.waiters.delete(requestId);
    if (m.type === MessageType.REJECT) w.reject(new RejectError(m.reason, reasonName(m.reason), `${reasonName(m.reason)}: ${m.text || reasonText(m.reason)}`));
    else if (m.type === MessageType.ERROR) w.reject(new ProtocolFailure(m.code, `${errorName(m.code)}: ${m.text}`));
    else w.resolve(m);
  }

  private readonly massCancels = new Set<number>();

  /** Reports not yet read are kept up to this many; past it the oldest go (counted in `droppedReports`). */
  maxQueuedReports = 100_000;
  droppedReports = 0;

  private report(m: RawReport): void {
    if (this.reportQueue.length >= this.maxQueuedReports) {
      this.reportQueue.shift();
      this.droppedReports++;
    }
    this.reportQueue.push(m);
    this.reportWake?.();
  }

  private request<T extends ServerMessage>(m: ClientMessage): Promise<T> {
    if (this.closed) return Promise.reject(new ProtocolFailure(0, "connection closed"));
    const n = encodeClient(this.w, m);
    const p = new Promise<T>((resolve, reject) => this.waiters.set(m.requestId, { resolve: resolve as (m: ServerMessage) => void, reject }));
    this.ws.send(this.w.bytes.slice(0, n));
    this.framesSent++;
    return p;
  }

  /** Sends raw bytes (tests: malformed frames). */
  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
    this.framesSent++;
  }

  async login(apiKeyId: string, secret: string, opts: { cancelOnDisconnect?: boolean } = {}): Promise<LoginResult> {
    check.text("apiKeyId", apiKeyId);
    check.text("secret", secret);
    const o = check.record("opts", opts, ["cancelOnDisconnect"]);
    const flags = check.boolean("opts.cancelOnDisconnect", o.cancelOnDisconnect) ? 1 : 0;
    const timestamp = Math.floor(Date.now() * 1000);
    const signature = signLogin(secret, this.hello.nonce, timestamp, flags, apiKeyId);
    const r = await this.request<LoginResult | ServerMessage>({ type: MessageType.LOGIN, requestId: this.nextRequest++, timestamp, flags, signature, apiKeyId });
    if (r.type !== MessageType.LOGIN_RESULT) throw new ProtocolFailure(0, "unexpected answer to LOGIN");
    if (r.code !== 0) throw new ProtocolFailure(r.code, `login refused: ${errorName(r.code)}`);
    this.account = r.account;
    await this.referenceData();
    return r;
  }

  /** Instruments (tick and lot sizes), for decimal conversion; loaded at login or on demand. */
  async referenceData(): Promise<Instrument[]> {
    const r = await this.request<ServerMessage>({ type: MessageType.REFERENCE_DATA_REQUEST, requestId: this.nextRequest++, symbol: -1 });
    if (r.type !== MessageType.REFERENCE_DATA) throw new ProtocolFailure(0, "unexpected answer to REFERENCE_DATA_REQUEST");
    for (const i of r.instruments) {
      const inst: Instrument = { ...i };
      this.instruments.set(i.symbol, inst);
      this.byId.set(i.id, inst);
    }
    return [...this.byId.values()];
  }

  /** A known instrument by name or id; InvalidArgument (reason UNKNOWN_SYMBOL) listing the known ones otherwise. */
  instrument(symbol: string | number, field = "symbol"): Instrument {
    const inst = typeof symbol === "number" ? this.byId.get(symbol) : typeof symbol === "string" ? this.instruments.get(symbol) : undefined;
    if (inst) return inst;
    const known = [...this.instruments.keys()];
    const accepted = known.length === 0 ? "a known symbol (none loaded yet: log in or call referenceData() first)" : `one of ${known.join(", ")}`;
    return check.refuse(field, accepted, symbol, Reason.UNKNOWN_SYMBOL);
  }

  /** As instrument(), loading the reference data first if none is loaded yet (a market-data-only client does not log in). */
  private async known(symbol: unknown, field = "symbol"): Promise<Instrument> {
    if (typeof symbol !== "string" && typeof symbol !== "number") return check.refuse(field, "a symbol name such as \"BTC-USD\"", symbol, Reason.UNKNOWN_SYMBOL);
    if (this.byId.size === 0 && !this.closed) await this.referenceData();
    return this.instrument(symbol, field);
  }

  /**
   * Resolves with the ACK once the order is journaled; throws RejectError with the reason. A
   * retried client order id resolves with the existing order's status. Throws InvalidArgument,
   * sending nothing, for a field it does not accept.
   */
  async placeOrder(o: OrderRequest): Promise<OrderAck | OrderStatusReport> {
    const f = check.record("order", o, ORDER_FIELDS);
    const side = check.oneOf("side", f.side, ["buy", "sell"]);
    const typeName = check.oneOf("type", f.type, names(TYPES), "limit");
    const tifName = check.oneOf("tif", f.tif, names(TIFS), typeName === "market" ? "IOC" : "GTC");
    if (typeName === "market" && tifName !== "IOC" && tifName !== "FOK") check.refuse("tif", "IOC or FOK for a market order", f.tif, Reason.INVALID_TIME_IN_FORCE);
    const stp = check.oneOf("stp", f.stp, names(STPS), "cancel-newest");
    const postOnly = check.boolean("postOnly", f.postOnly);
    if (postOnly && (typeName !== "limit" || tifName === "IOC" || tifName === "FOK")) check.refuse("postOnly", "true only for a limit order that is not IOC or FOK", f.postOnly, Reason.INVALID_COMBINATION);
    const hasLimit = typeName === "limit" || typeName === "stop-limit";
    if (hasLimit && f.price === undefined) check.refuse("price", `a decimal string: a ${typeName} order needs a price`, f.price, Reason.INVALID_PRICE);
    const isStop = typeName === "stop" || typeName === "stop-limit";
    if (isStop && f.stopPrice === undefined) check.refuse("stopPrice", `a decimal string: a ${typeName} order needs a stopPrice`, f.stopPrice, Reason.INVALID_STOP_PRICE);
    if (!isStop && f.stopPrice !== undefined) check.refuse("stopPrice", "absent unless type is stop or stop-limit", f.stopPrice, Reason.INVALID_STOP_PRICE);
    if (tifName === "GTD" && f.expireTime === undefined) check.refuse("expireTime", "µs since the epoch: tif GTD needs an expireTime", f.expireTime);
    if (tifName !== "GTD" && f.expireTime !== undefined) check.refuse("expireTime", 'absent unless tif is "GTD"', f.expireTime);
    const expireTime = f.expireTime === undefined ? 0 : check.epochMicros("expireTime", f.expireTime);
    const clientOrderId = f.clientOrderId === undefined ? "" : check.clientOrderId("clientOrderId", f.clientOrderId);
    if (f.qty === undefined) check.refuse("qty", 'a positive decimal string such as "0.25"', f.qty, Reason.INVALID_QUANTITY);
    const inst = await this.known(f.symbol);
    const price = f.price === undefined ? 0 : check.price("price", f.price, inst);
    const stopPrice = f.stopPrice === undefined ? 0 : check.price("stopPrice", f.stopPrice, inst);
    const qty = check.qty("qty", f.qty, inst);
    const r = await this.request<Ack | OrderStatus>({
      type: MessageType.NEW_ORDER,
      requestId: this.nextRequest++,
      symbol: inst.id,
      side: side === "buy" ? Side.BUY : Side.SELL,
      orderType: TYPES[typeName],
      tif: TIFS[tifName],
      stp: STPS[stp],
      flags: postOnly ? Flags.POST_ONLY : 0,
      price,
      stopPrice,
      qty,
      expireTime,
      clientOrderId,
    });
    return withDecimals(r, inst);
  }

  /**
   * Cancels an order. A routed order's cancel is asked of its venue (docs/venues.md): it answers
   * with the order's status, unchanged, and the venue's CANCELLED arrives as a report.
   */
  async cancel(symbol: string, ref: OrderRef): Promise<CancelReport | OrderStatusReport> {
    const r = check.orderRef("ref", ref);
    const inst = await this.known(symbol);
    const m = await this.request<Cancelled | OrderStatus>({ type: MessageType.CANCEL, requestId: this.nextRequest++, symbol: inst.id, orderId: r.orderId, clientOrderId: r.clientOrderId });
    return withDecimals(m, inst);
  }

  /**
   * Changes an order's total quantity, and its price or stop price when given; an absent one stays
   * as it is (the server keeps it: docs/protocol.md, AMEND). Keeps queue priority only when the
   * price is unchanged and the quantity does not grow.
   */
  async amend(symbol: string, ref: OrderRef, change: AmendRequest): Promise<AmendReport> {
    const r = check.orderRef("ref", ref);
    const c = check.record("change", change, ["qty", "price", "stopPrice"]);
    if (c.qty === undefined) check.refuse("qty", 'a positive decimal string: the new total quantity, filled part included', c.qty, Reason.INVALID_QUANTITY);
    const inst = await this.known(symbol);
    const qty = check.qty("qty", c.qty, inst);
    const price = c.price === undefined ? 0 : check.price("price", c.price, inst);
    const stopPrice = c.stopPrice === undefined ? 0 : check.price("stopPrice", c.stopPrice, inst);
    const m = await this.request<Amended>({ type: MessageType.AMEND, requestId: this.nextRequest++, symbol: inst.id, orderId: r.orderId, clientOrderId: r.clientOrderId, price, stopPrice, qty });
    return withDecimals(m, inst);
  }

  /** Cancels every open order of the account in `symbol`, or in every symbol when it is absent. */
  async massCancel(symbol?: string): Promise<MassCancelDone> {
    const id = symbol === undefined ? -1 : (await this.known(symbol)).id;
    const requestId = this.nextRequest++;
    this.massCancels.add(requestId);
    try {
      return await this.request<MassCancelDone>({ type: MessageType.MASS_CANCEL, requestId, symbol: id });
    } finally {
      this.massCancels.delete(requestId);
    }
  }

  async orderStatus(symbol: string, ref: OrderRef): Promise<OrderStatusReport> {
    const r = check.orderRef("ref", ref);
    const inst = await this.known(symbol);
    const m = await this.request<OrderStatus>({ type: MessageType.ORDER_STATUS_REQUEST, requestId: this.nextRequest++, symbol: inst.id, orderId: r.orderId, clientOrderId: r.clientOrderId });
    return withDecimals(m, inst);
  }

  /**
   * Fills, triggers and unsolicited cancels of this session's orders, as they come, with decimal
   * prices and quantities. Runs until the connection closes, or with `idleMs` until that long
   * passes without a report (to read what has come so far and go on).
   */
  async *reports(opts: { idleMs?: number } = {}): AsyncGenerator<Report> {
    const o = check.record("opts", opts, ["idleMs"]);
    const idleMs = o.idleMs;
    if (idleMs !== undefined && (typeof idleMs !== "number" || !(idleMs >= 0) || !Number.isFinite(idleMs))) check.refuse("opts.idleMs", "a number of milliseconds ≥ 0", idleMs);
    for (;;) {
      while (this.reportQueue.length > 0) {
        const m = this.reportQueue.shift()!;
        // An instrument listed after login: its tick and lot come with fresh reference data.
        if (!this.byId.has(m.symbol)) await this.referenceData();
        const inst = this.instrument(m.symbol);
        yield withDecimals(m, inst);
      }
      if (this.closed) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const woken = await new Promise<boolean>((r) => {
        this.reportWake = () => r(true);
        if (idleMs !== undefined) timer = setTimeout(() => r(false), idleMs as number);
      });
      clearTimeout(timer);
      this.reportWake = null;
      if (!woken) return;
    }
  }

  /** Waits for the next report that satisfies `match` (tests and scripts). */
  async nextReport(match: (r: Report) => boolean = () => true): Promise<Report> {
    for await (const r of this.reports()) if (match(r)) return r;
    throw new ProtocolFailure(0, "connection closed while waiting for a report");
  }

  private subscribe(id: number, channel: number, depth = 0): Promise<ServerMessage> {
    return this.request({ type: MessageType.SUBSCRIBE, requestId: this.nextRequest++, symbol: id, channels: channel, depth });
  }

  private unsubscribe(id: number, channel: number): Promise<ServerMessage> {
    return this.request({ type: MessageType.UNSUBSCRIBE, requestId: this.nextRequest++, symbol: id, channels: channel });
  }

  private resync(id: number, channel: number): void {
    if (this.closed) return;
    // The connection may close while this is in flight; the book then simply stops.
    this.unsubscribe(id, channel)
      .then(() => this.subscribe(id, channel))
      .catch(() => {});
  }

  /**
   * The symbol's L2 book kept locally from a snapshot plus diffs; yields it after every change
   * (levels in decimal strings, ticks and lots beside them). A gap in the symbol's sequence
   * numbers triggers a fresh snapshot (`book.resyncs` counts them).
   */
  async *book(symbol: string | number): AsyncGenerator<LocalBook> {
    const inst = await this.known(symbol);
    const book = new LocalBook(inst.id, inst);
    this.books.set(inst.id, book);
    yield* this.follow(inst.id, Channel.L2, book);
  }

  /**
   * The symbol's market by order (L3) kept locally from an L3_SNAPSHOT plus L3_UPDATEs; yields it
   * after every change. `ordersAt(side, price)` is a level's queue in time priority. A gap, or a
   * change that does not fit, triggers a fresh snapshot (`book.resyncs` counts them).
   */
  async *l3Book(symbol: string | number): AsyncGenerator<LocalL3Book> {
    const inst = await this.known(symbol);
    const book = new LocalL3Book(inst.id, inst);
    this.l3Books.set(inst.id, book);
    yield* this.follow(inst.id, Channel.L3, book);
  }

  private async *follow<B extends { version: number; ready: boolean }>(id: number, channel: number, book: B): AsyncGenerator<B> {
    let wake: (() => void) | null = null;
    const wakers = this.bookWakers.get(id) ?? new Set();
    this.bookWakers.set(id, wakers);
    const waker = () => wake?.();
    wakers.add(waker);
    await this.subscribe(id, channel);
    try {
      let seen = -1;
      for (;;) {
        if (book.version !== seen && book.ready) {
          seen = book.version;
          yield book;
          continue; // frames may have come while the reader held the book
        }
        if (this.closed) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      wakers.delete(waker);
    }
  }

  /** The symbol's trades, one print at a time, as they happen (none from before the subscription). */
  async *trades(symbol: string | number): AsyncGenerator<TradePrint> {
    const inst = await this.known(symbol);
    yield* this.streams.stream(inst, Channel.TRADES, (m) => (m.type === MessageType.TRADES ? tradePrints(m, inst) : []), this.link(inst.id, Channel.TRADES));
  }

  /** The symbol's best bid and offer: the current one first, then each change (a slow reader may skip some). */
  async *bbo(symbol: string | number): AsyncGenerator<BestBidOffer> {
    const inst = await this.known(symbol);
    yield* this.streams.stream(inst, Channel.BBO, (m) => (m.type === MessageType.BBO ? [bestBidOffer(m, inst)] : []), this.link(inst.id, Channel.BBO));
  }

  /** The symbol's candles of one interval: each update of the open candle, and its last one with `closed` true. */
  async *candles(symbol: string | number, interval: CandleInterval): AsyncGenerator<CandleBar> {
    const code = CANDLE_INTERVALS.indexOf(check.oneOf("interval", interval, CANDLE_INTERVALS));
    const inst = await this.known(symbol);
    const channel = CANDLE_CHANNEL[code]!;
    yield* this.streams.stream(inst, channel, (m) => (m.type === MessageType.CANDLE ? [candleBar(m, inst)] : []), this.link(inst.id, channel));
  }

  /** The symbol's market state (open, closed, halted, and until when): the current one first, then each change. */
  async *marketStatus(symbol: string | number): AsyncGenerator<MarketStatusUpdate> {
    const inst = await this.known(symbol);
    yield* this.streams.stream(inst, Channel.MARKET_STATUS, (m) => (m.type === MessageType.MARKET_STATUS ? [marketStatus(m, inst)] : []), this.link(inst.id, Channel.MARKET_STATUS));
  }

  private link(id: number, channel: number) {
    return { subscribe: () => this.subscribe(id, channel), unsubscribe: () => this.unsubscribe(id, channel), closed: () => this.closed };
  }

  /**
   * Market by order (L3) once: every resting order of the symbol, bids then asks, each side best
   * level first and in queue order. Read from the symbol's `l3Book` when one is followed, else from
   * a fresh snapshot (subscribe, take it, unsubscribe).
   */
  async ordersAt(symbol: string): Promise<BookOrder[]> {
    const inst = await this.known(symbol);
    const id = inst.id;
    const followed = this.l3Books.get(id);
    if (followed?.ready) return [...followed.orders("bid"), ...followed.orders("ask")];
    const snapshot = new Promise<ServerMessage>((resolve) => (this.l3Waiters.get(id) ?? this.l3Waiters.set(id, []).get(id)!).push(resolve));
    await this.subscribe(id, Channel.L3);
    const m = await snapshot;
    // A followed book keeps its subscription (the fresh snapshot reloaded it too).
    if (!followed) await this.unsubscribe(id, Channel.L3);
    return m.type === MessageType.L3_SNAPSHOT ? m.orders.map((o) => bookOrder(inst, o)) : [];
  }

  private readonly l3Waiters = new Map<number, ((m: ServerMessage) => void)[]>();

  /**
   * The logged-in account's portfolio, live: balances (total, reserved, available, equity) and
   * positions (quantity, average cost, mark, realized and unrealized P&L) as decimal strings,
   * yielded whole after each change. Built from the server's snapshot and diffs
   * (docs/protocol.md, The live portfolio); a gap asks for a new snapshot (`resyncs` on the
   * returned states' source counts them). A slow reader gets the latest state, not every one.
   * Leaving the loop unsubscribes. One reader at a time per client.
   */
  async *portfolio(): AsyncGenerator<PortfolioState> {
    if (this.held) throw new ProtocolFailure(0, "portfolio() is already being read on this client");
    const local = (this.held = new LocalPortfolio());
    try {
      await this.request({ type: MessageType.PORTFOLIO_SUBSCRIBE, requestId: this.nextRequest++ });
      let seen = -1;
      for (;;) {
        if (local.ready && local.version !== seen) {
          seen = local.version;
          yield local.state((id) => this.byId.get(id));
          continue; // frames may have come while the reader held the state
        }
        if (this.closed) return;
        await new Promise<void>((r) => (this.portfolioWake = r));
        this.portfolioWake = null;
      }
    } finally {
      this.held = null;
      this.portfolioWake = null;
      if (!this.closed) this.request({ type: MessageType.PORTFOLIO_UNSUBSCRIBE, requestId: this.nextRequest++ }).catch(() => {});
    }
  }

  /**
   * Logs in an operator or auditor with the bearer token of their user session (from
   * `POST /api/v1/auth/login`), for `alerts()`; a trader is refused (use an API key and login()).
   */
  async loginToken(token: string): Promise<LoginResult> {
    check.text("token", token);
    const r = await this.request<LoginResult | ServerMessage>({ type: MessageType.LOGIN_TOKEN, requestId: this.nextRequest++, token });
    if (r.type !== MessageType.LOGIN_RESULT) throw new ProtocolFailure(0, "unexpected answer to LOGIN_TOKEN");
    if (r.code !== 0) throw new ProtocolFailure(r.code, `login refused: ${errorName(r.code)}`);
    return r;
  }

  /**
   * Transaction monitoring's alerts as they are raised (after `loginToken`), from `minSeverity`
   * ("low", "medium" or "high") up; none from before the call (`GET /api/v1/alerts` has those).
   * Leaving the loop unsubscribes; one reader per client at a time.
   */
  async *alerts(opts: { minSeverity?: "low" | "medium" | "high" } = {}): AsyncGenerator<AlertNotice> {
    const o = check.record("opts", opts, ["minSeverity"]);
    const min = check.oneOf("opts.minSeverity", o.minSeverity, ["low", "medium", "high"], "low");
    if (this.alertQueue) throw new ProtocolFailure(0, "alerts() is already being read on this client");
    const queue: AlertNotice[] = (this.alertQueue = []);
    try {
      await this.request({ type: MessageType.ALERTS_SUBSCRIBE, requestId: this.nextRequest++, minSeverity: ["low", "medium", "high"].indexOf(min) + 1 });
      for (;;) {
        const a = queue.shift();
        if (a) {
          yield a;
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((r) => (this.alertWake = r));
        this.alertWake = null;
      }
    } finally {
      this.alertQueue = null;
      this.alertWake = null;
      if (!this.closed) this.request({ type: MessageType.ALERTS_UNSUBSCRIBE, requestId: this.nextRequest++ }).catch(() => {});
    }
  }

  /** Snapshots the portfolio has asked for after a gap (0 while none is read). */
  get portfolioResyncs(): number {
    return this.held?.resyncs ?? 0;
  }

  private resubscribePortfolio(): void {
    if (this.closed) return;
    this.request({ type: MessageType.PORTFOLIO_SUBSCRIBE, requestId: this.nextRequest++ }).catch(() => {});
  }

  /** Ticks (and lots) as the instrument's decimal text: "30010.5", or "0.250 @ 30010.5". */
  format(symbol: string, ticks: number, lots?: number): string {
    const inst = this.instrument(symbol);
    return lots === undefined ? formatPrice(inst, ticks) : `${formatQty(inst, lots)} @ ${formatPrice(inst, ticks)}`;
  }

  close(): void {
    this.ws.close(1000, "bye");
  }
}
