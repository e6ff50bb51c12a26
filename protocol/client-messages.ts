import { Flags, OrderType, Reason, Side, StpMode, TimeInForce } from "./shared.ts";
import { compileClientDecoder, compileDispatch } from "./compile-decode.ts";
import { compileEncoders } from "./compile-encode.ts";
import { ErrorCode, ProtocolError } from "./errors.ts";
import {
  API_KEY_ID_MAX,
  CLIENT_HEADER_BYTES,
  CLIENT_ORDER_ID_MAX,
  FrameWriter,
  isClientType,
  MAX_CLIENT_FRAME_BYTES,
  MessageType,
  messageTypeName,
  PROTOCOL_VERSION,
  SIGNATURE_BYTES,
  u32At,
} from "./frame.ts";
import { bytes, i32, type MessageLayout, nat, str, u16, u32, u8 } from "./layout.ts";
import { CHANNEL_MASK } from "./market-data-messages.ts";

/**
 * Client → server messages (docs/protocol.md, Client messages): their types, the encoders the SDK
 * uses and `decodeClient`, which the gateway runs on every frame a client sends. Decoding never
 * throws and never reads past the frame: a frame that is not exactly one valid message comes back
 * as a ProtocolError with the code the docs give, and nothing else happens.
 *
 * Decoding checks what the wire format defines: lengths, known enum values, non-negative safe
 * integers, ASCII. Whether an order makes sense (a known symbol, qty ≥ 1, a market order's time
 * in force) is for the engine, which answers with a REJECT carrying its reason, as for every door.
 */

/** LOGIN flags. */
export const LoginFlags = {
  /** Cancel every open order of the account when this session disconnects. */
  CANCEL_ON_DISCONNECT: 1,
} as const;

const LOGIN_FLAG_MASK = LoginFlags.CANCEL_ON_DISCONNECT;
const ORDER_FLAG_MASK = Flags.POST_ONLY;

export interface Login {
  type: typeof MessageType.LOGIN;
  requestId: number;
  /** Client clock, µs since the Unix epoch; signed, and checked against the server's clock. */
  timestamp: number;
  /** LoginFlags bits. */
  flags: number;
  /** HMAC-SHA256 over the login signing bytes (login.ts). */
  signature: Uint8Array;
  apiKeyId: string;
}

export interface NewOrder {
  type: typeof MessageType.NEW_ORDER;
  requestId: number;
  symbol: number;
  side: number;
  orderType: number;
  tif: number;
  stp: number;
  flags: number;
  /** Ticks; 0 = none (a market or stop order without a price cap). */
  price: number;
  /** Ticks; 0 unless STOP or STOP_LIMIT. */
  stopPrice: number;
  /** Lots. */
  qty: number;
  /** µs since the epoch; GTD only, 0 otherwise. */
  expireTime: number;
  /** 0–36 printable ASCII; "" = none. */
  clientOrderId: string;
}

/** CANCEL and ORDER_STATUS_REQUEST name an order by `orderId`, or when it is 0 by `clientOrderId`. */
export interface Cancel {
  type: typeof MessageType.CANCEL;
  requestId: number;
  symbol: number;
  orderId: number;
  clientOrderId: string;
}

export interface Amend {
  type: typeof MessageType.AMEND;
  requestId: number;
  symbol: number;
  orderId: number;
  /** New limit price in ticks (0 keeps a stop-market order's cap). */
  price: number;
  /** New stop price in ticks for a stop order not yet triggered; 0 otherwise. */
  stopPrice: number;
  /** New total quantity in lots. */
  qty: number;
  clientOrderId: string;
}

export interface MassCancel {
  type: typeof MessageType.MASS_CANCEL;
  requestId: number;
  /** A symbol, or ALL (−1). */
  symbol: number;
}

export interface OrderStatusRequest {
  type: typeof MessageType.ORDER_STATUS_REQUEST;
  requestId: number;
  symbol: number;
  orderId: number;
  clientOrderId: string;
}

export interface ReferenceDataRequest {
  type: typeof MessageType.REFERENCE_DATA_REQUEST;
  requestId: number;
  /** An instrument id, or ALL (−1). */
  symbol: number;
}

export interface Subscribe {
  type: typeof MessageType.SUBSCRIBE;
  requestId: number;
  symbol: number;
  /** Channel bits (market-data-messages.ts). */
  channels: number;
  /** Levels a side in the L2 snapshot; 0 = the whole book. */
  depth: number;
}

export interface Unsubscribe {
  type: typeof MessageType.UNSUBSCRIBE;
  requestId: number;
  symbol: number;
  channels: number;
}

/** The account's live portfolio: a PORTFOLIO snapshot, then an update after each change (docs/protocol.md). */
export interface PortfolioSubscribe {
  type: typeof MessageType.PORTFOLIO_SUBSCRIBE;
  requestId: number;
}

export interface PortfolioUnsubscribe {
  type: typeof MessageType.PORTFOLIO_UNSUBSCRIBE;
  requestId: number;
}

