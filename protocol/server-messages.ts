import { Flags, OrderState, OrderType, Side, StpMode, TimeInForce } from "./shared.ts";
import { ErrorCode, ProtocolError } from "./errors.ts";
import {
  asciiAt,
  checkAscii,
  checkBytes,
  checkNat,
  checkU16,
  checkU32,
  checkU8,
  CLIENT_ORDER_ID_MAX,
  CURRENCY_MAX,
  DECIMAL_TEXT_MAX,
  FrameWriter,
  isAsciiAt,
  isClientType,
  isMarketDataType,
  isNat,
  isSessionType,
  MessageType,
  messageTypeName,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  SESSION_HEADER_BYTES,
  SYMBOL_MAX,
  writeString,
  writeText,
} from "./frame.ts";
import { decodeMarketData, type MarketDataMessage } from "./market-data-messages.ts";

/**
 * Server → client session messages (docs/protocol.md, Session messages): what one session is told
 * about its login, its requests and its orders. Each carries the session's sequence number at
 * offset 2 (1, 2, 3, … per session, no gaps), so a client sees at once that it missed something.
 * Answers to a request carry its `requestId`; unsolicited messages (an expiry, a self-trade
 * cancel, cancel-on-disconnect seen from another session) carry requestId 0.
 *
 * Encoders take the message as an object so the gateway can keep one per type and refill it:
 * nothing is allocated per message. `decodeServer` (for the SDK) decodes these and the
 * market-data messages, and like decodeClient never throws.
 */

/** Which side of a trade an order was on. */
export const Liquidity = { MAKER: 0, TAKER: 1 } as const;

export const LOGIN_OK = 0;

interface Session {
  /** The session's sequence number of this message. */
  seq: number;
}

/** The first frame on every connection: the nonce that LOGIN signs. */
export interface Hello extends Session {
  type: typeof MessageType.HELLO;
  /** µs since the epoch, the server's clock. */
  serverTime: number;
  nonce: Uint8Array;
}

export interface LoginResult extends Session {
  type: typeof MessageType.LOGIN_RESULT;
  requestId: number;
  /** LOGIN_OK (0), or an ErrorCode: AUTH_FAILED, STALE_TIMESTAMP, ALREADY_LOGGED_IN, … */
  code: number;
  /** The account the API key trades for (0 when the login failed). */
  account: number;
  sessionId: number;
  serverTime: number;
}

/** A frame or session rule was broken; nothing changed. */
export interface ErrorMessage extends Session {
  type: typeof MessageType.ERROR;
  /** The request's id when the frame showed one, else 0. */
  requestId: number;
  /** ErrorCode. */
  code: number;
  /** For INVALID_FIELD, the engine reason naming the field; else 0. */
  reason: number;
  /** Type byte of the offending frame, 0 if it had none. */
  messageType: number;
  text: string;
}

/** A new order was accepted (journaled): it has an order id. */
export interface Ack extends Session {
  type: typeof MessageType.ACK;
  requestId: number;
  symbol: number;
  orderId: number;
  time: number;
  side: number;
  orderType: number;
  tif: number;
  stp: number;
  flags: number;
  price: number;
  stopPrice: number;
  qty: number;
  leaves: number;
  expireTime: number;
  clientOrderId: string;
}

/** A request was refused with an engine reason (engine/reasons.ts); nothing changed. */
export interface Reject extends Session {
  type: typeof MessageType.REJECT;
  requestId: number;
  reason: number;
  /** The client message type that was refused. */
  requestType: number;
  symbol: number;
  /** The order named by the request, 0 if none. */
  orderId: number;
  time: number;
  clientOrderId: string;
  text: string;
}

/** One fill of one of the session's orders. */
export interface Execution extends Session {
  type: typeof MessageType.EXECUTION;
  symbol: number;
  orderId: number;
  tradeId: number;
  time: number;
  side: number;
  liquidity: number;
  /** OrderState after the fill: PARTIALLY_FILLED or FILLED. */
  state: number;
  price: number;
  qty: number;
  leaves: number;
  /** Quantity filled so far, this fill included. */
  cumQty: number;
  clientOrderId: string;
}

/**
 * An order (or part of it) left the book: the answer to CANCEL or MASS_CANCEL (requestId set,
 * reason USER_CANCEL or MASS_CANCEL), or unsolicited (requestId 0): an expiry, an IOC remainder,
 * self-trade prevention, a halt, cancel-on-disconnect. `leaves` > 0 is a partial reduction
 * (decrement-and-cancel STP): the order stays, smaller, with its queue place.
 */
