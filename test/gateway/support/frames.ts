/**
 * Abusive client frames for the socket-level fuzz: a valid frame of every client message type,
 * then one mutation of it (flipped bytes, truncation, extension, wrong version or type, a bad f64,
 * requestId 0, a text frame, random bytes, oversize), and an oracle that says what the gateway
 * must answer to each frame on a session that is not logged in (docs/protocol.md, "Answers").
 */
import {
  type ClientMessage,
  decodeClient,
  encodeClient,
  ErrorCode,
  FrameWriter,
  isProtocolError,
  MessageType as T,
  type ServerMessage,
} from "../../../protocol/index.ts";
import type { rng } from "./harness.ts";

type Rng = ReturnType<typeof rng>;

/** Above Bun.serve's maxPayloadLength (64 KiB, gateway/ws/server.ts): µWebSockets closes with 1009. */
export const GIANT_BYTES = 64 * 1024 + 1;
const LOGIN_SKEW_US = 30_000_000;
const SYMBOLS = [1, 2];
/** Channels the gateway can subscribe (MarketDataFanout.channels(): every bit). */
export const SUBSCRIBABLE = 1023;

const ascii = (r: Rng, min: number, max: number) => {
  const n = min + r.int(max - min + 1);
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(0x21 + r.int(94));
  return s;
};
const bytes = (r: Rng, n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r.int(256);
  return b;
};
const reqId = (r: Rng) => (r.chance(0.1) ? 0xffffffff : 1 + r.int(1_000_000));
const symbol = (r: Rng) => (r.chance(0.85) ? r.pick(SYMBOLS) : r.pick([0, 3, 77, 0xffffffff]));
const nat = (r: Rng, around: number) => (r.chance(0.05) ? r.pick([0, 1, Number.MAX_SAFE_INTEGER, 2 ** 32]) : Math.max(0, Math.round(around + (r.next() - 0.5) * around * 0.1)));

/** A valid message of each client type, with fields near the demo instruments' prices. */
export function validMessage(r: Rng, type: number, orderIds: readonly number[] = []): ClientMessage {
  const requestId = reqId(r);
  const orderId = orderIds.length > 0 && r.chance(0.6) ? r.pick(orderIds) : nat(r, 500);
  switch (type) {
    case T.LOGIN:
      return {
        type: T.LOGIN,
        requestId,
        timestamp: r.chance(0.8) ? Math.floor(Date.now() * 1000) : nat(r, 1e15),
        flags: r.int(2),
        signature: bytes(r, 32),
        apiKeyId: r.pick(["alice-demo", "carol-demo", "nobody", ascii(r, 1, 64)]),
      };
    case T.NEW_ORDER: {
      const sym = symbol(r);
      const ref = sym === 2 ? 40_000 : 60_000;
      return {
        type: T.NEW_ORDER,
        requestId,
        symbol: sym,
        side: r.int(2),
        orderType: r.int(4),
        tif: r.int(5),
        stp: r.int(5),
        flags: r.int(2),
        price: nat(r, ref),
        stopPrice: r.chance(0.7) ? 0 : nat(r, ref),
        qty: 1 + r.int(20),
        expireTime: r.chance(0.8) ? 0 : nat(r, Date.now() * 1000),
        clientOrderId: r.chance(0.5) ? "" : ascii(r, 1, 36),
      };
    }
    case T.CANCEL:
    case T.ORDER_STATUS_REQUEST:
    {
      const id = r.chance(0.2) ? 0 : orderId;
      return { type: type as typeof T.CANCEL, requestId, symbol: symbol(r), orderId: id, clientOrderId: id === 0 || r.chance(0.5) ? ascii(r, 1, 36) : "" };
    }
    case T.AMEND:
      return { type: T.AMEND, requestId, symbol: symbol(r), orderId, price: nat(r, 60_000), stopPrice: 0, qty: 1 + r.int(20), clientOrderId: orderId === 0 || r.chance(0.3) ? ascii(r, 1, 36) : "" };
    case T.MASS_CANCEL:
      return { type: T.MASS_CANCEL, requestId, symbol: r.pick([-1, 1, 2, 5]) };
    case T.REFERENCE_DATA_REQUEST:
      return { type: T.REFERENCE_DATA_REQUEST, requestId, symbol: r.pick([-1, 1, 2, 9, 0x7fffffff]) };
    case T.SUBSCRIBE:
      return { type: T.SUBSCRIBE, requestId, symbol: symbol(r), channels: 1 + r.int(1023), depth: r.chance(0.7) ? 0 : r.int(65536) };
    case T.UNSUBSCRIBE:
      return { type: T.UNSUBSCRIBE, requestId, symbol: symbol(r), channels: 1 + r.int(1023) };
    case T.LOGIN_TOKEN:
      return { type: T.LOGIN_TOKEN, requestId, token: ascii(r, 1, 64) };
    case T.ALERTS_SUBSCRIBE:
      return { type: T.ALERTS_SUBSCRIBE, requestId, minSeverity: r.int(4) };
    case T.ALERTS_UNSUBSCRIBE:
      return { type: T.ALERTS_UNSUBSCRIBE, requestId };
  }
  throw new Error(`not a client type: ${type}`);
}

