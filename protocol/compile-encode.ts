import { BuilderStateError, FieldRangeError, LayoutDescriptionError } from "./codec-errors.ts";
import { checkAscii, checkBytes, checkNat, checkU16, checkU32, checkU8, type FrameWriter, isClientType, messageTypeName, PROTOCOL_VERSION, writeString, writeText } from "./frame.ts";
import { Cursor, compile, compileDispatch, lit } from "./compile-kit.ts";
import { entryBytes, type Field, HEADER_BYTES, type MessageLayout, maxBytes } from "./layout.ts";

/**
 * Encoders compiled from message layouts (layout.ts): for each message, straight-line code with
 * every offset a constant, the same code a hand-written encoder would be, so the JIT sees one
 * monomorphic function per message. An encoder checks every field first, in wire order (then the
 * header), throwing a FieldRangeError that names the first the layout cannot carry; then writes the
 * frame at offset 0 of the FrameWriter and returns its length.
 *
 * Every integer is written as `x | 0`: frame.ts says why (JSC's DataView stores speculate int32).
 */

const HELPERS = { checkAscii, checkBytes, checkNat, checkU16, checkU32, checkU8, isClientType, writeString, writeText, FieldRangeError, BuilderStateError };

export type Encoder<M> = (w: FrameWriter, m: M) => number;

/** Statements that throw when `x` (a local holding field f) cannot go on the wire. */
function checkCode(f: Field, x: string): string {
  const label = f.label ?? f.name;
  const L = lit(label);
  const fail = (rule: string) => `throw new FieldRangeError(${L}, ${lit(`${label} ${rule}: `)} + ${x});`;
  switch (f.kind) {
    case "u8":
      if (f.clientType) return `checkU8(${L}, ${x}, 255); if (!isClientType(${x})) ${fail("must be a client message type")}`;
      if (f.mask !== undefined) return `checkU8(${L}, ${x}, 255); if ((${x} & ${~f.mask}) !== 0) ${fail("has unknown bits")}`;
      return `checkU8(${L}, ${x}, ${f.max ?? 255});`;
    case "bool":
      return `if (typeof ${x} !== "boolean") ${fail("must be a boolean")}`;
    case "u16":
      if (f.mask === undefined) return `checkU16(${L}, ${x});`;
      return `checkU16(${L}, ${x}); if (${f.nonEmpty ? `${x} === 0 || ` : ""}(${x} & ${~f.mask}) !== 0) ${fail(f.rule ?? "has unknown bits")}`;
    case "u32":
      return `checkU32(${L}, ${x});`;
    case "i32":
      return `if ((${x} | 0) !== ${x} || ${x} < ${f.min ?? -2147483648}) ${fail(f.encodeRule ?? f.rule ?? "must be a 32-bit integer")}`;
    case "nat":
      return `checkNat(${L}, ${x});`;
    case "bytes":
      return `checkBytes(${L}, ${x}, ${f.size});`;
    case "str":
      return `checkAscii(${L}, ${x}, ${f.min ?? 0}, ${f.size}${f.space ? ", true" : ""});`;
    case "text":
      return "";
    default:
      throw new LayoutDescriptionError(`field ${f.name}: a ${f.kind} has no value check`);
  }
}

/** Checks for the fields of one layout or entry, in wire order; `local` names the local holding a field. */
function checksCode(fields: readonly Field[], local: (f: Field) => string, owner: string): string {
  const done = new Set<string>();
  let out = "";
  for (const f of fields) {
    if (done.has(f.name)) continue;
    if (f.kind === "list") {
      out += listChecksCode(f, local(f), owner);
      continue;
    }
    out += `${checkCode(f, local(f))}\n`;
    if (f.orNonEmpty !== undefined) {
      // An order reference: the id and the client id are checked together, then the pair.
      const other = fields.find((g) => g.name === f.orNonEmpty)!;
      out += `${checkCode(other, local(other))}\n`;
      out += `if (${local(f)} === 0 && ${local(other)}.length === 0) throw new FieldRangeError(${lit(f.name)}, ${lit(`an order needs an ${f.name} or a ${other.name}`)});\n`;
      done.add(other.name);
    }
  }
  return out;
}

/** A list given whole: its length, then every entry's fields. */
function listChecksCode(f: Field, x: string, owner: string): string {
  const max = f.count === "u16" ? 0xffff : 0xffffffff;
  let out = `if (${x}.length > ${max}) throw new FieldRangeError(${lit(f.name)}, ${lit(`${owner} holds at most ${max} ${f.name}: `)} + ${x}.length);\n`;
  out += `for (const e of ${x}) {\n`;
  for (const g of f.entry!) out += `const ${entryLocal(g)} = e.${g.name};\n`;
  return `${out}${checksCode(f.entry!, entryLocal, owner)}}\n`;
}