export interface Cancelled extends Session {
  type: typeof MessageType.CANCELLED;
  requestId: number;
  symbol: number;
  orderId: number;
  time: number;
  side: number;
  /** OrderState after: CANCELLED, EXPIRED, or (a partial reduction) NEW or PARTIALLY_FILLED. */
  state: number;
  /** Engine reason: USER_CANCEL, MASS_CANCEL, SELF_TRADE, DAY_EXPIRED, GTD_EXPIRED, … */
  reason: number;
  price: number;
  cancelledQty: number;
  leaves: number;
  cumQty: number;
  clientOrderId: string;
}

export interface Amended extends Session {
  type: typeof MessageType.AMENDED;
  requestId: number;
  symbol: number;
  orderId: number;
  time: number;
  side: number;
  /** True when the order kept its queue place (same price, smaller size). */
  keptPriority: boolean;
  price: number;
  qty: number;
  leaves: number;
  oldPrice: number;
  oldQty: number;
  clientOrderId: string;
}

/** Sent after the CANCELLED of every order a MASS_CANCEL removed. */
export interface MassCancelDone extends Session {
  type: typeof MessageType.MASS_CANCEL_DONE;
  requestId: number;
  /** The symbol, or ALL (−1). */
  symbol: number;
  cancelled: number;
  time: number;
}

export interface OrderStatus extends Session {
  type: typeof MessageType.ORDER_STATUS;
  requestId: number;
  symbol: number;
  orderId: number;
  submitTime: number;
  side: number;
  orderType: number;
  tif: number;
  /** OrderState. */
  state: number;
  price: number;
  stopPrice: number;
  qty: number;
  filled: number;
  leaves: number;
  clientOrderId: string;
}

/** A stop order's trigger was reached: it is now a market (STOP) or limit (STOP_LIMIT) order. */
export interface Triggered extends Session {
  type: typeof MessageType.TRIGGERED;
  symbol: number;
  orderId: number;
  time: number;
  side: number;
  orderType: number;
  stopPrice: number;
  lastPrice: number;
  leaves: number;
  clientOrderId: string;
}

/** What the SDK needs to turn ticks and lots into decimals. */
export interface InstrumentInfo {
  id: number;
  symbol: string;
  /** Decimal strings, e.g. "0.01". */
  tickSize: string;
  lotSize: string;
  /** Currency codes; "" when the instrument has none. */
  base: string;
  quote: string;
}

/** Answer to REFERENCE_DATA_REQUEST, and sent (requestId 0) after a successful login. */
export interface ReferenceData extends Session {
  type: typeof MessageType.REFERENCE_DATA;
  requestId: number;
  instruments: InstrumentInfo[];
}

/** Answer to SUBSCRIBE and UNSUBSCRIBE: the symbol's channels now active for this session. */
export interface Subscribed extends Session {
  type: typeof MessageType.SUBSCRIBED;
  requestId: number;
  symbol: number;
  channels: number;
}

export type SessionMessage =
  | Hello
  | LoginResult
  | ErrorMessage
  | Ack
  | Reject
  | Execution
  | Cancelled
  | Amended
  | MassCancelDone
  | OrderStatus
  | Triggered
  | ReferenceData
  | Subscribed;

export type ServerMessage = SessionMessage | MarketDataMessage;

// ------------------------------------------------------------------------------ encode (server)

function header(w: FrameWriter, type: number, seq: number, size: number): DataView {
  checkNat("seq", seq);
  w.ensure(size);
  const v = w.view;
  v.setUint8(0, PROTOCOL_VERSION);
  v.setUint8(1, type | 0);
  v.setFloat64(2, seq, true);
  return v;
}

function checkOrderId(s: string): void {
  checkAscii("clientOrderId", s, 0, CLIENT_ORDER_ID_MAX);
}

function checkState(state: number): void {
  checkU8("state", state, OrderState.REJECTED);
}

export function encodeHello(w: FrameWriter, m: Hello): number {
  checkNat("serverTime", m.serverTime);
  checkBytes("nonce", m.nonce, NONCE_BYTES);
  const v = header(w, MessageType.HELLO, m.seq, 50);
  v.setFloat64(10, m.serverTime, true);
  w.bytes.set(m.nonce, 18);
  return 50;
}

export function encodeLoginResult(w: FrameWriter, m: LoginResult): number {
  checkU32("requestId", m.requestId);
  checkU16("code", m.code);
  checkNat("account", m.account);
  checkNat("sessionId", m.sessionId);
  checkNat("serverTime", m.serverTime);
  const v = header(w, MessageType.LOGIN_RESULT, m.seq, 40);
  v.setUint32(10, m.requestId | 0, true);
  v.setUint16(14, m.code | 0, true);
  v.setFloat64(16, m.account, true);
  v.setFloat64(24, m.sessionId, true);
  v.setFloat64(32, m.serverTime, true);
  return 40;
}

