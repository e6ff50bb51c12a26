/**
 * Properties of the binary protocol's codecs, for every message type: round trips at the field
 * extremes and on random messages (fast-check), and fuzz — random bytes and mutated valid frames —
 * against decodeClient and decodeServer, which must never throw, must give the documented code,
 * and must accept only canonical frames (a frame that decodes re-encodes to the same bytes).
 *
 * The shapes below describe every message field by field; they are written from docs/protocol.md,
 * independently of the codecs.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Reason } from "../../engine/reasons.ts";
import {
  CHANNEL_MASK,
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
  isMarketDataType,
  isSessionType,
  MAX_CLIENT_FRAME_BYTES,
  MessageType as T,
  messageTypeName,
  ProtocolError,
  type MarketDataMessage,
  type ServerMessage,
  type SessionMessage,
} from "../../protocol/index.ts";

const RUNS = Number(process.env.PROTOCOL_RUNS ?? 300);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// ------------------------------------------------------------------------------ shapes

interface Kind {
  arb: fc.Arbitrary<unknown>;
  min: unknown;
  max: unknown;
}

const int = (min: number, max: number): Kind => ({ arb: fc.integer({ min, max }), min, max });
const nat: Kind = {
  arb: fc.oneof(fc.constantFrom(0, 1, 2 ** 32, MAX_SAFE), fc.integer({ min: 0, max: 2 ** 31 }), fc.maxSafeNat()),
  min: 0,
  max: MAX_SAFE,
};
const u32 = int(0, 0xffffffff);
const u16 = int(0, 0xffff);
const bool: Kind = { arb: fc.boolean(), min: false, max: true };
const printable = (space: boolean) => fc.integer({ min: space ? 0x20 : 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const str = (min: number, max: number, space = false): Kind => ({
  arb: fc.string({ unit: printable(space), minLength: min, maxLength: max }),
  min: "!".repeat(min),
  max: "~".repeat(max),
});
const bytes32: Kind = { arb: fc.uint8Array({ minLength: 32, maxLength: 32 }), min: new Uint8Array(32), max: new Uint8Array(32).fill(255) };

type Shape = Record<string, Kind>;

const list = (entry: Shape, maxLength = 6): Kind => ({
  arb: fc.array(fc.record(arbs(entry)), { maxLength }),
  min: [],
  max: [pick(entry, "max"), pick(entry, "min")],
});

function arbs(shape: Shape): Record<string, fc.Arbitrary<unknown>> {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.arb]));
}

function pick(shape: Shape, which: "min" | "max"): Record<string, unknown> {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v[which]]));
}

const side = int(0, 1);
const orderType = int(0, 3);
const tif = int(0, 4);
const stp = int(0, 4);
const flags = int(0, 1);
const orderState = int(0, 6);
const clientOrderId = str(0, 36);
const requestId = int(1, 0xffffffff); // client requests: 0 is refused
const symbolOrAll = int(-1, 0x7fffffff);
const CLIENT_TYPES = Object.values(T).filter(isClientType);

const SHAPES: Record<number, Shape> = {
  [T.LOGIN]: { requestId, timestamp: nat, flags: int(0, 1), signature: bytes32, apiKeyId: str(1, 64) },
  [T.NEW_ORDER]: { requestId, symbol: u32, side, orderType, tif, stp, flags, price: nat, stopPrice: nat, qty: nat, expireTime: nat, clientOrderId },
  [T.CANCEL]: { requestId, symbol: u32, orderId: nat, clientOrderId },
  [T.AMEND]: { requestId, symbol: u32, orderId: nat, price: nat, stopPrice: nat, qty: nat, clientOrderId },
  [T.MASS_CANCEL]: { requestId, symbol: symbolOrAll },
  [T.ORDER_STATUS_REQUEST]: { requestId, symbol: u32, orderId: nat, clientOrderId },
  [T.REFERENCE_DATA_REQUEST]: { requestId, symbol: symbolOrAll },
  [T.SUBSCRIBE]: { requestId, symbol: u32, channels: int(1, CHANNEL_MASK), depth: u16 },
  [T.UNSUBSCRIBE]: { requestId, symbol: u32, channels: int(1, CHANNEL_MASK) },
  [T.PORTFOLIO_SUBSCRIBE]: { requestId },
  [T.PORTFOLIO_UNSUBSCRIBE]: { requestId },
  [T.LOGIN_TOKEN]: { requestId, token: str(1, 64) },
  [T.ALERTS_SUBSCRIBE]: { requestId, minSeverity: int(0, 3) },
  [T.ALERTS_UNSUBSCRIBE]: { requestId },

  [T.HELLO]: { seq: nat, serverTime: nat, nonce: bytes32 },
  [T.LOGIN_RESULT]: { seq: nat, requestId: u32, code: u16, account: nat, sessionId: nat, serverTime: nat },
  [T.ERROR]: { seq: nat, requestId: u32, code: u16, reason: u16, messageType: int(0, 255), text: str(0, 255, true) },
  [T.ACK]: {
    seq: nat, requestId: u32, symbol: u32, orderId: nat, time: nat, side, orderType, tif, stp, flags,
    price: nat, stopPrice: nat, qty: nat, leaves: nat, expireTime: nat, clientOrderId,
  },
  [T.REJECT]: {
    seq: nat, requestId: u32, reason: u16,
    requestType: { arb: fc.constantFrom(...CLIENT_TYPES), min: T.LOGIN, max: T.UNSUBSCRIBE },
    symbol: u32, orderId: nat, time: nat, clientOrderId, text: str(0, 255, true),
  },
  [T.EXECUTION]: {
    seq: nat, symbol: u32, orderId: nat, tradeId: nat, time: nat, side, liquidity: int(0, 1), state: orderState,
    price: nat, qty: nat, leaves: nat, cumQty: nat, clientOrderId,
  },
  [T.CANCELLED]: {
    seq: nat, requestId: u32, symbol: u32, orderId: nat, time: nat, side, state: orderState, reason: u16,
    price: nat, cancelledQty: nat, leaves: nat, cumQty: nat, clientOrderId,
  },
  [T.AMENDED]: {
    seq: nat, requestId: u32, symbol: u32, orderId: nat, time: nat, side, keptPriority: bool,
    price: nat, qty: nat, leaves: nat, oldPrice: nat, oldQty: nat, clientOrderId,
  },
  [T.MASS_CANCEL_DONE]: { seq: nat, requestId: u32, symbol: symbolOrAll, cancelled: u32, time: nat },
  [T.ORDER_STATUS]: {
    seq: nat, requestId: u32, symbol: u32, orderId: nat, submitTime: nat, side, orderType, tif, state: orderState,
    price: nat, stopPrice: nat, qty: nat, filled: nat, leaves: nat, clientOrderId,
  },
  [T.TRIGGERED]: { seq: nat, symbol: u32, orderId: nat, time: nat, side, orderType, stopPrice: nat, lastPrice: nat, leaves: nat, clientOrderId },
  [T.REFERENCE_DATA]: {
    seq: nat, requestId: u32,
    instruments: list({ id: u32, symbol: str(1, 32), tickSize: str(1, 64), lotSize: str(1, 64), base: str(0, 16), quote: str(0, 16) }, 4),
  },
  [T.SUBSCRIBED]: { seq: nat, requestId: u32, symbol: u32, channels: u16 },
  [T.PORTFOLIO]: {
    seq: nat, requestId: u32, kind: int(0, 2), portfolioSeq: nat, engineSeq: nat, account: nat,
    cash: list({ currency: str(1, 16), total: str(1, 64), reserved: str(1, 64), available: str(1, 64), equity: str(1, 64) }, 4),
    positions: list({ symbol: u32, qty: str(1, 64), averageCost: str(1, 64), markPrice: str(0, 64), realizedPnl: str(1, 64), unrealizedPnl: str(1, 64) }, 4),
  },
  [T.ALERT]: { seq: nat, rule: int(0, 255), account: nat, commandSeq: nat, time: nat, severity: int(0, 3), text: str(0, 255, true) },
  [T.ALERTS_SUBSCRIBED]: { seq: nat, requestId: u32, subscribed: bool, minSeverity: int(0, 3) },

  [T.L2_SNAPSHOT]: { symbol: u32, seq: nat, time: nat, bids: list({ price: nat, qty: nat, orders: u32 }), asks: list({ price: nat, qty: nat, orders: u32 }) },
  [T.L2_UPDATE]: { symbol: u32, seq: nat, time: nat, changes: list({ side, price: nat, qty: nat, orders: u32 }) },
  [T.L3_SNAPSHOT]: { symbol: u32, seq: nat, time: nat, orders: list({ side, orderId: nat, price: nat, qty: nat }) },
  [T.L3_UPDATE]: { symbol: u32, seq: nat, time: nat, changes: list({ action: int(0, 2), side, orderId: nat, price: nat, qty: nat }) },
  [T.TRADES]: { symbol: u32, seq: nat, time: nat, trades: list({ aggressorSide: side, tradeId: nat, price: nat, qty: nat }) },
  [T.BBO]: { symbol: u32, seq: nat, time: nat, bidPrice: nat, bidQty: nat, askPrice: nat, askQty: nat },
  [T.CANDLE]: {
    symbol: u32, seq: nat, time: nat, interval: int(0, 4), openTime: nat, open: nat, high: nat, low: nat, close: nat,
    volume: nat, trades: u32, closed: bool,
  },
  [T.MARKET_STATUS]: { symbol: u32, seq: nat, time: nat, state: int(0, 2), reason: u16, until: nat },
};

const ALL_TYPES = Object.values(T);
/** Messages that name an order by orderId, or by clientOrderId when orderId is 0. */
const ORDER_REF = new Set<number>([T.CANCEL, T.AMEND, T.ORDER_STATUS_REQUEST]);

