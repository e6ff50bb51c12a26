/**
 * The binary protocol as specified: golden bytes for every message type (so a layout cannot drift
 * silently), the layout tables of docs/protocol.md checked against the encoders, the errors
 * decodeClient gives for each kind of bad input, encoder refusals, the market-data builders, the
 * reusable writer, allocation on the encode path, and the login signature. Round trips at the
 * extremes, property tests and fuzz are in protocol-fuzz.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { MarketState } from "../../engine/book.ts";
import { Flags, OrderType, Side, StpMode, TimeInForce } from "../../engine/commands.ts";
import { OrderState } from "../../engine/orders.ts";
import { Reason, reasonText } from "../../engine/reasons.ts";
import {
  addL2Ask,
  addL2Bid,
  addL2Change,
  addL3Change,
  addL3Order,
  addTrade,
  ALL,
  beginL2Snapshot,
  beginL2Update,
  beginL3Snapshot,
  beginL3Update,
  beginTrades,
  CandleInterval,
  Channel,
  type ClientMessage,
  decodeClient,
  decodeServer,
  encodeAck,
  encodeCancelled,
  encodeClient,
  encodeExecution,
  encodeMarketData,
  encodeNewOrder,
  encodeProtocolError,
  encodeSession,
  endL2Snapshot,
  endL2Update,
  endL3Snapshot,
  endL3Update,
  endTrades,
  ErrorCode,
  errorName,
  FrameWriter,
  isClientType,
  isSessionType,
  L3Action,
  Liquidity,
  LoginFlags,
  loginSigningBytes,
  MAX_CLIENT_FRAME_BYTES,
  type MarketDataMessage,
  MessageType as T,
  messageTypeName,
  ProtocolError,
  type ServerMessage,
  type SessionMessage,
  signLogin,
  verifyLogin,
} from "../../protocol/index.ts";

const TIME = 1_717_200_000_000_000; // 2024-06-01T00:00:00Z in µs
const SIG = Uint8Array.from({ length: 32 }, (_, i) => i);
const NONCE = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);

/** One typical message of every type: the golden frames and the docs check use these. */
const SAMPLES: Record<number, Record<string, unknown>> = {
  [T.LOGIN]: { type: T.LOGIN, requestId: 1, timestamp: TIME, flags: LoginFlags.CANCEL_ON_DISCONNECT, signature: SIG, apiKeyId: "AK-test-01" },
  [T.NEW_ORDER]: {
    type: T.NEW_ORDER, requestId: 7, symbol: 3, side: Side.SELL, orderType: OrderType.STOP_LIMIT, tif: TimeInForce.GTD,
    stp: StpMode.DECREMENT_AND_CANCEL, flags: 0, price: 10125, stopPrice: 10100, qty: 250, expireTime: TIME + 60e6, clientOrderId: "abc-1",
  },
  [T.CANCEL]: { type: T.CANCEL, requestId: 8, symbol: 3, orderId: 123456789, clientOrderId: "" },
  [T.AMEND]: { type: T.AMEND, requestId: 9, symbol: 3, orderId: 0, price: 10130, stopPrice: 0, qty: 300, clientOrderId: "abc-1" },
  [T.MASS_CANCEL]: { type: T.MASS_CANCEL, requestId: 10, symbol: ALL },
  [T.ORDER_STATUS_REQUEST]: { type: T.ORDER_STATUS_REQUEST, requestId: 11, symbol: 3, orderId: 42, clientOrderId: "abc-1" },
  [T.REFERENCE_DATA_REQUEST]: { type: T.REFERENCE_DATA_REQUEST, requestId: 12, symbol: 3 },
  [T.SUBSCRIBE]: { type: T.SUBSCRIBE, requestId: 13, symbol: 3, channels: Channel.L2 | Channel.TRADES | Channel.CANDLES_1M, depth: 20 },
  [T.UNSUBSCRIBE]: { type: T.UNSUBSCRIBE, requestId: 14, symbol: 3, channels: Channel.TRADES },

  [T.HELLO]: { type: T.HELLO, seq: 1, serverTime: TIME, nonce: NONCE },
  [T.LOGIN_RESULT]: { type: T.LOGIN_RESULT, seq: 2, requestId: 1, code: 0, account: 1001, sessionId: 77, serverTime: TIME + 5 },
  [T.ERROR]: { type: T.ERROR, seq: 3, requestId: 7, code: ErrorCode.INVALID_FIELD, reason: Reason.INVALID_SIDE, messageType: T.NEW_ORDER, text: "side must be 0 (buy) or 1 (sell): 9" },
  [T.ACK]: {
    type: T.ACK, seq: 4, requestId: 7, symbol: 3, orderId: 123456789, time: TIME + 10, side: Side.SELL, orderType: OrderType.STOP_LIMIT,
    tif: TimeInForce.GTD, stp: StpMode.DECREMENT_AND_CANCEL, flags: 0, price: 10125, stopPrice: 10100, qty: 250, leaves: 250,
    expireTime: TIME + 60e6, clientOrderId: "abc-1",
  },
  [T.REJECT]: {
    type: T.REJECT, seq: 5, requestId: 9, reason: Reason.AMEND_BELOW_FILLED, requestType: T.AMEND, symbol: 3, orderId: 42, time: TIME + 20,
    clientOrderId: "abc-1", text: reasonText(Reason.AMEND_BELOW_FILLED),
  },
  [T.EXECUTION]: {
    type: T.EXECUTION, seq: 6, symbol: 3, orderId: 123456789, tradeId: 555, time: TIME + 30, side: Side.SELL, liquidity: Liquidity.MAKER,
    state: OrderState.PARTIALLY_FILLED, price: 10125, qty: 50, leaves: 200, cumQty: 50, clientOrderId: "abc-1",
  },
  [T.CANCELLED]: {
    type: T.CANCELLED, seq: 7, requestId: 0, symbol: 3, orderId: 123456789, time: TIME + 60e6, side: Side.SELL, state: OrderState.EXPIRED,
    reason: Reason.GTD_EXPIRED, price: 10125, cancelledQty: 200, leaves: 0, cumQty: 50, clientOrderId: "abc-1",
  },
  [T.AMENDED]: {
    type: T.AMENDED, seq: 8, requestId: 9, symbol: 3, orderId: 42, time: TIME + 40, side: Side.BUY, keptPriority: true, price: 10100,
    qty: 80, leaves: 30, oldPrice: 10100, oldQty: 100, clientOrderId: "abc-2",
  },
  [T.MASS_CANCEL_DONE]: { type: T.MASS_CANCEL_DONE, seq: 9, requestId: 10, symbol: ALL, cancelled: 3, time: TIME + 50 },
  [T.ORDER_STATUS]: {
    type: T.ORDER_STATUS, seq: 10, requestId: 11, symbol: 3, orderId: 42, submitTime: TIME, side: Side.BUY, orderType: OrderType.LIMIT,
    tif: TimeInForce.GTC, state: OrderState.PARTIALLY_FILLED, price: 10100, stopPrice: 0, qty: 100, filled: 50, leaves: 50, clientOrderId: "abc-2",
  },
  [T.TRIGGERED]: {
    type: T.TRIGGERED, seq: 11, symbol: 3, orderId: 43, time: TIME + 70, side: Side.SELL, orderType: OrderType.STOP, stopPrice: 10000,
    lastPrice: 9999, leaves: 10, clientOrderId: "stop-9",
  },
  [T.REFERENCE_DATA]: {
    type: T.REFERENCE_DATA, seq: 12, requestId: 12,
    instruments: [
      { id: 3, symbol: "BTC-USD", tickSize: "0.01", lotSize: "0.0001", base: "BTC", quote: "USD" },
      { id: 4, symbol: "ETH-USD", tickSize: "0.05", lotSize: "0.001", base: "ETH", quote: "USD" },
    ],
  },
  [T.SUBSCRIBED]: { type: T.SUBSCRIBED, seq: 13, requestId: 13, symbol: 3, channels: Channel.L2 | Channel.TRADES | Channel.CANDLES_1M },

  [T.L2_SNAPSHOT]: {
    type: T.L2_SNAPSHOT, symbol: 3, seq: 41, time: TIME + 80,
    bids: [{ price: 10125, qty: 300, orders: 2 }, { price: 10120, qty: 50, orders: 1 }],
    asks: [{ price: 10130, qty: 75, orders: 1 }],
  },
  [T.L2_UPDATE]: {
    type: T.L2_UPDATE, symbol: 3, seq: 42, time: TIME + 90,
    changes: [{ side: Side.BUY, price: 10125, qty: 0, orders: 0 }, { side: Side.SELL, price: 10130, qty: 25, orders: 1 }],
  },
  [T.L3_SNAPSHOT]: {
    type: T.L3_SNAPSHOT, symbol: 3, seq: 7, time: TIME + 80,
    orders: [{ side: Side.BUY, orderId: 11, price: 10125, qty: 200 }, { side: Side.BUY, orderId: 12, price: 10125, qty: 100 }, { side: Side.SELL, orderId: 13, price: 10130, qty: 75 }],
  },
  [T.L3_UPDATE]: {
    type: T.L3_UPDATE, symbol: 3, seq: 8, time: TIME + 90,
    changes: [{ action: L3Action.DELETE, side: Side.BUY, orderId: 11, price: 10125, qty: 0 }, { action: L3Action.UPDATE, side: Side.SELL, orderId: 13, price: 10130, qty: 25 }],
  },
  [T.TRADES]: {
    type: T.TRADES, symbol: 3, seq: 19, time: TIME + 90,
    trades: [{ aggressorSide: Side.SELL, tradeId: 555, price: 10125, qty: 200 }, { aggressorSide: Side.SELL, tradeId: 556, price: 10125, qty: 100 }],
  },
  [T.BBO]: { type: T.BBO, symbol: 3, seq: 60, time: TIME + 90, bidPrice: 10120, bidQty: 50, askPrice: 10130, askQty: 25 },
  [T.CANDLE]: {
    type: T.CANDLE, symbol: 3, seq: 5, time: TIME + 90, interval: CandleInterval.M1, openTime: TIME, open: 10100, high: 10130, low: 10090,
    close: 10125, volume: 1234, trades: 17, closed: false,
  },
  [T.MARKET_STATUS]: { type: T.MARKET_STATUS, symbol: 3, seq: 2, time: TIME + 100, state: MarketState.HALTED, reason: Reason.VOLATILITY_HALT, until: TIME + 300e6 },
};