/** `text` is never refused: characters outside printable ASCII become '?', and it is cut at 255. */
export function encodeError(w: FrameWriter, m: ErrorMessage): number {
  checkU32("requestId", m.requestId);
  checkU16("code", m.code);
  checkU16("reason", m.reason);
  checkU8("messageType", m.messageType, 0xff);
  const v = header(w, MessageType.ERROR, m.seq, 20 + 255);
  v.setUint32(10, m.requestId | 0, true);
  v.setUint16(14, m.code | 0, true);
  v.setUint16(16, m.reason | 0, true);
  v.setUint8(18, m.messageType | 0);
  return writeText(w, 19, m.text);
}

/** The ERROR frame for what decodeClient returned, with the session's next sequence number. */
export function encodeProtocolError(w: FrameWriter, seq: number, e: ProtocolError): number {
  return encodeError(w, { type: MessageType.ERROR, seq, requestId: e.requestId, code: e.code, reason: e.reason, messageType: e.messageType, text: e.message });
}

export function encodeAck(w: FrameWriter, m: Ack): number {
  checkU32("requestId", m.requestId);
  checkU32("symbol", m.symbol);
  checkNat("orderId", m.orderId);
  checkNat("time", m.time);
  checkU8("side", m.side, Side.SELL);
  checkU8("orderType", m.orderType, OrderType.STOP_LIMIT);
  checkU8("tif", m.tif, TimeInForce.GTD);
  checkU8("stp", m.stp, StpMode.NONE);
  checkU8("flags", m.flags, Flags.POST_ONLY);
  checkNat("price", m.price);
  checkNat("stopPrice", m.stopPrice);
  checkNat("qty", m.qty);
  checkNat("leaves", m.leaves);
  checkNat("expireTime", m.expireTime);
  checkOrderId(m.clientOrderId);
  const v = header(w, MessageType.ACK, m.seq, 80 + m.clientOrderId.length);
  v.setUint32(10, m.requestId | 0, true);
  v.setUint32(14, m.symbol | 0, true);
  v.setFloat64(18, m.orderId, true);
  v.setFloat64(26, m.time, true);
  v.setUint8(34, m.side | 0);
  v.setUint8(35, m.orderType | 0);
  v.setUint8(36, m.tif | 0);
  v.setUint8(37, m.stp | 0);
  v.setUint8(38, m.flags | 0);
  v.setFloat64(39, m.price, true);
  v.setFloat64(47, m.stopPrice, true);
  v.setFloat64(55, m.qty, true);
  v.setFloat64(63, m.leaves, true);
  v.setFloat64(71, m.expireTime, true);
  return writeString(w, 79, m.clientOrderId);
}

export function encodeReject(w: FrameWriter, m: Reject): number {
  checkU32("requestId", m.requestId);
  checkU16("reason", m.reason);
  checkU8("requestType", m.requestType, 0xff);
  if (!isClientType(m.requestType)) throw new RangeError(`requestType must be a client message type: ${m.requestType}`);
  checkU32("symbol", m.symbol);
  checkNat("orderId", m.orderId);
  checkNat("time", m.time);
  checkOrderId(m.clientOrderId);
  const v = header(w, MessageType.REJECT, m.seq, 39 + m.clientOrderId.length + 255);
  v.setUint32(10, m.requestId | 0, true);
  v.setUint16(14, m.reason | 0, true);
  v.setUint8(16, m.requestType | 0);
  v.setUint32(17, m.symbol | 0, true);
  v.setFloat64(21, m.orderId, true);
  v.setFloat64(29, m.time, true);
  return writeText(w, writeString(w, 37, m.clientOrderId), m.text);
}

export function encodeExecution(w: FrameWriter, m: Execution): number {
  checkU32("symbol", m.symbol);
  checkNat("orderId", m.orderId);
  checkNat("tradeId", m.tradeId);
  checkNat("time", m.time);
  checkU8("side", m.side, Side.SELL);
  checkU8("liquidity", m.liquidity, Liquidity.TAKER);
  checkState(m.state);
  checkNat("price", m.price);
  checkNat("qty", m.qty);
  checkNat("leaves", m.leaves);
  checkNat("cumQty", m.cumQty);
  checkOrderId(m.clientOrderId);
  const v = header(w, MessageType.EXECUTION, m.seq, 74 + m.clientOrderId.length);
  v.setUint32(10, m.symbol | 0, true);
  v.setFloat64(14, m.orderId, true);
  v.setFloat64(22, m.tradeId, true);
  v.setFloat64(30, m.time, true);
  v.setUint8(38, m.side | 0);
  v.setUint8(39, m.liquidity | 0);
  v.setUint8(40, m.state | 0);
  v.setFloat64(41, m.price, true);
  v.setFloat64(49, m.qty, true);
  v.setFloat64(57, m.leaves, true);
  v.setFloat64(65, m.cumQty, true);
  return writeString(w, 73, m.clientOrderId);
}

