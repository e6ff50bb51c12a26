import type { Command } from "../../engine/commands.ts";

/**
 * The one binary form of a `Command`: a 256-byte little-endian slot, used by the SharedArrayBuffer
 * command ring and by the journal alike (docs/layouts.md has the table). Every field has a fixed
 * offset; numbers the engine treats as integers up to 2^53 are float64 so they cross unchanged, the
 * small enums are bytes, and the two strings are a length byte plus a fixed run of ASCII.
 *
 * Float64 fields sit on 8-byte boundaries (and slots on 256-byte ones), so a reader may also look at
 * a slot through a Float64Array on a little-endian host.
 *
 * Encoding is lossless or it throws, and it checks everything before it writes anything: a slot
 * that `encodeCommand` wrote always passes `validateCommandSlot` and decodes to an equal command.
 * Decoding never throws on any 256 bytes; it may produce a command the engine then rejects.
 */
export const COMMAND_SLOT_BYTES = 256;
export const COMMAND_LAYOUT_VERSION = 1;
export const CLIENT_ORDER_ID_MAX = 36;
export const DESTINATION_MAX = 96;

/** Byte offset of each field in a command slot. */
export const CommandOffset = {
  SEQ: 0,
  TYPE: 8,
  VERSION: 10,
  SIDE: 11,
  ORDER_TYPE: 12,
  TIF: 13,
  STP: 14,
  FLAGS: 15,
  TIME: 16,
  ORDER_ID: 24,
  ACCOUNT: 32,
  PRICE: 40,
  STOP_PRICE: 48,
  QTY: 56,
  EXPIRE_TIME: 64,
  SESSION: 72,
  /** 128-bit two's complement: low 64 bits here, high 64 bits at AMOUNT + 8. */
  AMOUNT: 80,
  SYMBOL: 96,
  CURRENCY: 100,
  TIER: 104,
  ACTOR: 108,
  CLIENT_ORDER_ID_LEN: 109,
  DESTINATION_LEN: 110,
  /** One reserved byte, zero. */
  RESERVED_A: 111,
  CLIENT_ORDER_ID: 112,
  DESTINATION: 148,
  /** Reserved to the end of the slot, zero. */
  RESERVED_B: 244,
} as const;

const O = CommandOffset;

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
export const AMOUNT_MIN = -(1n << 127n);
export const AMOUNT_MAX = (1n << 127n) - 1n;

/** Printable ASCII without space, as the engine requires of client order ids and destinations. */
function isPrintable(c: number): boolean {
  return c >= 0x21 && c <= 0x7e;
}

// ------------------------------------------------------------------------------------- encode

/** A command field the layout cannot carry exactly; `field` names it (a RangeError, as before). */
export class CommandLayoutError extends RangeError {
  override name = "CommandLayoutError";
  constructor(
    readonly field: string,
    rule: string,
    value: unknown,
  ) {
    super(`command field ${field} ${rule}: ${typeof value === "string" ? JSON.stringify(value) : String(value)}`);
  }
}

function fail(field: string, rule: string, value: unknown): never {
  throw new CommandLayoutError(field, rule, value);
}

function checkAscii(field: string, s: string, max: number): void {
  if (typeof s !== "string") fail(field, "must be a string", s);
  if (s.length > max) fail(field, `must be at most ${max} characters`, s);
  for (let i = 0; i < s.length; i++) {
    if (!isPrintable(s.charCodeAt(i))) fail(field, "must be printable ASCII (0x21-0x7e)", s);
  }
}

/**
 * Throws a RangeError naming the first field that the layout cannot carry exactly. Separate from
 * the writes so a failed encode leaves the slot untouched.
 */
