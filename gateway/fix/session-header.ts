import { type EncodedFields, encodeFields, FixEncoder, fixTimestamp } from "./codec.ts";
import type { Field } from "./message.ts";

/**
 * The header a session stamps on every message it sends: 35, 34, 49, 52, 56 in tag order, as
 * QuickFIX writes it. 49=<our CompID>| and 56=<theirs>| are encoded once rather than per message.
 */
export class SessionHeader {
  private readonly encoder = new FixEncoder();
  private senderField: EncodedFields | null = null;
  private targetField: EncodedFields | null = null;
  private targetFieldOf: string | null = null;

  constructor(private readonly compId: string) {}

  /** The encoder holding `fields()`'s header, written as encodeFix writes them; the body follows. */
  begin(msgType: string, seq: number, now: number, theirCompId: string): FixEncoder {
    if (this.senderField === null) this.senderField = encodeFields([[49, this.compId]]);
    if (this.targetFieldOf !== theirCompId) {
      this.targetField = encodeFields([[56, theirCompId]]);
      this.targetFieldOf = theirCompId;
    }
    return this.encoder.begin(msgType).intField(34, seq).bytes(this.senderField).field(52, fixTimestamp(now)).bytes(this.targetField!);
  }

  /** The same header as fields, for messages built as a Field[] (resends and gap fills). */
  fields(msgType: string, seq: number, now: number, theirCompId: string): Field[] {
    return [[35, msgType], [34, String(seq)], [49, this.compId], [52, fixTimestamp(now)], [56, theirCompId]];
  }
}