export function encodeCancelled(w: FrameWriter, m: Cancelled): number {
  checkU32("requestId", m.requestId);
  checkU32("symbol", m.symbol);
  checkNat("orderId", m.orderId);
  checkNat("time", m.time);
  checkU8("side", m.side, Side.SELL);
  checkState(m.state);
  checkU16("reason", m.reason);
  checkNat("price", m.price);
  checkNat("cancelledQty", m.cancelledQty);
  checkNat("leaves", m.leaves);
  checkNat("cumQty", m.cumQty);
  checkOrderId(m.clientOrderId);
  const v = header(w, MessageType.CANCELLED, m.seq, 71 + m.clientOrderId.length);
  v.setUint32(10, m.requestId | 0, true);
  v.setUint32(14, m.symbol | 0, true);
  v.setFloat64(18, m.orderId, true);
  v.setFloat64(26, m.time, true);
  v.setUint8(34, m.side | 0);
  v.setUint8(35, m.state | 0);
  v.setUint16(36, m.reason | 0, true);
  v.setFloat64(38, m.price, true);
  v.setFloat64(46, m.cancelledQty, true);
  v.setFloat64(54, m.leaves, true);
  v.setFloat64(62, m.cumQty, true);
  return writeString(w, 70, m.clientOrderId);
}

export function encodeAmended(w: FrameWriter, m: Amended): number {
  checkU32("requestId", m.requestId);
  checkU32("symbol", m.symbol);
  checkNat("orderId", m.orderId);
  checkNat("time", m.time);
  checkU8("side", m.side, Side.SELL);
  if (typeof m.keptPriority !== "boolean") throw new RangeError(`keptPriority must be a boolean: ${m.keptPriority}`);
  checkNat("price", m.price);
  checkNat("qty", m.qty);
  checkNat("leaves", m.leaves);
  checkNat("oldPrice", m.oldPrice);
  checkNat("oldQty", m.oldQty);
  checkOrderId(m.clientOrderId);
  const v = header(w, MessageType.AMENDED, m.seq, 77 + m.clientOrderId.length);
  v.setUint32(10, m.requestId | 0, true);
  v.setUint32(14, m.symbol | 0, true);
  v.setFloat64(18, m.orderId, true);
  v.setFloat64(26, m.time, true);
  v.setUint8(34, m.side | 0);
  v.setUint8(35, m.keptPriority ? 1 : 0);
  v.setFloat64(36, m.price, true);
  v.setFloat64(44, m.qty, true);
  v.setFloat64(52, m.leaves, true);
  v.setFloat64(60, m.oldPrice, true);
  v.setFloat64(68, m.oldQty, true);
  return writeString(w, 76, m.clientOrderId);
}

export function encodeMassCancelDone(w: FrameWriter, m: MassCancelDone): number {
  checkU32("requestId", m.requestId);
  if ((m.symbol | 0) !== m.symbol || m.symbol < -1) throw new RangeError(`symbol must be an instrument id or ALL (-1): ${m.symbol}`);
  checkU32("cancelled", m.cancelled);
  checkNat("time", m.time);
  const v = header(w, MessageType.MASS_CANCEL_DONE, m.seq, 30);
  v.setUint32(10, m.requestId | 0, true);
  v.setInt32(14, m.symbol | 0, true);
  v.setUint32(18, m.cancelled | 0, true);
  v.setFloat64(22, m.time, true);
  return 30;
}

export function encodeOrderStatus(w: FrameWriter, m: OrderStatus): number {
  checkU32("requestId", m.requestId);
  checkU32("symbol", m.symbol);
  checkNat("orderId", m.orderId);
  checkNat("submitTime", m.submitTime);
  checkU8("side", m.side, Side.SELL);
  checkU8("orderType", m.orderType, OrderType.STOP_LIMIT);
  checkU8("tif", m.tif, TimeInForce.GTD);
  checkState(m.state);
  checkNat("price", m.price);
  checkNat("stopPrice", m.stopPrice);
  checkNat("qty", m.qty);
  checkNat("filled", m.filled);
  checkNat("leaves", m.leaves);
  checkOrderId(m.clientOrderId);
  const v = header(w, MessageType.ORDER_STATUS, m.seq, 79 + m.clientOrderId.length);
  v.setUint32(10, m.requestId | 0, true);
  v.setUint32(14, m.symbol | 0, true);
  v.setFloat64(18, m.orderId, true);
  v.setFloat64(26, m.submitTime, true);
  v.setUint8(34, m.side | 0);
  v.setUint8(35, m.orderType | 0);
  v.setUint8(36, m.tif | 0);
  v.setUint8(37, m.state | 0);
  v.setFloat64(38, m.price, true);
  v.setFloat64(46, m.stopPrice, true);
  v.setFloat64(54, m.qty, true);
  v.setFloat64(62, m.filled, true);
  v.setFloat64(70, m.leaves, true);
  return writeString(w, 78, m.clientOrderId);
}