const entryLocal = (f: Field) => `e_${f.name}`;

/** Statement writing field f (held in `x`) at the cursor, and the cursor moved past it. */
function writeCode(f: Field, x: string, c: Cursor): string {
  const at = c.at();
  switch (f.kind) {
    case "u8":
      c.skip(1);
      return `v.setUint8(${at}, ${x} | 0);`;
    case "bool":
      c.skip(1);
      return `v.setUint8(${at}, ${x} ? 1 : 0);`;
    case "u16":
      c.skip(2);
      return `v.setUint16(${at}, ${x} | 0, true);`;
    case "u32":
      c.skip(4);
      return `v.setUint32(${at}, ${x} | 0, true);`;
    case "i32":
      c.skip(4);
      return `v.setInt32(${at}, ${x} | 0, true);`;
    case "nat":
      c.skip(8);
      return `v.setFloat64(${at}, ${x}, true);`;
    case "bytes":
      c.skip(f.size!);
      return `w.bytes.set(${x}, ${at});`;
    case "str":
    case "text":
      c.moved();
      return `p = ${f.kind === "str" ? "writeString" : "writeText"}(w, ${at}, ${x});`;
    case "list":
      c.skip(f.count === "u16" ? 2 : 4);
      // x is the count here
      return `v.${f.count === "u16" ? "setUint16" : "setUint32"}(${at}, ${x} | 0, true);`;
  }
}

const HEADER_CHECKS = {
  client: `const requestId = m.requestId;
if (requestId >>> 0 !== requestId || requestId === 0) throw new FieldRangeError("requestId", "requestId must be an integer 1-4294967295: " + requestId);`,
  session: `const seq = m.seq; checkNat("seq", seq);`,
  market: `const symbol = m.symbol, seq = m.seq, time = m.time; checkU32("symbol", symbol); checkNat("seq", seq); checkNat("time", time);`,
};

function headerWrites(layout: MessageLayout): string {
  const head = `v.setUint8(0, ${PROTOCOL_VERSION}); v.setUint8(1, ${layout.type});`;
  if (layout.family === "client") return `${head} v.setUint32(2, requestId | 0, true);`;
  if (layout.family === "session") return `${head} v.setFloat64(2, seq, true);`;
  return `${head} v.setUint32(2, symbol | 0, true); v.setFloat64(6, seq, true); v.setFloat64(14, time, true);`;
}

/** The encoder of a message whose lists (if any) are given whole in the message object. */
export function compileEncoder<M>(layout: MessageLayout): Encoder<M> {
  const name = messageTypeName(layout.type);
  let body = "";
  for (const f of layout.fields) body += `const ${f.name} = m.${f.name};\n`;
  // The most bytes the frame can take: constant, plus each string's length and each list's entries.
  let fixed = HEADER_BYTES[layout.family];
  let size = "";
  for (const f of layout.fields) {
    if (f.kind === "list") {
      fixed += maxBytes(f);
      size += ` + ${f.name}.length * ${f.entry!.reduce((n, g) => n + maxBytes(g), 0)}`;
    } else if (f.kind === "str") size += ` + 1 + ${f.name}.length`;
    else fixed += maxBytes(f);
  }
  size = `${fixed}${size}`;
  body = `${body}${checksCode(layout.fields, (f) => f.name, name)}${HEADER_CHECKS[layout.family]}\n`;
  body += `w.ensure(${size});\nconst v = w.view;\n${layout.fields.some((f) => f.kind === "str" || f.kind === "text" || f.kind === "list") ? "let p = 0;\n" : ""}${headerWrites(layout)}\n`;
  const c = new Cursor(HEADER_BYTES[layout.family]);
  for (const f of layout.fields) body += `${writeCode(f, f.kind === "list" ? `${f.name}.length` : f.name, c)}\n`;
  for (const f of layout.fields) {
    if (f.kind !== "list") continue;
    body += `p = ${c.at()};\nfor (let i = 0; i < ${f.name}.length; i++) {\nconst e = ${f.name}[i];\n`;
    const ec = new Cursor(0, "p");
    for (const g of f.entry!) body += `${writeCode(g, `e.${g.name}`, ec)}\n`;
    body += `${ec.advance()}}\n`;
    c.moved();
  }
  body += `return ${c.at()};`;
  return compile(`encode${name}`, ["w", "m"], body, HELPERS) as Encoder<M>;
}

/** A list message built entry by entry (market data): begin, an add per list, end, and the object form. */
export interface ListBuilder<M> {
  begin: (w: FrameWriter, symbol: number, seq: number, time: number) => void;
  /** One adder per list, in layout order; its arguments are the entry's fields in order. */
  add: Array<(w: FrameWriter, ...fields: number[]) => void>;
  end: (w: FrameWriter) => number;
  encode: Encoder<M>;
}

