/**
 * actors/layout/schema.ts: the binary layout of an event (128-byte record), shared by the rings
 * and the journal (docs/layouts.md). The command slot is in schema.test.ts.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ALL_SYMBOLS, CommandType } from "../../engine/commands.ts";
import { decodeEvents, EVENT_WIDTH, EventBuffer, EventType, F } from "../../engine/events.ts";
import { decodeEvent, decodeEventInto, encodeEvents, encodeEventsToBytes, encodeEventsToRing, EVENT_LAYOUT_VERSION, EVENT_RECORD_BYTES, EventOffset, validateEventRecord } from "../../actors/layout/schema.ts";

const MAX = Number.MAX_SAFE_INTEGER;
const T = 1_700_000_000_000_000;

function bytes(view: DataView, offset = 0, length = view.byteLength - offset): number[] {
  return Array.from(new Uint8Array(view.buffer, view.byteOffset + offset, length));
}

/** A batch with every event type and the awkward values: Infinity, −0, the largest safe integers. */
function eventBatch(): EventBuffer {
  const buf = new EventBuffer(2); // small, so the batch also crosses a grow()
  buf.write(EventType.ACCEPTED, 1, 101, 7, 0, 10_000, 5, 5, 0, 0, 0, 0);
  buf.write(EventType.REJECTED, 1, 102, 7, 1, 0, 0, 0, 61, CommandType.NEW_ORDER, 0, 0);
  buf.write(EventType.TRADE, 2, MAX, MAX - 1, 1, 10_001, 3, 2, MAX - 2, 9, 0, MAX);
  buf.write(EventType.CANCELLED, 2, 103, 7, 0, 9_999, 4, 0, 3, 0, 0, 0);
  buf.write(EventType.EXPIRED, 2, 104, 7, 0, 9_999, 4, 0, 5, 0, 0, 0);
  buf.write(EventType.STOP_TRIGGERED, 1, 105, 7, 1, 9_000, 2, 2, 8_999, 2, 0, 0);
  buf.write(EventType.AMENDED, 1, 106, 7, 0, 10_002, 9, 9, 1, 10_000, 5, 0);
  buf.write(EventType.LEVEL, 1, 0, 0, 0, 10_002, 1e12, 4, 0, 0, 0, 0);
  buf.write(EventType.ORDER_STATE, 1, 107, 7, 0, 10_000, 0, 5, 0, 1, 0, T, 2, MAX);
  buf.write(EventType.DUPLICATE, 1, 108, 7, 0, 10_000, 0, 5, 1, 0, 0, 0);
  buf.write(EventType.STATUS, 2, 0, 0, 0, 0, 0, 0, 1, Infinity, 0, 0);
  buf.write(EventType.STATUS, 2, 0, 0, 0, 0, 0, 0, 0, -Infinity, -0, 0);
  buf.write(EventType.ACCOUNT, ALL_SYMBOLS, 0, 7, 0, 0, 0, 0, CommandType.DEPOSIT, 2, 0, 0);
  return buf;
}

function sameFloats(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect({ i, same: Object.is(a[i], b[i]) }).toEqual({ i, same: true });
}