export function encodeTriggered(w: FrameWriter, m: Triggered): number {
  checkU32("symbol", m.symbol);
  checkNat("orderId", m.orderId);
  checkNat("time", m.time);
  checkU8("side", m.side, Side.SELL);
  checkU8("orderType", m.orderType, OrderType.STOP_LIMIT);
  checkNat("stopPrice", m.stopPrice);
  checkNat("lastPrice", m.lastPrice);
  checkNat("leaves", m.leaves);
  checkOrderId(m.clientOrderId);
  const v = header(w, MessageType.TRIGGERED, m.seq, 57 + m.clientOrderId.length);
  v.setUint32(10, m.symbol | 0, true);
  v.setFloat64(14, m.orderId, true);
  v.setFloat64(22, m.time, true);
  v.setUint8(30, m.side | 0);
  v.setUint8(31, m.orderType | 0);
  v.setFloat64(32, m.stopPrice, true);
  v.setFloat64(40, m.lastPrice, true);
  v.setFloat64(48, m.leaves, true);
  return writeString(w, 56, m.clientOrderId);
}

const INSTRUMENT_MAX_BYTES = 4 + 5 + SYMBOL_MAX + 2 * DECIMAL_TEXT_MAX + 2 * CURRENCY_MAX;

export function encodeReferenceData(w: FrameWriter, m: ReferenceData): number {
  checkU32("requestId", m.requestId);
  const list = m.instruments;
  if (list.length > 0xffff) throw new RangeError(`REFERENCE_DATA holds at most 65535 instruments: ${list.length}`);
  for (const i of list) {
    checkU32("id", i.id);
    checkAscii("symbol", i.symbol, 1, SYMBOL_MAX);
    checkAscii("tickSize", i.tickSize, 1, DECIMAL_TEXT_MAX);
    checkAscii("lotSize", i.lotSize, 1, DECIMAL_TEXT_MAX);
    checkAscii("base", i.base, 0, CURRENCY_MAX);
    checkAscii("quote", i.quote, 0, CURRENCY_MAX);
  }
  const v = header(w, MessageType.REFERENCE_DATA, m.seq, 16 + list.length * INSTRUMENT_MAX_BYTES);
  v.setUint32(10, m.requestId | 0, true);
  v.setUint16(14, list.length | 0, true);
  let at = 16;
  for (const i of list) {
    w.view.setUint32(at, i.id | 0, true);
    at = writeString(w, at + 4, i.symbol);
    at = writeString(w, at, i.tickSize);
    at = writeString(w, at, i.lotSize);
    at = writeString(w, at, i.base);
    at = writeString(w, at, i.quote);
  }
  return at;
}

export function encodeSubscribed(w: FrameWriter, m: Subscribed): number {
  checkU32("requestId", m.requestId);
  checkU32("symbol", m.symbol);
  checkU16("channels", m.channels);
  const v = header(w, MessageType.SUBSCRIBED, m.seq, 20);
  v.setUint32(10, m.requestId | 0, true);
  v.setUint32(14, m.symbol | 0, true);
  v.setUint16(18, m.channels | 0, true);
  return 20;
}

export function encodeSession(w: FrameWriter, m: SessionMessage): number {
  switch (m.type) {
    case MessageType.HELLO:
      return encodeHello(w, m);
    case MessageType.LOGIN_RESULT:
      return encodeLoginResult(w, m);
    case MessageType.ERROR:
      return encodeError(w, m);
    case MessageType.ACK:
      return encodeAck(w, m);
    case MessageType.REJECT:
      return encodeReject(w, m);
    case MessageType.EXECUTION:
      return encodeExecution(w, m);
    case MessageType.CANCELLED:
      return encodeCancelled(w, m);
    case MessageType.AMENDED:
      return encodeAmended(w, m);
    case MessageType.MASS_CANCEL_DONE:
      return encodeMassCancelDone(w, m);
    case MessageType.ORDER_STATUS:
      return encodeOrderStatus(w, m);
    case MessageType.TRIGGERED:
      return encodeTriggered(w, m);
    case MessageType.REFERENCE_DATA:
      return encodeReferenceData(w, m);
    case MessageType.SUBSCRIBED:
      return encodeSubscribed(w, m);
    default:
      throw new RangeError(`not a session message type: ${(m as { type: unknown }).type}`);
  }
}

