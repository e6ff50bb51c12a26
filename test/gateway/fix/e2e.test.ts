/**
 * The FIX door end to end over real TCP with our own initiator: logon, every order type, fills to
 * both sides (and across doors, FIX against WebSocket), cancel, replace, status, mass cancel,
 * duplicates, unsupported messages, a sequence gap and its resend, a reconnect that resumes
 * sequence numbers, a bad checksum, and logout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BourseClient } from "../../../client/client.ts";
import { encodeFix } from "../../../gateway/fix/codec.ts";
import { FixInitiator } from "../../../gateway/fix/initiator.ts";
import type { Field, FixMessage } from "../../../gateway/fix/message.ts";
import { demoConfig, failureLines, type Harness, secret, startServer } from "../support/harness.ts";

let h: Harness;
let n = 0;

beforeAll(async () => {
  h = await startServer(demoConfig());
});
afterAll(async () => {
  await h.close();
});

/** A logged-on initiator for a demo user; each test uses its own SenderCompID. */
async function logon(user: string, extra: Field[] = []): Promise<FixInitiator> {
  const c = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: `${user.toUpperCase()}-${++n}` });
  await c.logon(`${user}-demo`, secret(user), [[141, "Y"], ...extra]);
  return c;
}

let clOrd = 0;
const id = (p = "c") => `${p}${Date.now().toString(36)}${++clOrd}`;

function order(o: { clOrdId: string; symbol?: string; side: string; qty: string; type?: string; price?: string; stopPx?: string; tif?: string; extra?: Field[] }): Field[] {
  const f: Field[] = [
    [35, "D"],
    [11, o.clOrdId],
    [55, o.symbol ?? "ETH-USD"],
    [54, o.side],
    [60, "20261125-00:00:00.000"],
    [38, o.qty],
    [40, o.type ?? "2"],
  ];
  if (o.price !== undefined) f.push([44, o.price]);
  if (o.stopPx !== undefined) f.push([99, o.stopPx]);
  if (o.tif !== undefined) f.push([59, o.tif]);
  return [...f, ...(o.extra ?? [])];
}

const er = (c: FixInitiator) => c.next("8");
const fields = (m: FixMessage, ...tags: number[]) => Object.fromEntries(tags.map((t) => [t, m.get(t)]));

