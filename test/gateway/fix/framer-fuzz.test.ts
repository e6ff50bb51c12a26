/**
 * Properties of the FIX framer under hostile input (fast-check): random byte streams and mutated
 * valid streams, cut into random chunks, never make it throw; every byte pushed is accounted for
 * exactly once (delivered, skipped as garbled, or still buffered); what is buffered stays within
 * maxMessageBytes plus one chunk; and every valid message surrounded by garbage that does not
 * contain "8=FIX" comes out intact and in order.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { checksum, encodeFix } from "../../../gateway/fix/codec.ts";
import { type Frame, FixFramer } from "../../../gateway/fix/framer.ts";
import type { Field } from "../../../gateway/fix/message.ts";
import { bytesOf, concat } from "./bytes.ts";

const RUNS = Number(process.env.FIX_FUZZ_RUNS ?? 300);

const RESYNC = "8=FIX";
const containsResync = (b: Uint8Array) => Buffer.from(b).includes(RESYNC, 0, "latin1");

// ------------------------------------------------------------------------------ arbitraries

// Data fields and their lengths are left out: a random value would not match a random length.
const DATA_TAGS = new Set([89, 90, 91, 93, 95, 96, 212, 213, 348, 349, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 360, 361, 362, 363, 364, 365, 445, 446, 618, 619, 621, 622]);
const tagArb = fc
  .oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 99_999 }), fc.integer({ min: 1, max: 999_999_999 }))
  .filter((t) => t !== 8 && t !== 9 && t !== 10 && t !== 35 && !DATA_TAGS.has(t));
const valueArb = fc.oneof(
  fc.array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: 16 }),
  fc.array(fc.integer({ min: 2, max: 255 }), { minLength: 1, maxLength: 40 }),
  fc.constantFrom([0x38, 0x3d, 0x46, 0x49, 0x58], [0x31, 0x30, 0x3d, 0x30]), // "8=FIX" and "10=0" inside a value
).map((codes) => String.fromCharCode(...codes));
const messageArb: fc.Arbitrary<Field[]> = fc
  .tuple(fc.constantFrom("0", "A", "D", "F", "G", "8", "AE"), fc.array(fc.tuple(tagArb, valueArb), { maxLength: 12 }))
  .map(([msgType, rest]) => [[35, msgType] as Field, ...rest]);

/** Pieces that look like FIX, so random streams reach the framer's deeper branches. */
const FRAGMENTS = [
  "8=", "8=FI", "8=FIY", "8", "=", "\x01", "9=", "9=12\x01", "10=", "10=123\x01", "35=0\x01", "34=1\x01", "FIX.4.4\x01", "0",
].map(bytesOf);
const garbageArb = fc
  .array(fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.constantFrom(...FRAGMENTS)), { maxLength: 6 })
  .map((parts) => concat(...parts))
  .filter((b) => !containsResync(b));
/** Random streams may contain whole headers, to exercise length and checksum checks on nonsense. */
const noiseArb = fc
  .array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(...FRAGMENTS, bytesOf("8=FIX.4.4\x019="), bytesOf("8=FIX.4.2\x01"))), { maxLength: 30 })
  .map((parts) => concat(...parts));
const chunkSizesArb = fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 8 });
const maxArb = fc.constantFrom(64, 200, 64 * 1024);

// ------------------------------------------------------------------------------ harness

interface Run {
  frames: Frame[];
  pushed: number;
  buffered: number;
}

/**
 * Feeds the stream in chunks of the given sizes (cycled), drains after each push, and checks the
 * memory bound at every step; the bound is the property, so it is asserted here, not afterwards.
 */
function run(stream: Uint8Array, sizes: number[], maxMessageBytes: number): Run {
  const framer = new FixFramer({ maxMessageBytes });
  const frames: Frame[] = [];
  let at = 0;
  for (let i = 0; at < stream.length; i++) {
    const chunk = stream.subarray(at, at + sizes[i % sizes.length]!);
    at += chunk.length;
    framer.push(chunk);
    if (framer.buffered > maxMessageBytes + chunk.length) {
      throw new Error(`buffered ${framer.buffered} > max ${maxMessageBytes} + chunk ${chunk.length}`);
    }
    for (let f = framer.next(); f !== null; f = framer.next()) frames.push(f);
    if (framer.buffered > maxMessageBytes) throw new Error(`buffered ${framer.buffered} > max ${maxMessageBytes} after draining`);
    // The backing store is private; it is read here because bounded memory is what this file promises.
    const capacity = (framer as unknown as { buf: Uint8Array }).buf.length;
    if (capacity > 4 * Math.max(16 * 1024, maxMessageBytes + chunk.length)) throw new Error(`backing buffer grew to ${capacity}`);
  }
  return { frames, pushed: stream.length, buffered: framer.buffered };
}

