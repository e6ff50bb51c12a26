import { Flags, OrderState, OrderType, Side, StpMode, TimeInForce } from "./shared.ts";
import { compileDispatch, compileSessionDecoder } from "./compile-decode.ts";
import { compileEncoders } from "./compile-encode.ts";
import { ErrorCode, ProtocolError } from "./errors.ts";
import {
  CLIENT_ORDER_ID_MAX,
  CURRENCY_MAX,
  DECIMAL_TEXT_MAX,
  FrameWriter,
  isMarketDataType,
  isNat,
  isSessionType,
  MessageType,
  messageTypeName,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  SESSION_HEADER_BYTES,
  SYMBOL_MAX,
} from "./frame.ts";
import { bool, bytes, i32, list, type MessageLayout, nat, str, text, u16, u32, u8 } from "./layout.ts";
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

/** What a PORTFOLIO frame is: the whole state, the entries that changed, or the end of the feed. */
export const PortfolioKind = { SNAPSHOT: 0, UPDATE: 1, UNSUBSCRIBED: 2 } as const;

/** One currency of the account, as decimal strings of the currency. */
export interface PortfolioCash {
  currency: string;
  total: string;
  /** Held by open buy orders and withdrawals awaiting approval. */
  reserved: string;
  available: string;
  /** The total plus the marked value of positions quoted in this currency: the account's value in it. */
  equity: string;
}

/** One instrument the account holds or has held; quantities signed (short < 0), money in the quote currency. */
export interface PortfolioPosition {
  symbol: number;
  qty: string;
  averageCost: string;
  /** "" without a mark (nothing traded yet, no mark set). */
  markPrice: string;
  realizedPnl: string;
  unrealizedPnl: string;
}

/**
 * The account's live portfolio (PORTFOLIO_SUBSCRIBE): a SNAPSHOT with every currency and position,
 * then UPDATEs listing only the entries that changed, each whole. `portfolioSeq` counts updates per
 * account (a snapshot carries the last one it includes); `engineSeq` is the last engine command the
 * state reflects, always durable.
 */
export interface Portfolio extends Session {
  type: typeof MessageType.PORTFOLIO;
  /** The PORTFOLIO_SUBSCRIBE or _UNSUBSCRIBE answered; 0 on an update. */
  requestId: number;
  kind: number;
  portfolioSeq: number;
  engineSeq: number;
  account: number;
  cash: PortfolioCash[];
  positions: PortfolioPosition[];
}

/**
 * A transaction monitoring alert (docs/monitoring.md), pushed unsolicited to the operator and
 * auditor sessions that subscribed, once the history store holds it. REST has its details.
 */
export interface Alert extends Session {
  type: typeof MessageType.ALERT;
  /** The rule (history/monitoring/alerts.ts Rule: 1 LARGE_ORDER … 7 NEW_DESTINATION_WITHDRAWAL). */
  rule: number;
  account: number;
  /** The journal seq of the command that raised it: with rule and account, the alert's id. */
  commandSeq: number;
  /** Engine time of that command, µs. */
  time: number;
  /** 1 low, 2 medium, 3 high. */
  severity: number;
  text: string;
}

/** Answer to ALERTS_SUBSCRIBE and ALERTS_UNSUBSCRIBE: whether alerts are now pushed, and from which severity. */
export interface AlertsSubscribed extends Session {
  type: typeof MessageType.ALERTS_SUBSCRIBED;
  requestId: number;
  subscribed: boolean;
  minSeverity: number;
}

export type SessionMessage =
  | Alert
  | AlertsSubscribed
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
  | Subscribed
  | Portfolio;

export type ServerMessage = SessionMessage | MarketDataMessage;

// ------------------------------------------------------------------------------ layouts

/**
 * Each session message described once, its fields in wire order after the 10-byte header
 * (docs/protocol.md has the tables); the encoders, decodeServer's session half and their checks are
 * built from these (compile-encode.ts, compile-decode.ts).
 */
