import { LayoutDescriptionError } from "./codec-errors.ts";
import { ErrorCode, ProtocolError } from "./errors.ts";
import { asciiAt, f64At, i32At, isAsciiAt, isClientType, isNat, messageTypeName, u16At, u32At } from "./frame.ts";
import { Cursor, compile, lit } from "./compile-kit.ts";
export { compileDispatch } from "./compile-kit.ts";
import { entryBytes, type Field, fixedBytes, HEADER_BYTES, type MessageLayout, offsets } from "./layout.ts";

/**
 * Decoders compiled from message layouts (layout.ts): straight-line code per message, every
 * offset a constant where it can be. None throws or reads past the frame; each returns the
 * message or the ProtocolError for the first problem. The three families keep the error
 * conventions they have always had (docs/protocol.md):
 *
 *   client   the frame's exact size first (MALFORMED), then each field in wire order
 *            (INVALID_FIELD with the engine reason that names it, and the rule in the message);
 *   session  each field in wire order: a read past the end (MALFORMED) or a value out of range
 *            (INVALID_FIELD), whichever comes first, then bytes left over (MALFORMED);
 *   market   the header, the size (lists counted), then each field and entry in order.
 *
 * Client frames are read with byte readers (frame.ts says why: no ArrayBuffer per frame); server
 * frames, which only the SDK reads, through the DataView decodeServer makes.
 */

export type ClientDecoder = (b: Uint8Array, length: number, requestId: number) => unknown;
export type SessionDecoder = (b: Uint8Array, v: DataView, length: number, seq: number) => unknown;
export type MarketDecoder = (b: Uint8Array, v: DataView, length: number) => unknown;

/** The frame must be exactly `size` bytes: shorter is truncated, longer has trailing bytes. */
export function sizeError(type: number, requestId: number, length: number, size: number): ProtocolError {
  const message =
    length < size
      ? `truncated: ${messageTypeName(type)} needs ${size} bytes, got ${length}`
      : `${length - size} trailing bytes after ${messageTypeName(type)} (${size} bytes)`;
  return new ProtocolError(ErrorCode.MALFORMED, message, type, requestId);
}

/** A client field broke its rule: the message names the rule, `reason` the engine's code. */
function invalid(type: number, requestId: number, field: string, reason: number, rule: string, value: number | string): ProtocolError {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  return new ProtocolError(ErrorCode.INVALID_FIELD, `${field} ${rule}: ${shown}`, type, requestId, reason, field);
}

/** A server field out of range (session and market data). */
function outOfRange(type: number, field: string, value: number | string): ProtocolError {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  return new ProtocolError(ErrorCode.INVALID_FIELD, `${field} out of range: ${shown}`, type, 0, 0, field);
}

/** A session read past the end of the frame. */
function truncated(type: number, end: number, length: number): ProtocolError {
  return new ProtocolError(ErrorCode.MALFORMED, `truncated: ${messageTypeName(type)} needs ${end} bytes or more, got ${length}`, type);
}

const HELPERS = { asciiAt, f64At, i32At, isAsciiAt, isClientType, isNat, u16At, u32At, sizeError, invalid, outOfRange, truncated };

const NAT = "must be a non-negative integer within 2^53-1";

/** The expression reading a fixed-size field at `at`, by byte readers (client) or the DataView. */
function readExpr(f: Field, at: string, byView: boolean): string {
  switch (f.kind) {
    case "u8":
    case "bool":
      return `b[${at}]`;
    case "u16":
      return byView ? `v.getUint16(${at}, true)` : `u16At(b, ${at})`;
    case "u32":
      return byView ? `v.getUint32(${at}, true)` : `u32At(b, ${at})`;
    case "i32":
      return byView ? `v.getInt32(${at}, true)` : `i32At(b, ${at})`;
    case "nat":
      return byView ? `v.getFloat64(${at}, true)` : `f64At(b, ${at})`;
    case "bytes":
      return `b.slice(${at}, ${at} + ${f.size})`;
    case "list":
      return byView ? `v.${f.count === "u16" ? "getUint16" : "getUint32"}(${at}, true)` : `u32At(b, ${at})`;
    default:
      throw new LayoutDescriptionError(`field ${f.name}: a ${f.kind} is not of fixed size`);
  }
}

/**
 * The value checks of a fixed-size field held in local `x`, each as [condition, rule]: the field
 * is refused when the condition holds, and a client decoder quotes the rule.
 */
