import { BEGIN_STRING, checksum, latin1, latin1Text, MAX_TAG } from "./codec.ts";
import { type Field, FixMessage, SOH } from "./message.ts";

/**
 * Splits a TCP byte stream into FIX messages (docs/fix.md, Framing). A message is found by its
 * header, `8=<BeginString>|9=<BodyLength>|`, measured by BodyLength and checked by CheckSum; what
 * fails any check is reported as garbled and skipped up to the next "8=FIX", as the FIX session
 * spec asks: the session layer ignores garbled messages without consuming a sequence number, and
 * the counterparty's resend recovers whatever was in them. The framer never throws on input.
 */

export type Frame =
  | { kind: "message"; message: FixMessage }
  | { kind: "garbled"; reason: string; bytes: number }; // bytes skipped

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

/** "8=FIX": where every FIX message starts, whatever its version, so where resynchronisation looks. */
const RESYNC = Uint8Array.of(0x38, 0x3d, 0x46, 0x49, 0x58);
/** More BodyLength digits than any sane limit needs; bounds the wait on "9=0000…". */
const MAX_LENGTH_DIGITS = 9;
/** "10=" + three digits + SOH. */
const TRAILER_BYTES = 7;
const INITIAL_CAPACITY = 16 * 1024;

/**
 * FIX 4.4's data fields and the length field that must come right before each: their values are
 * binary and may contain SOH, so they are measured by the length rather than ended by SOH.
 */
const DATA_LENGTH_TAG = new Map<number, number>([
  [89, 93], // Signature ← SignatureLength
  [91, 90], // SecureData ← SecureDataLen
  [96, 95], // RawData ← RawDataLength
  [213, 212], // XmlData ← XmlDataLen
  [349, 348], // EncodedIssuer
  [351, 350], // EncodedSecurityDesc
  [353, 352], // EncodedListExecInst
  [355, 354], // EncodedText
  [357, 356], // EncodedSubject
  [359, 358], // EncodedHeadline
  [361, 360], // EncodedAllocText
  [363, 362], // EncodedUnderlyingIssuer
  [365, 364], // EncodedUnderlyingSecurityDesc
  [446, 445], // EncodedListStatusText
  [619, 618], // EncodedLegIssuer
  [622, 621], // EncodedLegSecurityDesc
]);
/** The same as a table indexed by tag (0: not a data field): asked once per field, where a Map lookup shows. */
const DATA_LENGTH_OF = new Uint16Array(Math.max(...DATA_LENGTH_TAG.keys()) + 1);
for (const [tag, lengthTag] of DATA_LENGTH_TAG) DATA_LENGTH_OF[tag] = lengthTag;

/** Splits a TCP byte stream into FIX messages. */
export class FixFramer {
  private readonly maxMessageBytes: number;
  private readonly beginString: string;
  /** "8=<BeginString><SOH>9=": the bytes every acceptable message starts with. */
  private readonly prefix: Uint8Array;
  /** Length of "8=<BeginString>", where a mismatch stops being about BeginString. */
  private readonly beginFieldBytes: number;
  // The unread bytes are buf[start, end). Reading moves start; writing compacts only when the end
  // of buf is reached, which keeps the copying amortised O(1) a byte.
  private buf = new Uint8Array(INITIAL_CAPACITY);
  private start = 0;
  private end = 0;

  constructor(opts: { maxMessageBytes?: number /* default 64 KiB */; beginString?: string } = {}) {
    const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const beginString = opts.beginString ?? BEGIN_STRING;
    if (!/^FIX[\x21-\x7e]*$/.test(beginString)) throw new RangeError(`FixFramer: BeginString ${JSON.stringify(beginString)} does not start with FIX`);
    const prefixText = `8=${beginString}\x019=`;
    // The smallest message possible still needs its header, "35=x|" and the trailer.
    if (!Number.isInteger(max) || max < prefixText.length + 7 + TRAILER_BYTES) throw new RangeError(`FixFramer: maxMessageBytes ${max} is too small`);
    this.maxMessageBytes = max;
    this.beginString = beginString;
    this.prefix = Uint8Array.from(prefixText, (c) => c.charCodeAt(0));
    this.beginFieldBytes = 2 + beginString.length;
  }

