/**
 * One FIX message as the session layer sees it: the fields between BodyLength (9) and CheckSum (10),
 * in wire order, as strings. The framer (framer.ts) makes these from the wire; encodeFix (codec.ts)
 * makes the bytes for the ones we send.
 */

/** The field delimiter, Start Of Header. */
export const SOH = 0x01;

export type Field = [tag: number, value: string];

const EMPTY = new Uint8Array(0);

/** A parsed FIX message: body and header fields in wire order, without 8, 9 and 10. */
export class FixMessage {
  // Private fields stay out of equality checks: a message is its fields and bytes, however held.
  #raw: Uint8Array | null;
  /** The message's bytes as latin1 text, when that is what it was made from (the framer). */
  #text: string;

  constructor(
    readonly fields: Field[],
    raw: Uint8Array,
  ) {
    this.#raw = raw;
    this.#text = "";
  }

  /**
   * A message the framer decoded: its bytes are kept as the latin1 text its values were cut from,
   * which costs nothing more, and turned back into bytes only if `raw` is read.
   */
  static fromText(fields: Field[], text: string): FixMessage {
    const m = new FixMessage(fields, EMPTY);
    m.#raw = null;
    m.#text = text;
    return m;
  }

  /** The exact bytes received, or encoded. */
  get raw(): Uint8Array {
    if (this.#raw === null) {
      const text = this.#text;
      const raw = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) raw[i] = text.charCodeAt(i);
      this.#raw = raw;
    }
    return this.#raw;
  }

  /** The first occurrence of the tag; repeating groups repeat tags, and their later ones are in getAll. */
  get(tag: number): string | undefined {
    // A linear scan beats building a map: messages are a few dozen fields and most are read once.
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f[0] === tag) return f[1];
    }
    return undefined;
  }

  has(tag: number): boolean {
    return this.get(tag) !== undefined;
  }

  getAll(tag: number): string[] {
    const out: string[] = [];
    for (const f of this.fields) if (f[0] === tag) out.push(f[1]);
    return out;
  }

  /** Tag 35, "" if absent (the framer never delivers a message without it, but hand-built ones may lack it). */
  get msgType(): string {
    return this.get(35) ?? "";
  }

  /** Tag 34; NaN when absent or not a positive integer, so a comparison with the expected number fails. */
  get seqNum(): number {
    return parsePositiveInt(this.get(34));
  }

  /** PossDupFlag (43) = Y: a resend, which the session checks against OrigSendingTime instead of gap-filling. */
  get possDup(): boolean {
    return this.get(43) === "Y";
  }
}

/**
 * A FIX int that must be ≥ 1. The spec allows leading zeros ("00023" = 23) and a sign; a sign can
 * only make it non-positive, so digits alone are accepted.
 */
export function parsePositiveInt(s: string | undefined): number {
  if (s === undefined || s.length === 0 || s.length > 16) return NaN;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n >= 1 && n <= Number.MAX_SAFE_INTEGER ? n : NaN;
}