function withType(type: number, fields: Record<string, unknown>): Record<string, unknown> {
  const m: Record<string, unknown> = { type, ...fields };
  // Both 0 and "" name no order: the min extreme names it by a one-character client id instead.
  if (ORDER_REF.has(type) && m.orderId === 0 && m.clientOrderId === "") m.clientOrderId = "!";
  return m;
}

function arbitraryOf(type: number): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(arbs(SHAPES[type]!)).map((f) => withType(type, f));
}

const w = new FrameWriter(64);

function encode(m: Record<string, unknown>): Uint8Array {
  const type = m.type as number;
  const n = isClientType(type)
    ? encodeClient(w, m as unknown as ClientMessage)
    : isSessionType(type)
      ? encodeSession(w, m as unknown as SessionMessage)
      : encodeMarketData(w, m as unknown as MarketDataMessage);
  return w.bytes.slice(0, n);
}

function decode(type: number, bytes: Uint8Array): ClientMessage | ServerMessage | ProtocolError {
  return isClientType(type) ? decodeClient(bytes) : decodeServer(bytes);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

function explain(x: unknown): string {
  return x instanceof ProtocolError ? x.toString() : JSON.stringify(x, (_k, v) => (v instanceof Uint8Array ? hex(v) : v));
}

test("the shapes cover every message type", () => {
  expect(Object.keys(SHAPES).map(Number).sort((a, b) => a - b)).toEqual([...ALL_TYPES].sort((a, b) => a - b));
});

// ------------------------------------------------------------------------------ round trips

describe("round trip at the field extremes", () => {
  for (const type of ALL_TYPES) {
    for (const which of ["min", "max"] as const) {
      test(`${messageTypeName(type)}, every field at its ${which}imum`, () => {
        const m = withType(type, pick(SHAPES[type]!, which));
        const bytes = encode(m);
        const back = decode(type, bytes);
        if (back instanceof ProtocolError) throw new Error(`${which} ${messageTypeName(type)} did not decode: ${back}`);
        expect(back as unknown).toEqual(m);
        if (isClientType(type)) expect(bytes.length).toBeLessThanOrEqual(MAX_CLIENT_FRAME_BYTES);
      });
    }
  }

  test("the largest lists a count can say: 65535 L2 changes, 65535 trades", () => {
    const changes = Array.from({ length: 0xffff }, (_, i) => ({ side: i & 1, price: MAX_SAFE - i, qty: i, orders: 0xffffffff - i }));
    const m = { type: T.L2_UPDATE, symbol: 0xffffffff, seq: MAX_SAFE, time: MAX_SAFE, changes };
    expect(decode(T.L2_UPDATE, encode(m)) as unknown).toEqual(m);
    const trades = Array.from({ length: 0xffff }, (_, i) => ({ aggressorSide: i & 1, tradeId: MAX_SAFE - i, price: i, qty: 1 }));
    const t = { type: T.TRADES, symbol: 1, seq: 1, time: 1, trades };
    expect(decode(T.TRADES, encode(t)) as unknown).toEqual(t);
    expect(() => encode({ ...t, trades: [...trades, trades[0]] })).toThrow(/at most 65535/);
  });
});

describe("round trip of random messages (fast-check)", () => {
  for (const type of ALL_TYPES) {
    test(`${messageTypeName(type)}: decode(encode(m)) equals m, and the frame re-encodes to itself`, () => {
      fc.assert(
        fc.property(arbitraryOf(type), (m) => {
          const bytes = encode(m);
          const back = decode(type, bytes);
          if (back instanceof ProtocolError) throw new Error(`did not decode: ${back} for ${explain(m)}`);
          expect(back as unknown).toEqual(m);
          expect(hex(encode(back as unknown as Record<string, unknown>))).toBe(hex(bytes));
        }),
        { numRuns: RUNS },
      );
    });
  }
});

// ------------------------------------------------------------------------------ fuzz

/** Decodes without throwing; an accepted frame must be canonical (re-encode to the same bytes). */
function checkDecode(bytes: Uint8Array, client: boolean): ClientMessage | ServerMessage | ProtocolError {
  let out: ClientMessage | ServerMessage | ProtocolError;
  try {
    out = client ? decodeClient(bytes) : decodeServer(bytes);
  } catch (e) {
    throw new Error(`decode threw on ${hex(bytes)}: ${e}`);
  }
  if (!(out instanceof ProtocolError)) {
    const again = encode(out as unknown as Record<string, unknown>);
    if (hex(again) !== hex(bytes)) throw new Error(`accepted a non-canonical frame ${hex(bytes)}; re-encodes to ${hex(again)}`);
  }
  return out;
}

/** Any decode reads only inside its frame: the frame sits in the middle of a larger buffer of 0xee. */
function embedded(bytes: Uint8Array): Uint8Array {
  const big = new Uint8Array(bytes.length + 64).fill(0xee);
  big.set(bytes, 32);
  return big.subarray(32, 32 + bytes.length);
}

const KNOWN_CODES = new Set<number>(Object.values(ErrorCode));

function expectCode(out: unknown, code: number, what: string): void {
  if (!(out instanceof ProtocolError)) throw new Error(`${what}: expected ${errorName(code)}, decoded ${explain(out)}`);
  if (out.code !== code) throw new Error(`${what}: expected ${errorName(code)}, got ${out}`);
}

const anyValid = fc.constantFrom(...ALL_TYPES).chain(arbitraryOf);
const validClient = fc.constantFrom(...CLIENT_TYPES).chain(arbitraryOf);
const validServer = fc.constantFrom(...ALL_TYPES.filter((t) => !isClientType(t))).chain(arbitraryOf);

describe("fuzz: random bytes", () => {
  for (const client of [true, false]) {
    const name = client ? "decodeClient" : "decodeServer";
    test(`${name} never throws on random bytes, and answers with a known code`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 700 }), (raw) => {
          const out = checkDecode(embedded(raw), client);
          if (out instanceof ProtocolError) expect(KNOWN_CODES.has(out.code)).toBe(true);
        }),
        { numRuns: RUNS * 10 },
      );
    });

    test(`${name} never throws on random bodies behind a valid header`, () => {
      const types = ALL_TYPES.filter((t) => (client ? isClientType(t) : !isClientType(t)));
      fc.assert(
        fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 300 }), (type, body) => {
          const raw = new Uint8Array(2 + body.length);
          raw[0] = 1;
          raw[1] = type;
          raw.set(body, 2);
          checkDecode(embedded(raw), client);
        }),
        { numRuns: RUNS * 10 },
      );
    });
  }
});