export const CLIENT_TYPES = [T.LOGIN, T.NEW_ORDER, T.CANCEL, T.AMEND, T.MASS_CANCEL, T.ORDER_STATUS_REQUEST, T.REFERENCE_DATA_REQUEST, T.SUBSCRIBE, T.UNSUBSCRIBE, T.LOGIN_TOKEN, T.ALERTS_SUBSCRIBE, T.ALERTS_UNSUBSCRIBE] as const;
const SERVER_TYPES = [0x40, 0x41, 0x42, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x60, 0x61, 0x64, 0x65, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87];
const BAD_F64 = [Number.NaN, -0, Infinity, -Infinity, 1.5, -1, 2 ** 53, 1e300];

export type Mutation = "valid" | "flip" | "truncate" | "extend" | "version" | "type" | "f64" | "requestId0" | "text" | "random" | "oversize" | "giant";
const MUTATIONS: [Mutation, number][] = [
  ["valid", 10],
  ["flip", 20],
  ["truncate", 12],
  ["extend", 10],
  ["version", 6],
  ["type", 8],
  ["f64", 10],
  ["requestId0", 4],
  ["text", 5],
  ["random", 10],
  ["oversize", 4],
  ["giant", 0.15],
];
const TOTAL = MUTATIONS.reduce((a, [, w]) => a + w, 0);

function pickMutation(r: Rng, allowGiant: boolean): Mutation {
  for (;;) {
    let x = r.next() * TOTAL;
    for (const [m, w] of MUTATIONS) {
      if ((x -= w) < 0) {
        if (m === "giant" && !allowGiant) break;
        return m;
      }
    }
  }
}

/** One abusive frame: a valid frame of a random client type, mutated. */
export function abusiveFrame(r: Rng, w: FrameWriter, opts: { orderIds?: readonly number[]; allowGiant?: boolean } = {}): { frame: Uint8Array | string; mutation: Mutation; base: number } {
  const base = r.pick(CLIENT_TYPES);
  const valid = w.bytes.slice(0, encodeClient(w, validMessage(r, base, opts.orderIds)));
  const mutation = pickMutation(r, opts.allowGiant ?? true);
  let f = valid;
  switch (mutation) {
    case "valid":
      break;
    case "flip":
      for (let k = 1 + r.int(4); k > 0; k--) f[r.int(f.length)] ^= 1 + r.int(255);
      break;
    case "truncate":
      f = f.slice(0, r.int(f.length));
      break;
    case "extend": {
      const g = new Uint8Array(f.length + 1 + r.int(16));
      g.set(f);
      g.set(bytes(r, g.length - f.length), f.length);
      f = g;
      break;
    }
    case "version":
      f[0] = r.pick([0, 2, 0x7f, 0xff]);
      break;
    case "type":
      f[1] = r.chance(0.5) ? r.pick(SERVER_TYPES) : r.int(256);
      break;
    case "f64":
      if (f.length >= 14) new DataView(f.buffer).setFloat64(6 + r.int(f.length - 13), r.pick(BAD_F64), true);
      break;
    case "requestId0":
      new DataView(f.buffer).setUint32(2, 0, true);
      break;
    case "text":
      return { frame: r.chance(0.5) ? ascii(r, 0, 64) : String.fromCharCode(...f), mutation, base };
    case "random":
      f = bytes(r, r.int(80));
      if (f.length > 0 && r.chance(0.5)) f[0] = 1;
      break;
    case "oversize": {
      const g = bytes(r, 513 + r.int(4000));
      g.set(f.subarray(0, Math.min(f.length, g.length)));
      f = g;
      break;
    }
    case "giant":
      f = new Uint8Array(GIANT_BYTES + r.int(1000));
      f.set(valid);
      break;
  }
  return { frame: f, mutation, base };
}

// ------------------------------------------------------------------------------ the oracle

/** What the gateway must send back for one frame, on a session that is not logged in. */
export type Expect =
  | { kind: "error"; code: number; requestId: number; messageType: number; reason: number }
  | { kind: "login"; requestId: number; codes: number[] }
  | { kind: "refdata"; requestId: number; count: number }
  | { kind: "reject"; requestId: number; requestType: number; reason: number }
  | { kind: "subscribed"; requestId: number; symbol: number; channels: number; l2Snapshot: boolean }
  /** Past maxPayloadLength: no answer, the connection is closed (1009). */
  | { kind: "gone" };

