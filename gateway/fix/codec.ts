import { type Field, SOH } from "./message.ts";

/**
 * FIX tag=value encoding (docs/fix.md, Framing): the standard header's first two fields and the
 * trailer that encodeFix adds around a message's fields, FIX timestamps, and the `|`-for-SOH text
 * form that logs and tests use. Pure functions: no I/O and no clock.
 */

export const BEGIN_STRING = "FIX.4.4";

/** The largest tag we write or read: nine digits keep every tag a small integer, and real tags have at most five. */
export const MAX_TAG = 999_999_999;

const EQUALS = 0x3d;
const PIPE = 0x7c;

/**
 * Encodes one message: prepends 8=<begin>|9=<len>|, appends 10=<sum>|. `fields` starts with 35.
 *
 * Throws on what would put a message on the wire that the counterparty must treat as garbled or
 * reject: a value containing SOH, a character outside latin1, an empty value (FIX forbids fields
 * without a value), a first field other than 35, a tag that is not a positive integer, or 8, 9 or
 * 10 among the fields, which this function writes itself.
 */
export function encodeFix(fields: Field[], beginString: string = BEGIN_STRING): Uint8Array {
  checkBeginString(beginString);
  if (fields.length === 0 || fields[0]![0] !== 35) {
    throw new RangeError("encodeFix: the first field must be MsgType (35)");
  }
  const tagTexts = new Array<string>(fields.length);
  let bodyLength = 0;
  for (let i = 0; i < fields.length; i++) {
    const [tag, value] = fields[i]!;
    if (!Number.isInteger(tag) || tag < 1 || tag > MAX_TAG) throw new RangeError(`encodeFix: tag ${tag} is not a positive integer`);
    if (tag === 8 || tag === 9 || tag === 10) throw new RangeError(`encodeFix: tag ${tag} is written by the encoder, not the caller`);
    if (value.length === 0) throw new RangeError(`encodeFix: tag ${tag} has an empty value`);
    const text = String(tag);
    tagTexts[i] = text;
    bodyLength += text.length + 1 + value.length + 1;
  }
  const head = `8=${beginString}\x019=${bodyLength}\x01`;
  const bodyStart = head.length;
  const out = new Uint8Array(bodyStart + bodyLength + 7);
  let at = writeText(out, 0, head);
  for (let i = 0; i < fields.length; i++) {
    const [tag, value] = fields[i]!;
    at = writeText(out, at, tagTexts[i]!);
    out[at++] = EQUALS;
    for (let j = 0; j < value.length; j++) {
      const c = value.charCodeAt(j);
      if (c === SOH) throw new RangeError(`encodeFix: the value of tag ${tag} contains SOH`);
      if (c > 0xff) throw new RangeError(`encodeFix: the value of tag ${tag} has a character outside latin1`);
      out[at++] = c;
    }
    out[at++] = SOH;
  }
  writeTrailer(out, at, checksum(out, 0, at));
  return out;
}

/**
 * encodeFix's output written straight into one reusable buffer: what the session sends many times
 * a second (ExecutionReports) is built here without a `Field[]`, a string per number or a second
 * pass for the length and checksum. The body is written first, after room left for the header;
 * `finish` puts `8=…|9=<length>|` right before it and the trailer after it. Byte for byte what
 * encodeFix makes of the same fields, and it refuses the same fields (test/gateway/fix/encoder.test.ts).
 *
 * One message at a time: `begin` discards whatever an unfinished one left.
 */
export class FixEncoder {
  private buf = new Uint8Array(1024);
  private at = 0;
  /** Byte sum of the body so far, for CheckSum; kept as the bytes go down rather than summed again. */
  private sum = 0;
  /** "8=<BeginString>|9=" */
  private readonly begin8: Uint8Array;
  private readonly begin8Sum: number;
  /** Where the body starts: enough room before it for "8=<BeginString>|9=" and nine length digits and an SOH. */
  private readonly bodyStart: number;