// ------------------------------------------------------------------------------ decode (SDK)

/**
 * A cursor over one frame that records the first problem instead of throwing: each read checks
 * its bounds and its rule, and once `error` is set every read returns 0 or "". A decoder reads
 * its fields in layout order and checks `error` once at the end.
 */
class Reader {
  error: ProtocolError | null = null;
  constructor(
    readonly bytes: Uint8Array,
    readonly v: DataView,
    readonly length: number,
    readonly type: number,
  ) {}

  private truncated(at: number, n: number): boolean {
    if (at + n <= this.length) return false;
    this.error ??= new ProtocolError(ErrorCode.MALFORMED, `truncated: ${messageTypeName(this.type)} needs ${at + n} bytes or more, got ${this.length}`, this.type);
    return true;
  }

  invalid(field: string, value: number | string): void {
    const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
    this.error ??= new ProtocolError(ErrorCode.INVALID_FIELD, `${field} out of range: ${shown}`, this.type, 0, 0, field);
  }

  u8(at: number, field = "", max = 0xff): number {
    if (this.error || this.truncated(at, 1)) return 0;
    const x = this.bytes[at]!;
    if (x > max) this.invalid(field, x);
    return x;
  }

  u16(at: number): number {
    return this.error || this.truncated(at, 2) ? 0 : this.v.getUint16(at, true);
  }

  u32(at: number): number {
    return this.error || this.truncated(at, 4) ? 0 : this.v.getUint32(at, true);
  }

  i32(at: number, field: string, min: number): number {
    if (this.error || this.truncated(at, 4)) return 0;
    const x = this.v.getInt32(at, true);
    if (x < min) this.invalid(field, x);
    return x;
  }

  nat(at: number, field: string): number {
    if (this.error || this.truncated(at, 8)) return 0;
    const x = this.v.getFloat64(at, true);
    if (!isNat(x)) this.invalid(field, x);
    return x;
  }

  raw(at: number, n: number): Uint8Array {
    return this.error || this.truncated(at, n) ? new Uint8Array(n) : this.bytes.slice(at, at + n);
  }

  /** A counted string at `at`; `space` allows 0x20. Returns the string; `end` is past it. */
  end = 0;
  str(at: number, field: string, min: number, max: number, space = false): string {
    this.end = at;
    if (this.error || this.truncated(at, 1)) return "";
    const n = this.bytes[at]!;
    if (this.truncated(at + 1, n)) return "";
    this.end = at + 1 + n;
    if (n < min || n > max) {
      this.invalid(field, `${n} characters`);
      return "";
    }
    if (!isAsciiAt(this.bytes, at + 1, n, space)) {
      this.invalid(field, "not printable ASCII");
      return "";
    }
    return asciiAt(this.bytes, at + 1, n);
  }

  /** The frame must end at `size`. Returns the first problem found, or null. */
  done(size: number): ProtocolError | null {
    if (!this.error && size !== this.length) {
      this.error = new ProtocolError(ErrorCode.MALFORMED, `${this.length - size} trailing bytes after ${messageTypeName(this.type)} (${size} bytes)`, this.type);
    }
    return this.error;
  }
}

const SIDE = Side.SELL;
const STATE = OrderState.REJECTED;