const w = new FrameWriter(16);

function encode(m: Record<string, unknown>): Uint8Array {
  const type = m.type as number;
  const n = isClientType(type)
    ? encodeClient(w, m as unknown as ClientMessage)
    : isSessionType(type)
      ? encodeSession(w, m as unknown as SessionMessage)
      : encodeMarketData(w, m as unknown as MarketDataMessage);
  return w.bytes.slice(0, n);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

function fromHex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}

function decodeAny(b: Uint8Array): ClientMessage | ServerMessage | ProtocolError {
  return isClientType(b[1]!) ? decodeClient(b) : decodeServer(b);
}

function expectError(out: unknown, code: number): ProtocolError {
  if (!(out instanceof ProtocolError)) throw new Error(`expected ${errorName(code)}, decoded a message: ${JSON.stringify(out)}`);
  if (out.code !== code) throw new Error(`expected ${errorName(code)}, got ${out}`);
  return out;
}

// ------------------------------------------------------------------------------ golden bytes

/**
 * Each sample's frame, split at field boundaries. Changing a layout changes these: that must be a
 * deliberate act, with a new protocol version and docs/protocol.md updated alongside.
 */
const GOLDEN: Record<number, string> = {
  [T.LOGIN]: "01 01 01000000 0080082023671843 01 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 0a 414b2d746573742d3031",
  [T.NEW_ORDER]: "01 10 07000000 03000000 01 03 04 03 00 0000000080c6c340 0000000000bac340 0000000000406f40 009c562e23671843 05 6162632d31",
  [T.CANCEL]: "01 11 08000000 03000000 00000054346f9d41 00",
  [T.AMEND]: "01 12 09000000 03000000 0000000000000000 0000000000c9c340 0000000000000000 0000000000c07240 05 6162632d31",
  [T.MASS_CANCEL]: "01 13 0a000000 ffffffff",
  [T.ORDER_STATUS_REQUEST]: "01 14 0b000000 03000000 0000000000004540 05 6162632d31",
  [T.REFERENCE_DATA_REQUEST]: "01 20 0c000000 03000000",
  [T.SUBSCRIBE]: "01 21 0d000000 03000000 2500 1400",
  [T.UNSUBSCRIBE]: "01 22 0e000000 03000000 0400",
  [T.HELLO]: "01 40 000000000000f03f 0080082023671843 a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
  [T.LOGIN_RESULT]: "01 41 0000000000000040 01000000 0000 0000000000488f40 0000000000405340 1480082023671843",
  [T.ERROR]: "01 42 0000000000000840 07000000 ee03 0a00 10 23 73696465206d7573742062652030202862757929206f722031202873656c6c293a2039",
  [T.ACK]:
    "01 50 0000000000001040 07000000 03000000 00000054346f9d41 2880082023671843 01 03 04 03 00 0000000080c6c340 " +
    "0000000000bac340 0000000000406f40 0000000000406f40 009c562e23671843 05 6162632d31",
  [T.REJECT]:
    "01 51 0000000000001440 09000000 1000 12 03000000 0000000000004540 5080082023671843 05 6162632d31 2d " +
    "6e6577207175616e74697479206973206e6f742061626f7665207468652066696c6c6564207175616e74697479",
  [T.EXECUTION]:
    "01 52 0000000000001840 03000000 00000054346f9d41 0000000000588140 7880082023671843 01 00 02 0000000080c6c340 " +
    "0000000000004940 0000000000006940 0000000000004940 05 6162632d31",
  [T.CANCELLED]:
    "01 53 0000000000001c40 00000000 03000000 00000054346f9d41 009c562e23671843 01 05 2800 0000000080c6c340 0000000000006940 " +
    "0000000000000000 0000000000004940 05 6162632d31",
  [T.AMENDED]:
    "01 54 0000000000002040 09000000 03000000 0000000000004540 a080082023671843 00 01 0000000000bac340 0000000000005440 " +
    "0000000000003e40 0000000000bac340 0000000000005940 05 6162632d32",
  [T.MASS_CANCEL_DONE]: "01 55 0000000000002240 0a000000 ffffffff 03000000 c880082023671843",
  [T.ORDER_STATUS]:
    "01 56 0000000000002440 0b000000 03000000 0000000000004540 0080082023671843 00 00 00 02 0000000000bac340 " +
    "0000000000000000 0000000000005940 0000000000004940 0000000000004940 05 6162632d32",
  [T.TRIGGERED]:
    "01 57 0000000000002640 03000000 0000000000804540 1881082023671843 01 02 000000000088c340 000000008087c340 " +
    "0000000000002440 06 73746f702d39",
  [T.REFERENCE_DATA]:
    "01 60 0000000000002840 0c000000 0200 03000000 07 4254432d555344 04 302e3031 06 302e30303031 03 425443 03 555344 " +
    "04000000 07 4554482d555344 04 302e3035 05 302e303031 03 455448 03 555344",
  [T.SUBSCRIBED]: "01 61 0000000000002a40 0d000000 03000000 2500",
  [T.L2_SNAPSHOT]:
    "01 80 03000000 0000000000804440 4081082023671843 02000000 01000000 0000000080c6c340 0000000000c07240 02000000 " +
    "0000000000c4c340 0000000000004940 01000000 0000000000c9c340 0000000000c05240 01000000",
  [T.L2_UPDATE]:
    "01 81 03000000 0000000000004540 6881082023671843 0200 00 0000000080c6c340 0000000000000000 00000000 01 0000000000c9c340 " +
    "0000000000003940 01000000",
  [T.L3_SNAPSHOT]:
    "01 82 03000000 0000000000001c40 4081082023671843 03000000 00 0000000000002640 0000000080c6c340 0000000000006940 00 " +
    "0000000000002840 0000000080c6c340 0000000000005940 01 0000000000002a40 0000000000c9c340 0000000000c05240",
  [T.L3_UPDATE]:
    "01 83 03000000 0000000000002040 6881082023671843 0200 02 00 0000000000002640 0000000080c6c340 0000000000000000 01 01 " +
    "0000000000002a40 0000000000c9c340 0000000000003940",
  [T.TRADES]:
    "01 84 03000000 0000000000003340 6881082023671843 0200 01 0000000000588140 0000000080c6c340 0000000000006940 01 " +
    "0000000000608140 0000000080c6c340 0000000000005940",
  [T.BBO]: "01 85 03000000 0000000000004e40 6881082023671843 0000000000c4c340 0000000000004940 0000000000c9c340 0000000000003940",
  [T.CANDLE]:
    "01 86 03000000 0000000000001440 6881082023671843 01 00 0080082023671843 0000000000bac340 0000000000c9c340 " +
    "0000000000b5c340 0000000080c6c340 0000000000489340 11000000",
  [T.MARKET_STATUS]: "01 87 03000000 0000000000000040 9081082023671843 02 2b00 000c8f6723671843",
};

