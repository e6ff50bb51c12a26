/**
 * The WebSocket door end to end: a real Runtime on a temp directory, the gateway on a free port,
 * and SDK clients over real sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../app/config.ts";
import type { Runtime } from "../../actors/runtime.ts";
import { Side } from "../../engine/commands.ts";
import { OrderState } from "../../engine/orders.ts";
import { Reason } from "../../engine/reasons.ts";
import { BourseClient, RejectError } from "../../client/client.ts";
import type { LocalBook } from "../../client/local-book.ts";
import { decodeServer, encodeClient, ErrorCode, FrameWriter, MessageType, signLogin } from "../../protocol/index.ts";
import { serve } from "../../app/serve.ts";
import { silentLogger } from "../../log/logger.ts";

const config = loadConfig(join(import.meta.dir, "../../config/demo.json"));
const secret = (name: string) => `${name}-demo-secret-do-not-use-in-production`;
const dir = mkdtempSync(join(tmpdir(), "bourse-gw-"));
let running: Awaited<ReturnType<typeof serve>>;
let url: string;
const clients: BourseClient[] = [];

beforeAll(async () => {
  running = await serve({ dataDir: dir, config, workers: 0, port: 0, log: silentLogger });
  url = running.gateway.url;
});
afterAll(async () => {
  for (const c of clients) if (!c.closed) c.close();
  await running.close();
  rmSync(dir, { recursive: true, force: true });
});

async function client(name?: string, opts: { cancelOnDisconnect?: boolean } = {}): Promise<BourseClient> {
  const c = await BourseClient.connect(url);
  clients.push(c);
  if (name) await c.login(`${name}-demo`, secret(name), opts);
  else await c.referenceData();
  return c;
}

/** serve() with workers 0 runs the embedded Runtime: reach it through the gateway's order entry. */
function runtime(): Runtime {
  return (running.gateway.orderEntry as unknown as { sequencer: Runtime }).sequencer;
}

const orderIdOf = (m: unknown) => (m as { orderId: number }).orderId;
const socketOf = (c: BourseClient) => (c as unknown as { ws: WebSocket }).ws;

describe("login", () => {
  test("a good signature logs in; a bad one is refused; market data needs no login", async () => {
    const alice = await client("alice");
    expect(alice.account).toBe(1);
    const anon = await BourseClient.connect(url);
    clients.push(anon);
    await expect(anon.login("alice-demo", "not-the-secret-at-all")).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
    await expect(anon.login("nobody", "whatever-secret-long")).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
    await expect(anon.referenceData()).resolves.toHaveLength(2);
  });

  test("a LOGIN signed for another connection's nonce is refused (no replay)", async () => {
    const a = await BourseClient.connect(url);
    const b = await BourseClient.connect(url);
    clients.push(a, b);
    const nonceA = (a as unknown as { hello: { nonce: Uint8Array } }).hello.nonce;
    const timestamp = Math.floor(Date.now() * 1000);
    const w = new FrameWriter();
    const n = encodeClient(w, { type: MessageType.LOGIN, requestId: 9, timestamp, flags: 0, signature: signLogin(secret("bob"), nonceA, timestamp, 0, "bob-demo"), apiKeyId: "bob-demo" });
    const answer = new Promise<unknown>((resolve) => {
      socketOf(b).addEventListener("message", (e) => resolve(decodeServer(new Uint8Array(e.data as ArrayBuffer))), { once: true });
    });
    b.sendRaw(w.bytes.slice(0, n));
    expect(await answer).toMatchObject({ type: MessageType.LOGIN_RESULT, code: ErrorCode.AUTH_FAILED });
  });

  test("order entry before login gets NOT_LOGGED_IN", async () => {
    const anon = await client();
    await expect(anon.placeOrder({ symbol: "BTC-USD", side: "buy", price: "29000", qty: "0.01" })).rejects.toMatchObject({ code: ErrorCode.NOT_LOGGED_IN });
  });
});

