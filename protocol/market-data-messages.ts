import { MarketState, Side } from "./shared.ts";
import { compileDispatch, compileMarketDecoder } from "./compile-decode.ts";
import { compileEncoders, compileListBuilder, type Encoder } from "./compile-encode.ts";
import { ErrorCode, ProtocolError } from "./errors.ts";
import { FrameWriter, MessageType, messageTypeName } from "./frame.ts";
import { bool, entryBytes, type Field, fixedEnd, list, type MessageLayout, nat, u16, u32, u8 } from "./layout.ts";

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
  /** Engine reason: OK, MARKET_CLOSED, SYMBOL_HALTED, VOLATILITY_HALT, MARKET_DATA_STALE, MARKET_DATA_BAD_TICK. */
  reason: number;
  /** When the state next changes, µs; 0 = not scheduled (until a RESUME, or no calendar). */
  until: number;
}

export type MarketDataMessage = L2Snapshot | L2Update | L3Snapshot | L3Update | Trades | Bbo | Candle | MarketStatus;

// ------------------------------------------------------------------------------ layouts

/**
 * Each market-data message described once, its fields in wire order after the 22-byte header
 * (docs/protocol.md has the tables); the builders, encoders, decodeMarketData and their checks are
 * built from these (compile-encode.ts, compile-decode.ts). A list's count sits in the fixed part,
 * its entries at the end of the frame.
 */
const side = u8("side", { max: Side.SELL });
const price = nat("price");
const qty = nat("qty");
const LEVEL: Field[] = [price, qty, u32("orders")];
const ORDER: Field[] = [side, nat("orderId"), price, qty];

const layout = (type: number, fields: MessageLayout["fields"]): MessageLayout => ({ type, family: "market", fields });

const L2_SNAPSHOT = layout(MessageType.L2_SNAPSHOT, [list("bids", "u32", "bid", LEVEL), list("asks", "u32", "ask", LEVEL)]);
const L2_UPDATE = layout(MessageType.L2_UPDATE, [list("changes", "u16", "change", [side, ...LEVEL])]);
const L3_SNAPSHOT = layout(MessageType.L3_SNAPSHOT, [list("orders", "u32", "order", ORDER)]);
const L3_UPDATE = layout(MessageType.L3_UPDATE, [list("changes", "u16", "change", [u8("action", { max: L3Action.DELETE }), ...ORDER])]);
const TRADES = layout(MessageType.TRADES, [
  list("trades", "u16", "trade", [u8("aggressorSide", { max: Side.SELL, label: "side" }), nat("tradeId"), price, qty]),
]);
const BBO = layout(MessageType.BBO, [nat("bidPrice"), nat("bidQty"), nat("askPrice"), nat("askQty")]);
const CANDLE = layout(MessageType.CANDLE, [
  u8("interval", { max: CandleInterval.D1 }),
  bool("closed"),
  nat("openTime"),
  nat("open"),
  nat("high"),
  nat("low"),
  nat("close"),
  nat("volume"),
  u32("trades"),
]);
const MARKET_STATUS = layout(MessageType.MARKET_STATUS, [u8("state", { max: MarketState.HALTED }), u16("reason"), nat("until")]);

const LIST_LAYOUTS = [L2_SNAPSHOT, L2_UPDATE, L3_SNAPSHOT, L3_UPDATE, TRADES];
export const MARKET_DATA_LAYOUTS: readonly MessageLayout[] = [...LIST_LAYOUTS, BBO, CANDLE, MARKET_STATUS];

/** Bytes per list entry, and where each list's count and entries start. */
export const L2_LEVEL_BYTES = entryBytes(LEVEL);
export const L2_CHANGE_BYTES = entryBytes(L2_UPDATE.fields[0]!.entry!);
export const L3_ORDER_BYTES = entryBytes(ORDER);
export const L3_CHANGE_BYTES = entryBytes(L3_UPDATE.fields[0]!.entry!);
export const TRADE_BYTES = entryBytes(TRADES.fields[0]!.entry!);
export const L2_SNAPSHOT_BASE = fixedEnd(L2_SNAPSHOT);
export const L3_SNAPSHOT_BASE = fixedEnd(L3_SNAPSHOT);
/** L2_UPDATE, L3_UPDATE and TRADES: a u16 count after the header. */
export const UPDATE_BASE = fixedEnd(L2_UPDATE);
export const BBO_BYTES = fixedEnd(BBO);
export const CANDLE_BYTES = fixedEnd(CANDLE);
export const MARKET_STATUS_BYTES = fixedEnd(MARKET_STATUS);

