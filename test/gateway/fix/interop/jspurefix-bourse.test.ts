import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
/**
 * A stock FIX engine (jspurefix, validating every message against its FIX 4.4 dictionary) trades
 * through Bourse's acceptor configured exactly as the README tells a user: host, port, CompIDs,
 * demo logins. Two jspurefix sessions trade with each other; cancel, replace, status and mass
 * cancel; a reconnect that resumes sequence numbers; logout.
 * jspurefix answers anything it finds invalid with a Reject (35=3), which fails these tests.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { demoConfig, failureLines, type Harness, secret, startServer } from "../../support/harness.ts";
import { connectJspurefix, type FixCounterparty, type JspurefixOptions } from "./jspurefix-client.ts";

let h: Harness;
const open: FixCounterparty[] = [];

beforeAll(async () => {
  h = await startServer(demoConfig());
});
afterAll(async () => {
  for (const c of open) await c.kill().catch(() => {});
  await h.close();
});

async function session(user: string, sender: string, o: Partial<JspurefixOptions> = {}): Promise<FixCounterparty> {
  const c = await connectJspurefix({ host: "127.0.0.1", port: h.fix.port, senderCompId: sender, targetCompId: "BOURSE", username: `${user}-demo`, password: secret(user), ...o });
  open.push(c);
  await c.logon();
  return c;
}

const now = () => new Date();

describe("jspurefix against the Bourse acceptor", () => {
  test("two sessions log on, trade with each other, and each gets its ExecutionReports", async () => {
    const alice = await session("alice", "JSP-ALICE");
    const bob = await session("bob", "JSP-BOB");
    alice.send("D", { ClOrdID: "jsp-a1", Symbol: "BTC-USD", Side: "2", OrderQty: 0.5, OrdType: "2", Price: 30050, TimeInForce: "1", TransactTime: now() });
    const ack = await alice.next("8");
    expect(ack.flat).toMatchObject({ ExecType: "0", OrdStatus: "0", ClOrdID: "jsp-a1", Symbol: "BTC-USD", LeavesQty: 0.5, CumQty: 0 });
    bob.send("D", { ClOrdID: "jsp-b1", Symbol: "BTC-USD", Side: "1", OrderQty: 0.2, OrdType: "2", Price: 30100, TimeInForce: "1", TransactTime: now() });
    expect((await bob.next("8")).flat).toMatchObject({ ExecType: "0", ClOrdID: "jsp-b1" });
    const bobFill = await bob.next("8");
    expect(bobFill.flat).toMatchObject({ ExecType: "F", OrdStatus: "2", LastPx: 30050, LastQty: 0.2, CumQty: 0.2, LeavesQty: 0, AvgPx: 30050 });
    const aliceFill = await alice.next("8");
    expect(aliceFill.flat).toMatchObject({ ExecType: "F", OrdStatus: "1", ClOrdID: "jsp-a1", LastPx: 30050, LastQty: 0.2, LeavesQty: 0.3 });
    expect(alice.rejectsSent).toEqual([]);
    expect(bob.rejectsSent).toEqual([]);

    // Replace the remainder's price, check its status, then cancel it.
    alice.send("G", { OrigClOrdID: "jsp-a1", ClOrdID: "jsp-a2", Symbol: "BTC-USD", Side: "2", OrderQty: 0.5, OrdType: "2", Price: 30200, TransactTime: now() });
    expect((await alice.next("8")).flat).toMatchObject({ ExecType: "5", ClOrdID: "jsp-a2", OrigClOrdID: "jsp-a1", Price: 30200, LeavesQty: 0.3 });
    alice.send("H", { ClOrdID: "jsp-a2", Symbol: "BTC-USD", Side: "2" });
    expect((await alice.next("8")).flat).toMatchObject({ ExecType: "I", OrdStatus: "1", CumQty: 0.2 });
    alice.send("F", { OrigClOrdID: "jsp-a2", ClOrdID: "jsp-a3", Symbol: "BTC-USD", Side: "2", OrderQty: 0.5, TransactTime: now() });
    expect((await alice.next("8")).flat).toMatchObject({ ExecType: "4", OrdStatus: "4", ClOrdID: "jsp-a3", OrigClOrdID: "jsp-a2", LeavesQty: 0, CumQty: 0.2 });
    // Cancelling it again: OrderCancelReject.
    alice.send("F", { OrigClOrdID: "jsp-a3", ClOrdID: "jsp-a4", Symbol: "BTC-USD", Side: "2", TransactTime: now() });
    expect((await alice.next("9")).flat).toMatchObject({ CxlRejResponseTo: "1", ClOrdID: "jsp-a4" });
    expect(alice.rejectsSent).toEqual([]);
    await alice.logout();
    await bob.logout();
  });

  test("market, stop-limit, IOC orders and a mass cancel; unsupported messages get a BusinessMessageReject", async () => {
    const carol = await session("carol", "JSP-CAROL");
    const alice = await session("alice", "JSP-ALICE-2");
    carol.send("D", { ClOrdID: "c-1", Symbol: "BTC-USD", Side: "2", OrderQty: 1, OrdType: "2", Price: 29990, TimeInForce: "1", TransactTime: now() });
    await carol.next("8");
    alice.send("D", { ClOrdID: "a-mkt", Symbol: "BTC-USD", Side: "1", OrderQty: 0.1, OrdType: "1", TransactTime: now() });
    expect((await alice.next("8")).flat).toMatchObject({ ExecType: "0", OrdType: "1" });
    expect((await alice.next("8")).flat).toMatchObject({ ExecType: "F", OrdStatus: "2", LastPx: 29990 });
    alice.send("D", { ClOrdID: "a-sl", Symbol: "BTC-USD", Side: "1", OrderQty: 0.1, OrdType: "4", Price: 31000, StopPx: 30900, TimeInForce: "1", TransactTime: now() });
    expect((await alice.next("8")).flat).toMatchObject({ ExecType: "0", OrdType: "4", StopPx: 30900 });
    alice.send("D", { ClOrdID: "a-ioc", Symbol: "BTC-USD", Side: "1", OrderQty: 0.1, OrdType: "2", Price: 29000, TimeInForce: "3", TransactTime: now() });
    expect((await alice.next("8")).flat).toMatchObject({ ExecType: "0" });
    expect((await alice.next("8")).flat).toMatchObject({ ExecType: "4", LeavesQty: 0 });
    expect((await carol.next("8")).flat).toMatchObject({ ExecType: "F", ClOrdID: "c-1", LeavesQty: 0.9 });
    carol.send("q", { ClOrdID: "c-mc", MassCancelRequestType: "7", TransactTime: now() });
    const cancelled = await carol.next("8");
    expect(cancelled.flat).toMatchObject({ ExecType: "4", ClOrdID: "c-1" });
    expect((await carol.next("r")).flat).toMatchObject({ MassCancelRequestType: "7", MassCancelResponse: "7", TotalAffectedOrders: 1 });
    carol.send("AF", { MassStatusReqID: "m1", MassStatusReqType: "7" });
    expect((await carol.next("j")).flat).toMatchObject({ RefMsgType: "AF", BusinessRejectReason: 3 });
    expect(carol.rejectsSent).toEqual([]);
    expect(alice.rejectsSent).toEqual([]);
    await carol.logout();
    await alice.logout();
  });

  test("a reconnect without ResetSeqNumFlag resumes both sides' sequence numbers", async () => {
    const first = await session("dave", "JSP-DAVE", { resetSeqNum: true });
    first.send("H", { ClOrdID: "none", Symbol: "ETH-USD", Side: "1" });
    await first.next("8");
    await first.logout();
    // Taken from the wire log after the logout handshake: jspurefix's own counters can lag its Logout.
    const lastSeq = (dir: string) => Math.max(...first.wire.filter((l) => l.startsWith(dir)).map((l) => Number(/[\x01|]34=(\d+)[\x01|]/.exec(l)?.[1] ?? 0)));
    const seqOut = lastSeq("->");
    const seqIn = lastSeq("<-");
    expect(seqOut).toBeGreaterThanOrEqual(3); // Logon, the status request, Logout
    // jspurefix takes its numbers from its store, and its file store writes them with unordered async
    // writes (a stale one can land last), so the second session gets a store written here, in its
    // format: next to send : next expected.
    const storeDir = mkdtempSync(join(tmpdir(), "bourse-jsp-"));
    const pad = (n: number) => String(n).padStart(20, " ");
    writeFileSync(join(storeDir, "FIX.4.4-JSP-DAVE-BOURSE.seqnums"), `${pad(seqOut + 1)} : ${pad(seqIn + 1)}`);
    const second = await session("dave", "JSP-DAVE", { resetSeqNum: false, storeDir });
    second.send("H", { ClOrdID: "none-2", Symbol: "ETH-USD", Side: "1" });
    const st = await second.next("8");
    expect(st.seqNum, `wire: ${JSON.stringify([...first.wire.slice(-3), ...second.wire.slice(0, 4)])}`).toBeGreaterThan(seqIn + 1);
    expect(second.rejectsSent).toEqual([]);
    await second.logout();
    rmSync(storeDir, { recursive: true, force: true });
  });

  test("nothing threw on the server", () => {
    expect(failureLines(h.logs)).toEqual([]);
  });
});
