/**
 * What the codec refuses: bad client frames get the documented error code and change nothing, and
 * encoders refuse what the layout cannot carry, naming the field.
 */
import { describe, expect, test } from "bun:test";
import { Reason } from "../../engine/reasons.ts";
import {
  decodeClient,
  decodeServer,
  encodeAck,
  encodeCancelled,
  encodeExecution,
  encodeNewOrder,
  encodeProtocolError,
  encodeSession,
  ErrorCode,
  MAX_CLIENT_FRAME_BYTES,
  MessageType as T,
  type SessionMessage,
} from "../../protocol/index.ts";
import { SAMPLES, w, encode, expectError } from "./samples.ts";

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
    for (const type of [0x00, 0x03, 0x3f, T.ACK, T.L2_UPDATE, 0xff]) {
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
    expect(() => encodeExecution(w, { ...SAMPLES[T.EXECUTION]!, state: 8 } as never)).toThrow(/^state must be an integer 0-7/);
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
