/**
 * gateway/fix/session.ts: sequence numbers — resends we answer, gaps in what we receive,
 * SequenceReset and state across connections, on a fake host and a fake peer (session-rig.ts).
 */
import { describe, expect, test } from "bun:test";
import { encodeFix, fixTimestamp, fromPrintable } from "../../../gateway/fix/codec.ts";
import { type Frame } from "../../../gateway/fix/framer.ts";
import { FixStore } from "../../../gateway/fix/store.ts";
import { frameOf, ORDER, rig, storeDir, storeDirPerTest, T0, tag, types } from "./session-rig.ts";

storeDirPerTest();

describe("Resends we answer", () => {
  test("stored application messages come again with PossDupFlag and OrigSendingTime; admin ones are gap-filled", () => {
    const r = rig();
    r.logon(); // our seq 1: Logon
    r.clock.t += 1000;
    const s2 = r.session.sendApp([[35, "8"], [17, "e-1"], [150, "0"]]);
    const s3 = r.session.sendApp([[35, "8"], [17, "e-2"], [150, "F"]]);
    r.send("0");
    r.pass(30_000); // our seq 4: Heartbeat
    const s5 = r.session.sendApp([[35, "8"], [17, "e-3"], [150, "F"]]);
    r.session.sendApp([[35, "j"], [58, "no"]]);
    r.send("0");
    r.pass(30_000); // our seq 7: Heartbeat
    const original = r.host.take();
    expect([s2, s3, s5]).toEqual([2, 3, 5]);
    expect(types(original)).toEqual(["A", "8", "8", "0", "8", "j", "0"]);

    r.clock.t += 5000;
    r.send("2", [[7, "1"], [16, "0"]]);
    const resent = r.host.take();
    expect(resent.map((m) => `${m.msgType}:${m.get(34)}`)).toEqual(["4:1", "8:2", "8:3", "4:4", "8:5", "j:6", "4:7"]);
    for (const m of resent) expect(tag(m, 43)).toBe("Y");
    const fills = resent.filter((m) => m.msgType === "4");
    expect(fills.map((m) => [tag(m, 123), tag(m, 36)])).toEqual([["Y", "2"], ["Y", "5"], ["Y", "8"]]);
    const again = resent[1]!;
    expect(tag(again, 122)).toBe(tag(original[1], 52));
    expect(tag(again, 52)).toBe(fixTimestamp(r.clock.t));
    expect(tag(again, 17)).toBe("e-1");
    expect(r.store.nextSenderSeq).toBe(8);
  });

  test("a bounded range is answered within its bounds, and consecutive admin messages share one gap fill", () => {
    const r = rig();
    r.logon();
    r.send("1", [[112, "a"]]); // our 2: Heartbeat
    r.send("1", [[112, "b"]]); // our 3: Heartbeat
    r.session.sendApp([[35, "8"], [17, "e-1"]]); // our 4
    r.session.sendApp([[35, "8"], [17, "e-2"]]); // our 5
    r.host.take();
    r.send("2", [[7, "1"], [16, "4"]]);
    const resent = r.host.take();
    expect(resent.map((m) => `${m.msgType}:${m.get(34)}`)).toEqual(["4:1", "8:4"]);
    expect(tag(resent[0], 36)).toBe("4");
  });

  test("messages the store lost are gap-filled", () => {
    const r = rig();
    r.logon();
    r.store.append(5, encodeFix([[35, "8"], [34, "5"], [49, "BOURSE"], [52, fixTimestamp(T0)], [56, "CLIENT"], [17, "e-5"]]));
    r.host.take();
    r.send("2", [[7, "2"], [16, "0"]]);
    const resent = r.host.take();
    expect(resent.map((m) => `${m.msgType}:${m.get(34)}`)).toEqual(["4:2", "8:5"]);
    expect(tag(resent[0], 36)).toBe("5");
  });

  test("a ResendRequest that arrives early is answered at once, and its seq is counted when the gap fills", () => {
    const r = rig();
    r.logon();
    r.session.sendApp([[35, "8"], [17, "e-1"]]);
    r.host.take();
    r.send("2", [[7, "2"], [16, "0"]], { seq: 3 });
    const sent = r.host.take();
    expect(sent.map((m) => `${m.msgType}:${m.get(34)}`)).toEqual(["8:2", "2:3"]);
    r.send("D", ORDER, { seq: 2, possDup: true, orig: fixTimestamp(T0) });
    expect(r.store.nextTargetSeq).toBe(4);
    expect(r.host.take()).toEqual([]);
  });
});