describe("golden bytes", () => {
  test("every message type has a sample and a golden frame", () => {
    const all = Object.values(T).sort((a, b) => a - b);
    expect(Object.keys(SAMPLES).map(Number).sort((a, b) => a - b)).toEqual(all);
    expect(Object.keys(GOLDEN).map(Number).sort((a, b) => a - b)).toEqual(all);
  });

  for (const [code, m] of Object.entries(SAMPLES)) {
    const type = Number(code);
    test(`${messageTypeName(type)} (0x${type.toString(16)}) encodes to its golden bytes, and they decode to the sample`, () => {
      const golden = GOLDEN[type]!.replace(/\s+/g, "");
      expect(hex(encode(m))).toBe(golden);
      expect(decodeAny(fromHex(golden)) as unknown).toEqual(m);
    });
  }
});

// ------------------------------------------------------------------------------ the docs' tables

interface Row {
  offset: string;
  size: string;
  type: string;
  field: string;
}

/** The layout table under each "### 0xNN NAME" heading of docs/protocol.md. */
function docTables(): Map<number, { name: string; rows: Row[] }> {
  const text = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8");
  const out = new Map<number, { name: string; rows: Row[] }>();
  let current: { name: string; rows: Row[] } | null = null;
  for (const line of text.split("\n")) {
    const h = /^### 0x([0-9a-f]{2}) ([A-Z0-9_]+)$/.exec(line);
    if (h) {
      current = { name: h[2]!, rows: [] };
      out.set(parseInt(h[1]!, 16), current);
      continue;
    }
    if (line.startsWith("#")) current = null;
    if (!current || !line.startsWith("| ") || line.startsWith("| Offset") || line.startsWith("|---")) continue;
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    current.rows.push({ offset: cells[0]!, size: cells[1]!, type: cells[2]!, field: cells[3]!.replace(/`/g, "") });
  }
  return out;
}

const SIZES: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4, f64: 8 };

function readAt(v: DataView, type: string, at: number): number {
  switch (type) {
    case "u8": return v.getUint8(at);
    case "u16": return v.getUint16(at, true);
    case "u32": return v.getUint32(at, true);
    case "i32": return v.getInt32(at, true);
    default: return v.getFloat64(at, true);
  }
}

/** The value a doc row names in a message: `name`, `name.length`, version or type. */
function expected(m: Record<string, unknown>, field: string): unknown {
  if (field === "version") return 1;
  const [name, length] = field.split(".");
  const x = m[name!];
  if (length === "length") return (x as string | unknown[]).length;
  return typeof x === "boolean" ? (x ? 1 : 0) : x;
}

describe("docs/protocol.md", () => {
  const tables = docTables();

  test("has a layout table for every message type, named as in MessageType, and the type table lists them all", () => {
    for (const [name, code] of Object.entries(T)) {
      expect(tables.get(code)?.name).toBe(name);
    }
    expect([...tables.keys()].sort((a, b) => a - b)).toEqual(Object.values(T).sort((a, b) => a - b));
    const text = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8");
    for (const [name, code] of Object.entries(T)) {
      expect(text).toContain(`| 0x${code.toString(16).padStart(2, "0")} | [${name}]`);
    }
  });

  for (const [code, m] of Object.entries(SAMPLES)) {
    const type = Number(code);
    test(`the ${messageTypeName(type)} table matches the sample's frame field by field`, () => {
      const table = tables.get(type)!;
      const bytes = encode(m);
      const v = new DataView(bytes.buffer);
      let next = 0; // fixed rows must be contiguous from offset 0
      let fixed = true;
      let listBase = -1;
      let listField = "";
      let checked = 0;
      for (const row of table.rows) {
        const rel = /^\+(\d+)$/.exec(row.offset);
        if (rel) {
          // An entry of the list above: check the list's first element.
          if (listBase < 0) continue;
          const first = (m[listField] as Record<string, unknown>[])[0]!;
          const at = listBase + Number(rel[1]);
          if (row.type in SIZES) {
            expect({ field: `${listField}[0].${row.field}`, value: readAt(v, row.type, at) }).toEqual({ field: `${listField}[0].${row.field}`, value: expected(first, row.field) as number });
            checked++;
          } else if (row.type === "ascii") {
            const s = first[row.field] as string;
            expect(Buffer.from(bytes.subarray(at, at + s.length)).toString("latin1")).toBe(s);
            checked++;
          }
          continue;
        }
        if (!/^\d+$/.test(row.offset)) {
          fixed = false;
          listBase = -1;
          continue;
        }
        const at = Number(row.offset);
        if (fixed) {
          expect({ field: row.field, offset: at }).toEqual({ field: row.field, offset: next });
          if (/^\d+$/.test(row.size)) next = at + Number(row.size);
          else fixed = false;
        }
        if (row.type in SIZES) {
          expect(Number(row.size)).toBe(SIZES[row.type]!);
          const want = row.field === "type" ? type : expected(m, row.field);
          expect({ field: row.field, value: readAt(v, row.type, at) }).toEqual({ field: row.field, value: want as number });
          checked++;
        } else if (row.type === "ascii" || row.type === "text") {
          const s = m[row.field] as string;
          expect(Buffer.from(bytes.subarray(at, at + s.length)).toString("latin1")).toBe(s);
          checked++;
        } else if (row.type === "bytes") {
          expect(hex(bytes.subarray(at, at + Number(row.size)))).toBe(hex(m[row.field] as Uint8Array));
          checked++;
        } else if (row.type === "list") {
          listBase = at;
          listField = row.field;
        }
      }
      // A table that is all fixed rows describes the whole frame.
      if (fixed) expect(bytes.length).toBe(next);
      expect(checked).toBeGreaterThanOrEqual(4);
    });
  }
});

