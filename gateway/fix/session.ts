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
import { type EncodedFields, encodeFields, encodeFix, FixEncoder, fixTimestamp, parseFixTimestamp } from "./codec.ts";
import { type Frame, FixFramer } from "./framer.ts";
import type { Field, FixMessage } from "./message.ts";
import type { FixStore } from "./store.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";

export interface FixSessionHost {
  /** Writes to the socket. */
  send(bytes: Uint8Array): void;
  /** Closes the socket after what was sent. The session calls it once and is "closed" before it does. */
  close(reason: string): void;
  /** Checks a Logon: Username(553)/Password(554). Returns the account id or a text for the Logout. */
  authenticate(logon: FixMessage): { account: number } | { error: string };
  /**
   * The store of this counterparty (called on Logon, after authentication). Throwing refuses the
   * Logon with the error's message as the Logout text — how an acceptor turns away a second
   * connection for a SenderCompID that is already logged on.
   */
  openStore(senderCompId: string): FixStore;
  /** An in-sequence application message (anything that is not admin) after logon. */
  onApplication(msg: FixMessage): void;
  /** Logged on; `onEnd` follows exactly once, at logout or disconnect (cancel-on-disconnect hooks here). */
  onLogon?(): void;
  onEnd?(): void;
  /** The connection's logger (door, remote address); the session adds compId and account at Logon. */
  log?: Logger;
}

export interface FixSessionOptions {
  /** Our CompID: the TargetCompID we accept and the SenderCompID we send. */
  compId: string;
  /** Milliseconds since the epoch: SendingTime, and the clock `tick` measures timeouts with. */
  now: () => number;
  /** The connection is closed if no Logon arrives within this long. Default 10 000. */
  logonTimeoutMs?: number;
  /** Largest HeartBtInt (108) a Logon may ask for, in seconds. Default 300. */
  maxHeartBtIntSec?: number;
  /** Our Logout unanswered for this long closes the connection. Default 5 000. */
  logoutTimeoutMs?: number;
  /** SendingTime further than this from our clock is rejected (reason 10) and ends the session. Default 120 000; 0 turns the check off. */
  maxClockSkewMs?: number;
  /** Messages held while a gap is being filled; more ends the session rather than grow without bound. Default 10 000. */
  maxQueued?: number;
  /** Garbled frames before a Logon that close the connection: no FIX engine sends them, a scanner or the wrong protocol does. Default 3. */
  maxGarbledBeforeLogon?: number;
}

export type FixSessionState = "awaiting-logon" | "active" | "logging-out" | "closed";

/** SessionRejectReason (373) values the session uses; the app layer may use the others. */
export const SessionRejectReason = {
  RequiredTagMissing: 1,
  TagWithoutValue: 4,
  ValueIncorrect: 5,
  IncorrectDataFormat: 6,
  CompIdProblem: 9,
  SendingTimeAccuracy: 10,
  InvalidMsgType: 11,
  TagAppearsMoreThanOnce: 13,
  Other: 99,
} as const;

/** Session-level message types: never resent (gap-filled instead) and never given to the app layer. */
const ADMIN = new Set(["0", "1", "2", "3", "4", "5", "A"]);
/**
 * Header tags a message may carry only once, each with a bit for the one-pass check; body tags may
 * repeat in groups, which is the app layer's to judge.
 */
const SINGLE_HEADER_TAGS = [35, 34, 49, 56, 52, 43, 97, 122, 115, 128, 50, 57, 142, 143, 369];
/** Indexed by tag (0: not a header tag): looked up for every field of every message, where a Map shows. */
const SINGLE_HEADER_BIT = new Int32Array(Math.max(...SINGLE_HEADER_TAGS) + 1);
SINGLE_HEADER_TAGS.forEach((tag, i) => {
  SINGLE_HEADER_BIT[tag] = 1 << i;
});
/** Tags our own header stamps, dropped from a stored message before it is stamped again for a resend. */
const STAMPED = new Set([34, 43, 49, 52, 56, 97, 122]);