describe("fuzz: mutated valid frames", () => {
  test("a truncated frame is MALFORMED", () => {
    fc.assert(
      fc.property(anyValid, fc.nat(), (m, cut) => {
        const bytes = encode(m);
        const n = cut % bytes.length; // 0 … length − 1
        expectCode(checkDecode(embedded(bytes.subarray(0, n)), isClientType(m.type as number)), ErrorCode.MALFORMED, `${messageTypeName(m.type as number)} cut to ${n}`);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test("a frame with bytes after its layout is MALFORMED", () => {
    fc.assert(
      fc.property(anyValid, fc.uint8Array({ minLength: 1, maxLength: 16 }), (m, extra) => {
        const bytes = encode(m);
        const longer = new Uint8Array(bytes.length + extra.length);
        longer.set(bytes);
        longer.set(extra, bytes.length);
        const client = isClientType(m.type as number);
        if (client && longer.length > MAX_CLIENT_FRAME_BYTES) return;
        expectCode(checkDecode(embedded(longer), client), ErrorCode.MALFORMED, `${messageTypeName(m.type as number)} + ${extra.length} bytes`);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test("any other version byte is BAD_VERSION", () => {
    fc.assert(
      fc.property(anyValid, fc.integer({ min: 0, max: 255 }).filter((v) => v !== 1), (m, version) => {
        const bytes = encode(m);
        bytes[0] = version;
        expectCode(checkDecode(bytes, isClientType(m.type as number)), ErrorCode.BAD_VERSION, `version ${version}`);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test("a type byte the receiver does not read is UNKNOWN_TYPE (a server type sent to the server too)", () => {
    fc.assert(
      fc.property(anyValid, fc.integer({ min: 0, max: 255 }), (m, type) => {
        const client = isClientType(m.type as number);
        const known = client ? isClientType(type) : isSessionType(type) || isMarketDataType(type);
        fc.pre(!known);
        const bytes = encode(m);
        bytes[1] = type;
        const out = checkDecode(bytes, client);
        expectCode(out, ErrorCode.UNKNOWN_TYPE, `type 0x${type.toString(16)}`);
        expect((out as ProtocolError).messageType).toBe(type);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test("single-byte and 8-byte-word corruption never throws; whatever decodes is canonical", () => {
    const word = fc.oneof(
      fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 0.5, 2 ** 53, 1e300, -MAX_SAFE),
      fc.double(),
    );
    fc.assert(
      fc.property(anyValid, fc.nat(), fc.integer({ min: 0, max: 255 }), word, (m, at, byte, x) => {
        const client = isClientType(m.type as number);
        const bytes = encode(m);
        const i = at % bytes.length;
        const a = bytes.slice();
        a[i] = byte;
        checkDecode(embedded(a), client);
        if (bytes.length >= 8) {
          const b = bytes.slice();
          new DataView(b.buffer).setFloat64(at % (bytes.length - 7), x, true);
          checkDecode(embedded(b), client);
        }
      }),
      { numRuns: RUNS * 10 },
    );
  });

  test("a frame over 512 bytes is TOO_LARGE, and a text frame TEXT_FRAME, whatever they hold", () => {
    fc.assert(
      fc.property(validClient, fc.integer({ min: MAX_CLIENT_FRAME_BYTES + 1, max: 70_000 }), fc.string(), (m, size, text) => {
        const big = new Uint8Array(size);
        big.set(encode(m));
        expectCode(decodeClient(big), ErrorCode.TOO_LARGE, `${size} bytes`);
        expectCode(decodeClient(text), ErrorCode.TEXT_FRAME, "text");
        expectCode(decodeServer(text), ErrorCode.TEXT_FRAME, "text");
      }),
      { numRuns: RUNS },
    );
  });

  test("server frames have no size limit in the decoder (the SDK sets its own), only their layout", () => {
    fc.assert(
      fc.property(validServer, (m) => {
        const out = checkDecode(encode(m), false);
        expect(out instanceof ProtocolError).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});

/**
 * Field mutations with the code and engine reason each must give. Offsets from docs/protocol.md.
 * `u8` fields get a value above their range; `f64` fields a value that is not a non-negative
 * safe integer.
 */
const FIELDS: Array<{ type: number; field: string; at: number; kind: "u8" | "f64"; max?: number; reason: number }> = [
  { type: T.NEW_ORDER, field: "side", at: 10, kind: "u8", max: 1, reason: Reason.INVALID_SIDE },
  { type: T.NEW_ORDER, field: "orderType", at: 11, kind: "u8", max: 3, reason: Reason.INVALID_ORDER_TYPE },
  { type: T.NEW_ORDER, field: "tif", at: 12, kind: "u8", max: 4, reason: Reason.INVALID_TIME_IN_FORCE },
  { type: T.NEW_ORDER, field: "stp", at: 13, kind: "u8", max: 4, reason: Reason.INVALID_STP_MODE },
  { type: T.NEW_ORDER, field: "flags", at: 14, kind: "u8", max: 1, reason: 0 },
  { type: T.NEW_ORDER, field: "price", at: 15, kind: "f64", reason: Reason.INVALID_PRICE },
  { type: T.NEW_ORDER, field: "stopPrice", at: 23, kind: "f64", reason: Reason.INVALID_STOP_PRICE },
  { type: T.NEW_ORDER, field: "qty", at: 31, kind: "f64", reason: Reason.INVALID_QUANTITY },
  { type: T.NEW_ORDER, field: "expireTime", at: 39, kind: "f64", reason: 0 },
  { type: T.CANCEL, field: "orderId", at: 10, kind: "f64", reason: Reason.INVALID_ORDER_ID },
  { type: T.ORDER_STATUS_REQUEST, field: "orderId", at: 10, kind: "f64", reason: Reason.INVALID_ORDER_ID },
  { type: T.AMEND, field: "orderId", at: 10, kind: "f64", reason: Reason.INVALID_ORDER_ID },
  { type: T.AMEND, field: "price", at: 18, kind: "f64", reason: Reason.INVALID_PRICE },
  { type: T.AMEND, field: "stopPrice", at: 26, kind: "f64", reason: Reason.INVALID_STOP_PRICE },
  { type: T.AMEND, field: "qty", at: 34, kind: "f64", reason: Reason.INVALID_QUANTITY },
  { type: T.LOGIN, field: "timestamp", at: 6, kind: "f64", reason: 0 },
  { type: T.LOGIN, field: "flags", at: 14, kind: "u8", max: 1, reason: 0 },
];

const notNat = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 0.5, 101.25, 2 ** 53, 2 ** 64, -MAX_SAFE, Number.MIN_VALUE),
  fc.double().filter((x) => !(Number.isSafeInteger(x) && x >= 0)),
);

describe("fuzz: out-of-range fields are INVALID_FIELD with the engine reason that names them", () => {
  for (const f of FIELDS) {
    test(`${messageTypeName(f.type)}.${f.field}`, () => {
      const bad = f.kind === "u8" ? fc.integer({ min: f.max! + 1, max: 255 }) : notNat;
      fc.assert(
        fc.property(arbitraryOf(f.type), bad, (m, x) => {
          const bytes = encode(m);
          const v = new DataView(bytes.buffer);
          if (f.kind === "u8") v.setUint8(f.at, x);
          else v.setFloat64(f.at, x, true);
          const out = checkDecode(bytes, true);
          expectCode(out, ErrorCode.INVALID_FIELD, `${f.field} = ${x}`);
          const e = out as ProtocolError;
          expect(e.field).toBe(f.field);
          expect(e.reason).toBe(f.reason);
          expect(e.requestId).toBe(m.requestId as number);
          expect(e.messageType).toBe(f.type);
        }),
        { numRuns: RUNS / 3 },
      );
    });
  }

  test("a client order id with a byte outside 0x21–0x7e is INVALID_CLIENT_ORDER_ID", () => {
    fc.assert(
      fc.property(
        arbitraryOf(T.NEW_ORDER).filter((m) => (m.clientOrderId as string).length > 0),
        fc.nat(),
        fc.oneof(fc.integer({ min: 0, max: 0x20 }), fc.integer({ min: 0x7f, max: 255 })),
        (m, at, byte) => {
          const bytes = encode(m);
          const n = (m.clientOrderId as string).length;
          bytes[48 + (at % n)] = byte;
          const out = checkDecode(bytes, true);
          expectCode(out, ErrorCode.INVALID_FIELD, `byte 0x${byte.toString(16)}`);
          expect((out as ProtocolError).reason).toBe(Reason.INVALID_CLIENT_ORDER_ID);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