// ------------------------------------------------------------------------------ decodeClient errors

function newOrder(over: Partial<Record<string, unknown>> = {}): Uint8Array {
  return encode({ ...SAMPLES[T.NEW_ORDER]!, ...over });
}

describe("decodeClient: bad input gets the documented code and changes nothing", () => {
  test("a text frame is TEXT_FRAME", () => {
    expectError(decodeClient('{"type":"order"}'), ErrorCode.TEXT_FRAME);
  });

  test("a frame over 512 bytes is TOO_LARGE, unread; 512 bytes is read", () => {
    const big = new Uint8Array(MAX_CLIENT_FRAME_BYTES + 1);
    big.set(newOrder());
    expectError(decodeClient(big), ErrorCode.TOO_LARGE);
    const e = expectError(decodeClient(big.subarray(0, MAX_CLIENT_FRAME_BYTES)), ErrorCode.MALFORMED);
    expect(e.message).toContain("trailing");
  });

  test("an empty frame and a lone version byte are MALFORMED", () => {
    expectError(decodeClient(new Uint8Array(0)), ErrorCode.MALFORMED);
    expectError(decodeClient(Uint8Array.of(1)), ErrorCode.MALFORMED);
  });

  test("version 2 (or 0) is BAD_VERSION", () => {
    for (const version of [0, 2, 255]) {
      const b = newOrder();
      b[0] = version;
      expectError(decodeClient(b), ErrorCode.BAD_VERSION);
    }
  });

  test("an unknown type, and a server type sent by a client, are UNKNOWN_TYPE with the type byte", () => {
    for (const type of [0x00, 0x02, 0x3f, T.ACK, T.L2_UPDATE, 0xff]) {
      const b = newOrder();
      b[1] = type;
      const e = expectError(decodeClient(b), ErrorCode.UNKNOWN_TYPE);
      expect(e.messageType).toBe(type);
    }
    const e = expectError(decodeClient(Uint8Array.of(1, T.ACK)), ErrorCode.UNKNOWN_TYPE);
    expect(e.message).toBe("ACK is not a client message");
  });

  test("a truncated frame is MALFORMED, with the request id once it is readable", () => {
    const b = newOrder();
    expect(expectError(decodeClient(b.subarray(0, 5)), ErrorCode.MALFORMED).requestId).toBe(0);
    const e = expectError(decodeClient(b.subarray(0, 30)), ErrorCode.MALFORMED);
    expect(e.requestId).toBe(7);
    expect(e.messageType).toBe(T.NEW_ORDER);
    expect(e.message).toBe("truncated: NEW_ORDER needs 48 bytes, got 30");
    expect(expectError(decodeClient(b.subarray(0, b.length - 1)), ErrorCode.MALFORMED).message).toBe("truncated: NEW_ORDER needs 53 bytes, got 52");
  });

  test("a string length running past the frame is MALFORMED, not a read out of bounds", () => {
    const b = newOrder();
    b[47] = 36; // claims 36 characters, 5 present
    expectError(decodeClient(b), ErrorCode.MALFORMED);
  });

  test("a truncated frame is MALFORMED even when its fields are also bad", () => {
    const b = newOrder({ clientOrderId: "" });
    b[10] = 9; // side
    expectError(decodeClient(b.subarray(0, 47)), ErrorCode.MALFORMED);
    expectError(decodeClient(b), ErrorCode.INVALID_FIELD);
  });

  test("field errors name the field and carry the engine's reason", () => {
    const cases: Array<[Partial<Record<string, unknown>>, string, number, string]> = [
      [{ side: 2 }, "side", Reason.INVALID_SIDE, "side must be 0 (buy) or 1 (sell): 2"],
      [{ orderType: 4 }, "orderType", Reason.INVALID_ORDER_TYPE, "orderType must be 0-3: 4"],
      [{ tif: 5 }, "tif", Reason.INVALID_TIME_IN_FORCE, "tif must be 0-4: 5"],
      [{ stp: 5 }, "stp", Reason.INVALID_STP_MODE, "stp must be 0-4: 5"],
      [{ flags: 2 }, "flags", 0, "flags has unknown bits: 2"],
      [{ price: 101.25 }, "price", Reason.INVALID_PRICE, "price must be a non-negative integer within 2^53-1: 101.25"],
      [{ price: -1 }, "price", Reason.INVALID_PRICE, "price must be a non-negative integer within 2^53-1: -1"],
      [{ stopPrice: NaN }, "stopPrice", Reason.INVALID_STOP_PRICE, "stopPrice must be a non-negative integer within 2^53-1: NaN"],
      [{ qty: 2 ** 53 }, "qty", Reason.INVALID_QUANTITY, "qty must be a non-negative integer within 2^53-1: 9007199254740992"],
      [{ qty: -0 }, "qty", Reason.INVALID_QUANTITY, "qty must be a non-negative integer within 2^53-1: 0"],
      [{ expireTime: Infinity }, "expireTime", 0, "expireTime must be a non-negative integer within 2^53-1: Infinity"],
    ];
    const at: Record<string, [number, "u8" | "f64"]> = {
      side: [10, "u8"], orderType: [11, "u8"], tif: [12, "u8"], stp: [13, "u8"], flags: [14, "u8"],
      price: [15, "f64"], stopPrice: [23, "f64"], qty: [31, "f64"], expireTime: [39, "f64"],
    };
    for (const [over, field, reason, message] of cases) {
      const b = newOrder();
      const [offset, kind] = at[field]!;
      const v = new DataView(b.buffer);
      const x = over[field] as number;
      if (kind === "u8") v.setUint8(offset, x);
      else v.setFloat64(offset, x, true);
      const e = expectError(decodeClient(b), ErrorCode.INVALID_FIELD);
      expect({ field: e.field, reason: e.reason, message: e.message, requestId: e.requestId }).toEqual({ field, reason, message, requestId: 7 });
    }
  });

  test("a client order id that is too long or has a space is INVALID_CLIENT_ORDER_ID", () => {
    const long = "x".repeat(37);
    const b = new Uint8Array(48 + 37);
    b.set(newOrder({ clientOrderId: "" }).subarray(0, 47));
    b[47] = 37;
    b.set(Buffer.from(long, "latin1"), 48);
    expect(expectError(decodeClient(b), ErrorCode.INVALID_FIELD).reason).toBe(Reason.INVALID_CLIENT_ORDER_ID);
    const s = newOrder({ clientOrderId: "ab-cd" });
    s[50] = 0x20;
    expect(expectError(decodeClient(s), ErrorCode.INVALID_FIELD).reason).toBe(Reason.INVALID_CLIENT_ORDER_ID);
  });

  test("request id 0 is refused: 0 means 'no request' in the server's answers", () => {
    const b = newOrder();
    new DataView(b.buffer).setUint32(2, 0, true);
    expect(expectError(decodeClient(b), ErrorCode.INVALID_FIELD).field).toBe("requestId");
  });

  test("a cancel that names no order (orderId 0, no client order id) is INVALID_ORDER_ID", () => {
    const b = encode({ ...SAMPLES[T.CANCEL]!, orderId: 1 });
    new DataView(b.buffer).setFloat64(10, 0, true);
    const e = expectError(decodeClient(b), ErrorCode.INVALID_FIELD);
    expect(e.reason).toBe(Reason.INVALID_ORDER_ID);
    expect(e.requestId).toBe(8);
  });

  test("mass cancel: −1 is every symbol, −2 is refused", () => {
    const b = encode(SAMPLES[T.MASS_CANCEL]!);
    expect(decodeClient(b) as unknown).toEqual({ type: T.MASS_CANCEL, requestId: 10, symbol: -1 });
    new DataView(b.buffer).setInt32(6, -2, true);
    expect(expectError(decodeClient(b), ErrorCode.INVALID_FIELD).field).toBe("symbol");
  });

  test("subscribe: no channel, or an unknown channel bit, is refused", () => {
    for (const channels of [0, 1024, 0x8001]) {
      const b = encode(SAMPLES[T.SUBSCRIBE]!);
      new DataView(b.buffer).setUint16(10, channels, true);
      expect(expectError(decodeClient(b), ErrorCode.INVALID_FIELD).field).toBe("channels");
    }
  });

  test("login: an empty key id or an unknown flag bit is refused", () => {
    const b = encode(SAMPLES[T.LOGIN]!);
    b[14] = 2;
    expect(expectError(decodeClient(b), ErrorCode.INVALID_FIELD).field).toBe("flags");
    const empty = encode(SAMPLES[T.LOGIN]!).subarray(0, 48);
    empty[47] = 0;
    expect(expectError(decodeClient(empty), ErrorCode.INVALID_FIELD).field).toBe("apiKeyId");
  });

  test("decodeClient reads a frame inside a larger buffer without looking past it", () => {
    const frame = newOrder();
    const big = new Uint8Array(frame.length + 100).fill(0x41);
    big.set(frame, 50);
    expect(decodeClient(big.subarray(50, 50 + frame.length)) as unknown).toEqual(SAMPLES[T.NEW_ORDER]);
    expectError(decodeClient(big.subarray(50, 50 + frame.length - 1)), ErrorCode.MALFORMED);
  });

  test("an ArrayBuffer is accepted as well as a Uint8Array", () => {
    const frame = newOrder();
    expect(decodeClient(frame.slice().buffer) as unknown).toEqual(SAMPLES[T.NEW_ORDER]);
  });

  test("the ERROR frame for a decode failure carries its code, reason, request id and type", () => {
    const b = newOrder();
    b[10] = 9;
    const e = expectError(decodeClient(b), ErrorCode.INVALID_FIELD);
    const n = encodeProtocolError(w, 3, e);
    expect(decodeServer(w.frame(n)) as unknown).toEqual(SAMPLES[T.ERROR]);
  });
});