  constructor(beginString: string = BEGIN_STRING) {
    checkBeginString(beginString);
    this.begin8 = Uint8Array.from(`8=${beginString}\x019=`, (c) => c.charCodeAt(0));
    this.begin8Sum = checksum(this.begin8, 0, this.begin8.length);
    this.bodyStart = this.begin8.length + 10;
  }

  /** Starts a message with MsgType (35). */
  begin(msgType: string): this {
    this.at = this.bodyStart;
    this.sum = 0;
    return this.field(35, msgType);
  }

  /** tag=value|, refused as encodeFix refuses it (empty, SOH, beyond latin1, a bad tag). */
  field(tag: number, value: string): this {
    if (value.length === 0) {
      checkTag(tag);
      throw new RangeError(`encodeFix: tag ${tag} has an empty value`);
    }
    this.tag(tag, value.length + 1);
    this.text(tag, value);
    this.soh();
    return this;
  }

  /** tag=<n>| for a non-negative safe integer n: the digits String(n) would give. */
  intField(tag: number, n: number): this {
    return this.idField(tag, "", n);
  }

  /** tag=<prefix><n>| (an id with a counter, say), n a non-negative safe integer. */
  idField(tag: number, prefix: string, n: number): this {
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`FixEncoder: ${n} is not a non-negative integer`);
    this.tag(tag, prefix.length + 17);
    if (prefix.length > 0) this.text(tag, prefix);
    this.digits(n);
    this.soh();
    return this;
  }

  /** Whole fields encoded beforehand (see `encodeFields`): constant header parts, say. */
  bytes(fields: EncodedFields): this {
    this.room(fields.bytes.length);
    this.buf.set(fields.bytes, this.at);
    this.at += fields.bytes.length;
    this.sum += fields.sum;
    return this;
  }

  /** The message: header, the body written since `begin`, trailer; a new array of its own. */
  finish(): Uint8Array {
    const bodyLength = this.at - this.bodyStart;
    const buf = this.buf; // every write left room for the trailer
    let sum = this.sum + SOH;
    let p = this.bodyStart - 1;
    buf[p] = SOH;
    let x = bodyLength;
    do {
      const d = 0x30 + (x % 10);
      buf[--p] = d;
      sum += d;
      x = Math.floor(x / 10);
    } while (x > 0);
    p -= this.begin8.length;
    buf.set(this.begin8, p);
    sum += this.begin8Sum;
    writeTrailer(buf, this.at, sum & 0xff);
    return buf.slice(p, this.at + 7);
  }

  /** A value's characters; the caller made room. */
  private text(tag: number, value: string): void {
    const buf = this.buf;
    let at = this.at;
    let sum = this.sum;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === SOH || c > 0xff) {
        throw new RangeError(c === SOH ? `encodeFix: the value of tag ${tag} contains SOH` : `encodeFix: the value of tag ${tag} has a character outside latin1`);
      }
      buf[at++] = c;
      sum += c;
    }
    this.at = at;
    this.sum = sum;
  }

  /** A non-negative safe integer's digits; the caller made room. */
  private digits(n: number): void {
    // Below 2^31 the digits come by `| 0` division, which costs a fraction of Math.floor's.
    const small = n <= 0x7fffffff;
    let count = 1;
    for (let x = n; x >= 10; x = small ? (x / 10) | 0 : Math.floor(x / 10)) count++;
    const buf = this.buf;
    let at = this.at + count;
    this.at = at;
    let sum = this.sum;
    let x = n;
    do {
      const q = small ? (x / 10) | 0 : Math.floor(x / 10);
      const d = 0x30 + (x - q * 10);
      buf[--at] = d;
      sum += d;
      x = q;
    } while (x > 0);
    this.sum = sum;
  }

  private soh(): void {
    this.buf[this.at++] = SOH;
    this.sum += SOH;
  }

  /** Checks the tag, writes "tag=", and makes room for `more` bytes after it. */
  private tag(tag: number, more: number): void {
    checkTag(tag);
    this.room(10 + more);
    this.digits(tag);
    this.buf[this.at++] = EQUALS;
    this.sum += EQUALS;
  }

  /** Room for `more` bytes past `at`, and always for the trailer. */
  private room(more: number): void {
    const need = this.at + more + 7;
    if (need <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(need, this.buf.length * 2));
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
  }
}

