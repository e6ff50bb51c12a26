/**
 * FIX bytes for bench/fix-drive.ts: a writer that lays a message straight into a connection's batch
 * (BodyLength and CheckSum computed as it goes), tag prefixes, and in-place readers of digits and text.
 */

// ---------------------------------------------------------------- bytes

export const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
export const SOH = 1;
export const BEGIN = ascii("8=FIX.4.4\x019=");
export const TRAILER_TAG = ascii("10=");

/** A growable byte buffer the flows write a message's application fields into. */
export class FixWriter {
  b = new Uint8Array(1024);
  n = 0;

  reset(): void {
    this.n = 0;
  }

  private room(k: number): void {
    if (this.n + k <= this.b.length) return;
    const b = new Uint8Array(Math.max(this.b.length * 2, this.n + k));
    b.set(this.b.subarray(0, this.n));
    this.b = b;
  }

  raw(x: Uint8Array): void {
    this.room(x.length);
    this.b.set(x, this.n);
    this.n += x.length;
  }

  str(s: string): void {
    this.room(s.length);
    const b = this.b;
    let n = this.n;
    for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
    this.n = n;
  }

  /** A non-negative integer in decimal. */
  int(v: number): void {
    this.room(16);
    const b = this.b;
    if (v === 0) {
      b[this.n++] = 0x30;
      return;
    }
    let digits = 0;
    for (let x = v; x >= 1; x = Math.floor(x / 10)) digits++;
    let at = this.n + digits;
    this.n = at;
    for (let x = v; x >= 1; x = Math.floor(x / 10)) b[--at] = 0x30 + (x % 10);
  }

  byte(c: number): void {
    this.room(1);
    this.b[this.n++] = c;
  }

  /** `tag=` (pre-encoded), the value, SOH. */
  field(tagEq: Uint8Array, value: string): void {
    this.raw(tagEq);
    this.str(value);
    this.byte(SOH);
  }
}

/** Pre-encoded `<tag>=`. */
export const T = (tag: number): Uint8Array => ascii(`${tag}=`);

export const T34 = T(34);
export const T35 = T(35);
export const T49 = T(49);
export const T52 = T(52);
export const T56 = T(56);

export function digitsOf(buf: Uint8Array, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

export function latin(buf: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(buf[i]!);
  return s;
}