function rules(f: Field, x: string): Array<[string, string]> {
  switch (f.kind) {
    case "u8":
      if (f.clientType) return [[`!isClientType(${x})`, "must be a client message type"]];
      if (f.mask !== undefined) return [[`(${x} & ${~f.mask}) !== 0`, "has unknown bits"]];
      return f.max !== undefined && f.max < 255 ? [[`${x} > ${f.max}`, f.rule ?? `must be 0-${f.max}`]] : [];
    case "bool":
      return [[`${x} > 1`, "must be 0 or 1"]];
    case "u16":
      if (f.mask === undefined) return [];
      return [[`${f.nonEmpty ? `${x} === 0 || ` : ""}(${x} & ${~f.mask}) !== 0`, f.rule ?? "has unknown bits"]];
    case "i32":
      return f.min !== undefined ? [[`${x} < ${f.min}`, f.rule ?? `must be at least ${f.min}`]] : [];
    case "nat":
      return [[`!isNat(${x})`, NAT]];
    default:
      return [];
  }
}

/** Reads and checks field f into local `x` in the client family: every read is inside the frame. */
function clientField(f: Field, x: string, at: number, fields: readonly Field[], at0: readonly number[]): string {
  const T = "T";
  const bad = (rule: string, shown: string, reason = f.reason ?? 0) => `return invalid(${T}, requestId, ${lit(f.name)}, ${reason}, ${lit(rule)}, ${shown});`;
  if (f.kind === "str") {
    const n = `n_${x}`;
    const min = f.min ?? 0;
    const size = min === 0 ? `${n} > ${f.size}` : `${n} < ${min} || ${n} > ${f.size}`;
    const rule = min === 0 ? `must be at most ${f.size} characters` : `must be ${min}-${f.size} characters`;
    return `const ${n} = b[${at}];
if (${size}) ${bad(rule, n)}
if (!isAsciiAt(b, ${at + 1}, ${n}${f.space ? ", true" : ""})) ${bad(`must be printable ASCII (0x${f.space ? "20" : "21"}-0x7e)`, lit("<bytes>"))}
const ${x} = asciiAt(b, ${at + 1}, ${n});`;
  }
  let out = `const ${x} = ${readExpr(f, String(at), false)};\n`;
  for (const [cond, rule] of rules(f, x)) out += `if (${cond}) ${bad(rule, x)}\n`;
  if (f.orNonEmpty !== undefined) {
    const k = fields.findIndex((g) => g.name === f.orNonEmpty);
    out += `if (${x} === 0 && b[${at0[k]}] === 0) ${bad(`is 0 and no ${f.orNonEmpty} is given`, "0")}\n`;
  }
  return out;
}

/** The decoder of a client message (after decodeClient has read the header). */
export function compileClientDecoder(layout: MessageLayout): ClientDecoder {
  const name = messageTypeName(layout.type);
  const fields = layout.fields;
  const at = offsets(layout);
  const last = fields.length - 1;
  const variable = fields.findIndex((f) => fixedBytes(f) < 0);
  if (layout.family !== "client" || (variable >= 0 && (variable !== last || fields[last]!.kind !== "str"))) {
    throw new LayoutDescriptionError(`${name}: a client layout is of fixed size or ends with its one string`);
  }
  let body = `const T = ${layout.type};\n`;
  if (variable < 0) {
    // A message of the header alone (ALERTS_UNSUBSCRIBE) is exactly the header.
    const size = last < 0 ? HEADER_BYTES.client : at[last]! + fixedBytes(fields[last]!);
    body += `if (length !== ${size}) return sizeError(T, requestId, length, ${size});\n`;
  } else {
    const s = at[last]!;
    body += `if (length < ${s + 1}) return sizeError(T, requestId, length, ${s + 1});
const size = ${s + 1} + b[${s}];
if (length !== size) return sizeError(T, requestId, length, size);\n`;
  }
  fields.forEach((f, i) => (body += `${clientField(f, f.name, at[i]!, fields, at)}\n`));
  body += `return { type: T, requestId, ${fields.map((f) => f.name).join(", ")} };`;
  return compile(`decode${name}`, ["b", "length", "requestId"], body, HELPERS) as ClientDecoder;
}

/**
 * Reads and checks field f into local `x` at the cursor, session style: each read first checks
 * that it is inside the frame.
 */
function sessionField(f: Field, x: string, c: Cursor): string {
  const label = lit(f.label ?? f.name);
  const fits = (extra: string) => `if (length < ${extra}) return truncated(T, ${extra}, length);\n`;
  if (f.kind === "str" || f.kind === "text") {
    const at = c.at();
    const n = `n_${x}`;
    const min = f.kind === "text" ? 0 : (f.min ?? 0);
    const max = f.kind === "text" ? 255 : f.size!;
    const space = f.kind === "text" || f.space === true;
    const start = c.at(1);
    let out = `${fits(c.at(1))}const ${n} = b[${at}];\n${fits(`${start} + ${n}`)}`;
    if (min > 0 || max < 255) out += `if (${min > 0 ? `${n} < ${min} || ` : ""}${n} > ${max}) return outOfRange(T, ${label}, ${n} + " characters");\n`;
    out += `if (!isAsciiAt(b, ${start}, ${n}${space ? ", true" : ""})) return outOfRange(T, ${label}, "not printable ASCII");
const ${x} = asciiAt(b, ${start}, ${n});
p = ${start} + ${n};\n`;
    c.moved();
    return out;
  }
  const n = fixedBytes(f);
  let out = fits(c.at(n)) + `const ${x} = ${readExpr(f, c.at(), true)};\n`;
  for (const [cond] of rules(f, x)) out += `if (${cond}) return outOfRange(T, ${label}, ${x});\n`;
  c.skip(n);
  return out;
}

