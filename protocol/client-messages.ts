import { Flags, OrderType, Reason, Side, StpMode, TimeInForce } from "./shared.ts";
import { ErrorCode, ProtocolError } from "./errors.ts";
import {
  API_KEY_ID_MAX,
  CLIENT_HEADER_BYTES,
  CLIENT_ORDER_ID_MAX,
  checkAscii,
  checkBytes,
  checkNat,
  checkU16,
  checkU32,
  checkU8,
  FrameWriter,
  isAsciiAt,
  isClientType,
  isNat,
  MAX_CLIENT_FRAME_BYTES,
  MessageType,
  messageTypeName,
  PROTOCOL_VERSION,
  SIGNATURE_BYTES,
  asciiAt,
  f64At,
  i32At,
  u16At,
  u32At,
  writeString,
} from "./frame.ts";
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

export type ClientMessage =
  | Login
  | NewOrder
  | Cancel
  | Amend
  | MassCancel
  | OrderStatusRequest
  | ReferenceDataRequest
  | Subscribe
  | Unsubscribe;

// ------------------------------------------------------------------------------ encode (SDK)

function header(w: FrameWriter, type: number, requestId: number, size: number): DataView {
  if (requestId >>> 0 !== requestId || requestId === 0) throw new RangeError(`requestId must be an integer 1-4294967295: ${requestId}`);
  w.ensure(size);
  const v = w.view;
  v.setUint8(0, PROTOCOL_VERSION);
  v.setUint8(1, type | 0);
  v.setUint32(2, requestId | 0, true);
  return v;
}

/**
 * Each encoder checks every field first and throws a RangeError naming the first that the layout
 * cannot carry (the same rules decodeClient applies), then writes the frame at offset 0 of `w` and
 * returns its length.
 */
export function encodeLogin(w: FrameWriter, m: Login): number {
  checkNat("timestamp", m.timestamp);
  checkU8("flags", m.flags, 0xff);
  if ((m.flags & ~LOGIN_FLAG_MASK) !== 0) throw new RangeError(`flags has unknown bits: ${m.flags}`);
  checkBytes("signature", m.signature, SIGNATURE_BYTES);
  checkAscii("apiKeyId", m.apiKeyId, 1, API_KEY_ID_MAX);
  const v = header(w, MessageType.LOGIN, m.requestId, 48 + m.apiKeyId.length);
  v.setFloat64(6, m.timestamp, true);
  v.setUint8(14, m.flags | 0);
  w.bytes.set(m.signature, 15);
  return writeString(w, 47, m.apiKeyId);
}

function checkOrderEnums(side: number, orderType: number, tif: number, stp: number, flags: number): void {
  checkU8("side", side, Side.SELL);
  checkU8("orderType", orderType, OrderType.STOP_LIMIT);
  checkU8("tif", tif, TimeInForce.GTD);
  checkU8("stp", stp, StpMode.NONE);
  checkU8("flags", flags, 0xff);
  if ((flags & ~ORDER_FLAG_MASK) !== 0) throw new RangeError(`flags has unknown bits: ${flags}`);
}

export function encodeNewOrder(w: FrameWriter, m: NewOrder): number {
  checkU32("symbol", m.symbol);
  checkOrderEnums(m.side, m.orderType, m.tif, m.stp, m.flags);
  checkNat("price", m.price);
  checkNat("stopPrice", m.stopPrice);
  checkNat("qty", m.qty);
  checkNat("expireTime", m.expireTime);
  checkAscii("clientOrderId", m.clientOrderId, 0, CLIENT_ORDER_ID_MAX);
  const v = header(w, MessageType.NEW_ORDER, m.requestId, 48 + m.clientOrderId.length);
  v.setUint32(6, m.symbol | 0, true);
  v.setUint8(10, m.side | 0);
  v.setUint8(11, m.orderType | 0);
  v.setUint8(12, m.tif | 0);
  v.setUint8(13, m.stp | 0);
  v.setUint8(14, m.flags | 0);
  v.setFloat64(15, m.price, true);
  v.setFloat64(23, m.stopPrice, true);
  v.setFloat64(31, m.qty, true);
  v.setFloat64(39, m.expireTime, true);
  return writeString(w, 47, m.clientOrderId);
}

