import { MarketState, Side } from "./shared.ts";
import { ErrorCode, ProtocolError } from "./errors.ts";
import { checkNat, checkU16, checkU32, checkU8, FrameWriter, isNat, MARKET_DATA_HEADER_BYTES, MessageType, messageTypeName, PROTOCOL_VERSION } from "./frame.ts";

/**
 * Market-data messages (docs/protocol.md, Market data). Readable without logging in. Each starts
 * with the same 22-byte header: version, type, u32 symbol, f64 seq, f64 time (engine µs). `seq` is
 * the symbol's sequence number of that channel (see Channel): deltas (L2_UPDATE, L3_UPDATE, TRADES)
 * count 1, 2, 3, … without gaps, and a snapshot carries the seq of the last delta it includes, so a
 * client applies the deltas with a higher seq and resubscribes on a gap. BBO, CANDLE and
 * MARKET_STATUS are state, not deltas: a newer one replaces an older one, and their seq only orders
 * them (a conflated subscriber may skip some).
 *
 * Lists are counted and at the end. The server builds them without allocating (begin…, add…,
 * end…), straight from the engine's event buffer; the object forms (encodeL2Update, …) are for
 * tests, tools and the SDK.
 */

/** SUBSCRIBE / UNSUBSCRIBE channel bits. */
export const Channel = {
  /** L2_SNAPSHOT on subscribe, then L2_UPDATE. */
  L2: 1,
  /** Market by order: L3_SNAPSHOT on subscribe, then L3_UPDATE. */
  L3: 2,
  TRADES: 4,
  BBO: 8,
  CANDLES_1S: 16,
  CANDLES_1M: 32,
  CANDLES_5M: 64,
  CANDLES_1H: 128,
  CANDLES_1D: 256,
  MARKET_STATUS: 512,
} as const;

export const CHANNEL_MASK = 1023;

export const CandleInterval = {
  S1: 0,
  M1: 1,
  M5: 2,
  H1: 3,
  D1: 4,
} as const;

/** Length of each CandleInterval in µs, by interval code. */
export const CANDLE_INTERVAL_US: readonly number[] = [1e6, 60e6, 300e6, 3_600e6, 86_400e6];

/** The channel bit of each CandleInterval, by interval code. */
export const CANDLE_CHANNEL: readonly number[] = [Channel.CANDLES_1S, Channel.CANDLES_1M, Channel.CANDLES_5M, Channel.CANDLES_1H, Channel.CANDLES_1D];

/** What happened to one order in an L3_UPDATE. */
export const L3Action = {
  /** A new order joined the back of its level's queue. */
  ADD: 0,
  /** The order's resting quantity changed (a fill, a size decrease); it keeps its queue place. */
  UPDATE: 1,
  /** The order left the book (filled, cancelled, expired, or moved: a DELETE then an ADD). */
  DELETE: 2,
} as const;

export interface L2Level {
  /** Ticks. */
  price: number;
  /** Lots resting at the price. */
  qty: number;
  /** Orders resting at the price. */
  orders: number;
}

export interface L2Change extends L2Level {
  side: number;
}

export interface L3Order {
  side: number;
  orderId: number;
  price: number;
  /** Resting (leaves) quantity. */
  qty: number;
}

export interface L3Change extends L3Order {
  action: number;
}

export interface Trade {
  /** Side of the taker. */
  aggressorSide: number;
  tradeId: number;
  price: number;
  qty: number;
}

interface Header {
  symbol: number;
  /** The symbol's sequence number of this channel. */
  seq: number;
  /** Engine time, µs since the epoch. */
  time: number;
}

export interface L2Snapshot extends Header {
  type: typeof MessageType.L2_SNAPSHOT;
  /** Best (highest) first. */
  bids: L2Level[];
  /** Best (lowest) first. */
  asks: L2Level[];
}

/** Levels that changed in one engine command; qty 0 means the level is gone. */
export interface L2Update extends Header {
  type: typeof MessageType.L2_UPDATE;
  changes: L2Change[];
}

export interface L3Snapshot extends Header {
  type: typeof MessageType.L3_SNAPSHOT;
  /** Bids best price first, then asks best price first; within a price, in queue order. */
  orders: L3Order[];
}

export interface L3Update extends Header {
  type: typeof MessageType.L3_UPDATE;
  changes: L3Change[];
}

/** The trades of one engine command, in the order they printed. */
export interface Trades extends Header {
  type: typeof MessageType.TRADES;
  trades: Trade[];
}

