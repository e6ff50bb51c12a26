/**
 * Proves the stock jspurefix engine runs under Bun, both roles in this one process: a jspurefix
 * acceptor (standing in for Bourse) and the jspurefix-client harness initiator, over loopback TCP.
 * No Bourse code is involved — this guards the harness and the library, so a failure in the real
 * interop test can be told apart from a broken counterparty.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IJsFixConfig, ISessionDescription, MsgView } from "jspurefix";
import { CapturingLogFactory, connectJspurefix, type FixCounterparty, jspurefix, makeJspurefixEntity } from "./jspurefix-client.ts";

const RESERVED = new Set([4222, 5432, 6379, 3306, 5672, 1883, 7070]);
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    if (!RESERVED.has(port)) return port;
  }
}

interface Seen {
  logons: Array<{ user: string; password: string; raw: string }>;
  app: Array<{ msgType: string; body: any }>;
}

/** How the test acceptor answers a NewOrderSingle; "bad-er" omits AvgPx(6), required in FIX 4.4. */
let answerMode: "ok" | "bad-er" = "ok";

class TestAcceptorSession extends jspurefix.AsciiSession {
  private lastRx = "";
  private execId = 0;
  constructor(config: IJsFixConfig, private readonly seen: Seen) {
    super(config);
  }
  protected override onDecoded(_t: string, txt: string): void {
    this.lastRx = txt;
  }
  protected override onEncoded(): void {}
  protected override onReady(): void {}
  protected override onStopped(): void {}
  protected override onLogon(_view: MsgView, user: string, password: string): boolean {
    this.seen.logons.push({ user, password, raw: this.lastRx });
    return user === "alice" && password === "s3cret";
  }
  protected override onApplicationMsg(msgType: string, view: MsgView): void {
    const body = view.toObject() as any;
    this.seen.app.push({ msgType, body });
    const common = { Instrument: { Symbol: body.Instrument?.Symbol }, Side: body.Side, TransactTime: new Date() };
    switch (msgType) {
      case "D":
        break;
      case "F": // refuse every cancel: OrderCancelReject with all its required fields
        this.send("9", {
          OrderID: "NONE",
          ClOrdID: body.ClOrdID,
          OrigClOrdID: body.OrigClOrdID,
          OrdStatus: "8",
          CxlRejResponseTo: "1",
          CxlRejReason: 1,
          Text: "unknown order",
        });
        return;
      case "G": // accept every replace
      case "H": // and answer every status request
        this.send("8", {
          ...common,
          OrderID: body.OrderID ?? "O-1",
          ClOrdID: body.ClOrdID,
          ...(msgType === "G" ? { OrigClOrdID: body.OrigClOrdID } : {}),
          ExecID: msgType === "G" ? `E-${++this.execId}` : "0",
          ExecType: msgType === "G" ? "5" : "I",
          OrdStatus: msgType === "G" ? "5" : "0",
          OrderQtyData: { OrderQty: body.OrderQtyData?.OrderQty ?? 1 },
          LeavesQty: body.OrderQtyData?.OrderQty ?? 1,
          CumQty: 0,
          AvgPx: 0,
        });
        return;
      case "q":
        this.send("r", {
          ClOrdID: body.ClOrdID,
          OrderID: "MC-1",
          MassCancelRequestType: body.MassCancelRequestType,
          MassCancelResponse: body.MassCancelRequestType,
          TotalAffectedOrders: 0,
        });
        return;
      default: // anything else: BusinessMessageReject, unsupported message type
        this.send("j", {
          RefSeqNum: body.StandardHeader?.MsgSeqNum,
          RefMsgType: msgType,
          BusinessRejectReason: 3,
          Text: `unsupported ${msgType}`,
        });
        return;
    }
    const er: Record<string, unknown> = {
      OrderID: `O-${body.ClOrdID}`,
      ClOrdID: body.ClOrdID,
      ExecID: `E-${++this.execId}`,
      ExecType: "0",
      OrdStatus: "0",
      Instrument: { Symbol: body.Instrument?.Symbol },
      Side: body.Side,
      OrderQtyData: { OrderQty: body.OrderQtyData?.OrderQty },
      OrdType: body.OrdType,
      Price: body.Price,
      TimeInForce: body.TimeInForce,
      LeavesQty: body.OrderQtyData?.OrderQty,
      CumQty: 0,
      AvgPx: 0,
      TransactTime: new Date(),
    };
    if (answerMode === "bad-er") delete er.AvgPx;
    this.send("8", er);
  }
}