function checkOrderRef(orderId: number, clientOrderId: string): void {
  checkNat("orderId", orderId);
  checkAscii("clientOrderId", clientOrderId, 0, CLIENT_ORDER_ID_MAX);
  if (orderId === 0 && clientOrderId.length === 0) throw new RangeError("an order needs an orderId or a clientOrderId");
}

function encodeOrderRef(w: FrameWriter, type: number, m: Cancel | OrderStatusRequest): number {
  checkU32("symbol", m.symbol);
  checkOrderRef(m.orderId, m.clientOrderId);
  const v = header(w, type, m.requestId, 19 + m.clientOrderId.length);
  v.setUint32(6, m.symbol | 0, true);
  v.setFloat64(10, m.orderId, true);
  return writeString(w, 18, m.clientOrderId);
}

export function encodeCancel(w: FrameWriter, m: Cancel): number {
  return encodeOrderRef(w, MessageType.CANCEL, m);
}

export function encodeOrderStatusRequest(w: FrameWriter, m: OrderStatusRequest): number {
  return encodeOrderRef(w, MessageType.ORDER_STATUS_REQUEST, m);
}

export function encodeAmend(w: FrameWriter, m: Amend): number {
  checkU32("symbol", m.symbol);
  checkOrderRef(m.orderId, m.clientOrderId);
  checkNat("price", m.price);
  checkNat("stopPrice", m.stopPrice);
  checkNat("qty", m.qty);
  const v = header(w, MessageType.AMEND, m.requestId, 43 + m.clientOrderId.length);
  v.setUint32(6, m.symbol | 0, true);
  v.setFloat64(10, m.orderId, true);
  v.setFloat64(18, m.price, true);
  v.setFloat64(26, m.stopPrice, true);
  v.setFloat64(34, m.qty, true);
  return writeString(w, 42, m.clientOrderId);
}

function checkSymbolOrAll(symbol: number): void {
  if ((symbol | 0) !== symbol || symbol < -1) throw new RangeError(`symbol must be an instrument id 0-2147483647 or ALL (-1): ${symbol}`);
}

export function encodeMassCancel(w: FrameWriter, m: MassCancel): number {
  checkSymbolOrAll(m.symbol);
  header(w, MessageType.MASS_CANCEL, m.requestId, 10).setInt32(6, m.symbol | 0, true);
  return 10;
}

export function encodeReferenceDataRequest(w: FrameWriter, m: ReferenceDataRequest): number {
  checkSymbolOrAll(m.symbol);
  header(w, MessageType.REFERENCE_DATA_REQUEST, m.requestId, 10).setInt32(6, m.symbol | 0, true);
  return 10;
}

function checkChannels(channels: number): void {
  checkU16("channels", channels);
  if (channels === 0 || (channels & ~CHANNEL_MASK) !== 0) throw new RangeError(`channels must be a non-empty set of known channel bits: ${channels}`);
}

export function encodeSubscribe(w: FrameWriter, m: Subscribe): number {
  checkU32("symbol", m.symbol);
  checkChannels(m.channels);
  checkU16("depth", m.depth);
  const v = header(w, MessageType.SUBSCRIBE, m.requestId, 14);
  v.setUint32(6, m.symbol | 0, true);
  v.setUint16(10, m.channels | 0, true);
  v.setUint16(12, m.depth | 0, true);
  return 14;
}

export function encodeUnsubscribe(w: FrameWriter, m: Unsubscribe): number {
  checkU32("symbol", m.symbol);
  checkChannels(m.channels);
  const v = header(w, MessageType.UNSUBSCRIBE, m.requestId, 12);
  v.setUint32(6, m.symbol | 0, true);
  v.setUint16(10, m.channels | 0, true);
  return 12;
}