/** Best bid and offer; a side with qty 0 (and price 0) is empty. */
export interface Bbo extends Header {
  type: typeof MessageType.BBO;
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
}

export interface Candle extends Header {
  type: typeof MessageType.CANDLE;
  interval: number;
  /** Start of the candle's interval, µs since the epoch. */
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Lots traded in the interval. */
  volume: number;
  /** Trades in the interval. */
  trades: number;
  /** False while the interval is still open; true on the candle's last update. */
  closed: boolean;
}

export interface MarketStatus extends Header {
  type: typeof MessageType.MARKET_STATUS;
  /** MarketState (engine/book.ts). */
  state: number;
  /** Engine reason: OK, MARKET_CLOSED, SYMBOL_HALTED, VOLATILITY_HALT. */
  reason: number;
  /** When the state next changes, µs; 0 = not scheduled (until a RESUME, or no calendar). */
  until: number;
}

export type MarketDataMessage = L2Snapshot | L2Update | L3Snapshot | L3Update | Trades | Bbo | Candle | MarketStatus;

/** Bytes per list entry, and where each list's count and entries start. */
export const L2_LEVEL_BYTES = 20;
export const L2_CHANGE_BYTES = 21;
export const L3_ORDER_BYTES = 25;
export const L3_CHANGE_BYTES = 26;
export const TRADE_BYTES = 25;
export const L2_SNAPSHOT_BASE = 30;
export const L3_SNAPSHOT_BASE = 26;
export const UPDATE_BASE = 24;
export const BBO_BYTES = 54;
export const CANDLE_BYTES = 76;
export const MARKET_STATUS_BYTES = 33;

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

// ------------------------------------------------------------------------------ encode (server)

function header(w: FrameWriter, type: number, symbol: number, seq: number, time: number, size: number): DataView {
  checkU32("symbol", symbol);
  checkNat("seq", seq);
  checkNat("time", time);
  w.ensure(size);
  const v = w.view;
  v.setUint8(0, PROTOCOL_VERSION);
  v.setUint8(1, type | 0);
  v.setUint32(2, symbol | 0, true);
  v.setFloat64(6, seq, true);
  v.setFloat64(14, time, true);
  return v;
}

function checkSide(side: number): void {
  checkU8("side", side, Side.SELL);
}

function begin(w: FrameWriter, type: number, symbol: number, seq: number, time: number, base: number): void {
  header(w, type, symbol, seq, time, base);
  w.building = type;
  w.pos = base;
  w.count = 0;
  w.count2 = 0;
}

function claim(w: FrameWriter, type: number, entryBytes: number, max: number, count: number): number {
  if (w.building !== type) throw new Error(`no ${messageTypeName(type)} is being built`);
  if (count >= max) throw new RangeError(`${messageTypeName(type)} holds at most ${max} entries`);
  const at = w.pos;
  w.ensure(at + entryBytes, at);
  w.pos = at + entryBytes;
  return at;
}

function finish(w: FrameWriter, type: number): number {
  if (w.building !== type) throw new Error(`no ${messageTypeName(type)} is being built`);
  w.building = 0;
  return w.pos;
}

function checkLevel(price: number, qty: number, orders: number): void {
  checkNat("price", price);
  checkNat("qty", qty);
  checkU32("orders", orders);
}

// L2_SNAPSHOT: bids (best first), then asks (best first).

export function beginL2Snapshot(w: FrameWriter, symbol: number, seq: number, time: number): void {
  begin(w, MessageType.L2_SNAPSHOT, symbol, seq, time, L2_SNAPSHOT_BASE);
}

function putLevel(w: FrameWriter, at: number, price: number, qty: number, orders: number): void {
  const v = w.view;
  v.setFloat64(at, price, true);
  v.setFloat64(at + 8, qty, true);
  v.setUint32(at + 16, orders | 0, true);
}

export function addL2Bid(w: FrameWriter, price: number, qty: number, orders: number): void {
  checkLevel(price, qty, orders);
  if (w.count2 !== 0) throw new Error("L2_SNAPSHOT: every bid comes before the first ask");
  putLevel(w, claim(w, MessageType.L2_SNAPSHOT, L2_LEVEL_BYTES, U32_MAX, w.count), price, qty, orders);
  w.count++;
}

export function addL2Ask(w: FrameWriter, price: number, qty: number, orders: number): void {
  checkLevel(price, qty, orders);
  putLevel(w, claim(w, MessageType.L2_SNAPSHOT, L2_LEVEL_BYTES, U32_MAX, w.count2), price, qty, orders);
  w.count2++;
}

