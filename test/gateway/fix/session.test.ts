import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFix, fixTimestamp, fromPrintable } from "../../../gateway/fix/codec.ts";
import { type Frame, FixFramer } from "../../../gateway/fix/framer.ts";
import type { Field, FixMessage } from "../../../gateway/fix/message.ts";
import { FixSession, type FixSessionHost, type FixSessionOptions } from "../../../gateway/fix/session.ts";
import { FixStore } from "../../../gateway/fix/store.ts";
import { memoryLogger } from "../../../log/memory.ts";

const T0 = Date.UTC(2025, 0, 2, 9, 0, 0);
const LOGON: Field[] = [[98, "0"], [108, "30"], [553, "alice"], [554, "secret"]];
const ORDER: Field[] = [[11, "c-1"], [55, "BTC-USD"], [54, "1"], [38, "1"], [40, "2"], [44, "100"]];

function frameOf(bytes: Uint8Array): Frame {
  const f = new FixFramer();
  f.push(bytes);
  return f.next()!;
}

/** Records what the session does; sent bytes are decoded with the real framer, so they must be valid FIX. */
class FakeHost implements FixSessionHost {
  sent: FixMessage[] = [];
  app: FixMessage[] = [];
  closed: string | null = null;
  private readonly mem = memoryLogger();
  readonly log = this.mem.log;
  /** What the session logged, as `LEVEL msg k=v …`. */
  get logs(): string[] {
    return this.mem.lines();
  }
  logons = 0;
  ends = 0;
  storesOpened: string[] = [];
  private readonly framer = new FixFramer();

  constructor(readonly store: FixStore) {}

  send(bytes: Uint8Array): void {
    this.framer.push(bytes);
    for (let f = this.framer.next(); f; f = this.framer.next()) {
      if (f.kind !== "message") throw new Error(`the session sent a garbled message: ${f.reason}`);
      this.sent.push(f.message);
    }
  }
  close(reason: string): void {
    this.closed = reason;
  }
  authenticate(logon: FixMessage): { account: number } | { error: string } {
    return logon.get(553) === "alice" && logon.get(554) === "secret" ? { account: 7 } : { error: "invalid Username (553) or Password (554)" };
  }
  openStore(senderCompId: string): FixStore {
    this.storesOpened.push(senderCompId);
    return this.store;
  }
  onApplication(msg: FixMessage): void {
    this.app.push(msg);
  }
  onLogon(): void {
    this.logons++;
  }
  onEnd(): void {
    this.ends++;
  }

  /** Messages sent since the last take. */
  take(): FixMessage[] {
    const out = this.sent;
    this.sent = [];
    return out;
  }
}

/** The counterparty: builds inbound frames with its own MsgSeqNum counter. */
class Peer {
  seq = 1;
  constructor(private readonly now: () => number) {}

  frame(type: string, body: Field[] = [], o: { seq?: number; possDup?: boolean; orig?: string; sender?: string; target?: string; noTime?: boolean } = {}): Frame {
    const seq = o.seq ?? this.seq;
    this.seq = seq + 1;
    const fields: Field[] = [[35, type], [34, String(seq)], [49, o.sender ?? "CLIENT"], [52, fixTimestamp(this.now())], [56, o.target ?? "BOURSE"]];
    if (o.noTime) fields.splice(3, 1);
    if (o.possDup) fields.push([43, "Y"]);
    if (o.orig) fields.push([122, o.orig]);
    return frameOf(encodeFix([...fields, ...body]));
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "fix-session-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function rig(o: { store?: FixStore; session?: Partial<FixSessionOptions> } = {}) {
  const clock = { t: T0 };
  const store = o.store ?? FixStore.open(dir, "CLIENT");
  const host = new FakeHost(store);
  const session = new FixSession(host, { compId: "BOURSE", now: () => clock.t, ...o.session });
  const peer = new Peer(() => clock.t);
  const r = {
    clock,
    store,
    host,
    session,
    peer,
    send(type: string, body: Field[] = [], opts: Parameters<Peer["frame"]>[2] = {}) {
      session.onFrame(peer.frame(type, body, opts));
    },
    logon(extra: Field[] = [], opts: Parameters<Peer["frame"]>[2] = {}) {
      r.send("A", [...LOGON, ...extra], opts);
    },
    /** Advances the clock one second at a time, ticking as the acceptor does. */
    pass(ms: number) {
      for (let left = ms; left > 0; left -= 1000) {
        clock.t += Math.min(1000, left);
        session.tick();
      }
    },
  };
  return r;
}

const types = (msgs: FixMessage[]) => msgs.map((m) => m.msgType);
const tag = (m: FixMessage | undefined, t: number) => m?.get(t);

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
    const b = rig({ store: FixStore.open(dir, "B") });
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

describe("Across connections", () => {
  test("a new session on the reopened store resumes both sequence numbers and can resend the old messages", () => {
    const a = rig();
    a.logon();
    a.send("D", ORDER);
    a.session.sendApp([[35, "8"], [17, "e-1"]]);
    a.session.disconnected();
    a.store.close();

    const store = FixStore.open(dir, "CLIENT");
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