/** Encodes any client message; returns the frame's length in `w`. */
export function encodeClient(w: FrameWriter, m: ClientMessage): number {
  switch (m.type) {
    case MessageType.LOGIN:
      return encodeLogin(w, m);
    case MessageType.NEW_ORDER:
      return encodeNewOrder(w, m);
    case MessageType.CANCEL:
      return encodeCancel(w, m);
    case MessageType.AMEND:
      return encodeAmend(w, m);
    case MessageType.MASS_CANCEL:
      return encodeMassCancel(w, m);
    case MessageType.ORDER_STATUS_REQUEST:
      return encodeOrderStatusRequest(w, m);
    case MessageType.REFERENCE_DATA_REQUEST:
      return encodeReferenceDataRequest(w, m);
    case MessageType.SUBSCRIBE:
      return encodeSubscribe(w, m);
    case MessageType.UNSUBSCRIBE:
      return encodeUnsubscribe(w, m);
    default:
      throw new RangeError(`not a client message type: ${(m as { type: unknown }).type}`);
  }
}

// ------------------------------------------------------------------------------ decode (gateway)

function malformed(message: string, type = 0, requestId = 0): ProtocolError {
  return new ProtocolError(ErrorCode.MALFORMED, message, type, requestId);
}

function invalid(type: number, requestId: number, field: string, reason: number, rule: string, value: number | string): ProtocolError {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  return new ProtocolError(ErrorCode.INVALID_FIELD, `${field} ${rule}: ${shown}`, type, requestId, reason, field);
}

/** The frame must be exactly `size` bytes: shorter is truncated, longer has trailing bytes. */
function sizeError(type: number, requestId: number, length: number, size: number): ProtocolError {
  return length < size
    ? malformed(`truncated: ${messageTypeName(type)} needs ${size} bytes, got ${length}`, type, requestId)
    : malformed(`${length - size} trailing bytes after ${messageTypeName(type)} (${size} bytes)`, type, requestId);
}

const NAT = "must be a non-negative integer within 2^53-1";

/** The frame must end with the counted string whose length byte is at `at`. */
function endsWithString(bytes: Uint8Array, length: number, at: number, type: number, requestId: number): ProtocolError | null {
  if (length < at + 1) return sizeError(type, requestId, length, at + 1);
  const size = at + 1 + bytes[at]!;
  return length === size ? null : sizeError(type, requestId, length, size);
}

/** The counted client order id at `at` (its length byte), already known to be inside the frame. */
function orderIdAt(bytes: Uint8Array, at: number, type: number, requestId: number): string | ProtocolError {
  const n = bytes[at]!;
  if (n > CLIENT_ORDER_ID_MAX) return invalid(type, requestId, "clientOrderId", Reason.INVALID_CLIENT_ORDER_ID, `must be at most ${CLIENT_ORDER_ID_MAX} characters`, n);
  if (!isAsciiAt(bytes, at + 1, n)) return invalid(type, requestId, "clientOrderId", Reason.INVALID_CLIENT_ORDER_ID, "must be printable ASCII (0x21-0x7e)", "<bytes>");
  return asciiAt(bytes, at + 1, n);
}

function decodeLogin(bytes: Uint8Array, length: number, requestId: number): Login | ProtocolError {
  const type = MessageType.LOGIN;
  const bad = endsWithString(bytes, length, 47, type, requestId);
  if (bad) return bad;
  const n = bytes[47]!;
  const timestamp = f64At(bytes, 6);
  if (!isNat(timestamp)) return invalid(type, requestId, "timestamp", 0, NAT, timestamp);
  const flags = bytes[14]!;
  if ((flags & ~LOGIN_FLAG_MASK) !== 0) return invalid(type, requestId, "flags", 0, "has unknown bits", flags);
  if (n < 1 || n > API_KEY_ID_MAX) return invalid(type, requestId, "apiKeyId", 0, `must be 1-${API_KEY_ID_MAX} characters`, n);
  if (!isAsciiAt(bytes, 48, n)) return invalid(type, requestId, "apiKeyId", 0, "must be printable ASCII (0x21-0x7e)", "<bytes>");
  return { type, requestId, timestamp, flags, signature: bytes.slice(15, 47), apiKeyId: asciiAt(bytes, 48, n) };
}