describe("order entry", () => {
  test("a cross: both sides get their fills, the maker as maker; cancel by client order id", async () => {
    const alice = await client("alice");
    const bob = await client("bob");
    const sell = await alice.placeOrder({ symbol: "BTC-USD", side: "sell", price: "31000", qty: "0.5", clientOrderId: "a-sell-1" });
    expect(sell.type).toBe(MessageType.ACK);
    const aliceFill = alice.nextReport((r) => r.type === MessageType.EXECUTION);
    const bobFill = bob.nextReport((r) => r.type === MessageType.EXECUTION);
    const buy = await bob.placeOrder({ symbol: "BTC-USD", side: "buy", price: "31000", qty: "0.2" });
    expect(buy).toMatchObject({ type: MessageType.ACK, qty: "0.200", qtyLots: 200 });
    expect(await bobFill).toMatchObject({ liquidity: 1, qtyLots: 200, priceTicks: 62_000, price: "31000.0", state: OrderState.FILLED, leavesLots: 0 });
    expect(await aliceFill).toMatchObject({ liquidity: 0, qtyLots: 200, leavesLots: 300, state: OrderState.PARTIALLY_FILLED, clientOrderId: "a-sell-1" });
    const cancelled = await alice.cancel("BTC-USD", { clientOrderId: "a-sell-1" });
    expect(cancelled).toMatchObject({ type: MessageType.CANCELLED, reason: Reason.USER_CANCEL, cancelledQtyLots: 300, leavesLots: 0 });
  });

  test("order types round-trip: IOC remainder, stop trigger, amend, mass cancel, market", async () => {
    const alice = await client("alice");
    const dave = await client("dave");
    await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2000", qty: "1" });
    const ioc = dave.nextReport((r) => r.type === MessageType.CANCELLED && r.reason === Reason.IOC_REMAINDER);
    await dave.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2000", qty: "1.5", tif: "IOC" });
    expect(await ioc).toMatchObject({ cancelledQtyLots: 50 });
    const stop = await dave.placeOrder({ symbol: "ETH-USD", side: "buy", type: "stop", stopPrice: "2001", qty: "0.1" });
    const triggered = dave.nextReport((r) => r.type === MessageType.TRIGGERED);
    await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2001", qty: "0.5" });
    await dave.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2001", qty: "0.1" });
    expect(await triggered).toMatchObject({ orderId: orderIdOf(stop) });
    const resting = await dave.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1900", qty: "0.3" });
    const amended = await dave.amend("ETH-USD", { orderId: orderIdOf(resting) }, { price: "1900", qty: "0.2" });
    expect(amended).toMatchObject({ type: MessageType.AMENDED, keptPriority: true, leavesLots: 20 });
    await dave.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1800", qty: "0.1" });
    expect(await dave.massCancel("ETH-USD")).toMatchObject({ type: MessageType.MASS_CANCEL_DONE, cancelled: 2 });
    expect((await dave.placeOrder({ symbol: "ETH-USD", side: "buy", type: "market", qty: "0.1" })).type).toBe(MessageType.ACK);
  });

  test("a risk reject comes back as RejectError with the engine's reason", async () => {
    const dave = await client("dave");
    const err = await dave.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30000", qty: "100" }).catch((e) => e);
    expect(err).toBeInstanceOf(RejectError);
    expect((err as RejectError).reason).toBe(Reason.INSUFFICIENT_FUNDS);
    // Off the tick grid: refused in the SDK before anything is sent.
    await expect(dave.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30000.25", qty: "0.01" })).rejects.toMatchObject({ reason: Reason.PRICE_OFF_TICK });
  });

  test("a resend with the same client order id after a dropped connection makes no second order", async () => {
    const first = await client("bob");
    const ack = await first.placeOrder({ symbol: "BTC-USD", side: "buy", price: "25000", qty: "0.01", clientOrderId: "bob-retry-1" });
    first.close();
    const again = await client("bob");
    const answer = await again.placeOrder({ symbol: "BTC-USD", side: "buy", price: "25000", qty: "0.01", clientOrderId: "bob-retry-1" });
    expect(answer).toMatchObject({ type: MessageType.ORDER_STATUS, orderId: orderIdOf(ack), state: OrderState.NEW });
    expect((await again.orderStatus("BTC-USD", { clientOrderId: "bob-retry-1" })).orderId).toBe(orderIdOf(ack));
    expect([...runtime().exchange.open.values()].filter((o) => o.clientOrderId === "bob-retry-1")).toHaveLength(1);
  });

  test("cancel-on-disconnect cancels the session's orders when it closes", async () => {
    const carol = await client("carol", { cancelOnDisconnect: true });
    const ack = await carol.placeOrder({ symbol: "BTC-USD", side: "buy", price: "25000", qty: "0.01", clientOrderId: "carol-cod" });
    carol.close();
    const watcher = await client("carol");
    for (let i = 0; i < 200; i++) {
      const s = await watcher.orderStatus("BTC-USD", { orderId: orderIdOf(ack) });
      if (s.state === OrderState.CANCELLED) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error("the order was not cancelled after its session closed");
  });
});

describe("market data", () => {
  test("snapshot + diffs reproduce the engine's book after a stream of orders", async () => {
    const viewer = await client();
    const alice = await client("alice");
    const bob = await client("bob");
    const books = viewer.book("ETH-USD");
    await books.next(); // the snapshot
    for (let i = 0; i < 30; i++) {
      const trader = i % 2 === 0 ? alice : bob;
      await trader.placeOrder({ symbol: "ETH-USD", side: i % 3 === 0 ? "sell" : "buy", price: String(1950 + (i % 7) * 5), qty: "0.1" }).catch(() => undefined);
    }
    const ex = runtime().exchange.book;
    const want = JSON.stringify({ bids: ex.depth(2, Side.BUY).map((l) => [l.price, l.qty]), asks: ex.depth(2, Side.SELL).map((l) => [l.price, l.qty]) });
    let got = "";
    for (let i = 0; i < 200 && got !== want; i++) {
      const { value: book } = await books.next();
      const b = book as LocalBook;
      got = JSON.stringify({ bids: b.levels("bid").map((l) => [l.priceTicks, l.qtyLots]), asks: b.levels("ask").map((l) => [l.priceTicks, l.qtyLots]) });
    }
    expect(got).toBe(want);
  });
});

describe("market by order (L3)", () => {
  test("on request: every resting order in queue order, as the engine holds them", async () => {
    const alice = await client("alice");
    const bob = await client("bob");
    const first = await alice.placeOrder({ symbol: "BTC-USD", side: "buy", price: "26000", qty: "0.01" });
    const second = await bob.placeOrder({ symbol: "BTC-USD", side: "buy", price: "26000", qty: "0.02" });
    const orders = await (await client()).ordersAt("BTC-USD");
    const at = orders.filter((o) => o.price === "26000.0" && o.priceTicks === 52_000);
    expect(at.map((o) => o.orderId).slice(-2)).toEqual([orderIdOf(first), orderIdOf(second)]);
    const engine = runtime().exchange.book;
    expect(orders.map((o) => ({ side: o.side, orderId: o.orderId, price: o.priceTicks, qty: o.qtyLots }))).toEqual([0, 1].flatMap((side) => engine.orders(1, side).map((o) => ({ side, orderId: o.orderId, price: o.price, qty: o.leaves }))));
  });
});

describe("bad input", () => {
  test("text, garbage, wrong-version and oversize frames get ERROR frames; the session and others keep working", async () => {
    const alice = await client("alice");
    const other = await client("bob");
    const errors: number[] = [];
    socketOf(alice).addEventListener("message", (e) => {
      const m = decodeServer(new Uint8Array(e.data as ArrayBuffer)) as unknown as { type?: number; code: number };
      if (m.type === MessageType.ERROR) errors.push(m.code);
    });
    alice.sendRaw("hello");
    alice.sendRaw(new Uint8Array([1, 0x10, 1, 2]));
    alice.sendRaw(new Uint8Array([9, 0x10, 0, 0, 0, 0]));
    alice.sendRaw(new Uint8Array(2000));
    expect((await alice.placeOrder({ symbol: "BTC-USD", side: "buy", price: "25500", qty: "0.01" })).type).toBe(MessageType.ACK);
    expect(errors).toEqual([ErrorCode.TEXT_FRAME, ErrorCode.MALFORMED, ErrorCode.BAD_VERSION, ErrorCode.TOO_LARGE]);
    expect((await other.placeOrder({ symbol: "BTC-USD", side: "buy", price: "25500", qty: "0.01" })).type).toBe(MessageType.ACK);
  });

  test("a session that keeps sending garbage is closed with a reason; others are untouched", async () => {
    const abuser = await client();
    const bystander = await client("dave");
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socketOf(abuser).addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
    for (let i = 0; i < 25; i++) abuser.sendRaw(new Uint8Array([1, 0xee]));
    expect(await closed).toMatchObject({ code: 1008, reason: expect.stringContaining("too many invalid frames") });
    expect((await bystander.placeOrder({ symbol: "BTC-USD", side: "buy", price: "25500", qty: "0.01" })).type).toBe(MessageType.ACK);
  });
});
