/**
 * Answering a ResendRequest from the store: application messages go again with PossDupFlag and
 * OrigSendingTime, and a SequenceReset-GapFill covers each run of admin messages (never resent) and
 * of seqs the store does not have. Neither the resends nor the gap fills are stored: their seqs
 * already are. The session (session.ts) stamps and writes what this decides.
 */
import { fixTimestamp } from "./codec.ts";
import { FixFramer } from "./framer.ts";
import type { Field, FixMessage } from "./message.ts";
import type { StoredMessage } from "./store.ts";

/** Session-level message types: never resent (gap-filled instead) and never given to the app layer. */
const ADMIN = new Set(["0", "1", "2", "3", "4", "5", "A"]);
/** Tags our own header stamps, dropped from a stored message before it is stamped again for a resend. */
const STAMPED = new Set([34, 43, 49, 52, 56, 97, 122]);

/** What answering a resend sends, in seq order. */
export interface ResendOut {
  /** The stored application message `stored` again, as `seq`. */
  resend(stored: FixMessage, seq: number): void;
  /** A SequenceReset-GapFill as `seq`, moving the counterparty on to `newSeq`. */
  gapFill(seq: number, newSeq: number): void;
}

/** Walks the stored messages `begin`..`to` and sends each as a resend or inside a gap fill. */
export function replayStored(stored: Iterable<StoredMessage>, begin: number, to: number, out: ResendOut): void {
  const framer = new FixFramer({ maxMessageBytes: 1 << 30 });
  let gapFrom = 0;
  let next = begin;
  for (const { seq, bytes } of stored) {
    if (seq > next && gapFrom === 0) gapFrom = next;
    next = seq + 1;
    framer.push(bytes);
    const frame = framer.next();
    const message = frame?.kind === "message" ? frame.message : null;
    if (message === null || ADMIN.has(message.msgType)) {
      if (gapFrom === 0) gapFrom = seq;
      continue;
    }
    if (gapFrom !== 0) out.gapFill(gapFrom, seq);
    gapFrom = 0;
    out.resend(message, seq);
  }
  if (next <= to && gapFrom === 0) gapFrom = next;
  if (gapFrom !== 0) out.gapFill(gapFrom, to + 1);
}

/** `header` (the resend's own, see FixSession) followed by the possible-duplicate marks and the stored message's body. */
export function resentFields(stored: FixMessage, header: Field[], now: number): Field[] {
  header.push([43, "Y"], [122, stored.get(52) ?? fixTimestamp(now)]);
  for (let i = 1; i < stored.fields.length; i++) {
    const f = stored.fields[i]!;
    if (!STAMPED.has(f[0])) header.push(f);
  }
  return header;
}

/** `header` (a SequenceReset's) with the fields that make it a gap fill up to `newSeq`. */
export function gapFillFields(header: Field[], newSeq: number, now: number): Field[] {
  // OrigSendingTime too: engines that check every PossDup message for it would reject the gap fill.
  header.push([43, "Y"], [122, fixTimestamp(now)], [123, "Y"], [36, String(newSeq)]);
  return header;
}
