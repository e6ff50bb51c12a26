import { LayoutError } from "./layout-error.ts";
import { CLIENT_ORDER_ID_MAX, COMMAND_SLOT_BYTES, CommandOffset as O, DESTINATION_MAX } from "./command-layout.ts";

/**
 * A command as the journal keeps it: the slot's bytes up to the end of its last string in use.
 * Everything after that is zero by the layout (writeAscii pads each string field with zeros, and
 * the reserved tail is zero), so the prefix is the whole command, and a reader puts the zeros back.
 * A typical order (a short client order id, no destination) takes 120 bytes instead of 256: half
 * the bytes to checksum, write and sync per command, and half the journal on disk. A full 256-byte
 * record (how journals were written before) is still a valid record.
 */

/** The shortest record: every fixed field, no string bytes. */
export const MIN_RECORD_BYTES = O.CLIENT_ORDER_ID;

/** How many leading bytes of the encoded slot at `offset` a journal record keeps (a multiple of 8). */
export function recordBytes(view: DataView, offset: number): number {
  const destLen = view.getUint8(offset + O.DESTINATION_LEN);
  const end = destLen > 0 ? O.DESTINATION + destLen : O.CLIENT_ORDER_ID + view.getUint8(offset + O.CLIENT_ORDER_ID_LEN);
  // Whole words: the encoder writes strings four bytes at a time, zero-padded.
  return Math.min(COMMAND_SLOT_BYTES, (end + 7) & ~7);
}

/** Where the strings a record's length bytes announce end (unaligned; capped at each field's size). */
function stringsEnd(buf: Uint8Array, start: number): number {
  const destLen = Math.min(buf[start + O.DESTINATION_LEN]!, DESTINATION_MAX);
  return destLen > 0 ? O.DESTINATION + destLen : O.CLIENT_ORDER_ID + Math.min(buf[start + O.CLIENT_ORDER_ID_LEN]!, CLIENT_ORDER_ID_MAX);
}

/**
 * Turns journal payloads back into 256-byte slots for decodeCommand/validateCommandSlot. A full
 * record is read in place (one DataView per underlying buffer, not per record: a DataView per
 * record was ~5% of a replay); a shorter one is copied into a zero-filled scratch slot.
 */
export class RecordReader {
  private readonly scratch = new Uint8Array(COMMAND_SLOT_BYTES);
  private readonly scratchView: DataView<ArrayBufferLike> = new DataView(this.scratch.buffer);
  private buffer: ArrayBufferLike | null = null;
  private bufferView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  /** Where the slot starts in `view` after the last slot() call. */
  offset = 0;

  /** The view holding `payload` as a whole slot (at `this.offset`); throws on a record too short to be a command. */
  slot(payload: Uint8Array, seq: number): DataView<ArrayBufferLike> {
    return this.slotAt(payload, 0, payload.byteLength, seq);
  }

  /** slot() of the `length` bytes at `start` of `buf`, without a view per record. */
  slotAt(buf: Uint8Array, start: number, length: number, seq: number): DataView<ArrayBufferLike> {
    if (length >= COMMAND_SLOT_BYTES) {
      if (buf.buffer !== this.buffer) {
        this.buffer = buf.buffer;
        this.bufferView = new DataView(buf.buffer);
      }
      this.offset = buf.byteOffset + start;
      return this.bufferView;
    }
    if (length < MIN_RECORD_BYTES) throw new LayoutError(`journal record ${seq} is ${length} bytes, shorter than the ${MIN_RECORD_BYTES}-byte minimum of a command`);
    const need = stringsEnd(buf, start);
    if (length < need) throw new LayoutError(`journal record ${seq} is ${length} bytes, shorter than the ${need} its strings need`);
    const scratch = this.scratch;
    scratch.set(buf.subarray(start, start + length));
    scratch.fill(0, length);
    this.offset = 0;
    return this.scratchView;
  }
}