// ------------------------------------------------------------------------------ encode (server)

/*
 * The lists are built without allocating (begin…, add…, end…), straight from the engine's event
 * buffer: an add takes the entry's fields in wire order. The object forms (encodeL2Update, …) go
 * through the same builders, for tests, tools and the SDK.
 */
type Begin = (w: FrameWriter, symbol: number, seq: number, time: number) => void;
type End = (w: FrameWriter) => number;

const l2Snapshot = compileListBuilder<L2Snapshot>(L2_SNAPSHOT);
const l2Update = compileListBuilder<L2Update>(L2_UPDATE);
const l3Snapshot = compileListBuilder<L3Snapshot>(L3_SNAPSHOT);
const l3Update = compileListBuilder<L3Update>(L3_UPDATE);
const trades = compileListBuilder<Trades>(TRADES);

/** L2_SNAPSHOT: bids (best first), then asks (best first). */
export const beginL2Snapshot: Begin = l2Snapshot.begin;
export const addL2Bid: (w: FrameWriter, price: number, qty: number, orders: number) => void = l2Snapshot.add[0]!;
export const addL2Ask: (w: FrameWriter, price: number, qty: number, orders: number) => void = l2Snapshot.add[1]!;
export const endL2Snapshot: End = l2Snapshot.end;

export const beginL2Update: Begin = l2Update.begin;
export const addL2Change: (w: FrameWriter, side: number, price: number, qty: number, orders: number) => void = l2Update.add[0]!;
export const endL2Update: End = l2Update.end;

export const beginL3Snapshot: Begin = l3Snapshot.begin;
export const addL3Order: (w: FrameWriter, side: number, orderId: number, price: number, qty: number) => void = l3Snapshot.add[0]!;
export const endL3Snapshot: End = l3Snapshot.end;

export const beginL3Update: Begin = l3Update.begin;
export const addL3Change: (w: FrameWriter, action: number, side: number, orderId: number, price: number, qty: number) => void = l3Update.add[0]!;
export const endL3Update: End = l3Update.end;

export const beginTrades: Begin = trades.begin;
export const addTrade: (w: FrameWriter, aggressorSide: number, tradeId: number, price: number, qty: number) => void = trades.add[0]!;
export const endTrades: End = trades.end;

export const encodeL2Snapshot: Encoder<L2Snapshot> = l2Snapshot.encode;
export const encodeL2Update: Encoder<L2Update> = l2Update.encode;
export const encodeL3Snapshot: Encoder<L3Snapshot> = l3Snapshot.encode;
export const encodeL3Update: Encoder<L3Update> = l3Update.encode;
export const encodeTrades: Encoder<Trades> = trades.encode;

const encoders = compileEncoders<MarketDataMessage>([BBO, CANDLE, MARKET_STATUS], "market-data", new Map<number, unknown>([
  [MessageType.L2_SNAPSHOT, encodeL2Snapshot],
  [MessageType.L2_UPDATE, encodeL2Update],
  [MessageType.L3_SNAPSHOT, encodeL3Snapshot],
  [MessageType.L3_UPDATE, encodeL3Update],
  [MessageType.TRADES, encodeTrades],
]));

/** Fixed-size messages: every field checked, then the header, then written. */
export const encodeBbo: Encoder<Bbo> = encoders.of(MessageType.BBO);
export const encodeCandle: Encoder<Candle> = encoders.of(MessageType.CANDLE);
export const encodeMarketStatus: Encoder<MarketStatus> = encoders.of(MessageType.MARKET_STATUS);

export const encodeMarketData: Encoder<MarketDataMessage> = encoders.any;

// ------------------------------------------------------------------------------ decode (SDK)

/**
 * Decodes a market-data frame whose version and type the caller checked (decodeServer); never
 * throws, never reads past `length`.
 */
export const decodeMarketData: (bytes: Uint8Array, v: DataView, length: number, type: number) => MarketDataMessage | ProtocolError = compileDispatch(
  "decodeMarketData",
  ["b", "v", "length", "type"],
  "type",
  new Map(MARKET_DATA_LAYOUTS.map((l) => [l.type, compileMarketDecoder(l)])),
  (_b: Uint8Array, _v: DataView, _length: number, type: number) =>
    new ProtocolError(ErrorCode.UNKNOWN_TYPE, `unknown message type ${messageTypeName(type)}`, type),
  ["b", "v", "length"],
);