// ------------------------------------------------------------------------------ encoders

describe("encoders refuse what the layout cannot carry, naming the field", () => {
  const order = SAMPLES[T.NEW_ORDER]!;
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["a fractional price", { price: 101.25 }, /^price must be a non-negative integer/],
    ["a negative quantity", { qty: -5 }, /^qty must be/],
    ["a quantity past 2^53", { qty: 2 ** 53 }, /^qty must be/],
    ["NaN", { stopPrice: NaN }, /^stopPrice must be/],
    ["−0", { price: -0 }, /^price must be/],
    ["a side of 2", { side: 2 }, /^side must be an integer 0-1/],
    ["an unknown order type", { orderType: 4 }, /^orderType must be an integer 0-3/],
    ["an unknown flag", { flags: 2 }, /^flags has unknown bits/],
    ["a 37-character client order id", { clientOrderId: "x".repeat(37) }, /^clientOrderId must be 0-36 characters/],
    ["a client order id with a space", { clientOrderId: "a b" }, /^clientOrderId must be printable ASCII/],
    ["a client order id with a non-ASCII character", { clientOrderId: "é" }, /^clientOrderId must be printable ASCII/],
    ["request id 0", { requestId: 0 }, /^requestId must be an integer 1-4294967295/],
    ["a symbol past u32", { symbol: 2 ** 32 }, /^symbol must be an integer 0-4294967295/],
  ];
  for (const [what, over, error] of cases) {
    test(`NEW_ORDER with ${what}`, () => {
      expect(() => encodeNewOrder(w, { ...order, ...over } as never)).toThrow(error);
    });
  }

  test("server encoders check too: an execution with a fractional quantity, an ack with a bad state", () => {
    expect(() => encodeExecution(w, { ...SAMPLES[T.EXECUTION]!, qty: 0.5 } as never)).toThrow(/^qty must be/);
    expect(() => encodeExecution(w, { ...SAMPLES[T.EXECUTION]!, state: 7 } as never)).toThrow(/^state must be an integer 0-6/);
    expect(() => encodeCancelled(w, { ...SAMPLES[T.CANCELLED]!, reason: 70000 } as never)).toThrow(/^reason must be an integer 0-65535/);
    expect(() => encodeAck(w, { ...SAMPLES[T.ACK]!, seq: -1 } as never)).toThrow(/^seq must be/);
  });

  test("a cancel must name an order, by id or by client order id", () => {
    expect(() => encode({ ...SAMPLES[T.CANCEL]!, orderId: 0, clientOrderId: "" })).toThrow(/needs an orderId or a clientOrderId/);
  });

  test("text is never refused: other characters become '?', and it is cut at 255", () => {
    const n = encodeSession(w, { ...(SAMPLES[T.ERROR] as never as SessionMessage), text: `naïve\n${"z".repeat(300)}` } as SessionMessage);
    const back = decodeServer(w.frame(n)) as { text: string };
    expect(back.text).toBe(`na?ve?${"z".repeat(249)}`);
  });
});