/** Logs an operator or auditor in with the bearer token of their user session (POST /api/v1/auth/login). */
export interface LoginToken {
  type: typeof MessageType.LOGIN_TOKEN;
  requestId: number;
  token: string;
}

/** Transaction monitoring's alerts pushed to this session (operators and auditors). */
export interface AlertsSubscribe {
  type: typeof MessageType.ALERTS_SUBSCRIBE;
  requestId: number;
  /** The least severity pushed: 0 or 1 every alert, 2 medium and high, 3 high only. */
  minSeverity: number;
}

export interface AlertsUnsubscribe {
  type: typeof MessageType.ALERTS_UNSUBSCRIBE;
  requestId: number;
}

export type ClientMessage =
  | Login
  | LoginToken
  | AlertsSubscribe
  | AlertsUnsubscribe
  | NewOrder
  | Cancel
  | Amend
  | MassCancel
  | OrderStatusRequest
  | ReferenceDataRequest
  | Subscribe
  | Unsubscribe
  | PortfolioSubscribe
  | PortfolioUnsubscribe;

// ------------------------------------------------------------------------------ layouts

/**
 * Each client message described once, its fields in wire order after the 6-byte header
 * (docs/protocol.md has the tables): the encoders, decodeClient and their checks are built from
 * these (compile-encode.ts, compile-decode.ts). `reason` is the engine reason an out-of-range value
 * is refused with; `rule`, the words of the refusal where the default does not say it.
 */
const symbol = u32("symbol");
const clientOrderId = str("clientOrderId", 0, CLIENT_ORDER_ID_MAX, { reason: Reason.INVALID_CLIENT_ORDER_ID });
/** An order named by its id, or when that is 0 by its client order id. */
const orderId = nat("orderId", { reason: Reason.INVALID_ORDER_ID, orNonEmpty: "clientOrderId" });
const price = nat("price", { reason: Reason.INVALID_PRICE });
const stopPrice = nat("stopPrice", { reason: Reason.INVALID_STOP_PRICE });
const qty = nat("qty", { reason: Reason.INVALID_QUANTITY });
const symbolOrAll = i32("symbol", {
  min: -1,
  reason: Reason.UNKNOWN_SYMBOL,
  rule: "must be an instrument id or ALL (-1)",
  encodeRule: "must be an instrument id 0-2147483647 or ALL (-1)",
});
const channels = u16("channels", { mask: CHANNEL_MASK, nonEmpty: true, rule: "must be a non-empty set of known channel bits" });

const layout = (type: number, fields: MessageLayout["fields"]): MessageLayout => ({ type, family: "client", fields });

/** A session bearer token is 43 base64url characters; room for a longer one later. */
const SESSION_TOKEN_MAX = 64;

export const CLIENT_LAYOUTS: readonly MessageLayout[] = [
  layout(MessageType.LOGIN, [
    nat("timestamp"),
    u8("flags", { mask: LOGIN_FLAG_MASK }),
    bytes("signature", SIGNATURE_BYTES),
    str("apiKeyId", 1, API_KEY_ID_MAX),
  ]),
  layout(MessageType.LOGIN_TOKEN, [str("token", 1, SESSION_TOKEN_MAX)]),
  layout(MessageType.NEW_ORDER, [
    symbol,
    u8("side", { max: Side.SELL, reason: Reason.INVALID_SIDE, rule: "must be 0 (buy) or 1 (sell)" }),
    u8("orderType", { max: OrderType.STOP_LIMIT, reason: Reason.INVALID_ORDER_TYPE }),
    u8("tif", { max: TimeInForce.GTD, reason: Reason.INVALID_TIME_IN_FORCE }),
    u8("stp", { max: StpMode.NONE, reason: Reason.INVALID_STP_MODE }),
    u8("flags", { mask: ORDER_FLAG_MASK }),
    price,
    stopPrice,
    qty,
    nat("expireTime"),
    clientOrderId,
  ]),
  layout(MessageType.CANCEL, [symbol, orderId, clientOrderId]),
  layout(MessageType.AMEND, [symbol, orderId, price, stopPrice, qty, clientOrderId]),
  layout(MessageType.MASS_CANCEL, [symbolOrAll]),
  layout(MessageType.ORDER_STATUS_REQUEST, [symbol, orderId, clientOrderId]),
  layout(MessageType.REFERENCE_DATA_REQUEST, [symbolOrAll]),
  layout(MessageType.SUBSCRIBE, [symbol, channels, u16("depth")]),
  layout(MessageType.UNSUBSCRIBE, [symbol, channels]),
  layout(MessageType.PORTFOLIO_SUBSCRIBE, []),
  layout(MessageType.PORTFOLIO_UNSUBSCRIBE, []),
  layout(MessageType.ALERTS_SUBSCRIBE, [u8("minSeverity", { max: 3 })]),
  layout(MessageType.ALERTS_UNSUBSCRIBE, []),
];

// ------------------------------------------------------------------------------ encode (SDK)

const encoders = compileEncoders<ClientMessage>(CLIENT_LAYOUTS, "client");
const encoderOf = encoders.of;

