/**
 * gateway/fix/session.ts: Logon, heartbeats, header checks, application messages and Logout, on a
 * fake host and a fake peer (session-rig.ts). Sequence recovery is in session-sequence.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { encodeFix, fixTimestamp, fromPrintable } from "../../../gateway/fix/codec.ts";
import { FixStore } from "../../../gateway/fix/store.ts";
import { frameOf, ORDER, rig, storeDir, storeDirPerTest, T0, tag, types } from "./session-rig.ts";

storeDirPerTest();

describe("Logon", () => {
  test("a good Logon is answered with EncryptMethod 0 and the same HeartBtInt, and the session is active", () => {
    const r = rig();
    r.logon();
    const [answer, ...rest] = r.host.take();
    expect(rest).toEqual([]);
    expect(answer!.msgType).toBe("A");
    expect([tag(answer, 34), tag(answer, 49), tag(answer, 56), tag(answer, 98), tag(answer, 108)]).toEqual(["1", "BOURSE", "CLIENT", "0", "30"]);
    expect(answer!.has(141)).toBe(false);
    expect(r.session.state).toBe("active");
    expect(r.session.account).toBe(7);
    expect(r.session.theirCompId).toBe("CLIENT");
    expect(r.host.logons).toBe(1);
    expect(r.host.storesOpened).toEqual(["CLIENT"]);
    expect([r.store.nextSenderSeq, r.store.nextTargetSeq]).toEqual([2, 2]);
  });

  test("a wrong password is answered with a Logout that says why, then the connection is closed", () => {
    const r2 = rig();
    r2.send("A", [[98, "0"], [108, "30"], [553, "alice"], [554, "wrong"]]);
    const [logout] = r2.host.take();
    expect(logout!.msgType).toBe("5");
    expect(tag(logout, 58)).toBe("invalid Username (553) or Password (554)");
    expect(r2.host.closed).toContain("invalid Username");
    expect(r2.session.state).toBe("closed");
    expect(r2.host.storesOpened).toEqual([]);
    expect(r2.host.logons).toBe(0);
    expect(r2.host.ends).toBe(0);
  });

  test("a Logon to another TargetCompID is refused", () => {
    const r = rig();
    r.logon([], { target: "SOMEONE" });
    const [logout] = r.host.take();
    expect(logout!.msgType).toBe("5");
    expect(tag(logout, 58)).toBe("TargetCompID (56) must be BOURSE");
    expect(r.session.state).toBe("closed");
  });

  test("an unacceptable HeartBtInt or EncryptMethod is refused", () => {
    const a = rig();
    a.send("A", [[98, "0"], [108, "301"], [553, "alice"], [554, "secret"]]);
    expect(tag(a.host.take()[0], 58)).toBe("HeartBtInt (108) must be 0 to 300");
    const b = rig({ store: FixStore.open(storeDir(), "B") });
    b.send("A", [[98, "1"], [108, "30"], [553, "alice"], [554, "secret"]]);
    expect(tag(b.host.take()[0], 58)).toBe("EncryptMethod (98) must be 0");
  });

  test("a first message that is not a Logon closes the connection without a word", () => {
    const r = rig();
    r.send("D", ORDER);
    expect(r.host.take()).toEqual([]);
    expect(r.session.state).toBe("closed");
    expect(r.host.closed).toContain("not a Logon");
  });

  test("garbled frames before the Logon are ignored", () => {
    const r = rig();
    r.session.onFrame({ kind: "garbled", reason: "CheckSum 000 is wrong", bytes: 40 });
    expect(r.session.state).toBe("awaiting-logon");
    r.logon();
    expect(r.session.state).toBe("active");
  });

  test("no Logon within the logon timeout closes the connection", () => {
    const r = rig();
    r.pass(9_000);
    expect(r.session.state).toBe("awaiting-logon");
    r.pass(1_000);
    expect(r.session.state).toBe("closed");
    expect(r.host.closed).toContain("no Logon");
  });

  test("a Logon whose MsgSeqNum is too low is answered with a Logout naming both numbers", () => {
    const r = rig();
    r.store.setNextTargetSeq(10);
    r.logon([], { seq: 4 });
    const [logout] = r.host.take();
    expect(logout!.msgType).toBe("5");
    expect(tag(logout, 58)).toBe("MsgSeqNum too low, expecting 10 but received 4");
    expect(r.session.state).toBe("closed");
    expect(r.host.logons).toBe(0);
  });

  test("a Logon whose MsgSeqNum is too high logs on, then asks for the gap", () => {
    const r = rig();
    r.logon([], { seq: 5 });
    const sent = r.host.take();
    expect(types(sent)).toEqual(["A", "2"]);
    expect([tag(sent[1], 7), tag(sent[1], 16)]).toEqual(["1", "0"]);
    expect(r.session.state).toBe("active");
    // The counterparty gap-fills over everything up to and including its Logon.
    r.send("4", [[123, "Y"], [36, "6"]], { seq: 1, possDup: true, orig: fixTimestamp(T0) });
    expect(r.store.nextTargetSeq).toBe(6);
    r.send("D", ORDER, { seq: 6 });
    expect(r.host.app.length).toBe(1);
  });

  test("ResetSeqNumFlag starts both sides at 1 and the answer carries the flag", () => {
    const r = rig();
    for (let s = 1; s <= 4; s++) r.store.append(s, encodeFix([[35, "0"], [34, String(s)]]));
    r.store.setNextTargetSeq(9);
    r.logon([[141, "Y"]], { seq: 1 });
    const [answer] = r.host.take();
    expect([answer!.msgType, tag(answer, 34), tag(answer, 141)]).toEqual(["A", "1", "Y"]);
    expect([r.store.nextSenderSeq, r.store.nextTargetSeq]).toEqual([2, 2]);
  });

  test("HeartBtInt 0 is accepted and means no heartbeats", () => {
    const r0 = rig();
    r0.send("A", [[98, "0"], [108, "0"], [553, "alice"], [554, "secret"]]);
    expect(tag(r0.host.take()[0], 108)).toBe("0");
    r0.pass(600_000);
    expect(r0.host.take()).toEqual([]);
    expect(r0.session.state).toBe("active");
  });

  test("a Logon with ResetSeqNumFlag during the session restarts both sides at 1", () => {
    const r = rig();
    r.logon();
    r.send("D", ORDER);
    r.session.sendApp([[35, "8"], [17, "e-1"]]);
    r.host.take();
    r.logon([[141, "Y"]], { seq: 1 });
    const [answer] = r.host.take();
    expect([answer!.msgType, tag(answer, 34), tag(answer, 141)]).toEqual(["A", "1", "Y"]);
    expect([r.store.nextSenderSeq, r.store.nextTargetSeq]).toEqual([2, 2]);
    r.send("D", ORDER);
    expect(r.host.app.length).toBe(2);
    expect(r.session.state).toBe("active");
  });

  test("a second Logon without ResetSeqNumFlag ends the session", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.logon();
    const [logout] = r.host.take();
    expect([logout!.msgType, tag(logout, 58)]).toEqual(["5", "Logon received while already logged on"]);
    expect(r.session.state).toBe("closed");
  });
});

describe("Heartbeats and TestRequests", () => {
  test("a quiet line gets a Heartbeat every HeartBtInt", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("0"); // keeps the inbound side alive so only our heartbeat is in play
    r.pass(29_000);
    expect(r.host.take()).toEqual([]);
    r.pass(1_000);
    expect(types(r.host.take())).toEqual(["0"]);
  });

  test("silence past HeartBtInt + 20% draws a TestRequest; its answer keeps the session", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.pass(35_000);
    expect(types(r.host.take())).toEqual(["0"]);
    r.pass(1_000);
    const [test1] = r.host.take();
    expect(test1!.msgType).toBe("1");
    const id = tag(test1, 112)!;
    expect(id.length).toBeGreaterThan(0);
    r.send("0", [[112, id]]);
    r.pass(40_000);
    expect(r.session.state).toBe("active");
  });

  test("an unanswered TestRequest ends the session with a heartbeat timeout", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.pass(36_000);
    expect(types(r.host.take())).toEqual(["0", "1"]);
    r.pass(29_000);
    expect(r.session.state).toBe("active");
    r.pass(1_000);
    const sent = r.host.take();
    expect(types(sent)).toEqual(["5"]);
    expect(tag(sent[0], 58)).toContain("heartbeat timeout");
    expect(r.session.state).toBe("closed");
    expect(r.host.ends).toBe(1);
  });

  test("a TestRequest is answered with a Heartbeat echoing TestReqID", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("1", [[112, "ping-42"]]);
    const [hb] = r.host.take();
    expect([hb!.msgType, tag(hb, 112)]).toEqual(["0", "ping-42"]);
  });
});

describe("Header checks", () => {
  test("a wrong SenderCompID after logon is rejected with reason 9, then the session ends", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("D", ORDER, { sender: "MALLORY" });
    const sent = r.host.take();
    expect(types(sent)).toEqual(["3", "5"]);
    expect([tag(sent[0], 371), tag(sent[0], 373)]).toEqual(["49", "9"]);
    expect(r.session.state).toBe("closed");
    expect(r.host.app).toEqual([]);
  });

  test("a missing SendingTime is rejected with reason 1 and still consumes its MsgSeqNum", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("D", ORDER, { noTime: true });
    const [reject] = r.host.take();
    expect([reject!.msgType, tag(reject, 45), tag(reject, 371), tag(reject, 373)]).toEqual(["3", "2", "52", "1"]);
    expect(r.host.app).toEqual([]);
    expect(r.store.nextTargetSeq).toBe(3);
    expect(r.session.state).toBe("active");
  });

  test("a SendingTime more than two minutes off is rejected with reason 10 and ends the session", () => {
    const r = rig();
    r.logon();
    r.host.take();
    const late = r.peer.frame("D", ORDER);
    r.clock.t += 121_000;
    r.session.onFrame(late);
    const sent = r.host.take();
    expect(types(sent)).toEqual(["3", "5"]);
    expect(tag(sent[0], 373)).toBe("10");
    expect(r.session.state).toBe("closed");
  });

  test("an empty value is rejected with reason 4, a repeated header tag with reason 13", () => {
    const r = rig();
    r.logon();
    r.host.take();
    const t = fixTimestamp(T0);
    r.session.onFrame(frameOf(fromPrintable(`35=D|34=2|49=CLIENT|52=${t}|56=BOURSE|11=|`)));
    r.session.onFrame(frameOf(fromPrintable(`35=D|34=3|49=CLIENT|52=${t}|52=${t}|56=BOURSE|11=x|`)));
    const sent = r.host.take();
    expect(sent.map((m) => [m.msgType, m.get(371), m.get(373)])).toEqual([["3", "11", "4"], ["3", "52", "13"]]);
    expect(r.store.nextTargetSeq).toBe(4);
    expect(r.host.app).toEqual([]);
  });
});

describe("Application messages", () => {
  test("in-sequence application messages reach the app layer; sendApp stamps the header and returns the MsgSeqNum", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("D", ORDER);
    r.send("ZZ", [[58, "unknown"]]);
    expect(r.host.app.map((m) => m.msgType)).toEqual(["D", "ZZ"]);
    const seq = r.session.sendApp([[35, "8"], [17, "e-1"]]);
    const [er] = r.host.take();
    expect(seq).toBe(2);
    expect([er!.msgType, tag(er, 34), tag(er, 49), tag(er, 56), tag(er, 52), tag(er, 17)]).toEqual(["8", "2", "BOURSE", "CLIENT", fixTimestamp(T0), "e-1"]);
  });

  test("an app layer that throws is logged and the session carries on", () => {
    const r = rig();
    r.host.onApplication = () => {
      throw new Error("boom");
    };
    r.logon();
    r.send("D", ORDER);
    r.send("D", ORDER);
    expect(r.session.state).toBe("active");
    expect(r.store.nextTargetSeq).toBe(4);
    expect(r.host.logs.filter((l) => l.includes("boom")).length).toBe(2);
  });

  test("sendApp before logon sends nothing", () => {
    const r = rig();
    expect(r.session.sendApp([[35, "8"], [17, "e-1"]])).toBe(0);
    expect(r.host.take()).toEqual([]);
  });

  test("the app layer can reject a message at session level", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("D", ORDER);
    r.session.sendReject(r.host.app[0]!, 44, 5, "Value is incorrect (out of range) for this tag");
    const [reject] = r.host.take();
    expect([reject!.msgType, tag(reject, 45), tag(reject, 371), tag(reject, 372), tag(reject, 373)]).toEqual(["3", "2", "44", "D", "5"]);
  });
});

describe("Logout", () => {
  test("our Logout is answered and the connection closes", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.session.logout("end of day");
    const [logout] = r.host.take();
    expect([logout!.msgType, tag(logout, 58)]).toEqual(["5", "end of day"]);
    expect(r.session.state).toBe("logging-out");
    r.send("5");
    expect(r.host.take()).toEqual([]);
    expect(r.session.state).toBe("closed");
    expect(r.host.ends).toBe(1);
    r.session.disconnected();
    expect(r.host.ends).toBe(1);
  });

  test("our Logout unanswered closes after the logout timeout", () => {
    const r = rig();
    r.logon();
    r.session.logout();
    r.pass(4_000);
    expect(r.session.state).toBe("logging-out");
    r.pass(1_000);
    expect(r.session.state).toBe("closed");
    expect(r.host.closed).toContain("not answered");
  });

  test("the counterparty's Logout is answered, then the connection closes", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("5", [[58, "bye"]]);
    const [logout] = r.host.take();
    expect(logout!.msgType).toBe("5");
    expect(r.session.state).toBe("closed");
    expect(r.host.ends).toBe(1);
    expect(r.store.nextTargetSeq).toBe(3);
  });

  test("a dropped connection ends the session once", () => {
    const r = rig();
    r.logon();
    r.session.disconnected();
    expect(r.session.state).toBe("closed");
    expect(r.host.ends).toBe(1);
    expect(r.host.closed).toBeNull();
  });
});