/** Nothing is lost or counted twice, garbled frames skip something, and every message is genuinely valid. */
function expectAccounted({ frames, pushed, buffered }: Run, maxMessageBytes: number): void {
  let accounted = buffered;
  for (const f of frames) {
    if (f.kind === "garbled") {
      expect(f.bytes).toBeGreaterThan(0);
      expect(f.reason.length).toBeGreaterThan(0);
      accounted += f.bytes;
    } else {
      const raw = f.message.raw;
      accounted += raw.length;
      expect(raw.length).toBeLessThanOrEqual(maxMessageBytes);
      const text = Buffer.from(raw).toString("latin1");
      expect(text.startsWith("8=FIX.4.4\x019=")).toBe(true);
      expect(Number(text.slice(-4, -1))).toBe(checksum(raw, 0, raw.length - 7));
      expect(f.message.fields[0]![0]).toBe(35);
      // Re-encoding the fields gives the received bytes back: the parse lost and invented nothing.
      expect(encodeFix(f.message.fields)).toEqual(raw);
    }
  }
  expect(accounted).toBe(pushed);
}

// ------------------------------------------------------------------------------ properties

describe("FixFramer under fuzz", () => {
  test("random byte streams never throw, stay bounded, and account for every byte", () => {
    fc.assert(
      fc.property(noiseArb, chunkSizesArb, maxArb, (stream, sizes, max) => {
        expectAccounted(run(stream, sizes, max), max);
      }),
      { numRuns: RUNS },
    );
  });

  test("mutated valid streams never throw, stay bounded, and account for every byte", () => {
    const mutationArb = fc.record({
      kind: fc.constantFrom("flip", "delete", "insert", "duplicate", "truncate"),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      span: fc.integer({ min: 1, max: 40 }),
    });
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 6 }), fc.array(mutationArb, { maxLength: 4 }), chunkSizesArb, maxArb, (messages, mutations, sizes, max) => {
        let bytes = [...concat(...messages.map((m) => encodeFix(m)))];
        for (const m of mutations) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === "flip") bytes[Math.min(at, bytes.length - 1)] = m.byte;
          else if (m.kind === "delete") bytes.splice(at, m.span);
          else if (m.kind === "insert") bytes.splice(at, 0, m.byte);
          else if (m.kind === "duplicate") bytes.splice(at, 0, ...bytes.slice(at, at + m.span));
          else bytes = bytes.slice(0, at);
        }
        expectAccounted(run(Uint8Array.from(bytes), sizes, max), max);
      }),
      { numRuns: RUNS },
    );
  });

  test("valid messages among garbage without 8=FIX all come out intact, in order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(garbageArb, messageArb), { minLength: 1, maxLength: 6 }), garbageArb, chunkSizesArb, (pairs, tail, sizes) => {
        const encoded = pairs.map(([, m]) => encodeFix(m));
        const stream = concat(...pairs.flatMap(([g], i) => [g, encoded[i]!]), tail);
        const result = run(stream, sizes, 64 * 1024);
        expectAccounted(result, 64 * 1024);
        const delivered = result.frames.flatMap((f) => (f.kind === "message" ? [f.message] : []));
        expect(delivered.map((m) => m.raw)).toEqual(encoded);
        expect(delivered.map((m) => m.fields)).toEqual(pairs.map(([, m]) => m));
      }),
      { numRuns: RUNS },
    );
  });

  test("a long garbage stream, byte by byte and in large chunks, holds no more than a few bytes", () => {
    const garbage = new Uint8Array(256 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + (i >> 5)) & 0xff;
    for (const size of [1, 4096, garbage.length]) {
      const result = run(garbage, [size], 1024);
      expect(result.buffered).toBeLessThan(5);
      expectAccounted(result, 1024);
    }
  });

  test("a message at the size limit, fed byte by byte, arrives once", () => {
    let filler = 64 * 1024;
    let big = encodeFix([[35, "0"], [58, "x".repeat(filler)]]);
    // BodyLength's own digits count towards the size, so settle the filler by trying.
    while (big.length !== 64 * 1024) {
      filler -= big.length - 64 * 1024;
      big = encodeFix([[35, "0"], [58, "x".repeat(filler)]]);
    }
    expect(big.length).toBe(64 * 1024);
    const result = run(big, [1], 64 * 1024);
    expect(result.frames.map((f) => f.kind)).toEqual(["message"]);
  });
});