const seen: Seen = { logons: [], app: [] };
let port = 0;
let acceptor: { stop(): void } | null = null;
let acceptorDone: Promise<unknown> | null = null;
const acceptorLog = new CapturingLogFactory("acceptor");
const logDir = mkdtempSync(join(tmpdir(), "bourse-jspurefix-selftest-"));
const clients: FixCounterparty[] = [];

const connect = async (password = "s3cret") => {
  const c = await connectJspurefix({
    host: "127.0.0.1",
    port,
    senderCompId: "CLIENT1",
    targetCompId: "BOURSE",
    username: "alice",
    password,
    heartBtInt: 30,
    logDir,
  });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  port = await freePort();
  const description = {
    application: { type: "acceptor", name: "selftest-acceptor", protocol: "ascii", dictionary: "qf44", tcp: { host: "127.0.0.1", port } },
    BeginString: "FIX.4.4",
    SenderCompId: "BOURSE",
    TargetCompID: "CLIENT1",
    HeartBtInt: 30,
    ResetSeqNumFlag: true,
  } as unknown as ISessionDescription;
  const entity = await makeJspurefixEntity(description, acceptorLog, (config) => new TestAcceptorSession(config, seen));
  acceptor = entity as unknown as { stop(): void };
  acceptorDone = entity.start();
  // the listener has no "listening" event to await; connect retries each second until it's up
});

afterAll(async () => {
  for (const c of clients) await c.kill();
  acceptor?.stop();
  await acceptorDone;
  rmSync(logDir, { recursive: true, force: true });
});

