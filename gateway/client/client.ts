import { OrderType, Side, StpMode, TimeInForce, Flags } from "../../engine/commands.ts";
import { formatPrice, formatQty, type Instrument, makeInstrument, parsePrice, parseQty } from "../../engine/instrument.ts";
import { reasonName, reasonText } from "../../engine/reasons.ts";
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
} from "../protocol/index.ts";
import { type BookOrder, LocalBook, LocalL3Book } from "./local-book.ts";

/** A request the exchange refused: `reason` is the engine's code (engine/reasons.ts). */
export class RejectError extends Error {
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
  type?: "limit" | "market" | "stop" | "stop-limit";
  /** Decimal text in the instrument's units; for market and stop orders, an optional cap. */
  price?: string;
  stopPrice?: string;
  qty: string;
  tif?: "GTC" | "IOC" | "FOK" | "DAY" | "GTD";
  /** GTD expiry, µs since the epoch. */
  expireTime?: number;
  postOnly?: boolean;
  stp?: "cancel-newest" | "cancel-oldest" | "cancel-both" | "decrement" | "none";
  clientOrderId?: string;
}

const TYPES = { limit: OrderType.LIMIT, market: OrderType.MARKET, stop: OrderType.STOP, "stop-limit": OrderType.STOP_LIMIT } as const;
const TIFS = { GTC: TimeInForce.GTC, IOC: TimeInForce.IOC, FOK: TimeInForce.FOK, DAY: TimeInForce.DAY, GTD: TimeInForce.GTD } as const;
const STPS = { "cancel-newest": StpMode.CANCEL_NEWEST, "cancel-oldest": StpMode.CANCEL_OLDEST, "cancel-both": StpMode.CANCEL_BOTH, decrement: StpMode.DECREMENT_AND_CANCEL, none: StpMode.NONE } as const;

/** Unsolicited order reports: fills, cancels nobody asked for (expiry, STP, IOC rest), triggers. */
export type Report = Extract<ServerMessage, { type: typeof MessageType.EXECUTION | typeof MessageType.CANCELLED | typeof MessageType.TRIGGERED | typeof MessageType.AMENDED }>;

type Waiter = { resolve: (m: ServerMessage) => void; reject: (e: Error) => void };

/**
 * The Bourse client: one WebSocket, order entry with promises, market data as async iterators.
 *
 *   const c = await BourseClient.connect("ws://127.0.0.1:7070/ws");
 *   await c.login("alice-demo", secret);
 *   const ack = await c.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30010.5", qty: "0.25" });
 *   for await (const book of c.book("BTC-USD")) console.log(book.bestBid(), book.bestAsk());
 */
export class BourseClient {
  private readonly w = new FrameWriter(256);
  private readonly waiters = new Map<number, Waiter>();
  private nextRequest = 1;
  private hello!: { nonce: Uint8Array; serverTime: number };
  private readonly instruments = new Map<string, Instrument>();
  private readonly byId = new Map<number, Instrument>();
  private readonly reportQueue: Report[] = [];
  private reportWake: (() => void) | null = null;
  private readonly books = new Map<number, LocalBook>();
  private readonly l3Books = new Map<number, LocalL3Book>();
  private readonly bookWakers = new Map<number, Set<() => void>>();
  /** Session sequence numbers: a gap means a message was missed. */
  lastSeq = 0;
  gaps = 0;
  account = -1;
  closed = false;

  private constructor(private readonly ws: WebSocket) {}

