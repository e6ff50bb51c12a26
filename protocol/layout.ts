import { LayoutDescriptionError } from "./codec-errors.ts";

/**
 * The description format of a wire message (docs/protocol.md, How the codec is built): each
 * message is one `MessageLayout`, its fields in wire order. Offsets are not written: a field starts
 * where the one before it ends, after the header of the message's family. The compiler
 * (compile-encode.ts, compile-decode.ts) turns a layout into its encoder, decoder and checks.
 */

/**
 * How a field sits on the wire:
 *   u8, u16, u32, i32   little-endian integers (1, 2, 4, 4 bytes)
 *   bool                a u8 that is 0 or 1, a boolean in the message
 *   nat                 f64 holding a non-negative safe integer (prices, quantities, ids, times)
 *   bytes               `size` raw bytes (a nonce, a signature)
 *   str                 u8 length + `min`–`max` printable ASCII (0x20 allowed if `space`)
 *   text                u8 length + up to 255 characters; never refused (encoded with '?' for
 *                       what is not printable, cut at 255)
 *   list                a u16 or u32 count here; the entries (`entry`, fixed or variable size)
 *                       after every other field, lists in order
 */
export type FieldKind = "u8" | "bool" | "u16" | "u32" | "i32" | "nat" | "bytes" | "str" | "text" | "list";

export interface Field {
  /** Property name in the message object. */
  name: string;
  kind: FieldKind;
  /** Name in error messages when it is not `name` (a trade's `aggressorSide` is "side"). */
  label?: string;
  /** u8: the largest value (an enum's last member). */
  max?: number;
  /** u8, u16: the known bits; any other bit is refused. */
  mask?: number;
  /** u16 with `mask`: at least one bit must be set. */
  nonEmpty?: boolean;
  /** i32: the smallest value; str: the shortest length. */
  min?: number;
  /** bytes: the length; str: the longest length. */
  size?: number;
  /** str: 0x20 allowed. */
  space?: boolean;
  /** u8: must be a client message type (REJECT's requestType). */
  clientType?: boolean;
  /** Client decoder: the engine reason that names the field (Reason.INVALID_SIDE, …), else 0. */
  reason?: number;
  /** Client decoder: the rule in the message ("must be 0 (buy) or 1 (sell)"), when not the default. */
  rule?: string;
  /** Encoder: the rule in the thrown message, when not the default (i32 only). */
  encodeRule?: string;
  /** nat: 0 is allowed only when the str field of this name is not empty (an order reference). */
  orNonEmpty?: string;
  /** list: the count's width, the entry's fields, and an entry's name in builder messages. */
  count?: "u16" | "u32";
  entry?: Field[];
  item?: string;
}

/** Which header a message has (frame.ts): it decides where the body starts and the header checks. */
export type Family = "client" | "session" | "market";

export const HEADER_BYTES: Record<Family, number> = { client: 6, session: 10, market: 22 };

export interface MessageLayout {
  type: number;
  family: Family;
  fields: Field[];
}

type Options = Omit<Field, "name" | "kind">;

const field = (kind: FieldKind) => (name: string, o: Options = {}): Field => ({ name, kind, ...o });

export const u8 = field("u8");
export const bool = field("bool");
export const u16 = field("u16");
export const u32 = field("u32");
export const i32 = field("i32");
export const nat = field("nat");
export const bytes = (name: string, size: number): Field => ({ name, kind: "bytes", size });
export const str = (name: string, min: number, max: number, o: Options = {}): Field => ({ name, kind: "str", min, size: max, ...o });
export const text = (name: string): Field => ({ name, kind: "text" });
export const list = (name: string, count: "u16" | "u32", item: string, entry: Field[]): Field => ({ name, kind: "list", count, item, entry });

/** Bytes a field takes on the wire, or -1 when it varies (a string) or sits at the end (a list's entries). */
export function fixedBytes(f: Field): number {
  switch (f.kind) {
    case "u8":
    case "bool":
      return 1;
    case "u16":
      return 2;
    case "u32":
    case "i32":
      return 4;
    case "nat":
      return 8;
    case "bytes":
      return f.size!;
    case "list":
      return f.count === "u16" ? 2 : 4;
    default:
      return -1;
  }
}

/** The most bytes a string field can take (its length byte included). */
export function maxBytes(f: Field): number {
  if (f.kind === "text") return 256;
  if (f.kind === "str") return 1 + f.size!;
  const n = fixedBytes(f);
  if (n < 0) throw new LayoutDescriptionError(`field ${f.name}: no size`);
  return n;
}

/** Bytes of an entry when every field is fixed, else -1. */
export function entryBytes(entry: readonly Field[]): number {
  let n = 0;
  for (const f of entry) {
    const b = fixedBytes(f);
    if (b < 0 || f.kind === "list") return -1;
    n += b;
  }
  return n;
}

/** The offset of each field of a layout while the fields before it are fixed, else -1. */
export function offsets(layout: MessageLayout): number[] {
  let at = HEADER_BYTES[layout.family];
  return layout.fields.map((f) => {
    const here = at;
    const n = fixedBytes(f);
    at = at < 0 || n < 0 ? -1 : at + n;
    return here;
  });
}

/** Where the fixed part of a layout ends (its size when it has no string or list entries). */
export function fixedEnd(layout: MessageLayout): number {
  const at = offsets(layout);
  const n = layout.fields.length;
  if (n === 0) return HEADER_BYTES[layout.family];
  const last = fixedBytes(layout.fields[n - 1]!);
  if (at[n - 1]! < 0 || last < 0) throw new LayoutDescriptionError(`type 0x${layout.type.toString(16)}: no fixed end`);
  return at[n - 1]! + last;
}