export function endL2Snapshot(w: FrameWriter): number {
  const n = finish(w, MessageType.L2_SNAPSHOT);
  w.view.setUint32(22, w.count | 0, true);
  w.view.setUint32(26, w.count2 | 0, true);
  return n;
}

// L2_UPDATE

export function beginL2Update(w: FrameWriter, symbol: number, seq: number, time: number): void {
  begin(w, MessageType.L2_UPDATE, symbol, seq, time, UPDATE_BASE);
}

export function addL2Change(w: FrameWriter, side: number, price: number, qty: number, orders: number): void {
  checkSide(side);
  checkLevel(price, qty, orders);
  const at = claim(w, MessageType.L2_UPDATE, L2_CHANGE_BYTES, U16_MAX, w.count);
  w.view.setUint8(at, side | 0);
  putLevel(w, at + 1, price, qty, orders);
  w.count++;
}

export function endL2Update(w: FrameWriter): number {
  const n = finish(w, MessageType.L2_UPDATE);
  w.view.setUint16(22, w.count | 0, true);
  return n;
}

// L3_SNAPSHOT

export function beginL3Snapshot(w: FrameWriter, symbol: number, seq: number, time: number): void {
  begin(w, MessageType.L3_SNAPSHOT, symbol, seq, time, L3_SNAPSHOT_BASE);
}

function putOrder(w: FrameWriter, at: number, side: number, orderId: number, price: number, qty: number): void {
  const v = w.view;
  v.setUint8(at, side | 0);
  v.setFloat64(at + 1, orderId, true);
  v.setFloat64(at + 9, price, true);
  v.setFloat64(at + 17, qty, true);
}

function checkOrder(side: number, orderId: number, price: number, qty: number): void {
  checkSide(side);
  checkNat("orderId", orderId);
  checkNat("price", price);
  checkNat("qty", qty);
}

export function addL3Order(w: FrameWriter, side: number, orderId: number, price: number, qty: number): void {
  checkOrder(side, orderId, price, qty);
  putOrder(w, claim(w, MessageType.L3_SNAPSHOT, L3_ORDER_BYTES, U32_MAX, w.count), side, orderId, price, qty);
  w.count++;
}

export function endL3Snapshot(w: FrameWriter): number {
  const n = finish(w, MessageType.L3_SNAPSHOT);
  w.view.setUint32(22, w.count | 0, true);
  return n;
}

// L3_UPDATE

export function beginL3Update(w: FrameWriter, symbol: number, seq: number, time: number): void {
  begin(w, MessageType.L3_UPDATE, symbol, seq, time, UPDATE_BASE);
}

export function addL3Change(w: FrameWriter, action: number, side: number, orderId: number, price: number, qty: number): void {
  checkU8("action", action, L3Action.DELETE);
  checkOrder(side, orderId, price, qty);
  const at = claim(w, MessageType.L3_UPDATE, L3_CHANGE_BYTES, U16_MAX, w.count);
  w.view.setUint8(at, action | 0);
  putOrder(w, at + 1, side, orderId, price, qty);
  w.count++;
}

export function endL3Update(w: FrameWriter): number {
  const n = finish(w, MessageType.L3_UPDATE);
  w.view.setUint16(22, w.count | 0, true);
  return n;
}

// TRADES

export function beginTrades(w: FrameWriter, symbol: number, seq: number, time: number): void {
  begin(w, MessageType.TRADES, symbol, seq, time, UPDATE_BASE);
}

export function addTrade(w: FrameWriter, aggressorSide: number, tradeId: number, price: number, qty: number): void {
  checkSide(aggressorSide);
  checkNat("tradeId", tradeId);
  checkNat("price", price);
  checkNat("qty", qty);
  const at = claim(w, MessageType.TRADES, TRADE_BYTES, U16_MAX, w.count);
  putOrder(w, at, aggressorSide, tradeId, price, qty);
  w.count++;
}

export function endTrades(w: FrameWriter): number {
  const n = finish(w, MessageType.TRADES);
  w.view.setUint16(22, w.count | 0, true);
  return n;
}

// Fixed-size messages