const value = (f: Field, x: string) => (f.kind === "bool" ? `${f.name}: ${x} === 1` : `${f.name}: ${x}`);

/** The decoder of a session message (after decodeServer has read the header and its sequence number). */
export function compileSessionDecoder(layout: MessageLayout): SessionDecoder {
  const name = messageTypeName(layout.type);
  let body = `const T = ${layout.type};\nlet p = 0;\n`;
  const c = new Cursor(HEADER_BYTES.session);
  for (const f of layout.fields) body += sessionField(f, f.name, c);
  for (const f of layout.fields) {
    if (f.kind !== "list") continue;
    body += `const ${f.name}_ = [];\n${c.advance()}\nfor (let i = 0; i < ${f.name}; i++) {\n`;
    const ec = new Cursor(0, "p");
    for (const g of f.entry!) body += sessionField(g, `e_${g.name}`, ec);
    body += `${ec.advance()}\n${f.name}_.push({ ${f.entry!.map((g) => value(g, `e_${g.name}`)).join(", ")} });\n}\n`;
  }
  const end = c.at();
  body += `if (length !== ${end}) return sizeError(T, 0, length, ${end});\n`;
  const out = layout.fields.map((f) => (f.kind === "list" ? `${f.name}: ${f.name}_` : value(f, f.name)));
  body += `return { type: T, seq, ${out.join(", ")} };`;
  return compile(`decode${name}`, ["b", "v", "length", "seq"], body, HELPERS) as SessionDecoder;
}

/** The decoder of a market-data message, header included (its version and type already checked). */
export function compileMarketDecoder(layout: MessageLayout): MarketDecoder {
  const name = messageTypeName(layout.type);
  const fields = layout.fields;
  const lists = fields.filter((f) => f.kind === "list");
  const at = offsets(layout);
  if (layout.family !== "market" || at.some((x) => x < 0) || lists.some((f) => entryBytes(f.entry!) < 0)) {
    throw new LayoutDescriptionError(`${name}: a market-data layout has fixed fields and lists of fixed-size entries`);
  }
  const base = fields.length === 0 ? HEADER_BYTES.market : at[fields.length - 1]! + fixedBytes(fields[fields.length - 1]!);
  const check = (f: Field, x: string) => rules(f, x).map(([cond]) => `if (${cond}) return outOfRange(T, ${lit(f.label ?? f.name)}, ${x});\n`).join("");
  let body = `const T = ${layout.type};
if (length < ${HEADER_BYTES.market}) return sizeError(T, 0, length, ${HEADER_BYTES.market});
const symbol = v.getUint32(2, true);
const seq = v.getFloat64(6, true);
if (!isNat(seq)) return outOfRange(T, "seq", seq);
const time = v.getFloat64(14, true);
if (!isNat(time)) return outOfRange(T, "time", time);\n`;
  if (lists.length === 0) body += `if (length !== ${base}) return sizeError(T, 0, length, ${base});\n`;
  else body += `if (length < ${base}) return sizeError(T, 0, length, ${base});\n`;
  fields.forEach((f, i) => (body += `const ${f.name} = ${readExpr(f, String(at[i]), true)};\n${check(f, f.name)}`));
  if (lists.length > 0) {
    const size = [String(base), ...lists.map((f) => `${f.name} * ${entryBytes(f.entry!)}`)].join(" + ");
    body += `const size = ${size};\nif (length !== size) return sizeError(T, 0, length, size);\nlet p = ${base};\n`;
  }
  for (const f of lists) {
    const bytes = entryBytes(f.entry!);
    body += `const ${f.name}_ = [];\nfor (let i = 0; i < ${f.name}; i++, p += ${bytes}) {\n`;
    const ec = new Cursor(0, "p");
    for (const g of f.entry!) {
      body += `const e_${g.name} = ${readExpr(g, ec.at(), true)};\n${check(g, `e_${g.name}`)}`;
      ec.skip(fixedBytes(g));
    }
    body += `${f.name}_.push({ ${f.entry!.map((g) => value(g, `e_${g.name}`)).join(", ")} });\n}\n`;
  }
  const out = fields.map((f) => (f.kind === "list" ? `${f.name}: ${f.name}_` : value(f, f.name)));
  body += `return { type: T, symbol, seq, time${out.map((x) => `, ${x}`).join("")} };`;
  return compile(`decode${name}`, ["b", "v", "length"], body, HELPERS) as MarketDecoder;
}