/** Fields encoded once and written many times by FixEncoder.bytes. */
export interface EncodedFields {
  bytes: Uint8Array;
  sum: number;
}

/** Encodes whole fields for FixEncoder.bytes, with encodeFix's checks. */
export function encodeFields(fields: Field[]): EncodedFields {
  const all = encodeFix([[35, "0"], ...fields]);
  let length = 0;
  for (const [tag, value] of fields) length += String(tag).length + value.length + 2;
  const bytes = all.slice(all.length - 7 - length, all.length - 7);
  return { bytes, sum: checksum(bytes, 0, bytes.length) };
}

function checkTag(tag: number): void {
  if (!Number.isInteger(tag) || tag < 1 || tag > MAX_TAG) throw new RangeError(`encodeFix: tag ${tag} is not a positive integer`);
  if (tag === 8 || tag === 9 || tag === 10) throw new RangeError(`encodeFix: tag ${tag} is written by the encoder, not the caller`);
}

/** Sum of bytes[from, to) mod 256: the CheckSum (10) of a message whose "10=" starts at `to`. */
export function checksum(bytes: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += bytes[i]!;
  return sum & 0xff;
}

/**
 * FIX UTCTimestamp with milliseconds: YYYYMMDD-HH:MM:SS.sss
 *
 * Every outbound message has one and most ExecutionReports two, nearly always within the same
 * second: the date-and-time part is kept for the last second asked for, and the whole string for
 * the last millisecond.
 */
export function fixTimestamp(ms: number): string {
  const t = Math.floor(ms);
  if (t === lastMs) return lastStamp;
  const second = Math.floor(t / 1000);
  if (second !== lastSecond) {
    secondPrefix = timestampPrefix(second * 1000);
    lastSecond = second;
  }
  lastStamp = secondPrefix + MILLIS[t - second * 1000];
  lastMs = t;
  return lastStamp;
}

let lastMs = NaN;
let lastStamp = "";
let lastSecond = NaN;
let secondPrefix = "";
const MILLIS = Array.from({ length: 1000 }, (_, i) => pad(i, 3));

/** "YYYYMMDD-HH:MM:SS." of a whole second. */
function timestampPrefix(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  // FIX has four year digits and no sign, so there is no honest way to write other years.
  if (!(year >= 0 && year <= 9999)) throw new RangeError(`fixTimestamp: ${ms} is not a time FIX can write`);
  return (
    pad(year, 4) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) + "-" +
    pad(d.getUTCHours(), 2) + ":" + pad(d.getUTCMinutes(), 2) + ":" + pad(d.getUTCSeconds(), 2) + "."
  );
}

/**
 * Ms since epoch, NaN if invalid. Takes YYYYMMDD-HH:MM:SS with no fraction or with 3, 6 or 9
 * fraction digits: FIX 4.4 defines the first two, and engines configured for micro- or nanosecond
 * precision send the others on 4.4 sessions too; the extra digits are truncated to milliseconds.
 * Second 60 is the leap second the spec allows; it counts as the next minute's second 0.
 */
export function parseFixTimestamp(s: string): number {
  const n = s.length;
  if (n !== 17 && n !== 21 && n !== 24 && n !== 27) return NaN;
  if (s.charCodeAt(8) !== 0x2d || s.charCodeAt(11) !== 0x3a || s.charCodeAt(14) !== 0x3a) return NaN;
  if (n > 17 && s.charCodeAt(17) !== 0x2e) return NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 4, 6);
  const day = digits(s, 6, 8);
  const hour = digits(s, 9, 11);
  const minute = digits(s, 12, 14);
  const second = digits(s, 15, 17);
  const milli = n > 17 ? digits(s, 18, 21) : 0;
  if (n > 21 && digits(s, 21, n) < 0) return NaN;
  if (year < 0 || milli < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + milli;
}