  /** Bytes received and not yet delivered or skipped. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.start === this.end) {
      this.start = this.end = 0;
      // Give back the memory one huge chunk made us take, once nothing is left in it.
      if (this.buf.length > 4 * Math.max(INITIAL_CAPACITY, this.maxMessageBytes)) this.buf = new Uint8Array(INITIAL_CAPACITY);
    }
    if (this.end + chunk.length > this.buf.length) this.makeRoom(chunk.length);
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** The next message or garbled stretch; null when more bytes are needed to tell. */
  next(): Frame | null {
    const buf = this.buf;
    const p = this.start;
    const end = this.end;
    if (p === end) return null;

    const prefix = this.prefix;
    const seen = Math.min(prefix.length, end - p);
    for (let i = 0; i < seen; i++) {
      if (buf[p + i] === prefix[i]) continue;
      if (i < RESYNC.length) return this.resync("no message start (8=FIX)");
      if (i < this.beginFieldBytes + 1) return this.resync(`BeginString ${this.quoteBeginString(p)} is not ${this.beginString}`);
      return this.resync("BodyLength (9) is not the second field");
    }
    if (seen < prefix.length) return null;

    let q = p + prefix.length;
    let bodyLength = 0;
    for (;;) {
      if (q === end) return null;
      const c = buf[q]!;
      if (c === SOH) break;
      if (c < 0x30 || c > 0x39) return this.resync("BodyLength (9) is not a number");
      if (q - (p + prefix.length) === MAX_LENGTH_DIGITS) return this.resync("BodyLength (9) has too many digits");
      bodyLength = bodyLength * 10 + (c - 0x30);
      q++;
    }
    if (q === p + prefix.length) return this.resync("BodyLength (9) is empty");
    const bodyStart = q + 1;
    const bodyEnd = bodyStart + bodyLength;
    const total = bodyEnd + TRAILER_BYTES - p;
    // Judged on the declared length, before the body arrives, so an oversize message is never buffered.
    if (total > this.maxMessageBytes) return this.resync(`message of ${total} bytes exceeds the limit of ${this.maxMessageBytes}`);
    if (end - p < total) return null;

    if (buf[bodyEnd - 1] !== SOH || buf[bodyEnd] !== 0x31 || buf[bodyEnd + 1] !== 0x30 || buf[bodyEnd + 2] !== 0x3d) {
      return this.resync(`BodyLength ${bodyLength} does not end where CheckSum (10) starts`);
    }
    const d0 = buf[bodyEnd + 3]! - 0x30;
    const d1 = buf[bodyEnd + 4]! - 0x30;
    const d2 = buf[bodyEnd + 5]! - 0x30;
    if (d0 < 0 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || buf[bodyEnd + 6] !== SOH) {
      return this.resync("CheckSum (10) is not three digits");
    }
    const received = d0 * 100 + d1 * 10 + d2;
    const computed = checksum(buf, p, bodyEnd);
    if (received !== computed) return this.resync(`CheckSum ${pad3(received)} is wrong, computed ${pad3(computed)}`);

    // One native latin1 decode of the whole message; values are substrings of it, and so is the
    // message's raw form, should anyone ask (nothing on the acceptor's path does).
    const text = latin1Text(buf, p, p + total);
    const fields = parseFields(buf, text, p, bodyStart, bodyEnd);
    if (typeof fields === "string") return this.resync(fields);
    this.start = p + total;
    return { kind: "message", message: FixMessage.fromText(fields, text) };
  }

