/**
 * The codec's parts: market-data builders, the frame writer, allocation on the encode path, the
 * login signature, and the error-code range.
 */
import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { Flags, Side } from "../../engine/commands.ts";
import { Reason } from "../../engine/reasons.ts";
import {
  addL2Ask,
  addL2Bid,
  addL2Change,
  addL3Change,
  addL3Order,
  addTrade,
  beginL2Snapshot,
  beginL2Update,
  beginL3Snapshot,
  beginL3Update,
  beginTrades,
  type ClientMessage,
  decodeClient,
  decodeServer,
  encodeAck,
  encodeCancelled,
  encodeClient,
  encodeExecution,
  encodeNewOrder,
  encodeSession,
  endL2Snapshot,
  endL2Update,
  endL3Snapshot,
  endL3Update,
  endTrades,
  ErrorCode,
  FrameWriter,
  L3Action,
  loginSigningBytes,
  MessageType as T,
  ProtocolError,
  signLogin,
  verifyLogin,
} from "../../protocol/index.ts";
import { heapGrowth, MiB } from "../heap-growth.ts";
import { encode, GOLDEN, hex, NONCE, SAMPLES, TIME, w } from "./samples.ts";

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
