/**
 * storage/crc32c.ts: CRC-32C (Castagnoli) against published vectors and a bit-at-a-time reference.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Crc32cBuffer, crc32c } from "../../storage/crc32c.ts";

const hex = (n: number) => "0x" + n.toString(16).toUpperCase().padStart(8, "0");
const bytes = (...xs: number[]) => Uint8Array.from(xs);
const ascii = (s: string) => new TextEncoder().encode(s);

/** The definition, one bit at a time: slow and obviously right. */
function referenceCrc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe("published vectors", () => {
  const vectors: [string, Uint8Array, number][] = [
    ['the check value of "123456789"', ascii("123456789"), 0xe3069283],
    ["the empty string", new Uint8Array(0), 0x00000000],
    ['"a"', ascii("a"), 0xc1d04330],
    // RFC 3720 (iSCSI), appendix B.4
    ["32 zero bytes (RFC 3720)", new Uint8Array(32), 0x8a9136aa],
    ["32 bytes of 0xFF (RFC 3720)", new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ["32 ascending bytes 0..31 (RFC 3720)", Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ["32 descending bytes 31..0 (RFC 3720)", Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
    [
      "an iSCSI SCSI Read (10) command PDU (RFC 3720)",
      bytes(
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
        0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      ),
      0xd9963a56,
    ],
  ];
  for (const [name, input, want] of vectors) {
    test(`${name} → ${hex(want)}`, () => {
      expect(hex(crc32c(input)), `CRC-32C of ${name}`).toBe(hex(want));
      expect(hex(referenceCrc32c(input)), `the bitwise reference agrees on ${name}`).toBe(hex(want));
    });
  }
});

describe("ranges and continuation", () => {
  test("a range checksums only its own bytes", () => {
    const padded = new Uint8Array(3 + 9 + 5).fill(0xaa);
    padded.set(ascii("123456789"), 3);
    expect(hex(crc32c(padded, 3, 12)), "the nine bytes at offset 3").toBe(hex(0xe3069283));
  });

  test("an empty range is 0 and a range outside the array throws", () => {
    expect(crc32c(new Uint8Array(10), 4, 4)).toBe(0);
    expect(() => crc32c(new Uint8Array(10), 4, 11)).toThrow(RangeError);
    expect(() => crc32c(new Uint8Array(10), 5, 4)).toThrow(RangeError);
    expect(() => crc32c(new Uint8Array(10), -1, 4)).toThrow(RangeError);
  });

  test("any range of any array matches the bitwise reference, and continuing from a split point gives the same result", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), fc.nat(), (b, x, y, z) => {
        const [start, mid, end] = [x % (b.length + 1), y % (b.length + 1), z % (b.length + 1)].sort((p, q) => p - q) as [number, number, number];
        const want = referenceCrc32c(b.subarray(start, end));
        expect(crc32c(b, start, end)).toBe(want);
        expect(crc32c(b, mid, end, crc32c(b, start, mid))).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });

  test("every length from 0 to 64 (each tail of the 8-byte loop) matches the reference", () => {
    const b = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let n = 0; n <= 64; n++) {
      for (let start = 0; start < 8 && start + n <= 64; start++) {
        expect(crc32c(b, start, start + n), `length ${n} at offset ${start}`).toBe(referenceCrc32c(b.subarray(start, start + n)));
      }
    }
  });
});

describe("word loads and zero words (Crc32cBuffer, and crc32c over 4 KiB or more)", () => {
  /** Bytes with runs of zeros, as a command record has: every zero-word shortcut gets exercised. */
  const sparse = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 255 })), { maxLength: 700 }).map((xs) => Uint8Array.from(xs));

  test("any range of a buffer, at any alignment of the buffer itself, matches the bitwise reference", () => {
    fc.assert(
      fc.property(fc.oneof(sparse, fc.uint8Array({ maxLength: 700 })), fc.nat(7), fc.nat(), fc.nat(), fc.nat(), (src, shift, x, y, z) => {
        // The same bytes at byteOffset `shift` of a larger buffer: 4-aligned views read words, the others bytes.
        const backing = new Uint8Array(src.length + 8);
        const b = backing.subarray(shift, shift + src.length);
        b.set(src);
        const [start, mid, end] = [x % (b.length + 1), y % (b.length + 1), z % (b.length + 1)].sort((p, q) => p - q) as [number, number, number];
        const want = referenceCrc32c(b.subarray(start, end));
        const c = new Crc32cBuffer(b);
        expect(c.crc(start, end)).toBe(want);
        expect(c.crc(mid, end, c.crc(start, mid))).toBe(want);
      }),
      { numRuns: 3000 },
    );
  });

  test("every length from 0 to 80 at every offset 0–7 matches the reference (each tail of the 16-, 8- and 4-byte steps)", () => {
    const b = Uint8Array.from({ length: 96 }, (_, i) => (i % 5 === 0 ? 0 : (i * 37 + 11) & 0xff));
    const c = new Crc32cBuffer(b);
    for (let n = 0; n <= 80; n++) {
      for (let start = 0; start < 8; start++) {
        expect(c.crc(start, start + n), `length ${n} at offset ${start}`).toBe(referenceCrc32c(b.subarray(start, start + n)));
      }
    }
  });

  test("a range outside the buffer throws", () => {
    const c = new Crc32cBuffer(new Uint8Array(10));
    expect(c.crc(4, 4)).toBe(0);
    expect(() => c.crc(4, 11)).toThrow(RangeError);
    expect(() => c.crc(5, 4)).toThrow(RangeError);
    expect(() => c.crc(-1, 4)).toThrow(RangeError);
  });

  test("crc32c over long ranges (through a word view) agrees with the reference at every alignment", () => {
    const big = Uint8Array.from({ length: 20_000 }, (_, i) => (i % 97 < 40 ? 0 : (i * 2654435761) >>> 24));
    for (let shift = 0; shift < 8; shift++) {
      for (const [start, end] of [[shift, 20_000 - shift], [shift + 1, shift + 4097], [0, 4096 + shift]] as const) {
        const want = referenceCrc32c(big.subarray(start, end));
        expect(crc32c(big, start, end), `[${start}, ${end})`).toBe(want);
        expect(new Crc32cBuffer(big).crc(start, end), `[${start}, ${end}) through a Crc32cBuffer`).toBe(want);
      }
      // A view that itself starts at an odd byteOffset of its buffer.
      const view = big.subarray(shift, 12_000 + shift);
      expect(crc32c(view), `a view at byteOffset ${shift}`).toBe(referenceCrc32c(view));
      expect(crc32c(view, 3, 5_000), `[3, 5000) of a view at byteOffset ${shift}`).toBe(referenceCrc32c(view.subarray(3, 5_000)));
    }
    const zeros = new Uint8Array(8192);
    expect(crc32c(zeros)).toBe(referenceCrc32c(zeros));
    expect(new Crc32cBuffer(zeros).crc(0, 8192)).toBe(referenceCrc32c(zeros));
  });
});

describe("a Crc32cBuffer over a length-tracking view of a resizable buffer", () => {
  test("ranges past the words it was made with are checksummed right", () => {
    const buffer = new ArrayBuffer(64, { maxByteLength: 256 });
    const bytes = new Uint8Array(buffer);
    const c = new Crc32cBuffer(bytes);
    buffer.resize(200);
    for (let i = 0; i < 200; i++) bytes[i] = (i * 91 + 7) & 0xff;
    for (const [start, end] of [[0, 200], [40, 120], [64, 200], [100, 180], [3, 67]] as const) {
      expect(c.crc(start, end), `[${start}, ${end})`).toBe(referenceCrc32c(bytes.slice(start, end)));
    }
  });
});