/** Tag=value text with | for SOH, for logs and tests. */
export function printable(bytes: Uint8Array): string {
  const copy = new Uint8Array(bytes);
  for (let i = 0; i < copy.length; i++) if (copy[i] === SOH) copy[i] = PIPE;
  return latin1(copy, 0, copy.length);
}

/**
 * Builds a message from "8=FIX.4.4|9=..|35=A|..." style text with | as SOH (tests).
 *
 * Text that starts with "8=" is taken as the whole message, and what it gives is kept, so tests can
 * write wrong lengths and checksums; a BodyLength (9) value that is not digits (".." or empty) is
 * computed, and so is a CheckSum (10) that is not digits or is missing. Text that does not
 * start with "8=" is the body alone, and gets a FIX.4.4 header and trailer. A final | may be left out.
 */
export function fromPrintable(text: string): Uint8Array {
  let t = text.endsWith("|") ? text : text + "|";
  if (!t.startsWith("8=")) t = `8=${BEGIN_STRING}|9=..|${t}`;

  // Split off the trailer: the last field, if it is 10.
  const lastBar = t.lastIndexOf("|", t.length - 2);
  let trailer: string | undefined;
  if (lastBar >= 0 && t.startsWith("10=", lastBar + 1)) {
    trailer = t.slice(lastBar + 4, t.length - 1);
    t = t.slice(0, lastBar + 1);
  }

  const beginEnd = t.indexOf("|");
  if (t.startsWith("9=", beginEnd + 1)) {
    const lengthEnd = t.indexOf("|", beginEnd + 1);
    const value = t.slice(beginEnd + 3, lengthEnd);
    if (!/^[0-9]+$/.test(value)) {
      const bodyLength = t.length - (lengthEnd + 1);
      t = `${t.slice(0, beginEnd + 3)}${bodyLength}${t.slice(lengthEnd)}`;
    }
  }

  if (trailer !== undefined && /^[0-9]+$/.test(trailer)) return toBytes(`${t}10=${trailer}|`);
  const head = toBytes(t);
  const out = new Uint8Array(head.length + 7);
  out.set(head);
  writeTrailer(out, head.length, checksum(head, 0, head.length));
  return out;
}

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

/**
 * bytes[from, to) as a latin1 string in one native call (Buffer's latin1 is the real one, every
 * byte to the code unit of the same value): the framer decodes each message whole with it.
 */
export function latin1Text(bytes: Uint8Array, from: number, to: number): string {
  return latin1Slice.call(bytes, from, to);
}

/**
 * Bytes as a latin1 string, so every byte value survives (TextDecoder's "latin1" is really
 * windows-1252, which remaps 0x80–0x9f). Short values — nearly every FIX value — are fastest as a
 * loop of single characters; long ones go in slices that stay under the engine's argument limit.
 */
export function latin1(bytes: Uint8Array, from: number, to: number): string {
  if (to - from <= 64) {
    let s = "";
    for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  let s = "";
  for (let i = from; i < to; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(i + 8192, to)) as unknown as number[]);
  }
  return s;
}

function checkBeginString(beginString: string): void {
  // The framer resynchronises on "8=FIX", so a BeginString that does not start with FIX could never be found again.
  if (!/^FIX[\x21-\x7e]*$/.test(beginString)) throw new RangeError(`BeginString ${JSON.stringify(beginString)} is not FIX…`);
}

function writeTrailer(out: Uint8Array, at: number, sum: number): void {
  out[at] = 0x31;
  out[at + 1] = 0x30;
  out[at + 2] = EQUALS;
  out[at + 3] = 0x30 + Math.floor(sum / 100);
  out[at + 4] = 0x30 + (Math.floor(sum / 10) % 10);
  out[at + 5] = 0x30 + (sum % 10);
  out[at + 6] = SOH;
}

function writeText(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

function toBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RangeError("fromPrintable: a character outside latin1");
    out[i] = c === PIPE ? SOH : c;
  }
  return out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** The number written in s[from, to), or -1 if any of it is not a digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). Date.UTC
 * would do, except that it reads years 0–99 as 1900–1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