const UNKNOWN_SYMBOL = 1;

/**
 * Follows one not-logged-in session frame by frame, as the gateway must: each frame's answer, the
 * strike count (MAX_STRIKES = 20, so the 21st strike closes with 1008), and the channels active.
 */
export class AnonymousSessionModel {
  strikes = 0;
  /** Why the session must be over: "strikes" (1008) or "giant" (1009). */
  ended: "" | "strikes" | "giant" = "";
  readonly expected: Expect[] = [];
  private readonly active = new Map<number, number>();

  /** Records a frame the client sent; returns its expected answer, or null if the session is over. */
  frame(f: Uint8Array | string, nowUs: number): Expect | null {
    if (this.ended) return null;
    const e = this.answer(f, nowUs);
    this.expected.push(e);
    if (e.kind === "gone") this.ended = "giant";
    else if (e.kind === "error" || e.kind === "login") {
      if (++this.strikes > 20) this.ended = "strikes";
    }
    return e;
  }

  private answer(f: Uint8Array | string, nowUs: number): Expect {
    if (typeof f !== "string" && f.length > 64 * 1024) return { kind: "gone" };
    const m = decodeClient(f);
    if (isProtocolError(m)) return { kind: "error", code: m.code, requestId: m.requestId, messageType: m.messageType, reason: m.reason };
    switch (m.type) {
      case T.LOGIN: {
        // The signature is random, so the only question is which check fails first.
        const skew = Math.abs(nowUs - m.timestamp);
        const codes = skew > LOGIN_SKEW_US + 2e6 ? [ErrorCode.STALE_TIMESTAMP] : skew < LOGIN_SKEW_US - 2e6 ? [ErrorCode.AUTH_FAILED] : [ErrorCode.STALE_TIMESTAMP, ErrorCode.AUTH_FAILED];
        // Every abuser shares one address: once its failures lock it (gateway/auth/login-guard.ts) a login is refused unchecked.
        return { kind: "login", requestId: m.requestId, codes: [...codes, ErrorCode.RATE_LIMITED] };
      }
      case T.LOGIN_TOKEN:
        // A random token names no session.
        return { kind: "login", requestId: m.requestId, codes: [ErrorCode.AUTH_FAILED] };
      case T.REFERENCE_DATA_REQUEST:
        if (m.symbol === -1) return { kind: "refdata", requestId: m.requestId, count: SYMBOLS.length };
        if (SYMBOLS.includes(m.symbol)) return { kind: "refdata", requestId: m.requestId, count: 1 };
        return { kind: "reject", requestId: m.requestId, requestType: m.type, reason: UNKNOWN_SYMBOL };
      case T.SUBSCRIBE:
      case T.UNSUBSCRIBE: {
        if (!SYMBOLS.includes(m.symbol)) return { kind: "reject", requestId: m.requestId, requestType: m.type, reason: UNKNOWN_SYMBOL };
        const before = this.active.get(m.symbol) ?? 0;
        const after = m.type === T.SUBSCRIBE ? before | (m.channels & SUBSCRIBABLE) : before & ~m.channels;
        this.active.set(m.symbol, after);
        return { kind: "subscribed", requestId: m.requestId, symbol: m.symbol, channels: after, l2Snapshot: m.type === T.SUBSCRIBE && (m.channels & 1) !== 0 };
      }
      default:
        return { kind: "error", code: ErrorCode.NOT_LOGGED_IN, requestId: m.requestId, messageType: m.type, reason: 0 };
    }
  }
}

/** Why `got` is not the answer `e` describes, or "" if it is. */
export function mismatch(e: Expect, got: ServerMessage | undefined): string {
  const show = () => JSON.stringify(got, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v));
  if (!got) return `expected ${JSON.stringify(e)}, got nothing`;
  const ok = (() => {
    switch (e.kind) {
      case "error":
        return got.type === T.ERROR && got.code === e.code && got.requestId === e.requestId && got.messageType === e.messageType && got.reason === e.reason;
      case "login":
        return got.type === T.LOGIN_RESULT && got.requestId === e.requestId && e.codes.includes(got.code) && got.account === 0;
      case "refdata":
        return got.type === T.REFERENCE_DATA && got.requestId === e.requestId && got.instruments.length === e.count;
      case "reject":
        return got.type === T.REJECT && got.requestId === e.requestId && got.requestType === e.requestType && got.reason === e.reason;
      case "subscribed":
        return got.type === T.SUBSCRIBED && got.requestId === e.requestId && got.symbol === e.symbol && got.channels === e.channels;
      case "gone":
        return false;
    }
  })();
  return ok ? "" : `expected ${JSON.stringify(e)}, got ${show()}`;
}