  /**
   * Reports the bytes from the current position up to the next "8=FIX" as garbled and drops them.
   * The search starts one byte on, so a message whose header is wrong is skipped; without a match
   * everything goes but a tail that could be the start of "8=FIX", which keeps a garbage stream
   * from holding memory.
   */
  private resync(reason: string): Frame {
    const buf = this.buf;
    const p = this.start;
    const end = this.end;
    let to = end;
    for (let k = buf.indexOf(RESYNC[0]!, p + 1); k !== -1 && k < end; k = buf.indexOf(RESYNC[0]!, k + 1)) {
      let m = 1;
      while (m < RESYNC.length && k + m < end && buf[k + m] === RESYNC[m]) m++;
      if (m === RESYNC.length || k + m === end) {
        to = k;
        break;
      }
    }
    this.start = to;
    return { kind: "garbled", reason, bytes: to - p };
  }

  /** BeginString as received, for the reason text, within the first few bytes; it may not be complete yet. */
  private quoteBeginString(p: number): string {
    const limit = Math.min(this.end, p + 2 + 24);
    let q = p + 2;
    while (q < limit && this.buf[q] !== SOH) q++;
    return JSON.stringify(latin1(this.buf, p + 2, q));
  }

  private makeRoom(incoming: number): void {
    const live = this.end - this.start;
    const need = live + incoming;
    // Compacting copies at most half the buffer, and only after at least half of it was written
    // since the last compaction; otherwise doubling is the cheaper way to room.
    if (live * 2 <= this.buf.length && need <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const grown = new Uint8Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(this.start, this.end));
      this.buf = grown;
    }
    this.start = 0;
    this.end = live;
  }
}

/**
 * The fields of a well-framed body, or the reason it is garbled. Malformed field syntax garbles the
 * whole message: a field that cannot be read cannot be rejected by tag either, so the session's
 * Reject would have nothing to name. `text` is buf[base, …) decoded, where values are cut from.
 */
function parseFields(buf: Uint8Array, text: string, base: number, from: number, to: number): Field[] | string {
  const fields: Field[] = [];
  let i = from;
  let prevTag = 0;
  let prevValue = "";
  while (i < to) {
    const tagStart = i;
    if (buf[i] === 0x30) return `tag with a leading zero at byte ${i - from} of the body`;
    let tag = 0;
    let c = buf[i]!;
    while (c >= 0x30 && c <= 0x39) {
      tag = tag * 10 + (c - 0x30);
      c = buf[++i]!;
    }
    if (i === tagStart) return `field without a numeric tag at byte ${i - from} of the body`;
    if (tag > MAX_TAG) return `tag of more than 9 digits at byte ${tagStart - from} of the body`;
    if (c !== 0x3d) return `tag ${tag} without "=" at byte ${tagStart - from} of the body`;
    i++;
    if (fields.length === 0 && tag !== 35) return "MsgType (35) is not the third field";
    if (tag === 8 || tag === 9 || tag === 10) return `tag ${tag} inside the body`;

    let valueEnd: number;
    const lengthTag = tag < DATA_LENGTH_OF.length ? DATA_LENGTH_OF[tag]! : 0;
    if (lengthTag !== 0 && prevTag === lengthTag) {
      const n = dataLength(prevValue);
      valueEnd = i + n;
      if (n < 0 || valueEnd >= to || buf[valueEnd] !== SOH) return `data field ${tag} does not match its length ${lengthTag}=${prevValue}`;
    } else {
      // The byte before "10=" is SOH (checked by the caller), so the scan stops inside the body.
      // A loop, not indexOf: values are a few bytes, shorter than a native call costs.
      valueEnd = i;
      while (buf[valueEnd] !== SOH) valueEnd++;
    }
    const value = text.substring(i - base, valueEnd - base);
    fields.push([tag, value]);
    prevTag = tag;
    prevValue = value;
    i = valueEnd + 1;
  }
  if (fields.length === 0) return "MsgType (35) is not the third field";
  return fields;
}

function dataLength(s: string): number {
  if (s.length === 0 || s.length > 9) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function pad3(n: number): string {
  return String(n).padStart(3, "0");
}