describe("Gaps in what we receive", () => {
  test("a gap draws one ResendRequest; the fill-in is processed in order with what was held", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("D", [[11, "c-4"]], { seq: 4 });
    r.send("D", [[11, "c-5"]], { seq: 5 });
    const sent = r.host.take();
    expect(types(sent)).toEqual(["2"]);
    expect([tag(sent[0], 7), tag(sent[0], 16)]).toEqual(["2", "0"]);
    expect(r.host.app).toEqual([]);
    r.send("D", [[11, "c-2"]], { seq: 2, possDup: true, orig: fixTimestamp(T0) });
    expect(r.host.app.map((m) => m.get(11))).toEqual(["c-2"]);
    r.send("D", [[11, "c-3"]], { seq: 3, possDup: true, orig: fixTimestamp(T0) });
    expect(r.host.app.map((m) => m.get(11))).toEqual(["c-2", "c-3", "c-4", "c-5"]);
    expect(r.store.nextTargetSeq).toBe(6);
    r.send("D", [[11, "c-6"]], { seq: 6 });
    expect(r.host.app.length).toBe(5);
    expect(r.host.take()).toEqual([]);
  });

  test("a gap fill over part of a gap lets the held messages through", () => {
    const r = rig();
    r.logon();
    r.send("D", [[11, "c-5"]], { seq: 5 });
    r.send("4", [[123, "Y"], [36, "5"]], { seq: 2, possDup: true, orig: fixTimestamp(T0) });
    expect(r.host.app.map((m) => m.get(11))).toEqual(["c-5"]);
    expect(r.store.nextTargetSeq).toBe(6);
  });

  test("a gap left after the resend is asked for again", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("D", [[11, "c-3"]], { seq: 3 });
    r.send("D", [[11, "c-6"]], { seq: 6 });
    expect(types(r.host.take())).toEqual(["2"]);
    r.send("D", [[11, "c-2"]], { seq: 2, possDup: true, orig: fixTimestamp(T0) });
    const sent = r.host.take();
    expect(types(sent)).toEqual(["2"]);
    expect(tag(sent[0], 7)).toBe("4");
    expect(r.host.app.map((m) => m.get(11))).toEqual(["c-2", "c-3"]);
  });

  test("a MsgSeqNum below the expected one without PossDupFlag ends the session", () => {
    const r = rig();
    r.logon();
    r.send("D", ORDER);
    r.host.take();
    r.send("D", ORDER, { seq: 2 });
    const [logout] = r.host.take();
    expect([logout!.msgType, tag(logout, 58)]).toEqual(["5", "MsgSeqNum too low, expecting 3 but received 2"]);
    expect(r.session.state).toBe("closed");
    expect(r.host.app.length).toBe(1);
  });

  test("a possible duplicate below the expected one is ignored; without OrigSendingTime it is rejected", () => {
    const r = rig();
    r.logon();
    r.send("D", ORDER);
    r.host.take();
    r.send("D", ORDER, { seq: 2, possDup: true, orig: fixTimestamp(T0) });
    expect(r.host.take()).toEqual([]);
    expect(r.host.app.length).toBe(1);
    r.send("D", ORDER, { seq: 2, possDup: true });
    const [reject] = r.host.take();
    expect([reject!.msgType, tag(reject, 45), tag(reject, 371), tag(reject, 373)]).toEqual(["3", "2", "122", "1"]);
    expect(r.store.nextTargetSeq).toBe(3);
    expect(r.session.state).toBe("active");
  });

  test("more held messages than maxQueued end the session rather than memory", () => {
    const r = rig({ session: { maxQueued: 3 } });
    r.logon();
    for (let seq = 5; seq <= 7; seq++) r.send("D", ORDER, { seq });
    expect(r.session.state).toBe("active");
    r.send("D", ORDER, { seq: 8 });
    expect(r.session.state).toBe("closed");
    expect(r.host.closed).toContain("more than 3 messages held");
  });

  test("a missing MsgSeqNum ends the session", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.session.onFrame(frameOf(fromPrintable(`35=0|49=CLIENT|52=${fixTimestamp(T0)}|56=BOURSE|`)));
    expect(types(r.host.take())).toEqual(["5"]);
    expect(r.session.state).toBe("closed");
  });

  test("garbled frames are ignored without consuming a MsgSeqNum", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.session.onFrame({ kind: "garbled", reason: "CheckSum 123 is wrong, computed 045", bytes: 80 });
    expect(r.store.nextTargetSeq).toBe(2);
    r.send("D", ORDER);
    expect(r.host.take()).toEqual([]);
    expect(r.host.app.length).toBe(1);
    expect(r.host.logs.some((l) => l.includes("garbled"))).toBe(true);
  });

  test("before a Logon, a few garbled frames close the connection, each costing at most a debug line", () => {
    const r = rig();
    const garbled: Frame = { kind: "garbled", reason: "no message start (8=FIX)", bytes: 65536 };
    r.session.onFrame(garbled);
    r.session.onFrame(garbled);
    expect(r.session.state).toBe("awaiting-logon");
    r.session.onFrame(garbled);
    expect(r.session.state).toBe("closed");
    expect(r.host.closed).toContain("3 garbled frames before a Logon");
    // Three debug lines and one line saying why the connection closed: nothing at info but the close.
    expect(r.host.logs.filter((l) => !l.startsWith("DEBUG"))).toEqual([`INFO session closed reason="3 garbled frames before a Logon (last: no message start (8=FIX))"`]);
  });

  test("after a Logon, garbled frames are ignored and logged as warnings, and the session goes on", () => {
    const r = rig();
    r.logon();
    for (let i = 0; i < 5; i++) r.session.onFrame({ kind: "garbled", reason: "CheckSum 123 is wrong, computed 045", bytes: 80 });
    expect(r.session.state).toBe("active");
    expect(r.host.logs.filter((l) => l.startsWith("WARN garbled frame ignored"))).toHaveLength(5);
  });
});