export function encodeBbo(w: FrameWriter, m: Bbo): number {
  checkNat("bidPrice", m.bidPrice);
  checkNat("bidQty", m.bidQty);
  checkNat("askPrice", m.askPrice);
  checkNat("askQty", m.askQty);
  const v = header(w, MessageType.BBO, m.symbol, m.seq, m.time, BBO_BYTES);
  v.setFloat64(22, m.bidPrice, true);
  v.setFloat64(30, m.bidQty, true);
  v.setFloat64(38, m.askPrice, true);
  v.setFloat64(46, m.askQty, true);
  return BBO_BYTES;
}

export function encodeCandle(w: FrameWriter, m: Candle): number {
  checkU8("interval", m.interval, CandleInterval.D1);
  if (typeof m.closed !== "boolean") throw new RangeError(`closed must be a boolean: ${m.closed}`);
  checkNat("openTime", m.openTime);
  checkNat("open", m.open);
  checkNat("high", m.high);
  checkNat("low", m.low);
  checkNat("close", m.close);
  checkNat("volume", m.volume);
  checkU32("trades", m.trades);
  const v = header(w, MessageType.CANDLE, m.symbol, m.seq, m.time, CANDLE_BYTES);
  v.setUint8(22, m.interval | 0);
  v.setUint8(23, m.closed ? 1 : 0);
  v.setFloat64(24, m.openTime, true);
  v.setFloat64(32, m.open, true);
  v.setFloat64(40, m.high, true);
  v.setFloat64(48, m.low, true);
  v.setFloat64(56, m.close, true);
  v.setFloat64(64, m.volume, true);
  v.setUint32(72, m.trades | 0, true);
  return CANDLE_BYTES;
}

export function encodeMarketStatus(w: FrameWriter, m: MarketStatus): number {
  checkU8("state", m.state, MarketState.HALTED);
  checkU16("reason", m.reason);
  checkNat("until", m.until);
  const v = header(w, MessageType.MARKET_STATUS, m.symbol, m.seq, m.time, MARKET_STATUS_BYTES);
  v.setUint8(22, m.state | 0);
  v.setUint16(23, m.reason | 0, true);
  v.setFloat64(25, m.until, true);
  return MARKET_STATUS_BYTES;
}

// Object forms of the lists

export function encodeL2Snapshot(w: FrameWriter, m: L2Snapshot): number {
  beginL2Snapshot(w, m.symbol, m.seq, m.time);
  for (const l of m.bids) addL2Bid(w, l.price, l.qty, l.orders);
  for (const l of m.asks) addL2Ask(w, l.price, l.qty, l.orders);
  return endL2Snapshot(w);
}

export function encodeL2Update(w: FrameWriter, m: L2Update): number {
  beginL2Update(w, m.symbol, m.seq, m.time);
  for (const c of m.changes) addL2Change(w, c.side, c.price, c.qty, c.orders);
  return endL2Update(w);
}

export function encodeL3Snapshot(w: FrameWriter, m: L3Snapshot): number {
  beginL3Snapshot(w, m.symbol, m.seq, m.time);
  for (const o of m.orders) addL3Order(w, o.side, o.orderId, o.price, o.qty);
  return endL3Snapshot(w);
}

export function encodeL3Update(w: FrameWriter, m: L3Update): number {
  beginL3Update(w, m.symbol, m.seq, m.time);
  for (const c of m.changes) addL3Change(w, c.action, c.side, c.orderId, c.price, c.qty);
  return endL3Update(w);
}

export function encodeTrades(w: FrameWriter, m: Trades): number {
  beginTrades(w, m.symbol, m.seq, m.time);
  for (const t of m.trades) addTrade(w, t.aggressorSide, t.tradeId, t.price, t.qty);
  return endTrades(w);
}

export function encodeMarketData(w: FrameWriter, m: MarketDataMessage): number {
  switch (m.type) {
    case MessageType.L2_SNAPSHOT:
      return encodeL2Snapshot(w, m);
    case MessageType.L2_UPDATE:
      return encodeL2Update(w, m);
    case MessageType.L3_SNAPSHOT:
      return encodeL3Snapshot(w, m);
    case MessageType.L3_UPDATE:
      return encodeL3Update(w, m);
    case MessageType.TRADES:
      return encodeTrades(w, m);
    case MessageType.BBO:
      return encodeBbo(w, m);
    case MessageType.CANDLE:
      return encodeCandle(w, m);
    case MessageType.MARKET_STATUS:
      return encodeMarketStatus(w, m);
    default:
      throw new RangeError(`not a market-data message type: ${(m as { type: unknown }).type}`);
  }
}

// ------------------------------------------------------------------------------ decode (SDK)

function malformed(type: number, message: string): ProtocolError {
  return new ProtocolError(ErrorCode.MALFORMED, message, type);
}