// ------------------------------------------------------------------------------ builders and writer

describe("market-data builders", () => {
  test("build the same frames as the object forms", () => {
    const s = SAMPLES[T.L2_SNAPSHOT] as never as { symbol: number; seq: number; time: number; bids: { price: number; qty: number; orders: number }[]; asks: { price: number; qty: number; orders: number }[] };
    beginL2Snapshot(w, s.symbol, s.seq, s.time);
    for (const l of s.bids) addL2Bid(w, l.price, l.qty, l.orders);
    for (const l of s.asks) addL2Ask(w, l.price, l.qty, l.orders);
    expect(hex(w.frame(endL2Snapshot(w)))).toBe(GOLDEN[T.L2_SNAPSHOT]!.replace(/\s+/g, ""));

    beginL2Update(w, 3, 42, TIME + 90);
    addL2Change(w, Side.BUY, 10125, 0, 0);
    addL2Change(w, Side.SELL, 10130, 25, 1);
    expect(hex(w.frame(endL2Update(w)))).toBe(GOLDEN[T.L2_UPDATE]!.replace(/\s+/g, ""));

    beginL3Snapshot(w, 3, 7, TIME + 80);
    addL3Order(w, Side.BUY, 11, 10125, 200);
    addL3Order(w, Side.BUY, 12, 10125, 100);
    addL3Order(w, Side.SELL, 13, 10130, 75);
    expect(hex(w.frame(endL3Snapshot(w)))).toBe(GOLDEN[T.L3_SNAPSHOT]!.replace(/\s+/g, ""));

    beginL3Update(w, 3, 8, TIME + 90);
    addL3Change(w, L3Action.DELETE, Side.BUY, 11, 10125, 0);
    addL3Change(w, L3Action.UPDATE, Side.SELL, 13, 10130, 25);
    expect(hex(w.frame(endL3Update(w)))).toBe(GOLDEN[T.L3_UPDATE]!.replace(/\s+/g, ""));

    beginTrades(w, 3, 19, TIME + 90);
    addTrade(w, Side.SELL, 555, 10125, 200);
    addTrade(w, Side.SELL, 556, 10125, 100);
    expect(hex(w.frame(endTrades(w)))).toBe(GOLDEN[T.TRADES]!.replace(/\s+/g, ""));
  });

  test("an empty update is a valid frame with count 0", () => {
    beginL2Update(w, 1, 1, 1);
    expect(decodeServer(w.frame(endL2Update(w))) as unknown).toEqual({ type: T.L2_UPDATE, symbol: 1, seq: 1, time: 1, changes: [] });
  });

  test("misuse throws: a bid after an ask, an entry with no frame begun, ending the wrong frame", () => {
    beginL2Snapshot(w, 1, 1, 1);
    addL2Ask(w, 10, 1, 1);
    expect(() => addL2Bid(w, 9, 1, 1)).toThrow(/every bid comes before the first ask/);
    expect(() => endL2Update(w)).toThrow(/no L2_UPDATE is being built/);
    endL2Snapshot(w);
    expect(() => addTrade(w, 0, 1, 1, 1)).toThrow(/no TRADES is being built/);
    beginTrades(w, 1, 1, 1);
    expect(() => addTrade(w, 2, 1, 1, 1)).toThrow(/^side must be an integer 0-1/);
    expect(() => addTrade(w, 0, 1, 1.5, 1)).toThrow(/^price must be/);
  });

  test("a list larger than the buffer grows it by doubling and keeps what was written", () => {
    const small = new FrameWriter(32);
    beginL2Snapshot(small, 9, 100, TIME);
    const levels = 10_000;
    for (let i = 0; i < levels; i++) addL2Bid(small, 1_000_000 - i, i + 1, (i % 7) + 1);
    for (let i = 0; i < levels; i++) addL2Ask(small, 1_000_001 + i, i + 2, (i % 5) + 1);
    const n = endL2Snapshot(small);
    expect(n).toBe(30 + 20 * 2 * levels);
    expect(small.bytes.length).toBeGreaterThanOrEqual(n);
    const back = decodeServer(small.frame(n)) as { bids: { price: number; qty: number; orders: number }[]; asks: unknown[] };
    expect(back.bids.length).toBe(levels);
    expect(back.asks.length).toBe(levels);
    expect(back.bids[9_999]).toEqual({ price: 1_000_000 - 9_999, qty: 10_000, orders: (9_999 % 7) + 1 });
  });
});