const requestId = u32("requestId");
const symbol = u32("symbol");
const orderId = nat("orderId");
const time = nat("time");
const side = u8("side", { max: Side.SELL });
const orderType = u8("orderType", { max: OrderType.STOP_LIMIT });
const tif = u8("tif", { max: TimeInForce.GTD });
const state = u8("state", { max: OrderState.PENDING_UNKNOWN });
const price = nat("price");
const stopPrice = nat("stopPrice");
const qty = nat("qty");
const leaves = nat("leaves");
const cumQty = nat("cumQty");
const clientOrderId = str("clientOrderId", 0, CLIENT_ORDER_ID_MAX);

const layout = (type: number, fields: MessageLayout["fields"]): MessageLayout => ({ type, family: "session", fields });

export const SESSION_LAYOUTS: readonly MessageLayout[] = [
  layout(MessageType.HELLO, [nat("serverTime"), bytes("nonce", NONCE_BYTES)]),
  layout(MessageType.LOGIN_RESULT, [requestId, u16("code"), nat("account"), nat("sessionId"), nat("serverTime")]),
  layout(MessageType.ERROR, [requestId, u16("code"), u16("reason"), u8("messageType"), text("text")]),
  layout(MessageType.ACK, [
    requestId, symbol, orderId, time, side, orderType, tif,
    u8("stp", { max: StpMode.NONE }),
    u8("flags", { max: Flags.POST_ONLY }),
    price, stopPrice, qty, leaves, nat("expireTime"), clientOrderId,
  ]),
  layout(MessageType.REJECT, [
    requestId, u16("reason"), u8("requestType", { clientType: true }), symbol, orderId, time, clientOrderId, text("text"),
  ]),
  layout(MessageType.EXECUTION, [
    symbol, orderId, nat("tradeId"), time, side,
    u8("liquidity", { max: Liquidity.TAKER }),
    state, price, qty, leaves, cumQty, clientOrderId,
  ]),
  layout(MessageType.CANCELLED, [
    requestId, symbol, orderId, time, side, state, u16("reason"), price, nat("cancelledQty"), leaves, cumQty, clientOrderId,
  ]),
  layout(MessageType.AMENDED, [
    requestId, symbol, orderId, time, side, bool("keptPriority"), price, qty, leaves, nat("oldPrice"), nat("oldQty"), clientOrderId,
  ]),
  layout(MessageType.MASS_CANCEL_DONE, [
    requestId, i32("symbol", { min: -1, rule: "must be an instrument id or ALL (-1)" }), u32("cancelled"), time,
  ]),
  layout(MessageType.ORDER_STATUS, [
    requestId, symbol, orderId, nat("submitTime"), side, orderType, tif, state, price, stopPrice, qty, nat("filled"), leaves, clientOrderId,
  ]),
  layout(MessageType.TRIGGERED, [symbol, orderId, time, side, orderType, stopPrice, nat("lastPrice"), leaves, clientOrderId]),
  layout(MessageType.REFERENCE_DATA, [
    requestId,
    list("instruments", "u16", "instrument", [
      u32("id"),
      str("symbol", 1, SYMBOL_MAX),
      str("tickSize", 1, DECIMAL_TEXT_MAX),
      str("lotSize", 1, DECIMAL_TEXT_MAX),
      str("base", 0, CURRENCY_MAX),
      str("quote", 0, CURRENCY_MAX),
    ]),
  ]),
  layout(MessageType.SUBSCRIBED, [requestId, symbol, u16("channels")]),
  layout(MessageType.PORTFOLIO, [
    requestId,
    u8("kind", { max: PortfolioKind.UNSUBSCRIBED }),
    nat("portfolioSeq"),
    nat("engineSeq"),
    nat("account"),
    list("cash", "u16", "currency", [
      str("currency", 1, CURRENCY_MAX),
      str("total", 1, DECIMAL_TEXT_MAX),
      str("reserved", 1, DECIMAL_TEXT_MAX),
      str("available", 1, DECIMAL_TEXT_MAX),
      str("equity", 1, DECIMAL_TEXT_MAX),
    ]),
    list("positions", "u16", "position", [
      u32("symbol"),
      str("qty", 1, DECIMAL_TEXT_MAX),
      str("averageCost", 1, DECIMAL_TEXT_MAX),
      str("markPrice", 0, DECIMAL_TEXT_MAX),
      str("realizedPnl", 1, DECIMAL_TEXT_MAX),
      str("unrealizedPnl", 1, DECIMAL_TEXT_MAX),
    ]),
  ]),
  layout(MessageType.ALERT, [u8("rule"), nat("account"), nat("commandSeq"), time, u8("severity", { max: 3 }), text("text")]),
  layout(MessageType.ALERTS_SUBSCRIBED, [requestId, bool("subscribed"), u8("minSeverity", { max: 3 })]),
];