function invalid(type: number, field: string, value: number): ProtocolError {
  return new ProtocolError(ErrorCode.INVALID_FIELD, `${field} out of range: ${value}`, type, 0, 0, field);
}

function sizeError(type: number, length: number, size: number): ProtocolError {
  return length < size
    ? malformed(type, `truncated: ${messageTypeName(type)} needs ${size} bytes, got ${length}`)
    : malformed(type, `${length - size} trailing bytes after ${messageTypeName(type)} (${size} bytes)`);
}

/** A list of `count` entries of `entry` bytes from `base` must end the frame exactly. */
function listSize(type: number, length: number, base: number, count: number, entry: number): ProtocolError | null {
  const size = base + count * entry;
  return length === size ? null : sizeError(type, length, size);
}

function levelsAt(v: DataView, type: number, at: number, n: number, out: L2Level[]): ProtocolError | null {
  for (let i = 0; i < n; i++, at += L2_LEVEL_BYTES) {
    const price = v.getFloat64(at, true);
    const qty = v.getFloat64(at + 8, true);
    if (!isNat(price)) return invalid(type, "price", price);
    if (!isNat(qty)) return invalid(type, "qty", qty);
    out.push({ price, qty, orders: v.getUint32(at + 16, true) });
  }
  return null;
}

/** side, f64 id, f64 price, f64 qty at `at`; checked. */
function orderAt(v: DataView, type: number, at: number, idName: string): L3Order | ProtocolError {
  const side = v.getUint8(at);
  if (side > Side.SELL) return invalid(type, "side", side);
  const orderId = v.getFloat64(at + 1, true);
  if (!isNat(orderId)) return invalid(type, idName, orderId);
  const price = v.getFloat64(at + 9, true);
  if (!isNat(price)) return invalid(type, "price", price);
  const qty = v.getFloat64(at + 17, true);
  if (!isNat(qty)) return invalid(type, "qty", qty);
  return { side, orderId, price, qty };
}

function nat(v: DataView, at: number, type: number, field: string): number | ProtocolError {
  const x = v.getFloat64(at, true);
  return isNat(x) ? x : invalid(type, field, x);
}

/**
 * Decodes a market-data frame whose version and type the caller checked (decodeServer); never
 * throws, never reads past `length`.
 */