describe("FrameWriter", () => {
  test("a short frame after a long one is exactly its own bytes", () => {
    const ww = new FrameWriter(8);
    const long = encodeSession(ww, SAMPLES[T.REFERENCE_DATA] as never);
    expect(long).toBeGreaterThan(8);
    const n = encodeClient(ww, SAMPLES[T.MASS_CANCEL] as never);
    expect(hex(ww.frame(n))).toBe(GOLDEN[T.MASS_CANCEL]!.replace(/\s+/g, ""));
  });

  test("a refused encode throws before the frame is returned; the writer stays usable", () => {
    const ww = new FrameWriter();
    expect(() => encodeNewOrder(ww, { ...(SAMPLES[T.NEW_ORDER] as never as ClientMessage), qty: 1.5 } as never)).toThrow();
    const n = encodeNewOrder(ww, SAMPLES[T.NEW_ORDER] as never);
    expect(hex(ww.frame(n))).toBe(GOLDEN[T.NEW_ORDER]!.replace(/\s+/g, ""));
  });
});

// ------------------------------------------------------------------------------ allocation

/** Heap growth of `n` calls of `f` after a warm-up (the method of test/actors/schema.test.ts). */
function heapGrowth(f: (i: number) => void, n = 1_000_000): { used: number; capacity: number } {
  for (let i = 0; i < 50_000; i++) f(i);
  Bun.gc(true);
  const used0 = process.memoryUsage().heapUsed;
  const capacity0 = heapStats().heapCapacity;
  for (let i = 0; i < n; i++) f(i);
  const capacity = heapStats().heapCapacity - capacity0;
  Bun.gc(true);
  return { used: process.memoryUsage().heapUsed - used0, capacity };
}

