import { FieldRangeError } from "./codec-errors.ts";
import { PrefixViews } from "./prefix-views.ts";
import { ALL_SYMBOLS } from "./shared.ts";

/**
 * The frame of the binary WebSocket protocol (docs/protocol.md): one message per WebSocket binary
 * frame, little-endian, `u8 version, u8 type` and then a fixed layout per type, with any
 * variable-length part (a string, a list of levels) counted and at the end.
 *
 * Three header shapes, one per direction and kind, so a reader knows where the sequence number is
 * from the type byte alone:
 *
 *   client request      version, type, u32 requestId                       (6 bytes)
 *   session message     version, type, f64 session sequence                (10 bytes)
 *   market data         version, type, u32 symbol, f64 symbol sequence, f64 time  (22 bytes)
 *
 * Market data carries no session sequence so that one encoded frame can be published to every
 * subscriber unchanged (`server.publish`).
 *
 * Every integer written with setUint8/16/32 or setInt32 is written as `x | 0` (the same bits once
 * the value has passed its range check). JSC's optimized DataView store speculates an int32
 * value; an integer held as a double (one read from a Float64Array, such as an engine event
 * field, or computed with `%` on a uint32) makes it exit on every call without recompiling,
 * and an encoder then runs 5–10× slower for the life of the process (bench/codec.ts caught it).
 *
 * Integers that the engine holds as numbers (prices in ticks, quantities in lots, ids, times in µs)
 * are float64 holding a non-negative safe integer, as in the command ring (docs/layouts.md): the
 * same bits cross from the socket to the journal without conversion, and bench/codec.ts measured
 * them against int64 (docs/protocol.md, Encoding choice).
 */
export const PROTOCOL_VERSION = 1;

/** Every message type, one table: the wire value is the code. Append, never renumber. */
export const MessageType = {
  // ---- client → server (0x01–0x3f): header u32 requestId, echoed in the answer
  LOGIN: 0x01,
  /** An operator's or auditor's login with a user session's bearer token (docs/monitoring.md). */
  LOGIN_TOKEN: 0x02,
  NEW_ORDER: 0x10,
  CANCEL: 0x11,
  AMEND: 0x12,
  MASS_CANCEL: 0x13,
  ORDER_STATUS_REQUEST: 0x14,
  REFERENCE_DATA_REQUEST: 0x20,
  SUBSCRIBE: 0x21,
  UNSUBSCRIBE: 0x22,
  PORTFOLIO_SUBSCRIBE: 0x23,
  PORTFOLIO_UNSUBSCRIBE: 0x24,
  ALERTS_SUBSCRIBE: 0x25,
  ALERTS_UNSUBSCRIBE: 0x26,
  // ---- server → client, session (0x40–0x7f): header f64 session sequence
  HELLO: 0x40,
  LOGIN_RESULT: 0x41,
  ERROR: 0x42,
  ACK: 0x50,
  REJECT: 0x51,
  EXECUTION: 0x52,
  CANCELLED: 0x53,
  AMENDED: 0x54,
  MASS_CANCEL_DONE: 0x55,
  ORDER_STATUS: 0x56,
  TRIGGERED: 0x57,
  REFERENCE_DATA: 0x60,
  SUBSCRIBED: 0x61,
  PORTFOLIO: 0x62,
  ALERT: 0x64,
  ALERTS_SUBSCRIBED: 0x65,
  // ---- server → client, market data (0x80–0xbf): header u32 symbol, f64 symbol sequence, f64 time
  L2_SNAPSHOT: 0x80,
  L2_UPDATE: 0x81,
  L3_SNAPSHOT: 0x82,
  L3_UPDATE: 0x83,
  TRADES: 0x84,
  BBO: 0x85,
  CANDLE: 0x86,
  MARKET_STATUS: 0x87,
} as const;

export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(MessageType).map(([k, v]) => [v, k]));

export function messageTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `0x${type.toString(16).padStart(2, "0")}`;
}

export function isClientType(type: number): boolean {
  return type >= 0x01 && type <= 0x3f && TYPE_NAMES[type] !== undefined;
}

