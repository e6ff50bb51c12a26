/**
 * The session layer's checks of one message, apart from any session state: the header rules every
 * message after Logon must pass, and the fields the session parses (seqs, HeartBtInt, Text).
 */
import { parseFixTimestamp } from "./codec.ts";
import type { FixMessage } from "./message.ts";

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

/** Why a message is rejected (a session-level Reject (3) names `tag` and `reason`); `fatal` ends the session after it. */
export interface MessageProblem {
  tag: number;
  reason: number;
  text: string;
  fatal: boolean;
}

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

function problem(tag: number, reason: number, text: string, fatal = false): MessageProblem {
  return { tag, reason, text, fatal };
}

/**
 * A reason to reject the message before acting on it, checked on header fields only: the body
 * is the app layer's to judge. The clock is read only when the SendingTime is checked against it
 * (maxClockSkewMs 0: never).
 */
export function headerProblem(msg: FixMessage, maxClockSkewMs: number, clock: { now(): number }): MessageProblem | null {
  let seen = 0;
  for (const [tag, value] of msg.fields) {
    if (value === "") return problem(tag, SessionRejectReason.TagWithoutValue, `Tag specified without a value: ${tag}`);
    const bit = tag < SINGLE_HEADER_BIT.length ? SINGLE_HEADER_BIT[tag]! : 0;
    if (bit === 0) continue;
    if (seen & bit) return problem(tag, SessionRejectReason.TagAppearsMoreThanOnce, `Tag appears more than once: ${tag}`);
    seen |= bit;
  }
  if (msg.msgType === "") return problem(35, SessionRejectReason.RequiredTagMissing, "Required tag missing: MsgType (35)");
  const sendingTime = msg.get(52);
  if (sendingTime === undefined) return problem(52, SessionRejectReason.RequiredTagMissing, "Required tag missing: SendingTime (52)");
  const sentMs = parseFixTimestamp(sendingTime);
  if (Number.isNaN(sentMs)) return problem(52, SessionRejectReason.IncorrectDataFormat, `Incorrect data format for SendingTime (52): ${sendingTime}`);
  if (maxClockSkewMs > 0 && Math.abs(sentMs - clock.now()) > maxClockSkewMs) {
    // The spec ends the session: a clock this far off makes every time it sends suspect.
    return problem(52, SessionRejectReason.SendingTimeAccuracy, `SendingTime accuracy problem: ${sendingTime}`, true);
  }
  return null;
}

/** The HeartBtInt (108) a Logon asks for is out of range: the text of the Logout that refuses it, or null. */
export function heartBtIntProblem(msg: FixMessage, maxHeartBtIntSec: number): string | null {
  const heartBtInt = parseHeartBtInt(msg.get(108));
  return heartBtInt >= 0 && heartBtInt <= maxHeartBtIntSec ? null : `HeartBtInt (108) must be 0 to ${maxHeartBtIntSec}`;
}

/** Why a first Logon is refused before authentication (the Logout's text), in the order the checks run; null: none. */
export function logonProblem(msg: FixMessage, compId: string, maxHeartBtIntSec: number, maxClockSkewMs: number, clock: { now(): number }): string | null {
  if (msg.get(56) !== compId) return `TargetCompID (56) must be ${compId}`;
  if (Number.isNaN(msg.seqNum)) return "MsgSeqNum (34) missing or invalid";
  const bad = headerProblem(msg, maxClockSkewMs, clock);
  if (bad) return bad.text;
  if (msg.get(98) !== "0") return "EncryptMethod (98) must be 0";
  return heartBtIntProblem(msg, maxHeartBtIntSec);
}

/** A PossDup message below the expected seq is dropped, unless its OrigSendingTime is missing or after its SendingTime. */
export function possDupProblem(msg: FixMessage): MessageProblem | null {
  const orig = msg.get(122);
  if (orig === undefined) return problem(122, SessionRejectReason.RequiredTagMissing, "Required tag missing: OrigSendingTime (122)");
  const origMs = parseFixTimestamp(orig);
  const sentMs = parseFixTimestamp(msg.get(52) ?? "");
  if (origMs > sentMs) return problem(122, SessionRejectReason.SendingTimeAccuracy, "OrigSendingTime (122) is after SendingTime (52)");
  return null;
}

/** NewSeqNo (36) of a SequenceReset, or the problem to reject it for (absent or not a seq). */
export function newSeqNo(msg: FixMessage): number | MessageProblem {
  const text = msg.get(36);
  if (text === undefined) return problem(36, SessionRejectReason.RequiredTagMissing, "Required tag missing: NewSeqNo (36)");
  const n = parsePositiveInt(text);
  if (Number.isNaN(n)) return problem(36, SessionRejectReason.IncorrectDataFormat, `Incorrect data format for NewSeqNo (36): ${text}`);
  return n;
}

/** A SequenceReset may not move the inbound seq back. */
export function loweringProblem(newSeq: number): MessageProblem {
  return problem(36, SessionRejectReason.ValueIncorrect, `Attempt to lower sequence number, invalid value NewSeqNo(36)=${newSeq}`);
}

/** The span a ResendRequest (2) asks for: BeginSeqNo (7) and EndSeqNo (16), 0 for "all up to the last". */
export interface ResendSpan {
  begin: number;
  end: number;
}

/** Reads a ResendRequest's span, or the problem to reject it for. */
export function resendSpan(msg: FixMessage): ResendSpan | MessageProblem {
  const beginText = msg.get(7);
  const endText = msg.get(16);
  if (beginText === undefined || endText === undefined) {
    const tag = beginText === undefined ? 7 : 16;
    return problem(tag, SessionRejectReason.RequiredTagMissing, `Required tag missing: ${tag === 7 ? "BeginSeqNo (7)" : "EndSeqNo (16)"}`);
  }
  const begin = parsePositiveInt(beginText);
  const end = endText === "0" ? 0 : parsePositiveInt(endText);
  if (Number.isNaN(begin) || Number.isNaN(end)) {
    const tag = Number.isNaN(begin) ? 7 : 16;
    return problem(tag, SessionRejectReason.IncorrectDataFormat, `Incorrect data format for tag ${tag}: ${msg.get(tag)}`);
  }
  return { begin, end };
}

/** A positive integer field (a seq), NaN otherwise; FixMessage.seqNum reads 34 the same way. */
export function parsePositiveInt(s: string | undefined): number {
  if (s === undefined || !/^[0-9]{1,15}$/.test(s)) return NaN;
  const n = Number(s);
  return n >= 1 ? n : NaN;
}

/** HeartBtInt: a non-negative integer (0, unlike a seq, is valid: no heartbeats); NaN otherwise. */
export function parseHeartBtInt(s: string | undefined): number {
  if (s === "0") return 0;
  return parsePositiveInt(s);
}

/** Text safe for tag 58: encodeFix refuses SOH and characters outside latin1, and an empty value. */
export function fixText(text: string): string {
  const clean = text.replace(/[\x00-\x1f\u0100-\uffff]/g, "?");
  return clean.length > 0 ? clean : "-";
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