const MiB = 1 << 20;

describe("allocation on the encode path", () => {
  test("the measure sees an allocation per call (control)", () => {
    const keep: unknown[] = [];
    expect(heapGrowth((i) => (keep[i & 7] = { i })).capacity).toBeGreaterThan(MiB);
  });

  test("encoding a million acks, executions, cancels and L2 updates from reused objects allocates nothing measurable", () => {
    const ack = { ...SAMPLES[T.ACK]! } as never as Parameters<typeof encodeAck>[1];
    const exec = { ...SAMPLES[T.EXECUTION]! } as never as Parameters<typeof encodeExecution>[1];
    const cancel = { ...SAMPLES[T.CANCELLED]! } as never as Parameters<typeof encodeCancelled>[1];
    const ww = new FrameWriter();
    let sink = 0;
    const growth = heapGrowth((i) => {
      ack.seq = i;
      ack.orderId = i + 1;
      sink += encodeAck(ww, ack);
      exec.seq = i;
      exec.qty = (i & 1023) + 1;
      sink += encodeExecution(ww, exec);
      cancel.seq = i;
      sink += encodeCancelled(ww, cancel);
      beginL2Update(ww, 3, i, TIME + i);
      addL2Change(ww, i & 1, 10_000 + (i & 255), i & 4095, i & 15);
      addL2Change(ww, 1 - (i & 1), 10_300, 5, 1);
      sink += endL2Update(ww);
    });
    expect(sink).toBeGreaterThan(0);
    expect(growth.used).toBeLessThan(MiB);
    expect(growth.capacity).toBeLessThan(MiB);
  });
});

// ------------------------------------------------------------------------------ login

describe("login signature", () => {
  const secret = "s3cr3t-key-material";
  const login = SAMPLES[T.LOGIN] as never as { timestamp: number; flags: number; apiKeyId: string };

  test("signs nonce ‖ timestamp (f64 LE) ‖ flags ‖ key id with HMAC-SHA256", () => {
    const bytes = loginSigningBytes(NONCE, login.timestamp, login.flags, login.apiKeyId);
    expect(hex(bytes)).toBe(hex(NONCE) + "0080082023671843" + "01" + Buffer.from("AK-test-01").toString("hex"));
    const mac = createHmac("sha256", secret).update(bytes).digest("hex");
    expect(hex(signLogin(secret, NONCE, login.timestamp, login.flags, login.apiKeyId))).toBe(mac);
  });

  test("verifyLogin accepts the signed LOGIN as decoded, and refuses another secret, nonce, flag or key", () => {
    const signature = signLogin(secret, NONCE, login.timestamp, login.flags, login.apiKeyId);
    const frame = encode({ ...SAMPLES[T.LOGIN]!, signature });
    const decoded = decodeClient(frame);
    if (decoded instanceof ProtocolError || decoded.type !== T.LOGIN) throw new Error(`login did not decode: ${decoded}`);
    expect(verifyLogin(secret, NONCE, decoded)).toBe(true);
    expect(verifyLogin("other", NONCE, decoded)).toBe(false);
    const otherNonce = NONCE.slice();
    otherNonce[0] ^= 1;
    expect(verifyLogin(secret, otherNonce, decoded)).toBe(false);
    expect(verifyLogin(secret, NONCE, { ...decoded, flags: 0 })).toBe(false);
    expect(verifyLogin(secret, NONCE, { ...decoded, apiKeyId: "AK-test-02" })).toBe(false);
    expect(verifyLogin(secret, NONCE, { ...decoded, timestamp: decoded.timestamp + 1 })).toBe(false);
  });
});

test("protocol error codes start at 1001, above every engine reason", () => {
  const reasons = Object.values(Reason);
  for (const code of Object.values(ErrorCode)) {
    expect(code).toBeGreaterThan(1000);
    expect(reasons).not.toContain(code as never);
  }
  expect(Math.max(...reasons)).toBeLessThan(1000);
  expect(Flags.POST_ONLY).toBe(1); // the NEW_ORDER flags bit the protocol accepts
});