/**
 * Each encoder checks every field first and throws a FieldRangeError (a RangeError) naming the
 * first that the layout cannot carry (the same rules decodeClient applies), then writes the frame
 * at offset 0 of `w` and returns its length.
 */
export const encodeLogin: (w: FrameWriter, m: Login) => number = encoderOf(MessageType.LOGIN);
export const encodeNewOrder: (w: FrameWriter, m: NewOrder) => number = encoderOf(MessageType.NEW_ORDER);
export const encodeCancel: (w: FrameWriter, m: Cancel) => number = encoderOf(MessageType.CANCEL);
export const encodeAmend: (w: FrameWriter, m: Amend) => number = encoderOf(MessageType.AMEND);
export const encodeMassCancel: (w: FrameWriter, m: MassCancel) => number = encoderOf(MessageType.MASS_CANCEL);
export const encodeOrderStatusRequest: (w: FrameWriter, m: OrderStatusRequest) => number = encoderOf(MessageType.ORDER_STATUS_REQUEST);
export const encodeReferenceDataRequest: (w: FrameWriter, m: ReferenceDataRequest) => number = encoderOf(MessageType.REFERENCE_DATA_REQUEST);
export const encodeSubscribe: (w: FrameWriter, m: Subscribe) => number = encoderOf(MessageType.SUBSCRIBE);
export const encodeUnsubscribe: (w: FrameWriter, m: Unsubscribe) => number = encoderOf(MessageType.UNSUBSCRIBE);
export const encodePortfolioSubscribe: (w: FrameWriter, m: PortfolioSubscribe) => number = encoderOf(MessageType.PORTFOLIO_SUBSCRIBE);
export const encodePortfolioUnsubscribe: (w: FrameWriter, m: PortfolioUnsubscribe) => number = encoderOf(MessageType.PORTFOLIO_UNSUBSCRIBE);
export const encodeLoginToken: (w: FrameWriter, m: LoginToken) => number = encoderOf(MessageType.LOGIN_TOKEN);
export const encodeAlertsSubscribe: (w: FrameWriter, m: AlertsSubscribe) => number = encoderOf(MessageType.ALERTS_SUBSCRIBE);
export const encodeAlertsUnsubscribe: (w: FrameWriter, m: AlertsUnsubscribe) => number = encoderOf(MessageType.ALERTS_UNSUBSCRIBE);

/** Encodes any client message; returns the frame's length in `w`. */
export const encodeClient: (w: FrameWriter, m: ClientMessage) => number = encoders.any;

// ------------------------------------------------------------------------------ decode (gateway)

function malformed(message: string, type = 0, requestId = 0): ProtocolError {
  return new ProtocolError(ErrorCode.MALFORMED, message, type, requestId);
}

const decodeBody: (bytes: Uint8Array, length: number, requestId: number, type: number) => ClientMessage | ProtocolError = compileDispatch(
  "decodeClientBody",
  ["b", "length", "requestId", "type"],
  "type",
  new Map(CLIENT_LAYOUTS.map((l) => [l.type, compileClientDecoder(l)])),
  () => null,
  ["b", "length", "requestId"],
);

/**
 * One client frame → one message, or a ProtocolError. Accepts what Bun's WebSocket `message`
 * handler gives: a string (a text frame: TEXT_FRAME), or bytes. Checks, in order: size
 * (TOO_LARGE, before reading anything), version (BAD_VERSION), type (UNKNOWN_TYPE, also for a
 * server message type), the exact length of the layout (MALFORMED), then each field in layout
 * order (INVALID_FIELD, with the engine reason that names the field where there is one).
 */
export function decodeClient(frame: Uint8Array | ArrayBuffer | string): ClientMessage | ProtocolError {
  if (typeof frame === "string") return new ProtocolError(ErrorCode.TEXT_FRAME, `text frame of ${frame.length} characters`);
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  const length = bytes.byteLength;
  if (length > MAX_CLIENT_FRAME_BYTES) return new ProtocolError(ErrorCode.TOO_LARGE, `frame of ${length} bytes exceeds ${MAX_CLIENT_FRAME_BYTES}`);
  if (length === 0) return malformed("empty frame");
  if (bytes[0] !== PROTOCOL_VERSION) return new ProtocolError(ErrorCode.BAD_VERSION, `version ${bytes[0]}, this server speaks ${PROTOCOL_VERSION}`);
  if (length < 2) return malformed("truncated: 1 byte, no message type");
  const type = bytes[1]!;
  if (!isClientType(type)) {
    const what = messageTypeName(type);
    return new ProtocolError(ErrorCode.UNKNOWN_TYPE, what.startsWith("0x") ? `unknown message type ${what}` : `${what} is not a client message`, type);
  }
  if (length < CLIENT_HEADER_BYTES) return malformed(`truncated: ${length} bytes, no request id`, type);
  const requestId = u32At(bytes, 2);
  if (requestId === 0) return new ProtocolError(ErrorCode.INVALID_FIELD, "requestId must be 1-4294967295: 0", type, 0, 0, "requestId");
  return decodeBody(bytes, length, requestId, type);
}