export function decodeMarketData(bytes: Uint8Array, v: DataView, length: number, type: number): MarketDataMessage | ProtocolError {
  if (length < MARKET_DATA_HEADER_BYTES) return sizeError(type, length, MARKET_DATA_HEADER_BYTES);
  const symbol = v.getUint32(2, true);
  const seq = v.getFloat64(6, true);
  if (!isNat(seq)) return invalid(type, "seq", seq);
  const time = v.getFloat64(14, true);
  if (!isNat(time)) return invalid(type, "time", time);
  switch (type) {
    case MessageType.L2_SNAPSHOT: {
      if (length < L2_SNAPSHOT_BASE) return sizeError(type, length, L2_SNAPSHOT_BASE);
      const nb = v.getUint32(22, true);
      const na = v.getUint32(26, true);
      const bad = listSize(type, length, L2_SNAPSHOT_BASE, nb + na, L2_LEVEL_BYTES);
      if (bad) return bad;
      const bids: L2Level[] = [];
      const asks: L2Level[] = [];
      const e = levelsAt(v, type, L2_SNAPSHOT_BASE, nb, bids) ?? levelsAt(v, type, L2_SNAPSHOT_BASE + nb * L2_LEVEL_BYTES, na, asks);
      if (e) return e;
      return { type, symbol, seq, time, bids, asks };
    }
    case MessageType.L2_UPDATE: {
      if (length < UPDATE_BASE) return sizeError(type, length, UPDATE_BASE);
      const n = v.getUint16(22, true);
      const bad = listSize(type, length, UPDATE_BASE, n, L2_CHANGE_BYTES);
      if (bad) return bad;
      const changes: L2Change[] = [];
      for (let i = 0, at = UPDATE_BASE; i < n; i++, at += L2_CHANGE_BYTES) {
        const side = bytes[at]!;
        if (side > Side.SELL) return invalid(type, "side", side);
        const price = v.getFloat64(at + 1, true);
        if (!isNat(price)) return invalid(type, "price", price);
        const qty = v.getFloat64(at + 9, true);
        if (!isNat(qty)) return invalid(type, "qty", qty);
        changes.push({ side, price, qty, orders: v.getUint32(at + 17, true) });
      }
      return { type, symbol, seq, time, changes };
    }
    case MessageType.L3_SNAPSHOT: {
      if (length < L3_SNAPSHOT_BASE) return sizeError(type, length, L3_SNAPSHOT_BASE);
      const n = v.getUint32(22, true);
      const bad = listSize(type, length, L3_SNAPSHOT_BASE, n, L3_ORDER_BYTES);
      if (bad) return bad;
      const orders: L3Order[] = [];
      for (let i = 0, at = L3_SNAPSHOT_BASE; i < n; i++, at += L3_ORDER_BYTES) {
        const o = orderAt(v, type, at, "orderId");
        if (o instanceof ProtocolError) return o;
        orders.push(o);
      }
      return { type, symbol, seq, time, orders };
    }
    case MessageType.L3_UPDATE: {
      if (length < UPDATE_BASE) return sizeError(type, length, UPDATE_BASE);
      const n = v.getUint16(22, true);
      const bad = listSize(type, length, UPDATE_BASE, n, L3_CHANGE_BYTES);
      if (bad) return bad;
      const changes: L3Change[] = [];
      for (let i = 0, at = UPDATE_BASE; i < n; i++, at += L3_CHANGE_BYTES) {
        const action = bytes[at]!;
        if (action > L3Action.DELETE) return invalid(type, "action", action);
        const o = orderAt(v, type, at + 1, "orderId");
        if (o instanceof ProtocolError) return o;
        changes.push({ action, side: o.side, orderId: o.orderId, price: o.price, qty: o.qty });
      }
      return { type, symbol, seq, time, changes };
    }
    case MessageType.TRADES: {
      if (length < UPDATE_BASE) return sizeError(type, length, UPDATE_BASE);
      const n = v.getUint16(22, true);
      const bad = listSize(type, length, UPDATE_BASE, n, TRADE_BYTES);
      if (bad) return bad;
      const trades: Trade[] = [];
      for (let i = 0, at = UPDATE_BASE; i < n; i++, at += TRADE_BYTES) {
        const o = orderAt(v, type, at, "tradeId");
        if (o instanceof ProtocolError) return o;
        trades.push({ aggressorSide: o.side, tradeId: o.orderId, price: o.price, qty: o.qty });
      }
      return { type, symbol, seq, time, trades };
    }
    case MessageType.BBO: {
      if (length !== BBO_BYTES) return sizeError(type, length, BBO_BYTES);
      const bidPrice = nat(v, 22, type, "bidPrice");
      if (typeof bidPrice !== "number") return bidPrice;
      const bidQty = nat(v, 30, type, "bidQty");
      if (typeof bidQty !== "number") return bidQty;
      const askPrice = nat(v, 38, type, "askPrice");
      if (typeof askPrice !== "number") return askPrice;
      const askQty = nat(v, 46, type, "askQty");
      if (typeof askQty !== "number") return askQty;
      return { type, symbol, seq, time, bidPrice, bidQty, askPrice, askQty };
    }
    case MessageType.CANDLE: {
      if (length !== CANDLE_BYTES) return sizeError(type, length, CANDLE_BYTES);
      const interval = bytes[22]!;
      if (interval > CandleInterval.D1) return invalid(type, "interval", interval);
      const closed = bytes[23]!;
      if (closed > 1) return invalid(type, "closed", closed);
      const f: number[] = [];
      const names = ["openTime", "open", "high", "low", "close", "volume"];
      for (let i = 0; i < 6; i++) {
        const x = nat(v, 24 + 8 * i, type, names[i]!);
        if (typeof x !== "number") return x;
        f.push(x);
      }
      const [openTime, open, high, low, close, volume] = f as [number, number, number, number, number, number];
      return { type, symbol, seq, time, interval, openTime, open, high, low, close, volume, trades: v.getUint32(72, true), closed: closed === 1 };
    }
    case MessageType.MARKET_STATUS: {
      if (length !== MARKET_STATUS_BYTES) return sizeError(type, length, MARKET_STATUS_BYTES);
      const state = bytes[22]!;
      if (state > MarketState.HALTED) return invalid(type, "state", state);
      const until = nat(v, 25, type, "until");
      if (typeof until !== "number") return until;
      return { type, symbol, seq, time, state, reason: v.getUint16(23, true), until };
    }
    default:
      return new ProtocolError(ErrorCode.UNKNOWN_TYPE, `unknown message type ${messageTypeName(type)}`, type);
  }
}