function decodeSession(r: Reader, seq: number): SessionMessage | ProtocolError {
  switch (r.type) {
    case MessageType.HELLO: {
      const m: Hello = { type: MessageType.HELLO, seq, serverTime: r.nat(10, "serverTime"), nonce: r.raw(18, NONCE_BYTES) };
      return r.done(50) ?? m;
    }
    case MessageType.LOGIN_RESULT: {
      const m: LoginResult = {
        type: MessageType.LOGIN_RESULT,
        seq,
        requestId: r.u32(10),
        code: r.u16(14),
        account: r.nat(16, "account"),
        sessionId: r.nat(24, "sessionId"),
        serverTime: r.nat(32, "serverTime"),
      };
      return r.done(40) ?? m;
    }
    case MessageType.ERROR: {
      const m: ErrorMessage = {
        type: MessageType.ERROR,
        seq,
        requestId: r.u32(10),
        code: r.u16(14),
        reason: r.u16(16),
        messageType: r.u8(18),
        text: r.str(19, "text", 0, 255, true),
      };
      return r.done(r.end) ?? m;
    }
    case MessageType.ACK: {
      const m: Ack = {
        type: MessageType.ACK,
        seq,
        requestId: r.u32(10),
        symbol: r.u32(14),
        orderId: r.nat(18, "orderId"),
        time: r.nat(26, "time"),
        side: r.u8(34, "side", SIDE),
        orderType: r.u8(35, "orderType", OrderType.STOP_LIMIT),
        tif: r.u8(36, "tif", TimeInForce.GTD),
        stp: r.u8(37, "stp", StpMode.NONE),
        flags: r.u8(38, "flags", Flags.POST_ONLY),
        price: r.nat(39, "price"),
        stopPrice: r.nat(47, "stopPrice"),
        qty: r.nat(55, "qty"),
        leaves: r.nat(63, "leaves"),
        expireTime: r.nat(71, "expireTime"),
        clientOrderId: r.str(79, "clientOrderId", 0, CLIENT_ORDER_ID_MAX),
      };
      return r.done(r.end) ?? m;
    }
    case MessageType.REJECT: {
      const requestId = r.u32(10);
      const reason = r.u16(14);
      const requestType = r.u8(16);
      if (!r.error && !isClientType(requestType)) r.invalid("requestType", requestType);
      const m: Reject = {
        type: MessageType.REJECT,
        seq,
        requestId,
        reason,
        requestType,
        symbol: r.u32(17),
        orderId: r.nat(21, "orderId"),
        time: r.nat(29, "time"),
        clientOrderId: r.str(37, "clientOrderId", 0, CLIENT_ORDER_ID_MAX),
        text: "",
      };
      m.text = r.str(r.end, "text", 0, 255, true);
      return r.done(r.end) ?? m;
    }
    case MessageType.EXECUTION: {
      const m: Execution = {
        type: MessageType.EXECUTION,
        seq,
        symbol: r.u32(10),
        orderId: r.nat(14, "orderId"),
        tradeId: r.nat(22, "tradeId"),
        time: r.nat(30, "time"),
        side: r.u8(38, "side", SIDE),
        liquidity: r.u8(39, "liquidity", Liquidity.TAKER),
        state: r.u8(40, "state", STATE),
        price: r.nat(41, "price"),
        qty: r.nat(49, "qty"),
        leaves: r.nat(57, "leaves"),
        cumQty: r.nat(65, "cumQty"),
        clientOrderId: r.str(73, "clientOrderId", 0, CLIENT_ORDER_ID_MAX),
      };
      return r.done(r.end) ?? m;
    }
    case MessageType.CANCELLED: {
      const m: Cancelled = {
        type: MessageType.CANCELLED,
        seq,
        requestId: r.u32(10),
        symbol: r.u32(14),
        orderId: r.nat(18, "orderId"),
        time: r.nat(26, "time"),
        side: r.u8(34, "side", SIDE),
        state: r.u8(35, "state", STATE),
        reason: r.u16(36),
        price: r.nat(38, "price"),
        cancelledQty: r.nat(46, "cancelledQty"),
        leaves: r.nat(54, "leaves"),
        cumQty: r.nat(62, "cumQty"),
        clientOrderId: r.str(70, "clientOrderId", 0, CLIENT_ORDER_ID_MAX),
      };
      return r.done(r.end) ?? m;
    }
    case MessageType.AMENDED: {
      const m: Amended = {
        type: MessageType.AMENDED,
        seq,
        requestId: r.u32(10),
        symbol: r.u32(14),
        orderId: r.nat(18, "orderId"),
        time: r.nat(26, "time"),
        side: r.u8(34, "side", SIDE),
        keptPriority: r.u8(35, "keptPriority", 1) === 1,
        price: r.nat(36, "price"),
        qty: r.nat(44, "qty"),
        leaves: r.nat(52, "leaves"),
        oldPrice: r.nat(60, "oldPrice"),
        oldQty: r.nat(68, "oldQty"),
        clientOrderId: r.str(76, "clientOrderId", 0, CLIENT_ORDER_ID_MAX),
      };
      return r.done(r.end) ?? m;
    }
    case MessageType.MASS_CANCEL_DONE: {
      const m: MassCancelDone = {
        type: MessageType.MASS_CANCEL_DONE,
        seq,
        requestId: r.u32(10),
        symbol: r.i32(14, "symbol", -1),
        cancelled: r.u32(18),
        time: r.nat(22, "time"),
      };
      return r.done(30) ?? m;
    }
    case MessageType.ORDER_STATUS: {
      const m: OrderStatus = {
        type: MessageType.ORDER_STATUS,
        seq,
        requestId: r.u32(10),
        symbol: r.u32(14),
        orderId: r.nat(18, "orderId"),
        submitTime: r.nat(26, "submitTime"),
        side: r.u8(34, "side", SIDE),
        orderType: r.u8(35, "orderType", OrderType.STOP_LIMIT),
        tif: r.u8(36, "tif", TimeInForce.GTD),
        state: r.u8(37, "state", STATE),
        price: r.nat(38, "price"),
        stopPrice: r.nat(46, "stopPrice"),
        qty: r.nat(54, "qty"),
        filled: r.nat(62, "filled"),
        leaves: r.nat(70, "leaves"),
        clientOrderId: r.str(78, "clientOrderId", 0, CLIENT_ORDER_ID_MAX),
      };
      return r.done(r.end) ?? m;
    }
    case MessageType.TRIGGERED: {
      const m: Triggered = {
        type: MessageType.TRIGGERED,
        seq,
        symbol: r.u32(10),
        orderId: r.nat(14, "orderId"),
        time: r.nat(22, "time"),
        side: r.u8(30, "side", SIDE),
        orderType: r.u8(31, "orderType", OrderType.STOP_LIMIT),
        stopPrice: r.nat(32, "stopPrice"),
        lastPrice: r.nat(40, "lastPrice"),
        leaves: r.nat(48, "leaves"),
        clientOrderId: r.str(56, "clientOrderId", 0, CLIENT_ORDER_ID_MAX),
      };
      return r.done(r.end) ?? m;
    }
    case MessageType.REFERENCE_DATA: {
      const requestId = r.u32(10);
      const n = r.u16(14);
      const instruments: InstrumentInfo[] = [];
      let at = 16;
      for (let k = 0; k < n && !r.error; k++) {
        const id = r.u32(at);
        const symbol = r.str(at + 4, "symbol", 1, SYMBOL_MAX);
        const tickSize = r.str(r.end, "tickSize", 1, DECIMAL_TEXT_MAX);
        const lotSize = r.str(r.end, "lotSize", 1, DECIMAL_TEXT_MAX);
        const base = r.str(r.end, "base", 0, CURRENCY_MAX);
        const quote = r.str(r.end, "quote", 0, CURRENCY_MAX);
        at = r.end;
        instruments.push({ id, symbol, tickSize, lotSize, base, quote });
      }
      return r.done(at) ?? { type: MessageType.REFERENCE_DATA, seq, requestId, instruments };
    }
    case MessageType.SUBSCRIBED: {
      const m: Subscribed = { type: MessageType.SUBSCRIBED, seq, requestId: r.u32(10), symbol: r.u32(14), channels: r.u16(18) };
      return r.done(20) ?? m;
    }
    default:
      return new ProtocolError(ErrorCode.UNKNOWN_TYPE, `unknown message type ${messageTypeName(r.type)}`, r.type);
  }
}

