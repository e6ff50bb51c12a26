/**
 * The FIX 4.4 session layer for one connection, as a state machine without sockets or timers:
 * the acceptor feeds it frames (`onFrame`) and a clock tick (`tick`), and it answers through its
 * host (`send`, `close`, and hooks for logon, application messages and the end). docs/fix.md,
 * "Session layer", describes the behaviour; the FIX 4.4 session specification (Volume 2) and its
 * test cases are what it follows.
 *
 * Sequence numbers and sent messages live in a FixStore, which outlives the connection: a new
 * FixSession on the same store carries on where the last one stopped.
 */
import { InvariantError } from "../../engine/errors.ts";
import { encodeFix, type FixEncoder, fixTimestamp } from "./codec.ts";
import type { Frame } from "./framer.ts";
import type { Field, FixMessage } from "./message.ts";
import { HeldMessages } from "./session-held.ts";
import { SessionHeader } from "./session-header.ts";
import type { FixSessionHost, FixSessionOptions, FixSessionState } from "./session-host.ts";
import { gapFillFields, replayStored, resentFields } from "./session-resend.ts";
import {
  errorText,
  fixText,
  headerProblem,
  heartBtIntProblem,
  logonProblem,
  loweringProblem,
  type MessageProblem,
  newSeqNo,
  parseHeartBtInt,
  possDupProblem,
  resendSpan,
  SessionRejectReason,
} from "./session-rules.ts";
import type { FixStore } from "./store.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";

export type { FixSessionHost, FixSessionOptions, FixSessionState } from "./session-host.ts";
export { SessionRejectReason } from "./session-rules.ts";

export class FixSession {
  account = -1;
  theirCompId = "";
  private _state: FixSessionState = "awaiting-logon";
  private store: FixStore | null = null;
  private heartBtMs = 0;
  private readonly startedAt: number;
  private lastReceivedAt: number;
  private lastSentAt: number;
  /** When our TestRequest went out; -1 when none is outstanding (anything received clears it). */
  private testRequestSentAt = -1;
  private testRequests = 0;
  private logoutSentAt = 0;
  private readonly held: HeldMessages;
  private loggedOn = false;
  private garbledBeforeLogon = 0;
  private readonly maxGarbledBeforeLogon: number;
  private log: Logger;
  private readonly logonTimeoutMs: number;
  private readonly maxHeartBtIntSec: number;
  private readonly logoutTimeoutMs: number;
  private readonly maxClockSkewMs: number;
  private readonly stamp: SessionHeader;
  /** Initiator: our Logon is out and the acceptor's answer is the first message (initiate()). */
  private initiating = false;

  constructor(
    private readonly host: FixSessionHost,
    private readonly opts: FixSessionOptions,
  ) {
    this.logonTimeoutMs = opts.logonTimeoutMs ?? 10_000;
    this.maxHeartBtIntSec = opts.maxHeartBtIntSec ?? 300;
    this.logoutTimeoutMs = opts.logoutTimeoutMs ?? 5_000;
    this.maxClockSkewMs = opts.maxClockSkewMs ?? 120_000;
    this.held = new HeldMessages(opts.maxQueued ?? 10_000);
    this.stamp = new SessionHeader(opts.compId);
    this.maxGarbledBeforeLogon = opts.maxGarbledBeforeLogon ?? 3;
    this.log = host.log ?? silentLogger;
    this.startedAt = this.lastReceivedAt = this.lastSentAt = opts.now();
  }

  get state(): FixSessionState {
    return this._state;
  }

  /** HeartBtInt agreed at Logon, in seconds (0: no heartbeats). */
  get heartBtIntSec(): number {
    return this.heartBtMs / 1000;
  }