describe("FIX door", () => {
  test("logon is answered with a Logon; a wrong password gets a Logout and the connection closes", async () => {
    const c = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "BADPASS" });
    c.send([[35, "A"], [98, "0"], [108, "30"], [553, "alice-demo"], [554, "wrong-secret-wrong-secret"]]);
    const out = await c.next("5");
    expect(out.get(58)).toContain("Password");
    await c.closed;
    const ok = await logon("alice");
    expect(ok.received[0]!.msgType).toBe("A");
    expect(ok.received[0]!.get(56)).toMatch(/^ALICE-/);
    expect(ok.received[0]!.get(49)).toBe("BOURSE");
    await ok.logout();
    expect(ok.isOpen).toBe(false);
  });

  test("a limit order is acknowledged, rests, and fills both sides when a FIX sell crosses it", async () => {
    const a = await logon("alice");
    const b = await logon("bob");
    const buyId = id("buy");
    a.send(order({ clOrdId: buyId, side: "1", qty: "1.5", price: "2000.05", tif: "1" }));
    const ack = await er(a);
    expect(fields(ack, 11, 150, 39, 55, 54, 38, 44, 151, 14, 6)).toEqual({ 11: buyId, 150: "0", 39: "0", 55: "ETH-USD", 54: "1", 38: "1.50", 44: "2000.05", 151: "1.50", 14: "0.00", 6: "0" });
    const orderId = ack.get(37)!;
    const sellId = id("sell");
    b.send(order({ clOrdId: sellId, side: "2", qty: "2", price: "2000", tif: "1" }));
    const bAck = await er(b);
    expect(bAck.get(150)).toBe("0");
    const bFill = await er(b);
    expect(fields(bFill, 11, 150, 39, 31, 32, 151, 14, 6)).toEqual({ 11: sellId, 150: "F", 39: "1", 31: "2000.05", 32: "1.50", 151: "0.50", 14: "1.50", 6: "2000.05" });
    const aFill = await er(a);
    expect(fields(aFill, 37, 11, 150, 39, 31, 32, 151, 14, 6)).toEqual({ 37: orderId, 11: buyId, 150: "F", 39: "2", 31: "2000.05", 32: "1.50", 151: "0.00", 14: "1.50", 6: "2000.05" });
    // Bob's remainder rests; cancel it by its ClOrdID.
    const cxl = id("cxl");
    b.send([[35, "F"], [11, cxl], [41, sellId], [55, "ETH-USD"], [54, "2"], [60, "20261125-00:00:00.000"]]);
    const done = await er(b);
    expect(fields(done, 11, 41, 150, 39, 151, 14)).toEqual({ 11: cxl, 41: sellId, 150: "4", 39: "4", 151: "0.00", 14: "1.50" });
    await a.logout();
    await b.logout();
  });

  test("market, stop and stop-limit orders, IOC and FOK, post-only", async () => {
    const a = await logon("alice");
    const b = await logon("bob");
    // Liquidity for the market order.
    b.send(order({ clOrdId: id(), side: "2", qty: "1", price: "1990", tif: "1" }));
    expect((await er(b)).get(150)).toBe("0");
    a.send(order({ clOrdId: id("mkt"), side: "1", qty: "0.4", type: "1" }));
    expect((await er(a)).get(150)).toBe("0");
    const mf = await er(a);
    expect(fields(mf, 150, 39, 31, 32)).toEqual({ 150: "F", 39: "2", 31: "1990.00", 32: "0.40" });
    await er(b); // bob's fill
    // IOC that cannot fill rests nothing: New then Canceled with the reason.
    a.send(order({ clOrdId: id("ioc"), side: "1", qty: "1", price: "1700", tif: "3" }));
    expect((await er(a)).get(150)).toBe("0");
    const ioc = await er(a);
    expect(fields(ioc, 150, 39, 151)).toEqual({ 150: "4", 39: "4", 151: "0.00" });
    expect(ioc.get(58)).toContain("immediate-or-cancel");
    // FOK larger than the book: killed.
    a.send(order({ clOrdId: id("fok"), side: "1", qty: "50", price: "1990", tif: "4" }));
    const fok = [await er(a), await er(a)];
    expect(fok.map((m) => m.get(150))).toEqual(["0", "4"]);
    // Post-only that would take: rejected.
    a.send(order({ clOrdId: id("po"), side: "1", qty: "0.1", price: "1995", tif: "1", extra: [[18, "6"]] }));
    const po = await er(a);
    expect(po.get(150)).toBe("8");
    expect(po.get(58)).toContain("post-only");
    // A stop-limit and a stop: acknowledged with their StopPx, pending.
    a.send(order({ clOrdId: id("sl"), side: "1", qty: "0.1", type: "4", price: "2100", stopPx: "2050", tif: "1" }));
    const sl = await er(a);
    expect(fields(sl, 150, 40, 44, 99)).toEqual({ 150: "0", 40: "4", 44: "2100.00", 99: "2050.00" });
    a.send(order({ clOrdId: id("st"), side: "2", qty: "0.1", type: "3", stopPx: "1700", tif: "1" }));
    const st = await er(a);
    expect(fields(st, 150, 40, 99)).toEqual({ 150: "0", 40: "3", 99: "1700.00" });
    expect(st.has(44)).toBe(false);
    await a.logout();
    await b.logout();
  });

  test("business rejects: off-tick price, unknown symbol, buying power; nothing changes", async () => {
    const d = await logon("dave");
    const seqBefore = h.runtime.lastSeq;
    d.send(order({ clOrdId: id(), side: "1", qty: "1", price: "2000.01", tif: "1" }));
    const offTick = await er(d);
    expect(fields(offTick, 150, 39, 37)).toEqual({ 150: "8", 39: "8", 37: "NONE" });
    expect(offTick.get(58)).toContain("tick");
    d.send(order({ clOrdId: id(), symbol: "DOGE-USD", side: "1", qty: "1", price: "1", tif: "1" }));
    expect(fields(await er(d), 150, 103)).toEqual({ 150: "8", 103: "1" });
    expect(h.runtime.lastSeq).toBe(seqBefore);
    d.send(order({ clOrdId: id(), side: "1", qty: "1000", price: "2000", tif: "1" }));
    const funds = await er(d);
    expect(fields(funds, 150, 103)).toEqual({ 150: "8", 103: "3" });
    await d.logout();
  });

  test("malformed requests get a session Reject naming the tag; an unsupported type gets a BusinessMessageReject", async () => {
    const a = await logon("alice");
    const seq = a.send([[35, "D"], [11, id()], [55, "ETH-USD"], [54, "1"], [40, "2"], [44, "2000"]]);
    const rej = await a.next("3");
    expect(fields(rej, 45, 371, 373, 372)).toEqual({ 45: String(seq), 371: "38", 373: "1", 372: "D" });
    a.send(order({ clOrdId: id(), side: "7", qty: "1", price: "2000" }));
    expect(fields(await a.next("3"), 371, 373)).toEqual({ 371: "54", 373: "5" });
    const s2 = a.send([[35, "R"], [131, "q1"], [146, "1"], [55, "ETH-USD"]]);
    const bmr = await a.next("j");
    expect(fields(bmr, 45, 372, 380)).toEqual({ 45: String(s2), 372: "R", 380: "3" });
    // The session is still fine.
    a.send([[35, "1"], [112, "still-there"]]);
    expect((await a.next("0")).get(112)).toBe("still-there");
    await a.logout();
  });

  test("replace gives the order a new ClOrdID; status and cancel find it by that id", async () => {
    const a = await logon("alice");
    const first = id("r0");
    a.send(order({ clOrdId: first, side: "1", qty: "1", price: "1800", tif: "1" }));
    const ack = await er(a);
    const second = id("r1");
    a.send([[35, "G"], [11, second], [41, first], [55, "ETH-USD"], [54, "1"], [38, "2"], [40, "2"], [44, "1810"], [60, "20261125-00:00:00.000"]]);
    const rep = await er(a);
    expect(fields(rep, 37, 11, 41, 150, 38, 44, 151)).toEqual({ 37: ack.get(37), 11: second, 41: first, 150: "5", 38: "2.00", 44: "1810.00", 151: "2.00" });
    // The old id no longer names it.
    a.send([[35, "F"], [11, id()], [41, first], [55, "ETH-USD"], [54, "1"]]);
    const cr = await a.next("9");
    expect(fields(cr, 434, 102)).toEqual({ 434: "1", 102: "1" });
    // A replace reusing an id in use is refused as a duplicate.
    a.send([[35, "G"], [11, second], [41, second], [55, "ETH-USD"], [54, "1"], [38, "3"], [40, "2"], [44, "1810"]]);
    expect(fields(await a.next("9"), 434, 102)).toEqual({ 434: "2", 102: "6" });
    a.send([[35, "H"], [11, second], [55, "ETH-USD"], [54, "1"], [790, "st-1"]]);
    const st = await er(a);
    expect(fields(st, 150, 39, 11, 790, 44)).toEqual({ 150: "I", 39: "0", 11: second, 790: "st-1", 44: "1810.00" });
    const cxl = id();
    a.send([[35, "F"], [11, cxl], [41, second], [55, "ETH-USD"], [54, "1"]]);
    expect(fields(await er(a), 150, 11, 41)).toEqual({ 150: "4", 11: cxl, 41: second });
    // Status of something unknown.
    a.send([[35, "H"], [11, "never-sent"], [55, "ETH-USD"], [54, "1"]]);
    expect(fields(await er(a), 150, 39, 103)).toEqual({ 150: "I", 39: "8", 103: "5" });
    await a.logout();
  });

  test("a replace of a buy stop that omits Price keeps a cap risk derived, following the new StopPx", async () => {
    // ETH-USD: tick 0.05, band 3 %: a buy stop at 2500 without a cap is capped at 2575 (51_500 ticks).
    const a = await logon("alice");
    const first = id("s0");
    a.send(order({ clOrdId: first, side: "1", qty: "1", type: "3", stopPx: "2500", tif: "1" }));
    const ack = await er(a);
    const orderId = Number(ack.get(37));
    const pending = () => h.runtime.exchange.book.stops(2, 0).find((o) => o.orderId === orderId);
    expect(pending()).toMatchObject({ price: 51_500, stopPrice: 50_000 });
    const second = id("s1");
    a.send([[35, "G"], [11, second], [41, first], [55, "ETH-USD"], [54, "1"], [38, "1"], [40, "3"], [99, "2600"], [60, "20261125-00:00:00.000"]]);
    expect((await er(a)).get(150), "replaced").toBe("5");
    expect(pending(), "the cap is derived again from 2600, not kept as the client's").toMatchObject({ price: 53_560, stopPrice: 52_000 });
    a.send([[35, "F"], [11, id()], [41, second], [55, "ETH-USD"], [54, "1"]]);
    expect((await er(a)).get(150)).toBe("4");
    await a.logout();
  });

  test("a repeated ClOrdID is rejected as a duplicate; with PossResend it is answered with the order's status", async () => {
    const a = await logon("alice");
    const cl = id("dup");
    a.send(order({ clOrdId: cl, side: "1", qty: "1", price: "1700", tif: "1" }));
    const ack = await er(a);
    const before = h.runtime.exchange.book.depth(2, 0).reduce((s, l) => s + l.count, 0);
    a.send(order({ clOrdId: cl, side: "1", qty: "1", price: "1700", tif: "1" }));
    const dup = await er(a);
    expect(fields(dup, 150, 103)).toEqual({ 150: "8", 103: "6" });
    a.send(order({ clOrdId: cl, side: "1", qty: "1", price: "1700", tif: "1", extra: [[97, "Y"]] }));
    const again = await er(a);
    expect(fields(again, 150, 39, 37)).toEqual({ 150: "I", 39: "0", 37: ack.get(37) });
    expect(h.runtime.exchange.book.depth(2, 0).reduce((s, l) => s + l.count, 0)).toBe(before);
    await a.logout();
  });

  test("a refused duplicate from another session does not take the order's reports away; a cancel from another session reaches both", async () => {
    const a = await logon("alice");
    const other = await logon("alice");
    const cl = id("own");
    a.send(order({ clOrdId: cl, symbol: "BTC-USD", side: "2", qty: "0.002", price: "30900", tif: "1" }));
    await er(a);
    other.send(order({ clOrdId: cl, symbol: "BTC-USD", side: "2", qty: "0.002", price: "30900", tif: "1" }));
    expect(fields(await er(other), 150, 103)).toEqual({ 150: "8", 103: "6" });
    const d = await logon("dave");
    d.send(order({ clOrdId: id(), symbol: "BTC-USD", side: "1", qty: "0.002", price: "30900", tif: "3" }));
    expect(fields(await er(a), 11, 150)).toEqual({ 11: cl, 150: "F" });
    // Another session of the account cancels an order this one placed: both hear of it.
    const cl2 = id("own2");
    a.send(order({ clOrdId: cl2, symbol: "BTC-USD", side: "2", qty: "0.002", price: "31000", tif: "1" }));
    await er(a);
    const cxl = id();
    other.send([[35, "F"], [11, cxl], [41, cl2], [55, "BTC-USD"], [54, "2"]]);
    expect(fields(await er(other), 11, 41, 150)).toEqual({ 11: cxl, 41: cl2, 150: "4" });
    expect(fields(await er(a), 11, 150, 39)).toEqual({ 11: cl2, 150: "4", 39: "4" });
    await a.logout();
    await other.logout();
    await d.logout();
  });

  test("mass cancel by symbol reports each order and the count", async () => {
    const a = await logon("alice");
    for (let i = 0; i < 3; i++) {
      a.send(order({ clOrdId: id("m"), side: "1", qty: "0.1", price: String(1600 + i), tif: "1" }));
      await er(a);
    }
    a.send([[35, "q"], [11, id("mc")], [530, "1"], [55, "ETH-USD"], [60, "20261125-00:00:00.000"]]);
    const report = await a.next("r");
    expect(fields(report, 530, 531)).toEqual({ 530: "1", 531: "1" });
    expect(Number(report.get(533))).toBeGreaterThanOrEqual(3);
    expect(h.runtime.exchange.book.depth(2, 0).filter((l) => l.price >= 32_000 && l.price <= 32_040).length).toBe(0);
    await a.logout();
  });

  test("a FIX order trades with a WebSocket order; each side hears on its own door", async () => {
    const a = await logon("alice");
    const ws = await BourseClient.connect(h.url);
    await ws.login("bob-demo", secret("bob"));
    const cl = id("x");
    a.send(order({ clOrdId: cl, symbol: "BTC-USD", side: "2", qty: "0.01", price: "30100", tif: "1" }));
    await er(a);
    const placed = await ws.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30100", qty: "0.01" });
    expect(placed.orderId).toBeGreaterThan(0);
    const fill = await er(a);
    expect(fields(fill, 11, 150, 39, 31, 32)).toEqual({ 11: cl, 150: "F", 39: "2", 31: "30100.0", 32: "0.010" });
    const wsFill = await ws.nextReport();
    expect(wsFill.type).toBe(0x52);
    ws.close();
    await a.logout();
  });

  test("a sequence gap is answered with a ResendRequest, and a resend request is answered from the store", async () => {
    const a = await logon("alice");
    // Skip two numbers: the acceptor asks for them.
    a.nextSeq += 2;
    a.send([[35, "1"], [112, "gap"]]);
    const rr = await a.next("2");
    expect(Number(rr.get(7))).toBe(a.nextSeq - 3);
    // Fill the gap with a SequenceReset-GapFill; the queued TestRequest is then processed.
    a.send([[35, "4"], [123, "Y"], [36, String(a.nextSeq - 1)]], { seq: a.nextSeq - 3, possDup: true });
    expect((await a.next("0")).get(112)).toBe("gap");
    // Ask for everything it sent: the Logon and heartbeats come back as gap fills, app messages as PossDup copies.
    a.send(order({ clOrdId: id("rs"), side: "1", qty: "0.1", price: "1660", tif: "1" }));
    const ack = await er(a);
    a.send([[35, "2"], [7, "1"], [16, "0"]]);
    const resent = await a.next("8");
    expect(resent.get(43)).toBe("Y");
    expect(resent.has(122)).toBe(true);
    expect(resent.get(37)).toBe(ack.get(37));
    expect(resent.seqNum).toBe(ack.seqNum);
    await a.logout();
  });

  test("a reconnect without reset resumes sequence numbers; a too-low MsgSeqNum is a Logout", async () => {
    const comp = `RESUME-${++n}`;
    const c1 = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: comp });
    await c1.logon("carol-demo", secret("carol"), [[141, "Y"]]);
    c1.send([[35, "1"], [112, "x"]]);
    await c1.next("0");
    const lastIn = c1.received.at(-1)!.seqNum;
    const nextOut = c1.nextSeq;
    await c1.logout();
    const c2 = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: comp });
    c2.nextSeq = nextOut + 1; // its own Logout used one
    const a = await c2.logon("carol-demo", secret("carol"));
    expect(a.seqNum).toBe(lastIn + 2); // after our Logout answer
    await c2.logout();
    const c3 = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: comp });
    c3.nextSeq = 1;
    c3.send([[35, "A"], [98, "0"], [108, "30"], [553, "carol-demo"], [554, secret("carol")]]);
    const out = await c3.next("5");
    expect(out.get(58)).toMatch(/too low/i);
    await c3.closed;
  });

  test("a bad checksum is ignored without using a sequence number; garbage does not hurt other sessions", async () => {
    const a = await logon("alice");
    const b = await logon("bob");
    const good = encodeFix([[35, "1"], [49, a.opts.senderCompId], [56, "BOURSE"], [34, String(a.nextSeq)], [52, "20261125-00:00:00.000"], [112, "bad"]]);
    const bad = good.slice();
    bad[bad.length - 2] = bad[bad.length - 2] === 0x30 ? 0x31 : 0x30;
    a.raw(bad);
    a.raw(new TextEncoder().encode("garbage\x01=\x01=8=FIX.4.4\x019=zz\x01"));
    a.send([[35, "1"], [112, "good"]]);
    const hb = await a.next("0");
    expect(hb.get(112)).toBe("good");
    b.send([[35, "1"], [112, "b"]]);
    expect((await b.next("0")).get(112)).toBe("b");
    await a.logout();
    await b.logout();
  });

  test("cancel-on-disconnect (tag 8013=Y) cancels the session's resting orders when it drops", async () => {
    const a = await logon("alice", [[8013, "Y"]]);
    a.send(order({ clOrdId: id("cod"), side: "1", qty: "0.1", price: "1640", tif: "1" }));
    const ack = await er(a);
    const orderId = Number(ack.get(37));
    const gone = new Promise<void>((resolve) => {
      const off = h.runtime.onDelivery(() => {
        if (!h.gateway.orderEntry.orders.get(orderId) || h.gateway.orderEntry.orders.get(orderId)!.leaves === 0) {
          off();
          resolve();
        }
      });
    });
    a.close();
    await gone;
    expect(h.gateway.orderEntry.orders.get(orderId)?.state).toBe(4);
  });

  test("after a reconnect with the same SenderCompID, fills of orders placed before it arrive on the new session", async () => {
    const comp = `BACK-${++n}`;
    const a1 = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: comp });
    await a1.logon("alice-demo", secret("alice"), [[141, "Y"]]);
    const cl = id("back");
    a1.send(order({ clOrdId: cl, symbol: "BTC-USD", side: "2", qty: "0.003", price: "31000", tif: "1" }));
    await er(a1);
    const nextOut = a1.nextSeq + 1;
    await a1.logout();
    const a2 = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: comp });
    a2.nextSeq = nextOut;
    await a2.logon("alice-demo", secret("alice"));
    const b = await logon("dave");
    b.send(order({ clOrdId: id(), symbol: "BTC-USD", side: "1", qty: "0.003", price: "31000", tif: "3" }));
    const fill = await er(a2);
    expect(fields(fill, 11, 150, 39, 32)).toEqual({ 11: cl, 150: "F", 39: "2", 32: "0.003" });
    await a2.logout();
    await b.logout();
  });

  test("nothing threw on the server, and no FIX store failed", () => {
    expect(failureLines(h.logs)).toEqual([]);
    expect(h.records.filter((r) => r.door === "fix" && r.level === "error")).toEqual([]);
  });
});
