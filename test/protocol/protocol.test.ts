/**
 * The binary protocol as specified: golden bytes for every message type (so a layout cannot drift
 * silently), and the layout tables of docs/protocol.md checked against the encoders. Refusals are in
 * protocol-refusals.test.ts; the builders, writer, allocation and login signature in
 * protocol-parts.test.ts; round trips at the extremes, property tests and fuzz in
 * protocol-fuzz.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { MessageType as T, messageTypeName } from "../../protocol/index.ts";
import { decodeAny, encode, fromHex, GOLDEN, hex, SAMPLES } from "./samples.ts";

describe("golden bytes", () => {
  test("every message type has a sample and a golden frame", () => {
    const all = Object.values(T).sort((a, b) => a - b);
    expect(Object.keys(SAMPLES).map(Number).sort((a, b) => a - b)).toEqual(all);
    expect(Object.keys(GOLDEN).map(Number).sort((a, b) => a - b)).toEqual(all);
  });

  for (const [code, m] of Object.entries(SAMPLES)) {
    const type = Number(code);
    test(`${messageTypeName(type)} (0x${type.toString(16)}) encodes to its golden bytes, and they decode to the sample`, () => {
      const golden = GOLDEN[type]!.replace(/\s+/g, "");
      expect(hex(encode(m))).toBe(golden);
      expect(decodeAny(fromHex(golden)) as unknown).toEqual(m);
    });
  }
});

// ------------------------------------------------------------------------------ the docs' tables

interface Row {
  offset: string;
  size: string;
  type: string;
  field: string;
}

/** The layout table under each "### 0xNN NAME" heading of docs/protocol.md. */
function docTables(): Map<number, { name: string; rows: Row[] }> {
  const text = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8");
  const out = new Map<number, { name: string; rows: Row[] }>();
  let current: { name: string; rows: Row[] } | null = null;
  for (const line of text.split("\n")) {
    const h = /^### 0x([0-9a-f]{2}) ([A-Z0-9_]+)$/.exec(line);
    if (h) {
      current = { name: h[2]!, rows: [] };
      out.set(parseInt(h[1]!, 16), current);
      continue;
    }
    if (line.startsWith("#")) current = null;
    if (!current || !line.startsWith("| ") || line.startsWith("| Offset") || line.startsWith("|---")) continue;
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    current.rows.push({ offset: cells[0]!, size: cells[1]!, type: cells[2]!, field: cells[3]!.replace(/`/g, "") });
  }
  return out;
}

const SIZES: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4, f64: 8 };

function readAt(v: DataView, type: string, at: number): number {
  switch (type) {
    case "u8": return v.getUint8(at);
    case "u16": return v.getUint16(at, true);
    case "u32": return v.getUint32(at, true);
    case "i32": return v.getInt32(at, true);
    default: return v.getFloat64(at, true);
  }
}

/** The value a doc row names in a message: `name`, `name.length`, version or type. */
function expected(m: Record<string, unknown>, field: string): unknown {
  if (field === "version") return 1;
  const [name, length] = field.split(".");
  const x = m[name!];
  if (length === "length") return (x as string | unknown[]).length;
  return typeof x === "boolean" ? (x ? 1 : 0) : x;
}

describe("docs/protocol.md", () => {
  const tables = docTables();

  test("has a layout table for every message type, named as in MessageType, and the type table lists them all", () => {
    for (const [name, code] of Object.entries(T)) {
      expect(tables.get(code)?.name).toBe(name);
    }
    expect([...tables.keys()].sort((a, b) => a - b)).toEqual(Object.values(T).sort((a, b) => a - b));
    const text = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8");
    for (const [name, code] of Object.entries(T)) {
      expect(text).toContain(`| 0x${code.toString(16).padStart(2, "0")} | [${name}]`);
    }
  });

  for (const [code, m] of Object.entries(SAMPLES)) {
    const type = Number(code);
    test(`the ${messageTypeName(type)} table matches the sample's frame field by field`, () => {
      const table = tables.get(type)!;
      const bytes = encode(m);
      const v = new DataView(bytes.buffer);
      let next = 0; // fixed rows must be contiguous from offset 0
      let fixed = true;
      let listBase = -1;
      let listField = "";
      let checked = 0;
      for (const row of table.rows) {
        const rel = /^\+(\d+)$/.exec(row.offset);
        if (rel) {
          // An entry of the list above: check the list's first element.
          if (listBase < 0) continue;
          const first = (m[listField] as Record<string, unknown>[])[0]!;
          const at = listBase + Number(rel[1]);
          if (row.type in SIZES) {
            expect({ field: `${listField}[0].${row.field}`, value: readAt(v, row.type, at) }).toEqual({ field: `${listField}[0].${row.field}`, value: expected(first, row.field) as number });
            checked++;
          } else if (row.type === "ascii") {
            const s = first[row.field] as string;
            expect(Buffer.from(bytes.subarray(at, at + s.length)).toString("latin1")).toBe(s);
            checked++;
          }
          continue;
        }
        if (!/^\d+$/.test(row.offset)) {
          fixed = false;
          listBase = -1;
          continue;
        }
        const at = Number(row.offset);
        if (fixed) {
          expect({ field: row.field, offset: at }).toEqual({ field: row.field, offset: next });
          if (/^\d+$/.test(row.size)) next = at + Number(row.size);
          else fixed = false;
        }
        if (row.type in SIZES) {
          expect(Number(row.size)).toBe(SIZES[row.type]!);
          const want = row.field === "type" ? type : expected(m, row.field);
          expect({ field: row.field, value: readAt(v, row.type, at) }).toEqual({ field: row.field, value: want as number });
          checked++;
        } else if (row.type === "ascii" || row.type === "text") {
          const s = m[row.field] as string;
          expect(Buffer.from(bytes.subarray(at, at + s.length)).toString("latin1")).toBe(s);
          checked++;
        } else if (row.type === "bytes") {
          expect(hex(bytes.subarray(at, at + Number(row.size)))).toBe(hex(m[row.field] as Uint8Array));
          checked++;
        } else if (row.type === "list") {
          listBase = at;
          listField = row.field;
        }
      }
      // A table that is all fixed rows describes the whole frame.
      if (fixed) expect(bytes.length).toBe(next);
      // Every row is checked; a message of the header alone (ALERTS_UNSUBSCRIBE) has three.
      expect(checked).toBeGreaterThanOrEqual(Math.min(4, table.rows.length));
    });
  }
});

// ------------------------------------------------------------------------------ decodeClient errors