  static connect(url: string): Promise<BourseClient> {
    const ws = new WebSocket(url);
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
    const err = new ProtocolFailure(code, `connection closed: ${code} ${reason}`);
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
    this.reportWake?.();
    for (const set of this.bookWakers.values()) for (const wake of set) wake();
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
      case MessageType.EXECUTION:
      case MessageType.TRIGGERED:
        this.report(m);
        return;
      case MessageType.CANCELLED:
      case MessageType.AMENDED:
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

  private report(m: Report): void {
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
    return p;
  }

  /** Sends raw bytes (tests: malformed frames). */
  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  async login(apiKeyId: string, secret: string, opts: { cancelOnDisconnect?: boolean } = {}): Promise<LoginResult> {
    const flags = opts.cancelOnDisconnect ? 1 : 0;
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
      const inst = makeInstrument({ id: i.id, symbol: i.symbol, tickSize: i.tickSize, lotSize: i.lotSize, bandBps: 0, base: i.base, quote: i.quote });
      this.instruments.set(i.symbol, inst);
      this.byId.set(i.id, inst);
    }
    return [...this.byId.values()];
  }

  instrument(symbol: string | number): Instrument {
    const inst = typeof symbol === "number" ? this.byId.get(symbol) : this.instruments.get(symbol);
    if (!inst) throw new RejectError(1, "UNKNOWN_SYMBOL", `unknown symbol ${symbol} (load reference data first)`);
    return inst;
  }

  private ticks(inst: Instrument, text: string | undefined): number {
    if (text === undefined || text === "") return 0;
    const r = parsePrice(inst, text);
    if (!r.ok) throw new RejectError(r.reason, reasonName(r.reason), `${reasonName(r.reason)}: price ${text}`);
    return r.value;
  }

  private lots(inst: Instrument, text: string): number {
    const r = parseQty(inst, text);
    if (!r.ok) throw new RejectError(r.reason, reasonName(r.reason), `${reasonName(r.reason)}: quantity ${text}`);
    return r.value;
  }

  /** Resolves with the ACK once the order is journaled; throws RejectError with the reason. A retried client order id resolves with the existing order's status. */
  async placeOrder(o: OrderRequest): Promise<Ack | OrderStatus> {
    const inst = this.instrument(o.symbol);
    const type = TYPES[o.type ?? "limit"];
    const tif = TIFS[o.tif ?? (type === OrderType.MARKET ? "IOC" : "GTC")];
    return this.request<Ack | OrderStatus>({
      type: MessageType.NEW_ORDER,
      requestId: this.nextRequest++,
      symbol: inst.id,
      side: o.side === "buy" ? Side.BUY : Side.SELL,
      orderType: type,
      tif,
      stp: STPS[o.stp ?? "cancel-newest"],
      flags: o.postOnly ? Flags.POST_ONLY : 0,
      price: this.ticks(inst, o.price),
      stopPrice: this.ticks(inst, o.stopPrice),
      qty: this.lots(inst, o.qty),
      expireTime: o.expireTime ?? 0,
      clientOrderId: o.clientOrderId ?? "",
    });
  }

  async cancel(symbol: string, ref: { orderId?: number; clientOrderId?: string }): Promise<Cancelled> {
    const inst = this.instrument(symbol);
    return this.request<Cancelled>({ type: MessageType.CANCEL, requestId: this.nextRequest++, symbol: inst.id, orderId: ref.orderId ?? 0, clientOrderId: ref.clientOrderId ?? "" });
  }

  async amend(symbol: string, ref: { orderId?: number; clientOrderId?: string }, change: { price?: string; stopPrice?: string; qty: string }): Promise<Amended> {
    const inst = this.instrument(symbol);
    return this.request<Amended>({ type: MessageType.AMEND, requestId: this.nextRequest++, symbol: inst.id, orderId: ref.orderId ?? 0, clientOrderId: ref.clientOrderId ?? "", price: this.ticks(inst, change.price), stopPrice: this.ticks(inst, change.stopPrice), qty: this.lots(inst, change.qty) });
  }

  async massCancel(symbol?: string): Promise<MassCancelDone> {
    const requestId = this.nextRequest++;
    this.massCancels.add(requestId);
    try {
      return await this.request<MassCancelDone>({ type: MessageType.MASS_CANCEL, requestId, symbol: symbol === undefined ? -1 : this.instrument(symbol).id });
    } finally {
      this.massCancels.delete(requestId);
    }
  }

