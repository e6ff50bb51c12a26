/**
 * Logs a person can follow, and that an attacker cannot inflate (docs/logging.md):
 * - logins and failed logins on both doors carry door, remote address, account and key id, and a
 *   session's end its reason; no secret appears in any record;
 * - ~2 MB of garbage at the FIX port without a Logon (once: 40 MB of log, one line per garbled
 *   frame) and at the WebSocket door, over a WebSocket and as raw TCP, leave a few lines in all:
 *   the garbage connections are closed, and a FIX and a WebSocket session beside them keep trading.
 * The server logs at info (the default) with the rate limit off: the bound comes from the doors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { BourseClient } from "../../client/client.ts";
import { FixInitiator } from "../../gateway/fix/initiator.ts";
import type { Field } from "../../gateway/fix/message.ts";
import type { LogRecord } from "../../log/logger.ts";
import { MessageType } from "../../protocol/index.ts";
import { demoConfig, type Harness, RawSocket, secret, startServer, waitFor } from "./support/harness.ts";

let h: Harness;
const clients: BourseClient[] = [];

beforeAll(async () => {
  h = await startServer(demoConfig(), { level: "info", rateLimit: false });
});
afterAll(async () => {
  for (const c of clients) if (!c.closed) c.close();
  await h.close();
});

const since = (from: number): LogRecord[] => h.records.slice(from);
const bytes = (rs: LogRecord[]) => rs.reduce((n, r) => n + JSON.stringify(r).length + 1, 0);
const BUDGET = 10 * 1024;
const GARBAGE = 2 * 1024 * 1024;

/** Seeded garbage with a FIX message start every 100 bytes or so: each one is a garbled frame to the framer. */
function garbage(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  const start = new TextEncoder().encode("8=FIX.4.4\x019=12\x0135=A\x01");
  for (let at = 0; at + start.length < n; at += 100) out.set(start, at);
  return out;
}

/** Writes up to `total` bytes of garbage in 64 KB chunks until the peer closes; resolves with what was written. */
function blast(port: number, total: number, seed: number): Promise<{ written: number; closedByPeer: boolean }> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: "127.0.0.1", port });
    const junk = garbage(total, seed);
    let written = 0;
    let closed = false;
    s.on("error", () => {});
    s.on("close", () => {
      closed = true;
      resolve({ written, closedByPeer: written < total || closedAfterAll });
    });
    let closedAfterAll = false;
    const next = () => {
      if (closed) return;
      if (written >= total) {
        // Everything went out; the server must still hang up on its own.
        closedAfterAll = true;
        return;
      }
      const chunk = junk.subarray(written, Math.min(total, written + 65536));
      written += chunk.length;
      s.write(chunk, (err) => (err ? undefined : next()));
    };
    s.on("connect", next);
  });
}

async function fixLogon(user: string, compId: string): Promise<FixInitiator> {
  const c = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: compId });
  await c.logon(`${user}-demo`, secret(user), [[141, "Y"]]);
  return c;
}

async function wsLogin(user: string): Promise<BourseClient> {
  const c = await BourseClient.connect(h.url);
  clients.push(c);
  await c.login(`${user}-demo`, secret(user));
  return c;
}

let clOrd = 0;
function fixOrder(side: "1" | "2", qty: string, price: string): Field[] {
  return [[35, "D"], [11, `lb-${++clOrd}`], [55, "ETH-USD"], [54, side], [60, "20261125-00:00:00.000"], [38, qty], [40, "2"], [44, price], [59, "1"]];
}

/** A FIX buy rests, a WebSocket sell crosses it, and both sides hear of the fill: the doors still trade. */
async function trade(fix: FixInitiator, ws: BourseClient, price: string): Promise<void> {
  fix.send(fixOrder("1", "0.1", price));
  const ack = await fix.next("8");
  expect(ack.get(150)).toBe("0");
  const fill = ws.nextReport((r) => r.type === MessageType.EXECUTION);
  await ws.placeOrder({ symbol: "ETH-USD", side: "sell", price, qty: "0.1", tif: "IOC" });
  const fixFill = await fix.next("8");
  expect(fixFill.get(150)).toBe("F");
  expect((await fill).type).toBe(MessageType.EXECUTION);
}