/**
 * One server frame → one message, or a ProtocolError (for the SDK). Never throws, never reads
 * past the frame. Checks version (BAD_VERSION) and type (UNKNOWN_TYPE) first, then reads the
 * layout in order and reports the first problem: a read past the end (MALFORMED), a field out of
 * range (INVALID_FIELD), then bytes left over (MALFORMED).
 */
export function decodeServer(frame: Uint8Array | ArrayBuffer | string): ServerMessage | ProtocolError {
  if (typeof frame === "string") return new ProtocolError(ErrorCode.TEXT_FRAME, `text frame of ${frame.length} characters`);
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  const length = bytes.byteLength;
  if (length === 0) return new ProtocolError(ErrorCode.MALFORMED, "empty frame");
  if (bytes[0] !== PROTOCOL_VERSION) return new ProtocolError(ErrorCode.BAD_VERSION, `version ${bytes[0]}, this client speaks ${PROTOCOL_VERSION}`);
  if (length < 2) return new ProtocolError(ErrorCode.MALFORMED, "truncated: 1 byte, no message type");
  const type = bytes[1]!;
  const v = new DataView(bytes.buffer, bytes.byteOffset, length);
  if (isMarketDataType(type)) return decodeMarketData(bytes, v, length, type);
  if (!isSessionType(type)) {
    const what = messageTypeName(type);
    return new ProtocolError(ErrorCode.UNKNOWN_TYPE, what.startsWith("0x") ? `unknown message type ${what}` : `${what} is not a server message`, type);
  }
  if (length < SESSION_HEADER_BYTES) return new ProtocolError(ErrorCode.MALFORMED, `truncated: ${length} bytes, no session sequence`, type);
  const seq = v.getFloat64(2, true);
  if (!isNat(seq)) return new ProtocolError(ErrorCode.INVALID_FIELD, `seq out of range: ${seq}`, type, 0, 0, "seq");
  return decodeSession(new Reader(bytes, v, length, type), seq);
}