interface Queued {
  msg: FixMessage;
  /** Already acted on when it arrived early (a ResendRequest or Logon): only its seq is left to count. */
  handled: boolean;
}

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
  /** The message whose early arrival made us send a ResendRequest; 0 when none is outstanding. */
  private resendUpTo = 0;
  private readonly queued = new Map<number, Queued>();
  private loggedOn = false;
  private garbledBeforeLogon = 0;
  private readonly maxGarbledBeforeLogon: number;
  private log: Logger;
  private readonly logonTimeoutMs: number;
  private readonly maxHeartBtIntSec: number;
  private readonly logoutTimeoutMs: number;
  private readonly maxClockSkewMs: number;
  private readonly maxQueued: number;
  private readonly encoder = new FixEncoder();
  /** 49=<our CompID>| and 56=<theirs>|, encoded once rather than per message. */
  private senderField: EncodedFields | null = null;
  private targetField: EncodedFields | null = null;
  private targetFieldOf: string | null = null;

  constructor(
    private readonly host: FixSessionHost,
    private readonly opts: FixSessionOptions,
  ) {
    this.logonTimeoutMs = opts.logonTimeoutMs ?? 10_000;
    this.maxHeartBtIntSec = opts.maxHeartBtIntSec ?? 300;
    this.logoutTimeoutMs = opts.logoutTimeoutMs ?? 5_000;
    this.maxClockSkewMs = opts.maxClockSkewMs ?? 120_000;
    this.maxQueued = opts.maxQueued ?? 10_000;
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
    if (this._state !== "active" && this._state !== "logging-out") {
      this.log.debug("message not sent: not logged on", { msgType: fields[0]?.[1] });
      return 0;
    }
    return this.send(fields, true);
  }

  /**
   * sendApp for the messages sent most (ExecutionReports): `writeBody` adds the fields after the
   * header straight to the encoder, so no Field[] is built. The same bytes as sendApp with those
   * fields, and the same refusals (thrown from the encoder, before anything is stored or sent).
   */
  sendAppWith(msgType: string, writeBody: (e: FixEncoder) => void): number {
    if (this._state !== "active" && this._state !== "logging-out") {
      this.log.debug("message not sent: not logged on", { msgType });
      return 0;
    }
    const seq = this.store!.nextSenderSeq;
    const now = this.opts.now();
    const e = this.beginMessage(msgType, seq, now);
    writeBody(e);
    return this.commit(seq, e.finish(), now, true);
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

  private onFirstMessage(msg: FixMessage): void {
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
    if (msg.get(56) !== this.opts.compId) return refuse(`TargetCompID (56) must be ${this.opts.compId}`);
    const seq = msg.seqNum;
    if (Number.isNaN(seq)) return refuse("MsgSeqNum (34) missing or invalid");
    const bad = this.headerProblem(msg);
    if (bad) return refuse(bad.text);
    if (msg.get(98) !== "0") return refuse("EncryptMethod (98) must be 0");
    const heartBtInt = parseHeartBtInt(msg.get(108));
    if (!(heartBtInt >= 0 && heartBtInt <= this.maxHeartBtIntSec)) return refuse(`HeartBtInt (108) must be 0 to ${this.maxHeartBtIntSec}`);

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
      const orig = msg.get(122);
      if (orig === undefined) {
        this.sendReject(msg, 122, SessionRejectReason.RequiredTagMissing, "Required tag missing: OrigSendingTime (122)");
        return;
      }
      const origMs = parseFixTimestamp(orig);
      const sentMs = parseFixTimestamp(msg.get(52) ?? "");
      if (origMs > sentMs) {
        this.sendReject(msg, 122, SessionRejectReason.SendingTimeAccuracy, "OrigSendingTime (122) is after SendingTime (52)");
        return;
      }
      // A duplicate of something already processed: dropping it is the point of PossDupFlag.
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
      this.sendReject(msg, bad.tag, bad.reason, bad.text);
      this.advance(seq + 1);
      if (bad.fatal) this.logoutAndClose(bad.text);
      return;
    }
    switch (msg.msgType) {
      case "0":
        this.advance(seq + 1);
        return;
      case "1": {
        this.advance(seq + 1);
        const id = msg.get(112);
        if (id === undefined) this.sendReject(msg, 112, SessionRejectReason.RequiredTagMissing, "Required tag missing: TestReqID (112)");
        else this.send([[35, "0"], [112, id]]);
        return;
      }
      case "2":
        this.advance(seq + 1);
        this.answerResend(msg);
        return;
      case "3":
        this.advance(seq + 1);
        this.log.info("reject received", { refSeqNum: msg.get(45), reason: msg.get(373), tag: msg.get(371), text: msg.get(58) });
        return;
      case "4":
        this.gapFill(msg);
        return;
      case "5":
        this.advance(seq + 1);
        this.onLogout(msg);
        return;
      case "A":
        this.advance(seq + 1);
        this.logoutAndClose("Logon received while already logged on");
        return;
      default:
        this.advance(seq + 1);
        this.hook(() => this.host.onApplication(msg));
    }
  }

  /**
   * A reason to reject the message before acting on it, checked on header fields only: the body
   * is the app layer's to judge. `fatal` problems end the session after the Reject.
   */
  private headerProblem(msg: FixMessage): { tag: number; reason: number; text: string; fatal: boolean } | null {
    let seen = 0;
    for (const [tag, value] of msg.fields) {
      if (value === "") return { tag, reason: SessionRejectReason.TagWithoutValue, text: `Tag specified without a value: ${tag}`, fatal: false };
      const bit = tag < SINGLE_HEADER_BIT.length ? SINGLE_HEADER_BIT[tag]! : 0;
      if (bit === 0) continue;
      if (seen & bit) return { tag, reason: SessionRejectReason.TagAppearsMoreThanOnce, text: `Tag appears more than once: ${tag}`, fatal: false };
      seen |= bit;
    }
    if (msg.msgType === "") return { tag: 35, reason: SessionRejectReason.RequiredTagMissing, text: "Required tag missing: MsgType (35)", fatal: false };
    const sendingTime = msg.get(52);
    if (sendingTime === undefined) return { tag: 52, reason: SessionRejectReason.RequiredTagMissing, text: "Required tag missing: SendingTime (52)", fatal: false };
    const sentMs = parseFixTimestamp(sendingTime);
    if (Number.isNaN(sentMs)) return { tag: 52, reason: SessionRejectReason.IncorrectDataFormat, text: `Incorrect data format for SendingTime (52): ${sendingTime}`, fatal: false };
    if (this.maxClockSkewMs > 0 && Math.abs(sentMs - this.opts.now()) > this.maxClockSkewMs) {
      // The spec ends the session: a clock this far off makes every time it sends suspect.
      return { tag: 52, reason: SessionRejectReason.SendingTimeAccuracy, text: `SendingTime accuracy problem: ${sendingTime}`, fatal: true };
    }
    return null;
  }

  // ---- Gaps ----

  private enqueue(seq: number, msg: FixMessage, handled: boolean): void {
    if (this.queued.size >= this.maxQueued) {
      this.logoutAndClose(`more than ${this.maxQueued} messages held waiting for a resend`);
      return;
    }
    if (!this.queued.has(seq)) this.queued.set(seq, { msg, handled });
    // One ResendRequest per gap: while one is outstanding, later arrivals are covered by its EndSeqNo 0.
    if (this.resendUpTo === 0) this.requestResend(seq);
  }

  private requestResend(upTo: number): void {
    const from = this.store!.nextTargetSeq;
    this.resendUpTo = upTo;
    this.log.info("gap: resend requested", { expected: from, received: upTo });
    this.send([[35, "2"], [7, String(from)], [16, "0"]]);
  }

  /** Processes held messages that have become next in line. */
  private drain(): void {
    const store = this.store!;
    for (;;) {
      if (this._state === "closed") return;
      const next = this.queued.get(store.nextTargetSeq);
      if (next === undefined) break;
      this.queued.delete(store.nextTargetSeq);
      this.process(next.msg, next.handled);
    }
    // Held messages but no request outstanding: the resend left a gap of its own; ask again.
    if (this.queued.size > 0 && this.resendUpTo === 0) {
      let highest = 0;
      for (const seq of this.queued.keys()) highest = Math.max(highest, seq);
      this.requestResend(highest);
    }
  }

  /** Sets the next expected inbound MsgSeqNum, forgetting held messages it passed. */
  private advance(next: number): void {
    this.store!.setNextTargetSeq(next);
    if (this.resendUpTo !== 0 && next > this.resendUpTo) this.resendUpTo = 0;
    if (this.queued.size > 0) for (const seq of this.queued.keys()) if (seq < next) this.queued.delete(seq);
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
      this.sendReject(msg, 36, SessionRejectReason.ValueIncorrect, `Attempt to lower sequence number, invalid value NewSeqNo(36)=${newSeq}`);
      return;
    }
    this.advance(newSeq);
  }

  /** SequenceReset in Reset mode: its own MsgSeqNum is ignored, as the spec says. */
  private sequenceReset(msg: FixMessage): void {
    const bad = this.headerProblem(msg);
    if (bad) {
      this.sendReject(msg, bad.tag, bad.reason, bad.text);
      if (bad.fatal) this.logoutAndClose(bad.text);
      return;
    }
    const newSeq = this.newSeqNo(msg);
    if (newSeq === 0) return;
    const expected = this.store!.nextTargetSeq;
    if (newSeq < expected) {
      this.sendReject(msg, 36, SessionRejectReason.ValueIncorrect, `Attempt to lower sequence number, invalid value NewSeqNo(36)=${newSeq}`);
      return;
    }
    if (newSeq === expected) {
      this.log.info("sequence reset", { expected, newSeqNo: newSeq });
      return;
    }
    this.log.info("sequence reset", { expected, newSeqNo: newSeq });
    this.advance(newSeq);
    this.drain();
  }

  /** NewSeqNo (36), or 0 after rejecting its absence or format. */
  private newSeqNo(msg: FixMessage): number {
    const text = msg.get(36);
    if (text === undefined) {
      this.sendReject(msg, 36, SessionRejectReason.RequiredTagMissing, "Required tag missing: NewSeqNo (36)");
      return 0;
    }
    const n = parsePositiveInt(text);
    if (Number.isNaN(n)) {
      this.sendReject(msg, 36, SessionRejectReason.IncorrectDataFormat, `Incorrect data format for NewSeqNo (36): ${text}`);
      return 0;
    }
    return n;
  }

  /** A Logon with ResetSeqNumFlag during the session: both sides start again at 1. */
  private resetLogon(msg: FixMessage): void {
    const bad = this.headerProblem(msg);
    const heartBtInt = parseHeartBtInt(msg.get(108));
    if (bad || !(heartBtInt >= 0 && heartBtInt <= this.maxHeartBtIntSec)) {
      this.logoutAndClose(bad ? bad.text : `HeartBtInt (108) must be 0 to ${this.maxHeartBtIntSec}`);
      return;
    }
    this.log.info("sequence numbers reset", { by: "Logon with ResetSeqNumFlag during the session" });
    this.queued.clear();
    this.resendUpTo = 0;
    this.store!.reset();
    this.heartBtMs = heartBtInt * 1000;
    this.sendLogonAnswer(heartBtInt, true);
    const seq = msg.seqNum;
    if (seq === 1) this.advance(2);
    else this.enqueue(seq, msg, true);
  }

  // ---- Resend ----

  /**
   * Answers a ResendRequest from the store: application messages again with PossDupFlag and
   * OrigSendingTime, and a SequenceReset-GapFill over each run of admin messages (never resent)
   * and of seqs the store does not have. Neither the resends nor the gap fills are stored: their
   * seqs already are.
   */
  private answerResend(msg: FixMessage): void {
    const store = this.store!;
    const beginText = msg.get(7);
    const endText = msg.get(16);
    if (beginText === undefined || endText === undefined) {
      const tag = beginText === undefined ? 7 : 16;
      this.sendReject(msg, tag, SessionRejectReason.RequiredTagMissing, `Required tag missing: ${tag === 7 ? "BeginSeqNo (7)" : "EndSeqNo (16)"}`);
      return;
    }
    const begin = parsePositiveInt(beginText);
    const end = endText === "0" ? 0 : parsePositiveInt(endText);
    if (Number.isNaN(begin) || Number.isNaN(end)) {
      const tag = Number.isNaN(begin) ? 7 : 16;
      this.sendReject(msg, tag, SessionRejectReason.IncorrectDataFormat, `Incorrect data format for tag ${tag}: ${msg.get(tag)}`);
      return;
    }
    const last = store.nextSenderSeq - 1;
    // EndSeqNo 0 is "infinity"; FIX 4.2 engines may send 999999 for the same, hence the clamp.
    const to = end === 0 || end > last ? last : end;
    if (begin > to) {
      this.log.info("resend requested", { begin, end: endText, lastSent: last, resending: "nothing" });
      return;
    }
    this.log.info("resend requested", { begin, end: endText, lastSent: last, resending: `${begin}-${to}` });
    const framer = new FixFramer({ maxMessageBytes: 1 << 30 });
    let gapFrom = 0;
    let next = begin;
    for (const { seq, bytes } of store.range(begin, to)) {
      if (seq > next && gapFrom === 0) gapFrom = next;
      next = seq + 1;
      framer.push(bytes);
      const frame = framer.next();
      const stored = frame?.kind === "message" ? frame.message : null;
      if (stored === null || ADMIN.has(stored.msgType)) {
        if (gapFrom === 0) gapFrom = seq;
        continue;
      }
      if (gapFrom !== 0) this.sendGapFill(gapFrom, seq);
      gapFrom = 0;
      this.resend(stored, seq);
    }
    if (next <= to && gapFrom === 0) gapFrom = next;
    if (gapFrom !== 0) this.sendGapFill(gapFrom, to + 1);
  }

  private resend(stored: FixMessage, seq: number): void {
    const now = this.opts.now();
    const fields: Field[] = this.header(stored.msgType, seq, now);
    fields.push([43, "Y"], [122, stored.get(52) ?? fixTimestamp(now)]);
    for (let i = 1; i < stored.fields.length; i++) {
      const f = stored.fields[i]!;
      if (!STAMPED.has(f[0])) fields.push(f);
    }
    this.write(encodeFix(fields), now);
  }

  private sendGapFill(seq: number, newSeq: number): void {
    const now = this.opts.now();
    const fields = this.header("4", seq, now);
    // OrigSendingTime too: engines that check every PossDup message for it would reject the gap fill.
    fields.push([43, "Y"], [122, fixTimestamp(now)], [123, "Y"], [36, String(newSeq)]);
    this.write(encodeFix(fields), now);
  }

  // ---- Logout and the end ----

  private onLogout(msg: FixMessage): void {
    const text = msg.get(58);
    if (this._state === "logging-out") {
      this.close(`Logout answered${text ? `: ${text}` : ""}`);
      return;
    }
    this.sendLogout();
    this.close(`counterparty logged out${text ? `: ${text}` : ""}`);
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
    this.queued.clear();
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
    const e = this.beginMessage(body[0]![1], seq, now);
    for (let i = 1; i < body.length; i++) e.field(body[i]![0], body[i]![1]);
    return this.commit(seq, e.finish(), now, fromApp);
  }

  /** The encoder holding `header()`'s fields, written as encodeFix writes them. */
  private beginMessage(msgType: string, seq: number, now: number): FixEncoder {
    if (this.senderField === null) this.senderField = encodeFields([[49, this.opts.compId]]);
    if (this.targetFieldOf !== this.theirCompId) {
      this.targetField = encodeFields([[56, this.theirCompId]]);
      this.targetFieldOf = this.theirCompId;
    }
    return this.encoder.begin(msgType).intField(34, seq).bytes(this.senderField).field(52, fixTimestamp(now)).bytes(this.targetField!);
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

  /** 35, 34, 49, 52, 56: the header in tag order, as QuickFIX writes it. */
  private header(msgType: string, seq: number, now: number): Field[] {
    return [[35, msgType], [34, String(seq)], [49, this.opts.compId], [52, fixTimestamp(now)], [56, this.theirCompId]];
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

/** A positive integer field (a seq), NaN otherwise; FixMessage.seqNum reads 34 the same way. */
function parsePositiveInt(s: string | undefined): number {
  if (s === undefined || !/^[0-9]{1,15}$/.test(s)) return NaN;
  const n = Number(s);
  return n >= 1 ? n : NaN;
}

/** HeartBtInt: a non-negative integer (0, unlike a seq, is valid: no heartbeats); NaN otherwise. */
function parseHeartBtInt(s: string | undefined): number {
  if (s === "0") return 0;
  return parsePositiveInt(s);
}

/** Text safe for tag 58: encodeFix refuses SOH and characters outside latin1, and an empty value. */
function fixText(text: string): string {
  const clean = text.replace(/[\x00-\x1f\u0100-\uffff]/g, "?");
  return clean.length > 0 ? clean : "-";
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
