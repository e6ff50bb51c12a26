import { LayoutError } from "./layout-error.ts";
import { EVENT_WIDTH, type EventBuffer } from "../../engine/events.ts";

/**
 * The one binary form of an engine event: a 128-byte little-endian record holding the seq of the
 * command that produced it and the 14 float64 slots of its EventBuffer record, unchanged (their
 * meaning is the table in engine/events.ts). Used by the event rings and anything that stores
 * events. Values are raw float64: a STATUS event's `until` may be Infinity, so the record does not
 * insist on integers.
 */
export const EVENT_RECORD_BYTES = 128;
export const EVENT_LAYOUT_VERSION = 1;

/** Byte offset of each part of an event record. */
export const EventOffset = {
  SEQ: 0,
  /** EventBuffer slot i (F.TYPE, F.SYMBOL, ...) is the float64 at FIELDS + 8 × i. */
  FIELDS: 8,
  VERSION: 120,
  /** Reserved to the end of the record, zero. */
  RESERVED: 121,
} as const;

const FIELDS_END = EventOffset.FIELDS + 8 * EVENT_WIDTH;

/**
 * Writes the record starting at `data[base]` (EVENT_WIDTH float64) with `seq` into the 128 bytes at
 * `offset`. Allocates nothing.
 */
export function encodeEvent(data: Float64Array, base: number, seq: number, view: DataView, offset: number): void {
  view.setFloat64(offset, seq, true);
  let at = offset + EventOffset.FIELDS;
  for (let i = 0; i < EVENT_WIDTH; i++, at += 8) view.setFloat64(at, data[base + i]!, true);
  // Version byte and the reserved tail in two writes: [version, 0, 0, 0] and four zeros.
  view.setUint32(offset + EventOffset.VERSION, EVENT_LAYOUT_VERSION, true);
  view.setUint32(offset + EventOffset.VERSION + 4, 0, true);
}

/**
 * Writes every event in `buf`, all from command `seq`, back to back from `offset`. Returns the
 * bytes written (buf.count × 128). Allocates nothing.
 */
export function encodeEvents(buf: EventBuffer, seq: number, view: DataView, offset: number): number {
  const data = buf.data;
  const n = buf.count;
  for (let k = 0; k < n; k++) encodeEvent(data, k * EVENT_WIDTH, seq, view, offset + k * EVENT_RECORD_BYTES);
  return n * EVENT_RECORD_BYTES;
}

/**
 * Writes every event in `buf` into a ring of `slotCount` 128-byte slots that starts at `ringOffset`
 * in `view`, the first into slot `firstSlot % slotCount`, wrapping at the end. Returns the number
 * of records written. The caller has already claimed those slots (its producer sequence); this
 * only lays out bytes. Allocates nothing.
 */
export function encodeEventsToRing(
  buf: EventBuffer,
  seq: number,
  view: DataView,
  ringOffset: number,
  slotCount: number,
  firstSlot: number,
): number {
  const data = buf.data;
  const n = buf.count;
  let slot = firstSlot % slotCount;
  for (let k = 0; k < n; k++) {
    encodeEvent(data, k * EVENT_WIDTH, seq, view, ringOffset + slot * EVENT_RECORD_BYTES);
    if (++slot === slotCount) slot = 0;
  }
  return n;
}

// The journal and the history writer hand over Uint8Arrays; the DataView over one is made once and
// kept for the next batch, since a writer reuses its buffer.
let bytesSeen: Uint8Array | null = null;
let bytesView: DataView = new DataView(new ArrayBuffer(0));

function viewOf(bytes: Uint8Array): DataView {
  if (bytes !== bytesSeen) {
    bytesView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    bytesSeen = bytes;
  }
  return bytesView;
}

/**
 * `encodeEvents` into a Uint8Array at `offset`; returns the bytes written. Throws a RangeError,
 * writing nothing, if the batch does not fit. Allocates a DataView only for a Uint8Array it did
 * not see last time.
 */
export function encodeEventsToBytes(buf: EventBuffer, seq: number, bytes: Uint8Array, offset: number): number {
  const need = buf.count * EVENT_RECORD_BYTES;
  if (offset < 0 || offset + need > bytes.byteLength) {
    throw new RangeError(`${buf.count} events need ${need} bytes at offset ${offset}; the buffer holds ${bytes.byteLength}`);
  }
  return encodeEvents(buf, seq, viewOf(bytes), offset);
}

/**
 * Reads the record at `offset` into `out[outOffset ..< outOffset + 14]` and returns its seq. Never
 * throws on the record's bytes and allocates nothing.
 */
export function decodeEvent(view: DataView, offset: number, out: Float64Array, outOffset = 0): number {
  let at = offset + EventOffset.FIELDS;
  for (let i = 0; i < EVENT_WIDTH; i++, at += 8) out[outOffset + i] = view.getFloat64(at, true);
  return view.getFloat64(offset + EventOffset.SEQ, true);
}

/**
 * Appends the record at `offset` to `buf` (as the engine would have written it) and returns its
 * seq: how a reader rebuilds a batch from a ring or a file.
 */
export function decodeEventInto(view: DataView, offset: number, buf: EventBuffer): number {
  const base = buf.claim();
  return decodeEvent(view, offset, buf.data, base);
}

/**
 * null if the record at `offset` is one `encodeEvent` could have written, else why not: wrong
 * version, a seq that is not an integer within ±(2^53 − 1), or a non-zero reserved byte.
 */
export function validateEventRecord(view: DataView, offset: number): string | null {
  const version = view.getUint8(offset + EventOffset.VERSION);
  if (version !== EVENT_LAYOUT_VERSION) return `layout version ${version}, expected ${EVENT_LAYOUT_VERSION}`;
  const seq = view.getFloat64(offset + EventOffset.SEQ, true);
  if (!Number.isSafeInteger(seq)) return `seq is ${seq}, not an integer within ±(2^53-1)`;
  for (let i = EventOffset.RESERVED; i < EVENT_RECORD_BYTES; i++) {
    if (view.getUint8(offset + i) !== 0) return `reserved byte ${i} is not zero`;
  }
  return null;
}

// The record's fields must end where the version byte begins; a wider EventBuffer needs a new layout.
if (FIELDS_END !== EventOffset.VERSION) throw new LayoutError(`event layout: ${EVENT_WIDTH} fields end at byte ${FIELDS_END}, not ${EventOffset.VERSION}`);