function decodeNewOrder(bytes: Uint8Array, length: number, requestId: number): NewOrder | ProtocolError {
  const type = MessageType.NEW_ORDER;
  const bad = endsWithString(bytes, length, 47, type, requestId);
  if (bad) return bad;
  const symbol = u32At(bytes, 6);
  const side = bytes[10]!;
  if (side > Side.SELL) return invalid(type, requestId, "side", Reason.INVALID_SIDE, "must be 0 (buy) or 1 (sell)", side);
  const orderType = bytes[11]!;
  if (orderType > OrderType.STOP_LIMIT) return invalid(type, requestId, "orderType", Reason.INVALID_ORDER_TYPE, `must be 0-${OrderType.STOP_LIMIT}`, orderType);
  const tif = bytes[12]!;
  if (tif > TimeInForce.GTD) return invalid(type, requestId, "tif", Reason.INVALID_TIME_IN_FORCE, `must be 0-${TimeInForce.GTD}`, tif);
  const stp = bytes[13]!;
  if (stp > StpMode.NONE) return invalid(type, requestId, "stp", Reason.INVALID_STP_MODE, `must be 0-${StpMode.NONE}`, stp);
  const flags = bytes[14]!;
  if ((flags & ~ORDER_FLAG_MASK) !== 0) return invalid(type, requestId, "flags", 0, "has unknown bits", flags);
  const price = f64At(bytes, 15);
  if (!isNat(price)) return invalid(type, requestId, "price", Reason.INVALID_PRICE, NAT, price);
  const stopPrice = f64At(bytes, 23);
  if (!isNat(stopPrice)) return invalid(type, requestId, "stopPrice", Reason.INVALID_STOP_PRICE, NAT, stopPrice);
  const qty = f64At(bytes, 31);
  if (!isNat(qty)) return invalid(type, requestId, "qty", Reason.INVALID_QUANTITY, NAT, qty);
  const expireTime = f64At(bytes, 39);
  if (!isNat(expireTime)) return invalid(type, requestId, "expireTime", 0, NAT, expireTime);
  const clientOrderId = orderIdAt(bytes, 47, type, requestId);
  if (typeof clientOrderId !== "string") return clientOrderId;
  return { type, requestId, symbol, side, orderType, tif, stp, flags, price, stopPrice, qty, expireTime, clientOrderId };
}

/** orderId at 10, counted clientOrderId at `at`; at least one of them must name the order. */
function orderRef(bytes: Uint8Array, at: number, type: number, requestId: number): number | ProtocolError {
  const orderId = f64At(bytes, 10);
  if (!isNat(orderId)) return invalid(type, requestId, "orderId", Reason.INVALID_ORDER_ID, NAT, orderId);
  if (orderId === 0 && bytes[at] === 0) return invalid(type, requestId, "orderId", Reason.INVALID_ORDER_ID, "is 0 and no clientOrderId is given", 0);
  return orderId;
}

function decodeCancel(bytes: Uint8Array, length: number, requestId: number, type: 0x11 | 0x14): Cancel | OrderStatusRequest | ProtocolError {
  const bad = endsWithString(bytes, length, 18, type, requestId);
  if (bad) return bad;
  const symbol = u32At(bytes, 6);
  const orderId = orderRef(bytes, 18, type, requestId);
  if (typeof orderId !== "number") return orderId;
  const clientOrderId = orderIdAt(bytes, 18, type, requestId);
  if (typeof clientOrderId !== "string") return clientOrderId;
  return { type, requestId, symbol, orderId, clientOrderId };
}