export function isSessionType(type: number): boolean {
  return type >= 0x40 && type <= 0x7f && TYPE_NAMES[type] !== undefined;
}

export function isMarketDataType(type: number): boolean {
  return type >= 0x80 && type <= 0xbf && TYPE_NAMES[type] !== undefined;
}

export const CLIENT_HEADER_BYTES = 6;
export const SESSION_HEADER_BYTES = 10;
export const MARKET_DATA_HEADER_BYTES = 22;

/**
 * The largest client frame the server reads. The largest valid one is a LOGIN with a 64-character
 * key id (112 bytes); anything far beyond is abuse or a bug, answered TOO_LARGE without parsing.
 * The gateway's WebSocket `maxPayloadLength` should sit well above this, so an oversized frame
 * gets an error frame rather than a closed socket.
 */
export const MAX_CLIENT_FRAME_BYTES = 512;

/** Client order id: 1–36 printable ASCII (engine/orders.ts); 0 on the wire means none. */
export const CLIENT_ORDER_ID_MAX = 36;
export const API_KEY_ID_MAX = 64;
export const NONCE_BYTES = 32;
export const SIGNATURE_BYTES = 32;
/** Instrument reference strings: symbol, tick and lot size (decimal strings), currency codes. */
export const SYMBOL_MAX = 32;
export const DECIMAL_TEXT_MAX = 64;
export const CURRENCY_MAX = 16;
/** Human-readable text of ERROR and REJECT frames. */
export const TEXT_MAX = 255;

/** `symbol` of MASS_CANCEL and REFERENCE_DATA_REQUEST that means every symbol (engine ALL_SYMBOLS). */
export const ALL = ALL_SYMBOLS;

// ------------------------------------------------------------------------------ writing

/**
 * A reusable output buffer. Encoders write one frame at offset 0 and return its length; the frame
 * is `bytes.subarray(0, length)` (or `frame(length)`), valid until the next encode. Nothing is
 * allocated per message: the buffer only grows, by doubling, when a frame is larger than any
 * before it. The counters are the state of a counted list being built (market-data builders).
 */
export class FrameWriter {
  bytes: Uint8Array;
  view: DataView;
  /** Building a counted list: write position, entries so far, and where the count lives. */
  pos = 0;
  count = 0;
  count2 = 0;
  building = 0;

  private readonly frames = new PrefixViews();

  constructor(initialBytes = 1024) {
    this.bytes = new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `n` bytes from offset 0, keeping the first `keep` bytes. */
  ensure(n: number, keep = 0): void {
    if (n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < n) size *= 2;
    const next = new Uint8Array(size);
    if (keep > 0) next.set(this.bytes.subarray(0, keep));
    this.bytes = next;
    this.view = new DataView(next.buffer);
    this.frames.reset();
  }

  /** A view of the frame just written, made once per frame length (PrefixViews): send or copy it before the next encode. */
  frame(length: number): Uint8Array {
    return this.frames.of(this.bytes, length);
  }
}

function fail(field: string, rule: string, value: unknown): never {
  throw new FieldRangeError(field, `${field} ${rule}: ${typeof value === "string" ? JSON.stringify(value) : String(value)}`);
}

/**
 * A float64 field: a non-negative integer within 2^53 − 1. −0 is refused (1 / −0 is −Infinity) so
 * that every value has one byte form: the same order is always the same bytes in the journal.
 */
export function isNat(x: number): boolean {
  return Number.isSafeInteger(x) && (x > 0 || Object.is(x, 0));
}

export function checkNat(field: string, x: number): void {
  if (!isNat(x)) fail(field, "must be a non-negative integer within 2^53-1", x);
}

export function checkU8(field: string, x: number, max: number): void {
  if ((x & 0xff) !== x || x > max) fail(field, `must be an integer 0-${max}`, x);
}

export function checkU16(field: string, x: number): void {
  if ((x & 0xffff) !== x) fail(field, "must be an integer 0-65535", x);
}

export function checkU32(field: string, x: number): void {
  if (x >>> 0 !== x) fail(field, "must be an integer 0-4294967295", x);
}

/** A string field: `min`–`max` characters, printable ASCII (0x21–0x7e; 0x20 too if `space`). */
export function checkAscii(field: string, s: string, min: number, max: number, space = false): void {
  if (typeof s !== "string") fail(field, "must be a string", s);
  if (s.length < min || s.length > max) fail(field, `must be ${min}-${max} characters`, s);
  const lo = space ? 0x20 : 0x21;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < lo || c > 0x7e) fail(field, "must be printable ASCII", s);
  }
}