// ------------------------------------------------------------------------------ encode (server)

const encoders = compileEncoders<SessionMessage>(SESSION_LAYOUTS, "session");
const encoderOf = encoders.of;

/**
 * Each encoder checks every field, then the sequence number, throwing a FieldRangeError (a
 * RangeError) naming the first the layout cannot carry; then writes the frame at offset 0 of `w`
 * and returns its length. `text` (ERROR, REJECT) is never refused: characters outside printable
 * ASCII become '?', and it is cut at 255.
 */
export const encodeHello: (w: FrameWriter, m: Hello) => number = encoderOf(MessageType.HELLO);
export const encodeLoginResult: (w: FrameWriter, m: LoginResult) => number = encoderOf(MessageType.LOGIN_RESULT);
export const encodeError: (w: FrameWriter, m: ErrorMessage) => number = encoderOf(MessageType.ERROR);
export const encodeAck: (w: FrameWriter, m: Ack) => number = encoderOf(MessageType.ACK);
export const encodeReject: (w: FrameWriter, m: Reject) => number = encoderOf(MessageType.REJECT);
export const encodeExecution: (w: FrameWriter, m: Execution) => number = encoderOf(MessageType.EXECUTION);
export const encodeCancelled: (w: FrameWriter, m: Cancelled) => number = encoderOf(MessageType.CANCELLED);
export const encodeAmended: (w: FrameWriter, m: Amended) => number = encoderOf(MessageType.AMENDED);
export const encodeMassCancelDone: (w: FrameWriter, m: MassCancelDone) => number = encoderOf(MessageType.MASS_CANCEL_DONE);
export const encodeOrderStatus: (w: FrameWriter, m: OrderStatus) => number = encoderOf(MessageType.ORDER_STATUS);
export const encodeTriggered: (w: FrameWriter, m: Triggered) => number = encoderOf(MessageType.TRIGGERED);
export const encodeReferenceData: (w: FrameWriter, m: ReferenceData) => number = encoderOf(MessageType.REFERENCE_DATA);
export const encodeSubscribed: (w: FrameWriter, m: Subscribed) => number = encoderOf(MessageType.SUBSCRIBED);
export const encodePortfolio: (w: FrameWriter, m: Portfolio) => number = encoderOf(MessageType.PORTFOLIO);
export const encodeAlert: (w: FrameWriter, m: Alert) => number = encoderOf(MessageType.ALERT);
export const encodeAlertsSubscribed: (w: FrameWriter, m: AlertsSubscribed) => number = encoderOf(MessageType.ALERTS_SUBSCRIBED);

/** The ERROR frame for what decodeClient returned, with the session's next sequence number. */
export function encodeProtocolError(w: FrameWriter, seq: number, e: ProtocolError): number {
  return encodeError(w, { type: MessageType.ERROR, seq, requestId: e.requestId, code: e.code, reason: e.reason, messageType: e.messageType, text: e.message });
}

export const encodeSession: (w: FrameWriter, m: SessionMessage) => number = encoders.any;

// ------------------------------------------------------------------------------ decode (SDK)

function unknownType(type: number): ProtocolError {
  return new ProtocolError(ErrorCode.UNKNOWN_TYPE, `unknown message type ${messageTypeName(type)}`, type);
}

const decodeSession: (b: Uint8Array, v: DataView, length: number, seq: number, type: number) => SessionMessage | ProtocolError = compileDispatch(
  "decodeSession",
  ["b", "v", "length", "seq", "type"],
  "type",
  new Map(SESSION_LAYOUTS.map((l) => [l.type, compileSessionDecoder(l)])),
  (_b: Uint8Array, _v: DataView, _length: number, _seq: number, type: number) => unknownType(type),
  ["b", "v", "length", "seq"],
);

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
  return decodeSession(bytes, v, length, seq, type);
}
