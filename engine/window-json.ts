import type { IdempotencyWindow } from "./idempotency-window.ts";

/**
 * The idempotency window's snapshot columns as UTF-8 JSON, written straight from the window's
 * typed arrays: the same bytes as `TextEncoder.encode(JSON.stringify(writeWindow(w)))`
 * (engine/idempotency-snapshot.ts, which stays the reference and the reader's format), without
 * the columns as JS arrays, a string per client order id, the joined ids and the whole JSON text
 * in between. Measured on the snapshotter replica at 400k remembered ids, those intermediates
 * took its peak from ~105 MB at rest to ~300 MB during a snapshot; the output is ~15 MB.
 *
 * Two passes over the rows, the first only counting, so that the one buffer allocated is exactly
 * the snapshot's size: `prefix`, the window, `suffix` (writeExchangeSnapshot puts the book and the
 * rest of the state before it), with no copy to trim or join it.
 *
 * Byte-identical to JSON.stringify because the state hash of a live engine and of a replica or a
 * restored one must agree, and with snapshots already written: a safe integer is written digit by
 * digit (as Number#toString writes it, −0 as 0), any other finite number through String(n), a
 * non-finite one as null; an id byte is escaped as JSON escapes its character (", \, control
 * characters), and a byte ≥ 0x80 (a window fills only from validated printable ASCII, but the bytes
 * are copied as they are) is the two-byte UTF-8 of the character clientOrderIdAt gives it.
 */
export function writeWindowJson(w: IdempotencyWindow, prefix: Uint8Array = new Uint8Array(0), suffix = ""): Uint8Array {
  const rows = w.rowsInOrder();
  const count = new JsonBytes(null);
  emit(w, rows, count);
  const out = new JsonBytes(new Uint8Array(prefix.length + count.length + suffix.length));
  out.raw(prefix);
  emit(w, rows, out);
  out.text(suffix);
  return out.buf!;
}

function emit(w: IdempotencyWindow, rows: readonly number[], out: JsonBytes): void {
  out.text('{"accounts":[');
  numbers(out, rows, (row) => w.accountAt(row), false);
  out.text('],"ids":"');
  const arena = w.idArena;
  for (let k = 0; k < rows.length; k++) {
    if (k > 0) out.byte(0x20);
    const row = rows[k]!;
    const start = w.idStartAt(row);
    out.idBytes(arena, start, start + w.idLengthAt(row));
  }
  out.text('","times":[');
  numbers(out, rows, (row) => w.submitTimeAt(row), true);
  out.text('],"orderIds":[');
  numbers(out, rows, (row) => w.orderIdAt(row), true);
  out.text('],"states":[');
  numbers(out, rows, (row) => (w.isOpen(row) ? -1 : w.stateAt(row)), false);
  out.text('],"done":[');
  let first = true;
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    if (w.isOpen(row)) continue;
    if (!first) out.byte(0x2c);
    first = false;
    out.number(w.symbolAt(row));
    out.byte(0x2c);
    out.number(w.sideAt(row));
    out.byte(0x2c);
    out.number(w.priceAt(row));
    out.byte(0x2c);
    out.number(w.filledAt(row));
  }
  out.text("]}");
}

/** A JSON array's numbers, no brackets: `value` of each row, less the row before's when `delta` (the first less 0). */
function numbers(out: JsonBytes, rows: readonly number[], value: (row: number) => number, delta: boolean): void {
  let prev = 0;
  for (let k = 0; k < rows.length; k++) {
    if (k > 0) out.byte(0x2c);
    const v = value(rows[k]!);
    out.number(delta ? v - prev : v);
    prev = v;
  }
}

const HEX = "0123456789abcdef";

/** JSON.stringify's number and string forms as bytes; without a buffer it only counts them. */
class JsonBytes {
  /** Bytes written (or counted). */
  length = 0;

  constructor(readonly buf: Uint8Array | null) {}

  byte(b: number): void {
    if (this.buf !== null) this.buf[this.length] = b;
    this.length++;
  }

  raw(bytes: Uint8Array): void {
    this.buf?.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** ASCII text (keys, punctuation). */
  text(s: string): void {
    const buf = this.buf;
    if (buf !== null) for (let i = 0; i < s.length; i++) buf[this.length + i] = s.charCodeAt(i);
    this.length += s.length;
  }

  number(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.text(Number.isFinite(n) ? String(n) : "null");
      return;
    }
    if (n < 0) {
      this.byte(0x2d);
      n = -n;
    }
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    const buf = this.buf;
    this.length += digits;
    if (buf === null) return;
    // Exact: below 2^53, n / 10 never rounds across an integer.
    let i = this.length;
    do {
      const q = Math.floor(n / 10);
      buf[--i] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** Id bytes, as the characters String.fromCharCode gives them, inside a JSON string. */
  idBytes(src: Uint8Array, from: number, to: number): void {
    const buf = this.buf;
    let at = this.length;
    for (let i = from; i < to; i++) {
      const b = src[i]!;
      if (b >= 0x20 && b !== 0x22 && b !== 0x5c && b < 0x80) {
        if (buf !== null) buf[at] = b;
        at++;
      } else if (b === 0x22 || b === 0x5c) {
        if (buf !== null) {
          buf[at] = 0x5c;
          buf[at + 1] = b;
        }
        at += 2;
      } else if (b >= 0x80) {
        if (buf !== null) {
          buf[at] = 0xc0 | (b >> 6);
          buf[at + 1] = 0x80 | (b & 0x3f);
        }
        at += 2;
      } else {
        const short = b === 8 ? 0x62 : b === 9 ? 0x74 : b === 10 ? 0x6e : b === 12 ? 0x66 : b === 13 ? 0x72 : 0;
        if (buf !== null) {
          buf[at] = 0x5c;
          if (short !== 0) buf[at + 1] = short;
          else {
            buf[at + 1] = 0x75;
            buf[at + 2] = 0x30;
            buf[at + 3] = 0x30;
            buf[at + 4] = HEX.charCodeAt(b >> 4);
            buf[at + 5] = HEX.charCodeAt(b & 15);
          }
        }
        at += short !== 0 ? 2 : 6;
      }
    }
    this.length = at;
  }
}