function checkCommand(cmd: Command, seq: number): void {
  if (!Number.isSafeInteger(seq)) fail("seq", "must be an integer within ±(2^53-1)", seq);
  if (!Number.isSafeInteger(cmd.time)) fail("time", "must be an integer within ±(2^53-1)", cmd.time);
  if (!Number.isSafeInteger(cmd.orderId)) fail("orderId", "must be an integer within ±(2^53-1)", cmd.orderId);
  if (!Number.isSafeInteger(cmd.account)) fail("account", "must be an integer within ±(2^53-1)", cmd.account);
  if (!Number.isSafeInteger(cmd.price)) fail("price", "must be an integer within ±(2^53-1)", cmd.price);
  if (!Number.isSafeInteger(cmd.stopPrice)) fail("stopPrice", "must be an integer within ±(2^53-1)", cmd.stopPrice);
  if (!Number.isSafeInteger(cmd.qty)) fail("qty", "must be an integer within ±(2^53-1)", cmd.qty);
  if (!Number.isSafeInteger(cmd.expireTime)) fail("expireTime", "must be an integer within ±(2^53-1)", cmd.expireTime);
  if (!Number.isSafeInteger(cmd.session)) fail("session", "must be an integer within ±(2^53-1)", cmd.session);
  // `(x & 0xff) === x` holds exactly for the integers 0..255 (NaN, fractions and negatives fail).
  if ((cmd.type & 0xffff) !== cmd.type) fail("type", "must be an integer 0-65535", cmd.type);
  if ((cmd.side & 0xff) !== cmd.side) fail("side", "must be an integer 0-255", cmd.side);
  if ((cmd.orderType & 0xff) !== cmd.orderType) fail("orderType", "must be an integer 0-255", cmd.orderType);
  if ((cmd.tif & 0xff) !== cmd.tif) fail("tif", "must be an integer 0-255", cmd.tif);
  if ((cmd.stp & 0xff) !== cmd.stp) fail("stp", "must be an integer 0-255", cmd.stp);
  if ((cmd.flags & 0xff) !== cmd.flags) fail("flags", "must be an integer 0-255", cmd.flags);
  if ((cmd.actor & 0xff) !== cmd.actor) fail("actor", "must be an integer 0-255", cmd.actor);
  if ((cmd.symbol | 0) !== cmd.symbol) fail("symbol", "must be a 32-bit signed integer", cmd.symbol);
  if (cmd.currency >>> 0 !== cmd.currency) fail("currency", "must be a 32-bit unsigned integer", cmd.currency);
  if (cmd.tier >>> 0 !== cmd.tier) fail("tier", "must be a 32-bit unsigned integer", cmd.tier);
  const a = cmd.amount;
  // Orders carry 0n; BigInt comparisons against the bounds are runtime calls, so skip them then.
  if (a !== 0n) {
    if (typeof a !== "bigint") fail("amount", "must be a bigint", a);
    if (a < AMOUNT_MIN || a > AMOUNT_MAX) fail("amount", "overflows 128-bit two's complement", a);
  }
  checkAscii("clientOrderId", cmd.clientOrderId, CLIENT_ORDER_ID_MAX);
  checkAscii("destination", cmd.destination, DESTINATION_MAX);
}

/**
 * Writes `s` into a field of `max` bytes (a multiple of 4) and zeroes the rest of it, so a reused
 * ring slot or journal buffer holds the same bytes for the same command whatever it held before.
 * Four characters a word: a quarter of the DataView calls of a byte loop.
 */
function writeAscii(view: DataView, at: number, s: string, max: number): void {
  const n = s.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    view.setUint32(at + i, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24), true);
  }
  if (i < n) {
    let word = 0;
    for (let k = 0; i + k < n; k++) word |= s.charCodeAt(i + k) << (8 * k);
    view.setUint32(at + i, word, true);
    i += 4;
  }
  // Zeros eight bytes a call (+0 is all zero bits), then the last word if `max - i` is odd in words.
  for (; i + 8 <= max; i += 8) view.setFloat64(at + i, 0, true);
  if (i < max) view.setUint32(at + i, 0, true);
}

/**
 * Writes `cmd`, stamped with `seq`, into the 256 bytes at `offset`. Allocates nothing (amounts
 * beyond ±2^63 allocate a BigInt for their high half). Throws a RangeError, writing nothing, if a
 * field does not fit the layout exactly.
 */
