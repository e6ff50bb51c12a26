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
function stringsEnd(payload: Uint8Array): number {
  const destLen = Math.min(payload[O.DESTINATION_LEN]!, DESTINATION_MAX);
  return destLen > 0 ? O.DESTINATION + destLen : O.CLIENT_ORDER_ID + Math.min(payload[O.CLIENT_ORDER_ID_LEN]!, CLIENT_ORDER_ID_MAX);
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
    const n = payload.byteLength;
    if (n >= COMMAND_SLOT_BYTES) {
      if (payload.buffer !== this.buffer) {
        this.buffer = payload.buffer;
        this.bufferView = new DataView(payload.buffer);
      }
      this.offset = payload.byteOffset;
      return this.bufferView;
    }
    if (n < MIN_RECORD_BYTES) throw new Error(`journal record ${seq} is ${n} bytes, shorter than the ${MIN_RECORD_BYTES}-byte minimum of a command`);
    const need = stringsEnd(payload);
    if (n < need) throw new Error(`journal record ${seq} is ${n} bytes, shorter than the ${need} its strings need`);
    this.scratch.set(payload);
    this.scratch.fill(0, n);
    this.offset = 0;
    return this.scratchView;
  }
}