export function checkBytes(field: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array) || b.length !== n) fail(field, `must be ${n} bytes`, b?.length);
}

/** Writes a u8 length and the characters of an already-checked ASCII string; returns the end. */
export function writeString(w: FrameWriter, at: number, s: string): number {
  const n = s.length;
  const b = w.bytes;
  b[at] = n;
  for (let i = 0; i < n; i++) b[at + 1 + i] = s.charCodeAt(i);
  return at + 1 + n;
}

/**
 * Writes human-readable text: never throws, since a reason must always get out. Characters
 * outside printable ASCII become '?', and text past TEXT_MAX is cut.
 */
export function writeText(w: FrameWriter, at: number, s: string): number {
  const n = s.length > TEXT_MAX ? TEXT_MAX : s.length;
  const b = w.bytes;
  b[at] = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    b[at + 1 + i] = c >= 0x20 && c <= 0x7e ? c : 0x3f;
  }
  return at + 1 + n;
}

// ------------------------------------------------------------------------------ reading

/** Views of an incoming frame; readers check lengths before every read, so none can throw. */
export interface Frame {
  bytes: Uint8Array;
  view: DataView;
  length: number;
}

export function frameOf(bytes: Uint8Array): Frame {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), length: bytes.byteLength };
}

// Little-endian readers straight from the bytes. A DataView over a frame would need its
// ArrayBuffer, and for the Buffer a Bun WebSocket hands the message handler, `.buffer` is not a
// field read: it materializes an ArrayBuffer for that one message. The gateway profile put it at
// ~7% of the server's busy time, more than decoding itself.

export function u16At(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

export function u32At(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

export function i32At(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

const f64Scratch = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Scratch.buffer);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function f64At(b: Uint8Array, at: number): number {
  const s = f64Bytes;
  if (LITTLE_ENDIAN_HOST) {
    s[0] = b[at]!;
    s[1] = b[at + 1]!;
    s[2] = b[at + 2]!;
    s[3] = b[at + 3]!;
    s[4] = b[at + 4]!;
    s[5] = b[at + 5]!;
    s[6] = b[at + 6]!;
    s[7] = b[at + 7]!;
  } else for (let i = 0; i < 8; i++) s[7 - i] = b[at + i]!;
  return f64Scratch[0]!;
}

/** Are the `n` bytes at `at` printable ASCII (0x21–0x7e; 0x20 too if `space`)? */
export function isAsciiAt(bytes: Uint8Array, at: number, n: number, space = false): boolean {
  const lo = space ? 0x20 : 0x21;
  for (let i = at; i < at + n; i++) {
    const c = bytes[i]!;
    if (c < lo || c > 0x7e) return false;
  }
  return true;
}

const latin1Slice: ((this: Uint8Array, start: number, end: number) => string) | undefined =
  typeof Buffer === "function" ? (Buffer.prototype as unknown as { latin1Slice?: (s: number, e: number) => string }).latin1Slice : undefined;
const utf8 = new TextDecoder();

/**
 * The string of `n` bytes already checked as ASCII. Buffer's latin1Slice is several times faster
 * than building the string a character at a time; outside Bun and Node, ASCII is valid UTF-8.
 */
export function asciiAt(bytes: Uint8Array, at: number, n: number): string {
  if (n === 0) return "";
  return latin1Slice !== undefined ? latin1Slice.call(bytes, at, at + n) : utf8.decode(bytes.subarray(at, at + n));
}