export function encodeCommand(cmd: Command, seq: number, view: DataView, offset: number): void {
  checkCommand(cmd, seq);
  const o = offset;
  view.setFloat64(o + O.SEQ, seq, true);
  view.setUint16(o + O.TYPE, cmd.type, true);
  view.setUint8(o + O.VERSION, COMMAND_LAYOUT_VERSION);
  view.setUint8(o + O.SIDE, cmd.side);
  view.setUint8(o + O.ORDER_TYPE, cmd.orderType);
  view.setUint8(o + O.TIF, cmd.tif);
  view.setUint8(o + O.STP, cmd.stp);
  view.setUint8(o + O.FLAGS, cmd.flags);
  view.setFloat64(o + O.TIME, cmd.time, true);
  view.setFloat64(o + O.ORDER_ID, cmd.orderId, true);
  view.setFloat64(o + O.ACCOUNT, cmd.account, true);
  view.setFloat64(o + O.PRICE, cmd.price, true);
  view.setFloat64(o + O.STOP_PRICE, cmd.stopPrice, true);
  view.setFloat64(o + O.QTY, cmd.qty, true);
  view.setFloat64(o + O.EXPIRE_TIME, cmd.expireTime, true);
  view.setFloat64(o + O.SESSION, cmd.session, true);
  const a = cmd.amount;
  if (a === 0n) {
    view.setFloat64(o + O.AMOUNT, 0, true);
    view.setFloat64(o + O.AMOUNT + 8, 0, true);
  } else {
    // setBigUint64 keeps the low 64 bits of any BigInt, two's complement, without allocating.
    view.setBigUint64(o + O.AMOUNT, a, true);
    if (a >= I64_MIN && a <= I64_MAX) {
      const sign = a < 0n ? -1 : 0;
      view.setInt32(o + O.AMOUNT + 8, sign, true);
      view.setInt32(o + O.AMOUNT + 12, sign, true);
    } else {
      view.setBigInt64(o + O.AMOUNT + 8, a >> 64n, true);
    }
  }
  view.setInt32(o + O.SYMBOL, cmd.symbol, true);
  view.setUint32(o + O.CURRENCY, cmd.currency, true);
  view.setUint32(o + O.TIER, cmd.tier, true);
  view.setUint8(o + O.ACTOR, cmd.actor);
  view.setUint8(o + O.CLIENT_ORDER_ID_LEN, cmd.clientOrderId.length);
  view.setUint8(o + O.DESTINATION_LEN, cmd.destination.length);
  view.setUint8(o + O.RESERVED_A, 0);
  writeAscii(view, o + O.CLIENT_ORDER_ID, cmd.clientOrderId, CLIENT_ORDER_ID_MAX);
  writeAscii(view, o + O.DESTINATION, cmd.destination, DESTINATION_MAX);
  view.setFloat64(o + O.RESERVED_B, 0, true);
  view.setUint32(o + O.RESERVED_B + 8, 0, true);
}

// ------------------------------------------------------------------------------------- decode

// Strings are cut from a Buffer over the same memory: toString("latin1") is several times faster
// than building them a character at a time. The Buffer covers the whole underlying ArrayBuffer and
// is kept for the next call, since a reader decodes every slot out of the same ring or journal
// buffer, even when it makes a fresh DataView per record.
let sliceBuffer: ArrayBufferLike | null = null;
let sliceBytes: Buffer = Buffer.alloc(0);

function latin1(view: DataView, at: number, n: number): string {
  const start = view.byteOffset + at;
  const buffer = view.buffer;
  if (buffer !== sliceBuffer || start + n > sliceBytes.length) {
    sliceBytes = Buffer.from(buffer);
    sliceBuffer = buffer;
  }
  return sliceBytes.toString("latin1", start, start + n);
}

/**
 * The string in a field, or `prev` itself when the bytes spell it: a reused Command keeps its
 * string and nothing is allocated when the field did not change (an empty one never allocates).
 */
function readAscii(view: DataView, at: number, n: number, prev: string): string {
  if (n === 0) return "";
  if (prev.length === n) {
    let i = 0;
    while (i < n && view.getUint8(at + i) === prev.charCodeAt(i)) i++;
    if (i === n) return prev;
  }
  return latin1(view, at, n);
}

/**
 * Fills the reused `into` from the slot at `offset` and returns the slot's seq. Every field is
 * written. Allocation: a changed non-empty string, a non-zero amount (a BigInt, unless the engine
 * represents it inline), and once per underlying buffer a Buffer over it; nothing else.
 *
 * Never throws on any bytes in the slot: an over-long length is cut to its field's size and a
 * non-ASCII byte becomes the Latin-1 character of that code, which the engine rejects. Run
 * `validateCommandSlot` first where the bytes come from outside (the journal, a peer).
 */
export function decodeCommand(view: DataView, offset: number, into: Command): number {
  const o = offset;
  into.type = view.getUint16(o + O.TYPE, true);
  into.side = view.getUint8(o + O.SIDE);
  into.orderType = view.getUint8(o + O.ORDER_TYPE);
  into.tif = view.getUint8(o + O.TIF);
  into.stp = view.getUint8(o + O.STP);
  into.flags = view.getUint8(o + O.FLAGS);
  into.time = view.getFloat64(o + O.TIME, true);
  into.orderId = view.getFloat64(o + O.ORDER_ID, true);
  into.account = view.getFloat64(o + O.ACCOUNT, true);
  into.price = view.getFloat64(o + O.PRICE, true);
  into.stopPrice = view.getFloat64(o + O.STOP_PRICE, true);
  into.qty = view.getFloat64(o + O.QTY, true);
  into.expireTime = view.getFloat64(o + O.EXPIRE_TIME, true);
  into.session = view.getFloat64(o + O.SESSION, true);
  into.amount = readAmount(view, o + O.AMOUNT);
  into.symbol = view.getInt32(o + O.SYMBOL, true);
  into.currency = view.getUint32(o + O.CURRENCY, true);
  into.tier = view.getUint32(o + O.TIER, true);
  into.actor = view.getUint8(o + O.ACTOR);
  const cidLen = Math.min(view.getUint8(o + O.CLIENT_ORDER_ID_LEN), CLIENT_ORDER_ID_MAX);
  into.clientOrderId = readAscii(view, o + O.CLIENT_ORDER_ID, cidLen, into.clientOrderId);
  const destLen = Math.min(view.getUint8(o + O.DESTINATION_LEN), DESTINATION_MAX);
  into.destination = readAscii(view, o + O.DESTINATION, destLen, into.destination);
  return view.getFloat64(o + O.SEQ, true);
}

