/**
 * The protocol tests' samples: one typical message of every type, and the helpers that encode,
 * decode and compare them (test/protocol/protocol*.test.ts).
 */
import { MarketState } from "../../engine/book.ts";
import { OrderType, Side, StpMode, TimeInForce } from "../../engine/commands.ts";
import { OrderState } from "../../engine/orders.ts";
import { Reason, reasonText } from "../../engine/reasons.ts";
import {
  ALL,
  CandleInterval,
  Channel,
  type ClientMessage,
  decodeClient,
  decodeServer,
  encodeClient,
  encodeMarketData,
  encodeSession,
  ErrorCode,
  errorName,
  FrameWriter,
  isClientType,
  isSessionType,
  L3Action,
  Liquidity,
  LoginFlags,
  type MarketDataMessage,
  MessageType as T,
  ProtocolError,
  type ServerMessage,
  type SessionMessage,
} from "../../protocol/index.ts";

export const TIME = 1_717_200_000_000_000; // 2024-06-01T00:00:00Z in µs
export const SIG = Uint8Array.from({ length: 32 }, (_, i) => i);
export const NONCE = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);

/** One typical message of every type: the golden frames and the docs check use these. */
export const SAMPLES: Record<number, Record<string, unknown>> = {
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
  [T.PORTFOLIO_SUBSCRIBE]: { type: T.PORTFOLIO_SUBSCRIBE, requestId: 15 },
  [T.PORTFOLIO_UNSUBSCRIBE]: { type: T.PORTFOLIO_UNSUBSCRIBE, requestId: 16 },
  [T.LOGIN_TOKEN]: { type: T.LOGIN_TOKEN, requestId: 2, token: "q1Xw8cVdZ0b2pTnRkLm3yGhJ7sUeA9oF4iW6tBvYxCz" },
  [T.ALERTS_SUBSCRIBE]: { type: T.ALERTS_SUBSCRIBE, requestId: 15, minSeverity: 2 },
  [T.ALERTS_UNSUBSCRIBE]: { type: T.ALERTS_UNSUBSCRIBE, requestId: 16 },

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
  [T.PORTFOLIO]: {
    type: T.PORTFOLIO, seq: 14, requestId: 15, kind: 0, portfolioSeq: 7, engineSeq: 4242, account: 1001,
    cash: [{ currency: "USD", total: "100.50", reserved: "20.00", available: "80.50", equity: "-1.5" }],
    positions: [{ symbol: 3, qty: "-0.5", averageCost: "101.2", markPrice: "", realizedPnl: "3.25", unrealizedPnl: "0" }],
  },
  [T.ALERT]: { type: T.ALERT, seq: 14, rule: 5, account: 1001, commandSeq: 123456, time: TIME + 30, severity: 2, text: "30 rejects and cancels within 10 s" },
  [T.ALERTS_SUBSCRIBED]: { type: T.ALERTS_SUBSCRIBED, seq: 15, requestId: 15, subscribed: true, minSeverity: 2 },

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

export const w = new FrameWriter(16);

export function encode(m: Record<string, unknown>): Uint8Array {
  const type = m.type as number;
  const n = isClientType(type)
    ? encodeClient(w, m as unknown as ClientMessage)
    : isSessionType(type)
      ? encodeSession(w, m as unknown as SessionMessage)
      : encodeMarketData(w, m as unknown as MarketDataMessage);
  return w.bytes.slice(0, n);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

export function fromHex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}

export function decodeAny(b: Uint8Array): ClientMessage | ServerMessage | ProtocolError {
  return isClientType(b[1]!) ? decodeClient(b) : decodeServer(b);
}

export function expectError(out: unknown, code: number): ProtocolError {
  if (!(out instanceof ProtocolError)) throw new Error(`expected ${errorName(code)}, decoded a message: ${JSON.stringify(out)}`);
  if (out.code !== code) throw new Error(`expected ${errorName(code)}, got ${out}`);
  return out;
}

// ------------------------------------------------------------------------------ golden bytes

/**
 * Each sample's frame, split at field boundaries. Changing a layout changes these: that must be a
 * deliberate act, with a new protocol version and docs/protocol.md updated alongside.
 */
export const GOLDEN: Record<number, string> = {
  [T.LOGIN]: "01 01 01000000 0080082023671843 01 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 0a 414b2d746573742d3031",
  [T.NEW_ORDER]: "01 10 07000000 03000000 01 03 04 03 00 0000000080c6c340 0000000000bac340 0000000000406f40 009c562e23671843 05 6162632d31",
  [T.CANCEL]: "01 11 08000000 03000000 00000054346f9d41 00",
  [T.AMEND]: "01 12 09000000 03000000 0000000000000000 0000000000c9c340 0000000000000000 0000000000c07240 05 6162632d31",
  [T.MASS_CANCEL]: "01 13 0a000000 ffffffff",
  [T.ORDER_STATUS_REQUEST]: "01 14 0b000000 03000000 0000000000004540 05 6162632d31",
  [T.REFERENCE_DATA_REQUEST]: "01 20 0c000000 03000000",
  [T.SUBSCRIBE]: "01 21 0d000000 03000000 2500 1400",
  [T.UNSUBSCRIBE]: "01 22 0e000000 03000000 0400",
  [T.PORTFOLIO_SUBSCRIBE]: "01 23 0f000000",
  [T.PORTFOLIO_UNSUBSCRIBE]: "01 24 10000000",
  [T.LOGIN_TOKEN]: "01 02 02000000 2b 71315877386356645a30623270546e526b4c6d337947684a3773556541396f46346957367442765978437a",
  [T.ALERTS_SUBSCRIBE]: "01 25 0f000000 02",
  [T.ALERTS_UNSUBSCRIBE]: "01 26 10000000",
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
  [T.PORTFOLIO]:
    "01 62 0000000000002c40 0f000000 00 0000000000001c40 000000000092b040 0000000000488f40 0100 0100 " +
    "03 555344 06 3130302e3530 05 32302e3030 05 38302e3530 04 2d312e35 " +
    "03000000 04 2d302e35 05 3130312e32 00 04 332e3235 01 30",
  [T.ALERT]: "01 64 0000000000002c40 05 0000000000488f40 000000000024fe40 7880082023671843 02 22 33302072656a6563747320616e642063616e63656c732077697468696e2031302073",
  [T.ALERTS_SUBSCRIBED]: "01 65 0000000000002e40 0f000000 01 02",
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