const COUNTERS = ["count", "count2"] as const;

/**
 * Builders for a market-data message made of a header and counted lists of fixed-size entries,
 * filled straight from engine events with nothing allocated: the FrameWriter's `pos`, `count`
 * and `count2` hold the state between calls.
 */
export function compileListBuilder<M>(layout: MessageLayout): ListBuilder<M> {
  const name = messageTypeName(layout.type);
  const lists = layout.fields.filter((f) => f.kind === "list");
  if (layout.family !== "market" || lists.length !== layout.fields.length || lists.length > COUNTERS.length) {
    throw new LayoutDescriptionError(`${name}: a list builder needs a market-data layout made of at most two lists`);
  }
  const T = layout.type;
  const base = HEADER_BYTES.market + lists.reduce((n, f) => n + (f.count === "u16" ? 2 : 4), 0);
  const notBuilding = `if (w.building !== ${T}) throw new BuilderStateError(${lit(`no ${name} is being built`)});`;
  const begin = compile(
    `begin${name}`,
    ["w", "symbol", "seq", "time"],
    `checkU32("symbol", symbol); checkNat("seq", seq); checkNat("time", time);
w.ensure(${base});
const v = w.view;
${headerWrites(layout)}
w.building = ${T}; w.pos = ${base}; w.count = 0; w.count2 = 0;`,
    HELPERS,
  ) as ListBuilder<M>["begin"];
  const add = lists.map((f, k) => {
    const entry = f.entry!;
    const bytes = entryBytes(entry);
    if (bytes < 0) throw new LayoutDescriptionError(`${name}.${f.name}: builder entries must be of fixed size`);
    const max = f.count === "u16" ? 0xffff : 0xffffffff;
    let body = checksCode(entry, (g) => g.name, name);
    const next = lists[k + 1];
    if (next) body += `if (w.${COUNTERS[k + 1]} !== 0) throw new BuilderStateError(${lit(`${name}: every ${f.item} comes before the first ${next.item}`)});\n`;
    body += `${notBuilding}\nif (w.${COUNTERS[k]} >= ${max}) throw new FieldRangeError(${lit(f.name)}, ${lit(`${name} holds at most ${max} entries`)});\n`;
    body += `const at = w.pos;\nw.ensure(at + ${bytes}, at);\nw.pos = at + ${bytes};\nconst v = w.view;\n`;
    const c = new Cursor(0, "at");
    for (const g of entry) body += `${writeCode(g, g.name, c)}\n`;
    body += `w.${COUNTERS[k]}++;`;
    return compile(`add${name}_${f.name}`, ["w", ...entry.map((g) => g.name)], body, HELPERS) as ListBuilder<M>["add"][number];
  });
  let endBody = `${notBuilding}\nw.building = 0;\nconst v = w.view;\n`;
  const c = new Cursor(HEADER_BYTES.market);
  lists.forEach((f, k) => (endBody += `${writeCode(f, `w.${COUNTERS[k]}`, c)}\n`));
  const end = compile(`end${name}`, ["w"], `${endBody}return w.pos;`, HELPERS) as ListBuilder<M>["end"];
  let encodeBody = "begin(w, m.symbol, m.seq, m.time);\n";
  lists.forEach((f, k) => {
    encodeBody += `for (const e of m.${f.name}) add${k}(w, ${f.entry!.map((g) => `e.${g.name}`).join(", ")});\n`;
  });
  const parts = { begin, end, ...Object.fromEntries(add.map((a, k) => [`add${k}`, a])) };
  const encode = compile(`encode${name}`, ["w", "m"], `${encodeBody}return end(w);`, parts) as Encoder<M>;
  return { begin, add, end, encode };
}

/**
 * The encoders of one direction: one per layout (plus any given ready-made, such as the list
 * builders' object forms), and `any`, which switches on `m.type` and throws a FieldRangeError for
 * a type that is not one of them.
 */
export function compileEncoders<All>(layouts: readonly MessageLayout[], what: string, ready: ReadonlyMap<number, unknown> = new Map()) {
  const table = new Map<number, unknown>(layouts.map((l) => [l.type, compileEncoder(l)]));
  for (const [type, encode] of ready) table.set(type, encode);
  const notOurs = (_w: FrameWriter, m: { type: unknown }): never => {
    throw new FieldRangeError("type", `not a ${what} message type: ${m.type}`);
  };
  return {
    of: <M>(type: number) => table.get(type) as Encoder<M>,
    any: compileDispatch(`encode${what.replace(/(^| |-)(.)/g, (_x, _s, c: string) => c.toUpperCase())}`, ["w", "m"], "m.type", table, notOurs) as Encoder<All>,
  };
}