describe("who logged in, from where, and why a session ended", () => {
  test("WebSocket: a login and a failed login carry door, remote, account/key and reason; no secret is logged", async () => {
    const from = h.records.length;
    const alice = await wsLogin("alice");
    const anon = await BourseClient.connect(h.url);
    clients.push(anon);
    await expect(anon.login("bob-demo", "not-bobs-secret-at-all")).rejects.toBeDefined();
    alice.close();
    anon.close();
    await alice.closed;
    const rs = since(from);
    expect(rs).toContainEqual(expect.objectContaining({ level: "info", msg: "login", door: "ws", remote: "127.0.0.1", account: 1, key: "alice-demo" }));
    expect(rs).toContainEqual(expect.objectContaining({ level: "info", msg: "login failed", door: "ws", remote: "127.0.0.1", key: "bob-demo", reason: "AUTH_FAILED" }));
    // The server's close handler runs after the client's close: nothing on this side to await.
    const closed = () => since(from).find((r) => r.msg === "session closed" && r.account === 1);
    await waitFor(() => closed() !== undefined, 5000);
    expect(closed()).toMatchObject({ door: "ws", key: "alice-demo", code: 1000 });
    expect(JSON.stringify(since(from))).not.toContain("secret-do-not-use");
    expect(JSON.stringify(since(from))).not.toContain("not-bobs-secret");
  });

  test("WebSocket: one connection guessing keys logs its first three failures at info, the rest at debug", async () => {
    const from = h.records.length;
    const guesser = await BourseClient.connect(h.url);
    clients.push(guesser);
    for (let i = 0; i < 6; i++) await expect(guesser.login("alice-demo", `guess-number-${i}-of-six`)).rejects.toBeDefined();
    const failed = since(from).filter((r) => r.msg === "login failed");
    expect(failed.map((r) => r.failedLogins)).toEqual([1, 2, 3]);
    guesser.close();
  });

  test("FIX: a logon, a refused logon and a logout carry door, remote, compId, account/key and reason", async () => {
    const from = h.records.length;
    const bad = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "LB-BAD" });
    bad.send([[35, "A"], [98, "0"], [108, "30"], [553, "carol-demo"], [554, "wrong-secret-wrong-secret"]]);
    await bad.closed;
    const ok = await fixLogon("carol", "LB-CAROL");
    await ok.logout();
    const rs = since(from);
    expect(rs).toContainEqual(expect.objectContaining({ level: "info", msg: "login failed", door: "fix", remote: "127.0.0.1", compId: "LB-BAD", key: "carol-demo", reason: "invalid Username (553) or Password (554)" }));
    expect(rs).toContainEqual(expect.objectContaining({ level: "info", msg: "login", door: "fix", remote: "127.0.0.1", compId: "LB-CAROL", account: 3, key: "carol-demo" }));
    expect(rs).toContainEqual(expect.objectContaining({ msg: "session closed", door: "fix", compId: "LB-CAROL", account: 3, reason: "counterparty logged out" }));
    expect(JSON.stringify(rs)).not.toContain("secret");
  });
});

describe("the order path", () => {
  test("orders, fills and a malformed order's Reject on both doors log nothing at info or above", async () => {
    const fix = await fixLogon("alice", "LB-ALICE-0");
    const ws = await wsLogin("bob");
    const from = h.records.length;
    for (let i = 0; i < 5; i++) await trade(fix, ws, `${1990 + i}`);
    // A NewOrderSingle without Side (54): a session-level Reject, one per bad message.
    fix.send(fixOrder("1", "0.1", "1990").filter(([tag]) => tag !== 54));
    expect((await fix.next("3")).get(371)).toBe("54");
    await expect(ws.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1.5", qty: "100000", tif: "GTC" })).rejects.toBeDefined();
    expect(since(from)).toEqual([]);
    await fix.logout();
  });
});

describe("garbage costs a few log lines and the connection, not the disk", () => {
  test("~2 MB at the FIX port without a Logon: closed after a few garbled frames, under 10 KB of log, trading goes on", async () => {
    const fix = await fixLogon("alice", "LB-ALICE");
    const ws = await wsLogin("bob");
    const from = h.records.length;
    const [big, ...small] = await Promise.all([blast(h.fix.port, GARBAGE, 1), blast(h.fix.port, 64 * 1024, 2), blast(h.fix.port, 64 * 1024, 3), trade(fix, ws, "2000")]);
    expect(big!.closedByPeer).toBe(true);
    for (const s of small.slice(0, 2)) expect((s as { closedByPeer: boolean }).closedByPeer).toBe(true);
    const rs = since(from);
    expect(bytes(rs), `log records: ${JSON.stringify(rs).slice(0, 2000)}`).toBeLessThan(BUDGET);
    expect(rs.filter((r) => r.msg === "session closed" && r.door === "fix" && /garbled frames before a Logon/.test(String(r.reason)))).toHaveLength(3);
    await trade(fix, ws, "2000.5");
    await fix.logout();
  });

  test("~2 MB at the WebSocket door (frames on a WebSocket, and raw TCP): closed, under 10 KB of log, trading goes on", async () => {
    const fix = await fixLogon("alice", "LB-ALICE-2");
    const ws = await wsLogin("bob");
    const from = h.records.length;
    const raw = await RawSocket.open(h.url);
    const junk = garbage(GARBAGE, 4);
    // 1 KB frames: each is an invalid frame (a strike) until the door closes the session.
    for (let at = 0; at < junk.length && raw.open; at += 1024) raw.ws.send(junk.subarray(at, at + 1024));
    const [closed, tcp] = await Promise.all([raw.whenClosed, blast(h.gateway.server.port!, GARBAGE, 5), trade(fix, ws, "2001")]);
    expect(closed.code).toBe(1008);
    expect(tcp.closedByPeer).toBe(true);
    const rs = since(from);
    expect(bytes(rs), `log records: ${JSON.stringify(rs).slice(0, 2000)}`).toBeLessThan(BUDGET);
    await trade(fix, ws, "2001.5");
    await fix.logout();
  });
});