describe("event records", () => {
  test("a record is the command's seq, the 14 EventBuffer slots and a version byte, little-endian", () => {
    expect(EVENT_RECORD_BYTES).toBe(128);
    expect(EventOffset).toEqual({ SEQ: 0, FIELDS: 8, VERSION: 120, RESERVED: 121 });
    const buf = new EventBuffer(1);
    buf.write(EventType.TRADE, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
    const view = new DataView(new ArrayBuffer(EVENT_RECORD_BYTES));
    new Uint8Array(view.buffer).fill(0xaa);
    expect(encodeEvents(buf, 42, view, 0)).toBe(EVENT_RECORD_BYTES);
    expect(view.getFloat64(0, true)).toBe(42);
    for (let i = 0; i < EVENT_WIDTH; i++) expect(view.getFloat64(8 + 8 * i, true)).toBe(i === F.TYPE ? EventType.TRADE : i);
    expect(bytes(view, 120)).toEqual([EVENT_LAYOUT_VERSION, 0, 0, 0, 0, 0, 0, 0]);
    expect(validateEventRecord(view, 0)).toBeNull();
  });

  test("encodeEvents writes a batch back to back and decodeEvent reads every slot bit for bit", () => {
    const buf = eventBatch();
    const view = new DataView(new ArrayBuffer(16 + buf.count * EVENT_RECORD_BYTES));
    expect(encodeEvents(buf, 9_001, view, 16)).toBe(buf.count * EVENT_RECORD_BYTES);
    const out = new Float64Array(buf.count * EVENT_WIDTH);
    for (let k = 0; k < buf.count; k++) {
      expect(decodeEvent(view, 16 + k * EVENT_RECORD_BYTES, out, k * EVENT_WIDTH)).toBe(9_001);
      expect(validateEventRecord(view, 16 + k * EVENT_RECORD_BYTES)).toBeNull();
    }
    sameFloats(out, buf.data.subarray(0, buf.count * EVENT_WIDTH));
  });

  test("decodeEventInto rebuilds the batch the engine wrote", () => {
    const buf = eventBatch();
    const view = new DataView(new ArrayBuffer(buf.count * EVENT_RECORD_BYTES));
    encodeEvents(buf, 5, view, 0);
    const rebuilt = new EventBuffer(1);
    for (let k = 0; k < buf.count; k++) expect(decodeEventInto(view, k * EVENT_RECORD_BYTES, rebuilt)).toBe(5);
    expect(rebuilt.count).toBe(buf.count);
    sameFloats(rebuilt.data.subarray(0, rebuilt.count * EVENT_WIDTH), buf.data.subarray(0, buf.count * EVENT_WIDTH));
    expect(decodeEvents(rebuilt)).toEqual(decodeEvents(buf));
  });

  test("encodeEventsToRing starts at the given slot and wraps at the end of the ring", () => {
    const buf = eventBatch(); // 13 events into a ring of 8 slots from slot 6: 6,7,0,1,...,6 (last wins)
    const slots = 8;
    const ring = new DataView(new SharedArrayBuffer(64 + slots * EVENT_RECORD_BYTES));
    expect(encodeEventsToRing(buf, 77, ring, 64, slots, 8 * 1000 + 6)).toBe(buf.count);
    const out = new Float64Array(EVENT_WIDTH);
    for (let k = buf.count - slots; k < buf.count; k++) {
      const at = 64 + ((6 + k) % slots) * EVENT_RECORD_BYTES;
      expect(decodeEvent(ring, at, out)).toBe(77);
      sameFloats(out, buf.data.subarray(k * EVENT_WIDTH, (k + 1) * EVENT_WIDTH));
    }
    expect(bytes(ring, 0, 64)).toEqual(Array(64).fill(0));
  });

  test("encodeEventsToBytes writes the same bytes into a Uint8Array, and refuses a batch that does not fit", () => {
    const buf = eventBatch();
    const n = buf.count * EVENT_RECORD_BYTES;
    const view = new DataView(new ArrayBuffer(n));
    encodeEvents(buf, 3, view, 0);
    const file = new Uint8Array(8 + n);
    expect(encodeEventsToBytes(buf, 3, file, 8)).toBe(n);
    expect(Array.from(file.subarray(8))).toEqual(bytes(view));
    const other = new Uint8Array(n);
    expect(encodeEventsToBytes(buf, 3, other, 0)).toBe(n); // a second buffer gets its own view
    expect(Array.from(other)).toEqual(bytes(view));
    const small = new Uint8Array(n - 1);
    expect(() => encodeEventsToBytes(buf, 3, small, 0)).toThrow(/13 events need 1664 bytes at offset 0; the buffer holds 1663/);
    expect(Array.from(small)).toEqual(Array(n - 1).fill(0));
  });

  test("validateEventRecord flags a wrong version, a non-integer seq and reserved bytes", () => {
    const buf = new EventBuffer(1);
    buf.write(EventType.LEVEL, 1, 0, 0, 0, 100, 5, 1, 0, 0, 0, 0);
    const fresh = () => {
      const v = new DataView(new ArrayBuffer(EVENT_RECORD_BYTES));
      encodeEvents(buf, 1, v, 0);
      return v;
    };
    expect(validateEventRecord(new DataView(new ArrayBuffer(EVENT_RECORD_BYTES)), 0)).toMatch(/layout version 0/);
    let v = fresh();
    v.setFloat64(0, 0.5, true);
    expect(validateEventRecord(v, 0)).toMatch(/seq is 0.5/);
    v = fresh();
    v.setUint8(127, 1);
    expect(validateEventRecord(v, 0)).toMatch(/reserved byte 127/);
  });

  test("random records never make decodeEvent or validateEventRecord throw", () => {
    const out = new Float64Array(EVENT_WIDTH);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: EVENT_RECORD_BYTES, maxLength: EVENT_RECORD_BYTES }), (raw) => {
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        decodeEvent(view, 0, out);
        const reason = validateEventRecord(view, 0);
        expect(reason === null || typeof reason === "string").toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});