  /** Handles one frame from the framer. Never throws: what it cannot handle ends the session with a logged reason. */
  onFrame(f: Frame): void {
    if (this._state === "closed") return;
    try {
      if (f.kind === "garbled") {
        // The spec's answer to a garbled message: ignore it, consume no seq; a resend recovers it.
        // Before a Logon there is nothing to recover: a few garbled frames mean this is not a FIX
        // engine, and each costs a debug line at most (2 MB of garbage once made 40 MB of log).
        if (this._state === "awaiting-logon") {
          this.log.debug("garbled frame ignored", { bytes: f.bytes, reason: f.reason });
          if (++this.garbledBeforeLogon >= this.maxGarbledBeforeLogon) this.close(`${this.garbledBeforeLogon} garbled frames before a Logon (last: ${f.reason})`);
          return;
        }
        this.log.warn("garbled frame ignored", { bytes: f.bytes, reason: f.reason });
        return;
      }
      this.lastReceivedAt = this.opts.now();
      this.testRequestSentAt = -1;
      if (this._state === "awaiting-logon") this.onFirstMessage(f.message);
      else this.receive(f.message);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Heartbeats, TestRequests and timeouts; the acceptor calls it about once a second. */
  tick(): void {
    if (this._state === "closed") return;
    try {
      const now = this.opts.now();
      if (this._state === "awaiting-logon") {
        if (now - this.startedAt >= this.logonTimeoutMs) this.close(`no Logon within ${this.logonTimeoutMs} ms`);
        return;
      }
      if (this._state === "logging-out") {
        if (now - this.logoutSentAt >= this.logoutTimeoutMs) this.close(`our Logout was not answered within ${this.logoutTimeoutMs} ms`);
        return;
      }
      if (this.heartBtMs === 0) return;
      if (this.testRequestSentAt >= 0) {
        if (now - this.testRequestSentAt >= this.heartBtMs) {
          this.logoutAndClose(`heartbeat timeout: nothing received for ${now - this.lastReceivedAt} ms, TestRequest unanswered`);
          return;
        }
      } else if (now - this.lastReceivedAt >= this.heartBtMs * 1.2) {
        // 20% over the interval: the counterparty's heartbeat may be in flight or its timer coarse.
        this.testRequestSentAt = now;
        this.send([[35, "1"], [112, `TEST-${++this.testRequests}`]]);
      }
      if (now - this.lastSentAt >= this.heartBtMs) this.send([[35, "0"]]);
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Sends an application message: `fields` start with [35, type] and hold the body; the header
   * (34, 49, 52, 56) and 8/9/10 are added, and the message is stored for resends before it goes
   * out. Returns its MsgSeqNum, or 0 when nothing was sent (not logged on, or the store failed).
   * Throws only on fields encodeFix refuses (an empty value, SOH in a value): a caller's bug.
   */
  sendApp(fields: Field[]): number {
    return this.mayNotSend(fields[0]?.[1]) ? 0 : this.send(fields, true);
  }

  /**
   * sendApp for the messages sent most (ExecutionReports): `writeBody` adds the fields after the
   * header straight to the encoder, so no Field[] is built. The same bytes as sendApp with those
   * fields, and the same refusals (thrown from the encoder, before anything is stored or sent).
   */
  sendAppWith(msgType: string, writeBody: (e: FixEncoder) => void): number {
    if (this.mayNotSend(msgType)) return 0;
    const seq = this.store!.nextSenderSeq;
    const now = this.opts.now();
    const e = this.stamp.begin(msgType, seq, now, this.theirCompId);
    writeBody(e);
    return this.commit(seq, e.finish(), now, true);
  }

  /** True (and logged) when an application message of `msgType` cannot be sent: not logged on. */
  private mayNotSend(msgType: string | undefined): boolean {
    if (this._state === "active" || this._state === "logging-out") return false;
    this.log.debug("message not sent: not logged on", { msgType });
    return true;
  }

  /** Session-level Reject (3) of `ref`; the app layer uses it too (e.g. a tag with a bad value). */
  sendReject(ref: FixMessage, refTagId: number | undefined, reason: number, text: string): void {
    if (this._state !== "active" && this._state !== "logging-out") return;
    const seq = ref.seqNum;
    const fields: Field[] = [[35, "3"], [45, Number.isNaN(seq) ? "0" : String(seq)]];
    if (refTagId !== undefined) fields.push([371, String(refTagId)]);
    if (ref.msgType !== "") fields.push([372, ref.msgType]);
    fields.push([373, String(reason)], [58, fixText(text)]);
    // Debug: a Reject answers one bad order message, and the counterparty gets the reason in it.
    this.log.debug("reject sent", { refSeqNum: ref.get(34), refMsgType: ref.msgType, reason, text });
    this.send(fields);
  }

  /** Starts the Logout handshake; the connection closes when the counterparty answers, or after logoutTimeoutMs. */
  logout(text?: string): void {
    if (this._state === "awaiting-logon") {
      this.close(text ?? "logout before logon");
      return;
    }
    if (this._state !== "active") return;
    this.log.info("logging out", { reason: text });
    this.sendLogout(text);
    this._state = "logging-out";
    this.logoutSentAt = this.opts.now();
  }

  /** The socket closed under us. */
  disconnected(): void {
    if (this._state === "closed") return;
    this.log.info("session closed", { reason: "connection closed by the counterparty or the network" });
    this._state = "closed";
    this.finish();
  }

  /** Writes what the store buffered; the store also does this by itself at the end of each task unless opened without autoFlush. */
  flush(): void {
    this.store?.flush();
  }

  // ---- Logon ----

  /**
   * The initiator's side (docs/venues.md: Bourse connecting to a venue): opens the store kept for
   * `targetCompId` and sends our Logon with the next sequence number it holds, so a reconnect carries
   * on and either side's gap is filled by resend. The acceptor's Logon answer makes the session
   * active; a Logout, or anything else, ends it.
   */
  initiate(o: { targetCompId: string; heartBtIntSec: number; username?: string; password?: string; resetSeqNum?: boolean }): void {
    if (this._state !== "awaiting-logon" || this.initiating) throw new InvariantError("initiate() on a session already started");
    this.store = this.host.openStore(o.targetCompId);
    if (o.resetSeqNum) this.store.reset();
    this.theirCompId = o.targetCompId;
    this.heartBtMs = o.heartBtIntSec * 1000;
    this.initiating = true;
    const fields: Field[] = [[35, "A"], [98, "0"], [108, String(o.heartBtIntSec)]];
    if (o.resetSeqNum) fields.push([141, "Y"]);
    if (o.username) fields.push([553, o.username]);
    if (o.password) fields.push([554, o.password]);
    this.send(fields);
  }

  private onLogonAnswer(msg: FixMessage): void {
    if (msg.msgType === "5") {
      this.close(`Logon refused by ${this.theirCompId}: ${msg.get(58) ?? "no reason given"}`);
      return;
    }
    if (msg.msgType !== "A") {
      this.close(`first message was MsgType ${msg.msgType || "(none)"}, not the Logon answer`);
      return;
    }
    if (msg.get(49) !== this.theirCompId || msg.get(56) !== this.opts.compId) {
      this.close(`Logon answer from ${msg.get(49)} to ${msg.get(56)}; expected ${this.theirCompId} to ${this.opts.compId}`);
      return;
    }
    const store = this.store!;
    const seq = msg.seqNum;
    const expected = store.nextTargetSeq;
    if (Number.isNaN(seq) || seq < expected) {
      this.logoutAndClose(`MsgSeqNum too low, expecting ${expected} but received ${msg.get(34)}`);
      return;
    }
    this._state = "active";
    this.log = this.log.child({ compId: this.theirCompId });
    this.log.info("logged on", { nextSenderSeq: store.nextSenderSeq, nextTargetSeq: expected });
    if (seq === expected) this.advance(seq + 1);
    else this.enqueue(seq, msg, true);
    this.loggedOn = true;
    this.hook(() => this.host.onLogon?.());
  }

  private onFirstMessage(msg: FixMessage): void {
    if (this.initiating) return this.onLogonAnswer(msg);
    if (msg.msgType !== "A") {
      this.close(`first message was MsgType ${msg.msgType || "(none)"}, not a Logon`);
      return;
    }
    const sender = msg.get(49);
    if (!sender) {
      this.close("Logon without SenderCompID (49)");
      return;
    }
    const refuse = (text: string) => {
      this.log.info("login failed", { compId: sender.slice(0, 64), key: msg.get(553)?.slice(0, 64), reason: text });
      // No session exists yet, so the Logout is not stored and carries MsgSeqNum 1: the
      // counterparty's sequence numbers are not ours to move for a Logon we did not accept.
      this.host.send(
        encodeFix([[35, "5"], [34, "1"], [49, this.opts.compId], [52, fixTimestamp(this.opts.now())], [56, sender], [58, fixText(text)]]),
      );
      this.close(`Logon refused: ${text}`);
    };
    const bad = logonProblem(msg, this.opts.compId, this.maxHeartBtIntSec, this.maxClockSkewMs, this.opts);
    if (bad !== null) return refuse(bad);
    const seq = msg.seqNum;
    const heartBtInt = parseHeartBtInt(msg.get(108));

    let auth: { account: number } | { error: string };
    try {
      auth = this.host.authenticate(msg);
    } catch (e) {
      this.log.error("authenticate threw", { err: e });
      return refuse("authentication failed");
    }
    if ("error" in auth) return refuse(auth.error);
    let store: FixStore;
    try {
      store = this.host.openStore(sender);
    } catch (e) {
      return refuse(errorText(e));
    }

    this.theirCompId = sender;
    this.account = auth.account;
    this.store = store;
    this.heartBtMs = heartBtInt * 1000;
    const reset = msg.get(141) === "Y";
    if (reset) store.reset();
    const expected = store.nextTargetSeq;
    if (seq < expected) {
      this.logoutAndClose(`MsgSeqNum too low, expecting ${expected} but received ${seq}`);
      return;
    }
    this._state = "active";
    this.sendLogonAnswer(heartBtInt, reset);
    this.log = this.log.child({ compId: sender, account: this.account });
    this.log.info("login", { key: msg.get(553), heartBtInt, nextSenderSeq: store.nextSenderSeq, nextTargetSeq: expected, reset });
    if (seq === expected) this.advance(seq + 1);
    // Logged on, then the gap is asked for: the spec's order, and the counterparty's resend covers the Logon's own seq.
    else this.enqueue(seq, msg, true);
    this.loggedOn = true;
    this.hook(() => this.host.onLogon?.());
  }

  private sendLogonAnswer(heartBtInt: number, reset: boolean): void {
    const fields: Field[] = [[35, "A"], [98, "0"], [108, String(heartBtInt)]];
    if (reset) fields.push([141, "Y"]);
    this.send(fields);
  }

  // ---- Every message after Logon ----

  private receive(msg: FixMessage): void {
    const store = this.store!;
    const seq = msg.seqNum;
    const sender = msg.get(49);
    const target = msg.get(56);
    if (sender !== this.theirCompId || target !== this.opts.compId) {
      const tag = sender !== this.theirCompId ? 49 : 56;
      this.sendReject(msg, tag, SessionRejectReason.CompIdProblem, "CompID problem");
      if (seq === store.nextTargetSeq) this.advance(seq + 1);
      this.logoutAndClose(`CompID problem: ${sender}->${target}, session is ${this.theirCompId}->${this.opts.compId}`);
      return;
    }
    if (Number.isNaN(seq)) {
      this.logoutAndClose("MsgSeqNum (34) missing or invalid");
      return;
    }
    const type = msg.msgType;
    // Reset mode sets the next number whatever the message's own; so does a Logon that resets both sides.
    if (type === "4" && msg.get(123) !== "Y") return this.sequenceReset(msg);
    if (type === "A" && msg.get(141) === "Y") return this.resetLogon(msg);

    const expected = store.nextTargetSeq;
    if (seq < expected) {
      if (!msg.possDup) {
        this.logoutAndClose(`MsgSeqNum too low, expecting ${expected} but received ${seq}`);
        return;
      }
      const bad = possDupProblem(msg);
      if (bad) this.reject(msg, bad);
      // Otherwise a duplicate of something already processed: dropping it is the point of PossDupFlag.
      return;
    }
    if (seq > expected) {
      // A Logout is answered at once: the counterparty is leaving and will not wait for a resend.
      if (type === "5") return this.onLogout(msg);
      // A ResendRequest is answered at once too: if both sides waited for their gap first, neither would move.
      let handled = false;
      if (type === "2") {
        if (this.headerProblem(msg) === null) this.answerResend(msg);
        handled = true;
      }
      this.enqueue(seq, msg, handled);
      return;
    }
    this.process(msg, false);
    this.drain();
  }

  /** A message whose MsgSeqNum is the expected one. */
  private process(msg: FixMessage, handled: boolean): void {
    const seq = msg.seqNum;
    if (handled) {
      this.advance(seq + 1);
      return;
    }
    const bad = this.headerProblem(msg);
    if (bad) {
      this.reject(msg, bad);
      this.advance(seq + 1);
      if (bad.fatal) this.logoutAndClose(bad.text);
      return;
    }
    const type = msg.msgType;
    // A SequenceReset-GapFill moves the next seq itself; every other message is counted first.
    if (type === "4") return this.gapFill(msg);
    this.advance(seq + 1);
    switch (type) {
      case "0":
        return;
      case "1": {
        const id = msg.get(112);
        if (id === undefined) this.sendReject(msg, 112, SessionRejectReason.RequiredTagMissing, "Required tag missing: TestReqID (112)");
        else this.send([[35, "0"], [112, id]]);
        return;
      }
      case "2":
        this.answerResend(msg);
        return;
      case "3":
        this.log.info("reject received", { refSeqNum: msg.get(45), reason: msg.get(373), tag: msg.get(371), text: msg.get(58) });
        return;
      case "5":
        this.onLogout(msg);
        return;
      case "A":
        this.logoutAndClose("Logon received while already logged on");
        return;
      default:
        this.hook(() => this.host.onApplication(msg));
    }
  }

  /** session-rules' headerProblem against this session's clock. */
  private headerProblem(msg: FixMessage): MessageProblem | null {
    return headerProblem(msg, this.maxClockSkewMs, this.opts);
  }

  // ---- Gaps ----

  private enqueue(seq: number, msg: FixMessage, handled: boolean): void {
    if (!this.held.hold(seq, msg, handled)) {
      this.logoutAndClose(`more than ${this.held.max} messages held waiting for a resend`);
      return;
    }
    // One ResendRequest per gap: while one is outstanding, later arrivals are covered by its EndSeqNo 0.
    if (this.held.resendUpTo === 0) this.requestResend(seq);
  }

  private requestResend(upTo: number): void {
    const from = this.store!.nextTargetSeq;
    this.held.resendUpTo = upTo;
    this.log.info("gap: resend requested", { expected: from, received: upTo });
    this.send([[35, "2"], [7, String(from)], [16, "0"]]);
  }

  /** Processes held messages that have become next in line. */
  private drain(): void {
    const store = this.store!;
    for (;;) {
      if (this._state === "closed") return;
      const next = this.held.take(store.nextTargetSeq);
      if (next === undefined) break;
      this.process(next.msg, next.handled);
    }
    // Held messages but no request outstanding: the resend left a gap of its own; ask again.
    if (this.held.size > 0 && this.held.resendUpTo === 0) this.requestResend(this.held.highest());
  }

  /** Sets the next expected inbound MsgSeqNum, forgetting held messages it passed. */
  private advance(next: number): void {
    this.store!.setNextTargetSeq(next);
    this.held.passed(next);
  }

  private gapFill(msg: FixMessage): void {
    const seq = msg.seqNum;
    const newSeq = this.newSeqNo(msg);
    if (newSeq === 0) {
      this.advance(seq + 1);
      return;
    }
    if (newSeq <= seq) {
      this.advance(seq + 1);
      this.reject(msg, loweringProblem(newSeq));
      return;
    }
    this.advance(newSeq);
  }

  /** SequenceReset in Reset mode: its own MsgSeqNum is ignored, as the spec says. */
  private sequenceReset(msg: FixMessage): void {
    const bad = this.headerProblem(msg);
    if (bad) {
      this.reject(msg, bad);
      if (bad.fatal) this.logoutAndClose(bad.text);
      return;
    }
    const newSeq = this.newSeqNo(msg);
    if (newSeq === 0) return;
    const expected = this.store!.nextTargetSeq;
    if (newSeq < expected) {
      this.reject(msg, loweringProblem(newSeq));
      return;
    }
    this.log.info("sequence reset", { expected, newSeqNo: newSeq });
    if (newSeq === expected) return;
    this.advance(newSeq);
    this.drain();
  }

  /** NewSeqNo (36), or 0 after rejecting its absence or format. */
  private newSeqNo(msg: FixMessage): number {
    const n = newSeqNo(msg);
    if (typeof n === "number") return n;
    this.reject(msg, n);
    return 0;
  }

  private reject(msg: FixMessage, p: MessageProblem): void {
    this.sendReject(msg, p.tag, p.reason, p.text);
  }

  /** A Logon with ResetSeqNumFlag during the session: both sides start again at 1. */
  private resetLogon(msg: FixMessage): void {
    const bad = this.headerProblem(msg)?.text ?? heartBtIntProblem(msg, this.maxHeartBtIntSec);
    if (bad !== null) {
      this.logoutAndClose(bad);
      return;
    }
    const heartBtInt = parseHeartBtInt(msg.get(108));
    this.log.info("sequence numbers reset", { by: "Logon with ResetSeqNumFlag during the session" });
    this.held.clear();
    this.held.resendUpTo = 0;
    this.store!.reset();
    this.heartBtMs = heartBtInt * 1000;
    this.sendLogonAnswer(heartBtInt, true);
    const seq = msg.seqNum;
    if (seq === 1) this.advance(2);
    else this.enqueue(seq, msg, true);
  }

  // ---- Resend ----

  /** Answers a ResendRequest from the store (session-resend.ts). */
  private answerResend(msg: FixMessage): void {
    const store = this.store!;
    const span = resendSpan(msg);
    if ("tag" in span) {
      this.reject(msg, span);
      return;
    }
    const { begin, end } = span;
    const last = store.nextSenderSeq - 1;
    // EndSeqNo 0 is "infinity"; FIX 4.2 engines may send 999999 for the same, hence the clamp.
    const to = end === 0 || end > last ? last : end;
    this.log.info("resend requested", { begin, end: msg.get(16), lastSent: last, resending: begin > to ? "nothing" : `${begin}-${to}` });
    if (begin > to) return;
    replayStored(store.range(begin, to), begin, to, {
      resend: (stored, seq) => {
        const now = this.opts.now();
        this.write(encodeFix(resentFields(stored, this.stamp.fields(stored.msgType, seq, now, this.theirCompId), now)), now);
      },
      gapFill: (seq, newSeq) => {
        const now = this.opts.now();
        this.write(encodeFix(gapFillFields(this.stamp.fields("4", seq, now, this.theirCompId), newSeq, now)), now);
      },
    });
  }

  // ---- Logout and the end ----

  private onLogout(msg: FixMessage): void {
    const text = msg.get(58);
    const why = text ? `: ${text}` : "";
    if (this._state === "logging-out") return this.close(`Logout answered${why}`);
    this.sendLogout();
    this.close(`counterparty logged out${why}`);
  }

  private sendLogout(text?: string): void {
    const fields: Field[] = [[35, "5"]];
    if (text) fields.push([58, fixText(text)]);
    this.send(fields);
  }

  /** For a broken rule the session cannot continue past: say why in a Logout, then hang up without waiting. */
  private logoutAndClose(text: string): void {
    if (this._state === "closed") return;
    try {
      this.sendLogout(text);
    } catch (e) {
      this.log.warn("logout not sent", { err: e });
    }
    this.close(text);
  }

  private close(reason: string): void {
    if (this._state === "closed") return;
    this._state = "closed";
    this.log.info("session closed", { reason });
    this.host.close(reason);
    this.finish();
  }

  private finish(): void {
    this.held.clear();
    try {
      this.store?.flush();
    } catch (e) {
      this.log.error("store flush failed", { err: e });
    }
    if (this.loggedOn) {
      this.loggedOn = false;
      this.hook(() => this.host.onEnd?.());
    }
  }

  private fail(e: unknown): void {
    this.log.error("internal error", { err: e });
    this.close(`internal error: ${errorText(e)}`);
  }

  // ---- Sending ----

  /** Stamps, stores and sends. A store failure ends the session: a message we cannot resend must not go out. */
  private send(body: Field[], fromApp = false): number {
    const seq = this.store!.nextSenderSeq;
    const now = this.opts.now();
    const e = this.stamp.begin(body[0]![1], seq, now, this.theirCompId);
    for (let i = 1; i < body.length; i++) e.field(body[i]![0], body[i]![1]);
    return this.commit(seq, e.finish(), now, fromApp);
  }

  private commit(seq: number, bytes: Uint8Array, now: number, fromApp: boolean): number {
    try {
      this.store!.append(seq, bytes);
    } catch (e) {
      if (!fromApp) throw e;
      this.fail(e);
      return 0;
    }
    this.write(bytes, now);
    return seq;
  }

  private write(bytes: Uint8Array, now: number): void {
    this.lastSentAt = now;
    this.host.send(bytes);
  }

  /** Calls into the host's app code; its exceptions are its bugs, logged, not the session's end. */
  private hook(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.log.error("host callback threw", { err: e });
    }
  }
}