describe("SequenceReset", () => {
  test("GapFill moves the expected number up; one that would lower it is rejected", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("4", [[123, "Y"], [36, "10"]], { seq: 2 });
    expect(r.store.nextTargetSeq).toBe(10);
    r.send("4", [[123, "Y"], [36, "5"]], { seq: 10 });
    const [reject] = r.host.take();
    expect([reject!.msgType, tag(reject, 371), tag(reject, 373)]).toEqual(["3", "36", "5"]);
    expect(r.store.nextTargetSeq).toBe(11);
  });

  test("Reset mode sets the expected number whatever its own MsgSeqNum, but never lowers it", () => {
    const r = rig();
    r.logon();
    r.host.take();
    r.send("4", [[36, "20"]], { seq: 999 });
    expect(r.store.nextTargetSeq).toBe(20);
    expect(r.host.take()).toEqual([]);
    r.send("4", [[123, "N"], [36, "7"]], { seq: 1 });
    const [reject] = r.host.take();
    expect([reject!.msgType, tag(reject, 371), tag(reject, 373)]).toEqual(["3", "36", "5"]);
    expect(r.store.nextTargetSeq).toBe(20);
    r.send("D", ORDER, { seq: 20 });
    expect(r.host.app.length).toBe(1);
  });
});

describe("Across connections", () => {
  test("a new session on the reopened store resumes both sequence numbers and can resend the old messages", () => {
    const a = rig();
    a.logon();
    a.send("D", ORDER);
    a.session.sendApp([[35, "8"], [17, "e-1"]]);
    a.session.disconnected();
    a.store.close();

    const store = FixStore.open(storeDir(), "CLIENT");
    expect([store.nextSenderSeq, store.nextTargetSeq]).toEqual([3, 3]);
    const b = rig({ store });
    b.peer.seq = 3;
    b.logon();
    const [answer] = b.host.take();
    expect([answer!.msgType, tag(answer, 34)]).toEqual(["A", "3"]);
    b.send("2", [[7, "2"], [16, "2"]]);
    const [again] = b.host.take();
    expect([again!.msgType, tag(again, 34), tag(again, 43), tag(again, 17)]).toEqual(["8", "2", "Y", "e-1"]);
    store.close();
  });
});