describe("jspurefix under Bun", () => {
  test("initiator logs on, sends a NewOrderSingle, gets an ExecutionReport, logs out", async () => {
    const fix = await connect();
    await fix.logon();

    // the Logon jspurefix sent: credentials, reset flag, EncryptMethod and HeartBtInt
    const logon = seen.logons.at(-1)!;
    expect(logon.user).toBe("alice");
    expect(logon.password).toBe("s3cret");
    expect(logon.raw).toMatch(/^8=FIX\.4\.4\|9=\d+\|35=A\|49=CLIENT1\|56=BOURSE\|34=1\|52=\d{8}-\d\d:\d\d:\d\d\.\d{3}\|/);
    for (const tag of ["98=0", "108=30", "141=Y", "553=alice", "554=s3cret"]) expect(logon.raw).toContain(`|${tag}|`);

    const transactTime = new Date();
    fix.send("D", {
      ClOrdID: "ord-1",
      Symbol: "BTC-USD", // flat form: placed into Instrument
      Side: "1",
      OrderQty: 2, // → OrderQtyData
      OrdType: "2",
      Price: 101.5,
      TimeInForce: "1",
      TransactTime: transactTime,
    });
    const er = await fix.next("8");

    expect(er.msgType).toBe("8");
    expect(er.body.ClOrdID).toBe("ord-1");
    expect(er.body.OrderID).toBe("O-ord-1");
    expect(er.body.ExecType).toBe("0");
    expect(er.body.OrdStatus).toBe("0");
    expect(er.body.Instrument).toEqual({ Symbol: "BTC-USD" });
    expect(er.body.OrderQtyData).toEqual({ OrderQty: 2 });
    expect(er.body.Price).toBe(101.5);
    expect(er.body.LeavesQty).toBe(2);
    expect(er.body.TransactTime).toBeInstanceOf(Date);
    expect(er.body.StandardHeader.SenderCompID).toBe("BOURSE");
    expect(er.flat.Symbol).toBe("BTC-USD");
    expect(er.flat.MsgSeqNum).toBe(2);
    expect(er.seqNum).toBe(2);
    expect(er.raw).toContain("|35=8|");

    // what the acceptor decoded from our flat body
    const nos = seen.app.at(-1)!;
    expect(nos.msgType).toBe("D");
    expect(nos.body.Instrument.Symbol).toBe("BTC-USD");
    expect(nos.body.OrderQtyData.OrderQty).toBe(2);
    expect(nos.body.TransactTime.getTime()).toBe(transactTime.getTime());

    expect(fix.seqOut).toBe(2); // Logon, D
    expect(fix.seqIn).toBe(2); // Logon, 8
    expect(fix.rejectsSent).toEqual([]);
    await fix.logout();
    expect(await fix.closed).toBeUndefined();
    expect(fix.wire.some((l) => l.startsWith("<- ") && l.includes("|35=5|"))).toBe(true); // peer confirmed
  });

  test("F, G, H, q in flat form are encoded as FIX 4.4; 9, 8, r and j come back and validate", async () => {
    const fix = await connect();
    await fix.logon();
    const now = new Date();

    fix.send("F", { OrigClOrdID: "a1", ClOrdID: "a2", OrderID: "O-a1", Symbol: "BTC-USD", Side: "1", OrderQty: 2, TransactTime: now });
    const cxlRej = await fix.next("9");
    expect(cxlRej.body).toMatchObject({ OrderID: "NONE", ClOrdID: "a2", OrigClOrdID: "a1", OrdStatus: "8", CxlRejResponseTo: "1", CxlRejReason: 1, Text: "unknown order" });
    expect(seen.app.at(-1)!.body).toMatchObject({ OrigClOrdID: "a1", ClOrdID: "a2", Instrument: { Symbol: "BTC-USD" }, OrderQtyData: { OrderQty: 2 } });

    fix.send("G", { OrigClOrdID: "a1", ClOrdID: "a3", OrderID: "O-a1", Symbol: "BTC-USD", Side: "1", OrderQty: 3, OrdType: "2", Price: 99.25, TimeInForce: "1", TransactTime: now });
    const replaced = await fix.next("8");
    expect(replaced.body).toMatchObject({ ExecType: "5", OrdStatus: "5", ClOrdID: "a3", OrigClOrdID: "a1", OrderQtyData: { OrderQty: 3 } });
    expect(seen.app.at(-1)!.body).toMatchObject({ Price: 99.25, OrdType: "2", OrderQtyData: { OrderQty: 3 } });

    fix.send("H", { ClOrdID: "a3", OrderID: "O-a1", Symbol: "BTC-USD", Side: "1" });
    const status = await fix.next("8");
    expect(status.body).toMatchObject({ ExecType: "I", ExecID: "0", ClOrdID: "a3" });

    fix.send("q", { ClOrdID: "mc1", MassCancelRequestType: "1", Symbol: "BTC-USD", TransactTime: now });
    const mass = await fix.next("r");
    expect(mass.body).toMatchObject({ ClOrdID: "mc1", MassCancelRequestType: "1", MassCancelResponse: "1", TotalAffectedOrders: 0 });
    expect(seen.app.at(-1)!.body).toMatchObject({ Instrument: { Symbol: "BTC-USD" } });

    fix.send("AF", { MassStatusReqID: "ms1", MassStatusReqType: 7 }); // OrderMassStatusRequest: the test acceptor doesn't support it
    const bmr = await fix.next("j");
    expect(bmr.body).toMatchObject({ RefMsgType: "AF", BusinessRejectReason: 3, Text: "unsupported AF" });
    expect(bmr.body.RefSeqNum).toBe(fix.seqOut);

    expect(fix.rejectsSent).toEqual([]);
    expect(fix.pending).toEqual([]);
    await fix.logout();
  });

  test("a refused Logon rejects logon() with the Logout text", async () => {
    const fix = await connect("wrong");
    await expect(fix.logon()).rejects.toThrow(/Logout: .*logon rejected by application/);
    await fix.closed;
  });

  test("an ExecutionReport missing a required field is rejected by jspurefix and next() says why", async () => {
    answerMode = "bad-er";
    try {
      const fix = await connect();
      await fix.logon();
      fix.send("D", { ClOrdID: "ord-2", Symbol: "ETH-USD", Side: "2", OrderQty: 1, OrdType: "1", TransactTime: new Date() });
      await expect(fix.next("8")).rejects.toThrow(/missing required tag 6/);
      expect(fix.rejectsSent).toHaveLength(1);
      expect(fix.rejectsSent[0]).toContain("|35=3|");
      expect(fix.rejectsSent[0]).toContain("|373=1|"); // SessionRejectReason 1 = RequiredTagMissing
      await fix.logout();
    } finally {
      answerMode = "ok";
    }
  });

  test("send() refuses a field the dictionary does not define on the message", async () => {
    const fix = await connect();
    await fix.logon();
    expect(() => fix.send("D", { ClOrdID: "x", NotAField: 1 })).toThrow(/'NotAField' is not defined on NewOrderSingle/);
    await fix.logout();
  });
});