function decodeAmend(bytes: Uint8Array, length: number, requestId: number): Amend | ProtocolError {
  const type = MessageType.AMEND;
  const bad = endsWithString(bytes, length, 42, type, requestId);
  if (bad) return bad;
  const symbol = u32At(bytes, 6);
  const orderId = orderRef(bytes, 42, type, requestId);
  if (typeof orderId !== "number") return orderId;
  const price = f64At(bytes, 18);
  if (!isNat(price)) return invalid(type, requestId, "price", Reason.INVALID_PRICE, NAT, price);
  const stopPrice = f64At(bytes, 26);
  if (!isNat(stopPrice)) return invalid(type, requestId, "stopPrice", Reason.INVALID_STOP_PRICE, NAT, stopPrice);
  const qty = f64At(bytes, 34);
  if (!isNat(qty)) return invalid(type, requestId, "qty", Reason.INVALID_QUANTITY, NAT, qty);
  const clientOrderId = orderIdAt(bytes, 42, type, requestId);
  if (typeof clientOrderId !== "string") return clientOrderId;
  return { type, requestId, symbol, orderId, price, stopPrice, qty, clientOrderId };
}

function decodeSymbolOrAll(bytes: Uint8Array, length: number, requestId: number, type: 0x13 | 0x20): MassCancel | ReferenceDataRequest | ProtocolError {
  if (length !== 10) return sizeError(type, requestId, length, 10);
  const symbol = i32At(bytes, 6);
  if (symbol < -1) return invalid(type, requestId, "symbol", Reason.UNKNOWN_SYMBOL, "must be an instrument id or ALL (-1)", symbol);
  return { type, requestId, symbol };
}

function decodeChannels(bytes: Uint8Array, type: number, requestId: number): number | ProtocolError {
  const channels = u16At(bytes, 10);
  if (channels === 0 || (channels & ~CHANNEL_MASK) !== 0) return invalid(type, requestId, "channels", 0, "must be a non-empty set of known channel bits", channels);
  return channels;
}

function decodeSubscribe(bytes: Uint8Array, length: number, requestId: number): Subscribe | ProtocolError {
  const type = MessageType.SUBSCRIBE;
  if (length !== 14) return sizeError(type, requestId, length, 14);
  const channels = decodeChannels(bytes, type, requestId);
  if (typeof channels !== "number") return channels;
  return { type, requestId, symbol: u32At(bytes, 6), channels, depth: u16At(bytes, 12) };
}

function decodeUnsubscribe(bytes: Uint8Array, length: number, requestId: number): Unsubscribe | ProtocolError {
  const type = MessageType.UNSUBSCRIBE;
  if (length !== 12) return sizeError(type, requestId, length, 12);
  const channels = decodeChannels(bytes, type, requestId);
  if (typeof channels !== "number") return channels;
  return { type, requestId, symbol: u32At(bytes, 6), channels };
}

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
  if (requestId === 0) return invalid(type, 0, "requestId", 0, "must be 1-4294967295", 0);
  switch (type) {
    case MessageType.NEW_ORDER:
      return decodeNewOrder(bytes, length, requestId);
    case MessageType.CANCEL:
    case MessageType.ORDER_STATUS_REQUEST:
      return decodeCancel(bytes, length, requestId, type);
    case MessageType.AMEND:
      return decodeAmend(bytes, length, requestId);
    case MessageType.MASS_CANCEL:
    case MessageType.REFERENCE_DATA_REQUEST:
      return decodeSymbolOrAll(bytes, length, requestId, type);
    case MessageType.LOGIN:
      return decodeLogin(bytes, length, requestId);
    case MessageType.SUBSCRIBE:
      return decodeSubscribe(bytes, length, requestId);
    default:
      return decodeUnsubscribe(bytes, length, requestId);
  }
}