function readAmount(view: DataView, at: number): bigint {
  const lo = view.getUint32(at, true);
  const mid = view.getInt32(at + 4, true);
  const sign = mid >> 31;
  if (view.getInt32(at + 8, true) === sign && view.getInt32(at + 12, true) === sign) {
    // Fits in 64 bits: almost every command (orders carry 0).
    if (lo === 0 && mid === 0) return 0n;
    return view.getBigInt64(at, true);
  }
  return (view.getBigInt64(at + 8, true) << 64n) | view.getBigUint64(at, true);
}

// ----------------------------------------------------------------------------------- validate

function checkAsciiField(view: DataView, o: number, field: string, lenAt: number, at: number, max: number): string | null {
  const n = view.getUint8(o + lenAt);
  if (n > max) return `${field} length ${n} exceeds ${max}`;
  for (let i = 0; i < n; i++) {
    const c = view.getUint8(o + at + i);
    if (!isPrintable(c)) return `${field} byte ${i} is 0x${c.toString(16).padStart(2, "0")}, not printable ASCII`;
  }
  // The padding a byte at a time up to a word boundary, then a word at a time (`max` is a multiple of 4).
  let i = n;
  for (; i < max && (i & 3) !== 0; i++) {
    if (view.getUint8(o + at + i) !== 0) return `${field} padding byte ${i} is not zero`;
  }
  for (; i < max; i += 4) {
    if (view.getUint32(o + at + i, true) !== 0) return `${field} padding byte ${i + firstNonZero(view, o + at + i)} is not zero`;
  }
  return null;
}

function firstNonZero(view: DataView, at: number): number {
  let k = 0;
  while (view.getUint8(at + k) === 0) k++;
  return k;
}

function checkF64(view: DataView, at: number, field: string): string | null {
  const x = view.getFloat64(at, true);
  return Number.isSafeInteger(x) ? null : `${field} is ${x}, not an integer within ±(2^53-1)`;
}

/**
 * null if the slot at `offset` is one `encodeCommand` could have written, else the first reason it
 * is not: wrong layout version, a float64 field that is not an integer within ±(2^53 − 1), a
 * string length over its maximum, a string byte outside printable ASCII, or a non-zero byte where
 * the layout says zero. The enums, symbol, currency, tier and amount take any bits; whether they
 * mean anything is the engine's call. A slot that passes is canonical: decoding and re-encoding
 * it gives the same 256 bytes. Allocates only the reason.
 */
export function validateCommandSlot(view: DataView, offset: number): string | null {
  const o = offset;
  const version = view.getUint8(o + O.VERSION);
  if (version !== COMMAND_LAYOUT_VERSION) return `layout version ${version}, expected ${COMMAND_LAYOUT_VERSION}`;
  const bad =
    checkF64(view, o + O.SEQ, "seq") ??
    checkF64(view, o + O.TIME, "time") ??
    checkF64(view, o + O.ORDER_ID, "orderId") ??
    checkF64(view, o + O.ACCOUNT, "account") ??
    checkF64(view, o + O.PRICE, "price") ??
    checkF64(view, o + O.STOP_PRICE, "stopPrice") ??
    checkF64(view, o + O.QTY, "qty") ??
    checkF64(view, o + O.EXPIRE_TIME, "expireTime") ??
    checkF64(view, o + O.SESSION, "session") ??
    checkAsciiField(view, o, "clientOrderId", O.CLIENT_ORDER_ID_LEN, O.CLIENT_ORDER_ID, CLIENT_ORDER_ID_MAX) ??
    checkAsciiField(view, o, "destination", O.DESTINATION_LEN, O.DESTINATION, DESTINATION_MAX);
  if (bad !== null) return bad;
  if (view.getUint8(o + O.RESERVED_A) !== 0) return `reserved byte ${O.RESERVED_A} is not zero`;
  for (let i = O.RESERVED_B; i < COMMAND_SLOT_BYTES; i += 4) {
    if (view.getUint32(o + i, true) !== 0) return `reserved byte ${i + firstNonZero(view, o + i)} is not zero`;
  }
  return null;
}
