/**
 * Time-driven events reach clients with no other traffic: a GTD order expires on both doors and
 * leaves the book in market data, and a timed halt's reopening is published as MARKET_STATUS —
 * all from the runtime's deadline timer (actors/deadline-timer.ts) alone.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEADLINE_TOKEN } from "../../actors/deadline-timer.ts";
import { Actor, CommandType, makeCommand } from "../../engine/commands.ts";
import { MarketState } from "../../engine/book.ts";
import { OrderState } from "../../engine/orders.ts";
import { Reason } from "../../engine/reasons.ts";
import { BourseClient } from "../../client/client.ts";
import type { LocalBook } from "../../client/local-book.ts";
import { FixInitiator } from "../../gateway/fix/initiator.ts";
import { Channel, encodeClient, FrameWriter, type MarketStatus, MessageType } from "../../protocol/index.ts";
import { demoConfig, failureLines, type Harness, RawSocket, secret, startServer, waitFor } from "./support/harness.ts";

let h: Harness;
const ETH = 2;
const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);
/** Commands the deadline timer submitted (its deliveries carry DEADLINE_TOKEN), and every other command. */
let timerCommands = 0;
let otherCommands = 0;
/**
 * How long a test waits for something before failing with its name: a guard against hanging, not a
 * latency bound (lateness is measured in bench/deadlines.ts, never asserted here).
 */
const HANG_GUARD_MS = 10_000;
const TEST_TIMEOUT_MS = 30_000;

beforeAll(async () => {
  h = await startServer(demoConfig());
  h.runtime.onDelivery((_seq, token) => {
    if (token === DEADLINE_TOKEN) timerCommands++;
    else otherCommands++;
  });
});
afterAll(async () => {
  expect(failureLines(h.logs)).toEqual([]);
  await h.close();
});

/** FIX UTCTimestamp "YYYYMMDD-HH:MM:SS.sss" as ISO 8601. */
const fixTime = (t: string) => `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9)}Z`;

/** `p`, or a failure naming `what` after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms))]);
}

describe("deadlines reach clients without any other command", () => {
  test("WebSocket: a GTD order expires on time; its owner gets the EXPIRED report and the level leaves the L2 book", async () => {
    const alice = await BourseClient.connect(h.url);
    await alice.login("alice-demo", secret("alice"));
    const watcher = await BourseClient.connect(h.url);
    await watcher.referenceData();
    const books = watcher.book("BTC-USD");
    const expireTime = nowUs() + 300_000;
    const ack = (await alice.placeOrder({ symbol: "BTC-USD", side: "buy", price: "29500.5", qty: "0.001", tif: "GTD", expireTime })) as { orderId: number };
    const ticks = 59_001;
    // The level appears in market data…
    for (;;) {
      const b = (await within(books.next(), HANG_GUARD_MS, "the GTD order's level in L2")).value as LocalBook;
      if (b.levels("bid").some((l) => l.priceTicks === ticks)) break;
    }
    const before = timerCommands;
    const others = otherCommands;
    const report = (await within(alice.nextReport((r) => (r as { orderId?: number }).orderId === ack.orderId), HANG_GUARD_MS, "the EXPIRED report")) as unknown as { type: number; state: number; reason: number; time: number };
    expect(report.type).toBe(MessageType.CANCELLED);
    expect(report.state).toBe(OrderState.EXPIRED);
    expect(report.reason).toBe(Reason.GTD_EXPIRED);
    expect(report.time).toBeGreaterThanOrEqual(expireTime);
    expect(otherCommands, "a command other than the timer's was sequenced before the expiry").toBe(others);
    expect(timerCommands, "the expiry came from the deadline timer").toBeGreaterThan(before);
    // …and leaves it.
    for (;;) {
      const b = (await within(books.next(), HANG_GUARD_MS, "the level's removal from L2")).value as LocalBook;
      if (!b.levels("bid").some((l) => l.priceTicks === ticks)) break;
    }
    alice.close();
    watcher.close();
  }, TEST_TIMEOUT_MS);

  test("WebSocket: a timed halt ends on time and MARKET_STATUS says OPEN", async () => {
    const ws = await RawSocket.open(h.url);
    const w = new FrameWriter(64);
    const n = encodeClient(w, { type: MessageType.SUBSCRIBE, requestId: 1, symbol: ETH, channels: Channel.MARKET_STATUS, depth: 0 });
    ws.send(w.bytes.slice(0, n));
    const statuses = () => ws.received.filter((m): m is MarketStatus => m.type === MessageType.MARKET_STATUS && m.symbol === ETH);
    expect(await waitFor(() => statuses().length > 0, HANG_GUARD_MS), "no MARKET_STATUS snapshot").toBe(true);
    const until = nowUs() + 300_000;
    h.runtime.submit(makeCommand({ type: CommandType.HALT, symbol: ETH, expireTime: until, actor: Actor.SYSTEM }));
    expect(await waitFor(() => statuses().some((s) => s.state === MarketState.HALTED), HANG_GUARD_MS), "no HALTED status").toBe(true);
    const others = otherCommands;
    expect(await waitFor(() => statuses().at(-1)!.state === MarketState.OPEN, HANG_GUARD_MS), "the market did not reopen by itself").toBe(true);
    const open = statuses().at(-1)!;
    expect(open.time).toBeGreaterThanOrEqual(until);
    expect(otherCommands, "a command other than the timer's was sequenced before the reopening").toBe(others);
    expect(ws.problems).toEqual([]);
    ws.close();
  }, TEST_TIMEOUT_MS);

  test("FIX: a GTD order expires on time with ExecType C (Expired)", async () => {
    const c = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "ALICE-GTD" });
    await c.logon("alice-demo", secret("alice"), [[141, "Y"]]);
    const expireMs = Date.now() + 300;
    const stamp = new Date(expireMs).toISOString().replace(/-/g, "").replace("T", "-").replace("Z", "");
    c.send([[35, "D"], [11, `gtd-${expireMs}`], [55, "ETH-USD"], [54, "1"], [60, "20261125-00:00:00.000"], [38, "0.1"], [40, "2"], [44, "1950"], [59, "6"], [126, stamp]]);
    const ack = await within(c.next("8", HANG_GUARD_MS), HANG_GUARD_MS, "the FIX ack");
    expect(ack.get(150)).toBe("0");
    const others = otherCommands;
    const expired = await within(c.next("8", HANG_GUARD_MS), HANG_GUARD_MS, "the FIX Expired report");
    expect([expired.get(150), expired.get(39), expired.get(37), expired.get(151)]).toEqual(["C", "C", ack.get(37), "0.00"]);
    // TransactTime of the report is the engine time of the expiry: not before the ExpireTime.
    expect(Date.parse(fixTime(expired.get(60)!))).toBeGreaterThanOrEqual(expireMs);
    expect(otherCommands, "a command other than the timer's was sequenced before the expiry").toBe(others);
    await c.logout();
  }, TEST_TIMEOUT_MS);
});