  async orderStatus(symbol: string, ref: { orderId?: number; clientOrderId?: string }): Promise<OrderStatus> {
    const inst = this.instrument(symbol);
    return this.request<OrderStatus>({ type: MessageType.ORDER_STATUS_REQUEST, requestId: this.nextRequest++, symbol: inst.id, orderId: ref.orderId ?? 0, clientOrderId: ref.clientOrderId ?? "" });
  }

  /** Fills, triggers and unsolicited cancels of this session's orders, as they come. */
  async *reports(): AsyncGenerator<Report> {
    for (;;) {
      while (this.reportQueue.length > 0) yield this.reportQueue.shift()!;
      if (this.closed) return;
      await new Promise<void>((r) => (this.reportWake = r));
      this.reportWake = null;
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

  private resync(id: number, channel: number): void {
    if (this.closed) return;
    // The connection may close while this is in flight; the book then simply stops.
    this.request({ type: MessageType.UNSUBSCRIBE, requestId: this.nextRequest++, symbol: id, channels: channel })
      .then(() => this.subscribe(id, channel))
      .catch(() => {});
  }

  /**
   * The symbol's L2 book kept locally from a snapshot plus diffs; yields it after every change. A
   * gap in the symbol's sequence numbers triggers a fresh snapshot (`book.resyncs` counts them).
   */
  async *book(symbol: string | number): AsyncGenerator<LocalBook> {
    const id = await this.symbolId(symbol);
    const book = new LocalBook(id);
    this.books.set(id, book);
    yield* this.follow(id, Channel.L2, book);
  }

  /**
   * The symbol's market by order (L3) kept locally from an L3_SNAPSHOT plus L3_UPDATEs; yields it
   * after every change. `ordersAt(side, price)` is a level's queue in time priority. A gap, or a
   * change that does not fit, triggers a fresh snapshot (`book.resyncs` counts them).
   */
  async *l3Book(symbol: string | number): AsyncGenerator<LocalL3Book> {
    const id = await this.symbolId(symbol);
    const book = new LocalL3Book(id);
    this.l3Books.set(id, book);
    yield* this.follow(id, Channel.L3, book);
  }

  private async symbolId(symbol: string | number): Promise<number> {
    const inst = typeof symbol === "number" ? this.byId.get(symbol) : this.instruments.get(symbol);
    if (!inst) await this.referenceData();
    return this.instrument(symbol).id;
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
        }
        if (this.closed) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      wakers.delete(waker);
    }
  }

  /**
   * Market by order (L3) once: every resting order of the symbol, bids then asks, each side best
   * level first and in queue order. Read from the symbol's `l3Book` when one is followed, else from
   * a fresh snapshot (subscribe, take it, unsubscribe).
   */
  async ordersAt(symbol: string): Promise<BookOrder[]> {
    const id = this.instrument(symbol).id;
    const followed = this.l3Books.get(id);
    if (followed?.ready) return [...followed.orders("bid"), ...followed.orders("ask")];
    const snapshot = new Promise<ServerMessage>((resolve) => (this.l3Waiters.get(id) ?? this.l3Waiters.set(id, []).get(id)!).push(resolve));
    await this.subscribe(id, Channel.L3);
    const m = await snapshot;
    // A followed book keeps its subscription (the fresh snapshot reloaded it too).
    if (!followed) await this.request({ type: MessageType.UNSUBSCRIBE, requestId: this.nextRequest++, symbol: id, channels: Channel.L3 });
    return m.type === MessageType.L3_SNAPSHOT ? m.orders : [];
  }

  private readonly l3Waiters = new Map<number, ((m: ServerMessage) => void)[]>();

  format(symbol: string, ticks: number, lots?: number): string {
    const inst = this.instrument(symbol);
    return lots === undefined ? formatPrice(inst, ticks) : `${formatQty(inst, lots)} @ ${formatPrice(inst, ticks)}`;
  }

  close(): void {
    this.ws.close(1000, "bye");
  }
}
