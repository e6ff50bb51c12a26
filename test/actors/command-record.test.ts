/**
 * actors/layout/command-record.ts: the journal keeps a command slot only up to its last string; readers
 * put the zeros back. Old full-slot records must still read.
 */
import { afterEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIN_RECORD_BYTES, RecordReader, recordBytes } from "../../actors/layout/command-record.ts";
import { Journal } from "../../actors/journal/journal.ts";
import { COMMAND_SLOT_BYTES, decodeCommand, encodeCommand, validateCommandSlot } from "../../actors/layout/schema.ts";
import { Command, CommandType, makeCommand } from "../../engine/commands.ts";
import { commandArb } from "./command-arb.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function encoded(cmd: Command, seq: number): DataView {
  const view = new DataView(new ArrayBuffer(COMMAND_SLOT_BYTES));
  // Garbage first: the record must not depend on what the buffer held before.
  new Uint8Array(view.buffer).fill(0xaa);
  encodeCommand(cmd, seq, view, 0);
  return view;
}

describe("recordBytes", () => {
  test("an order with a short client order id and no destination keeps 120 of 256 bytes", () => {
    const v = encoded(makeCommand({ type: CommandType.NEW_ORDER, account: 1, symbol: 1, qty: 1, price: 10, clientOrderId: "L123456" }), 1);
    expect(recordBytes(v, 0)).toBe(120);
  });

  test("a command without strings keeps the fixed fields only; a full destination keeps almost all", () => {
    expect(recordBytes(encoded(makeCommand({ type: CommandType.TICK }), 1), 0)).toBe(MIN_RECORD_BYTES);
    expect(recordBytes(encoded(makeCommand({ type: CommandType.WITHDRAW, destination: "d".repeat(96) }), 1), 0)).toBe(248);
  });

  test("any command: the bytes left out are zero, and the record reads back as the same command", () => {
    const reader = new RecordReader();
    fc.assert(
      fc.property(commandArb, fc.maxSafeNat(), (cmd, seq) => {
        const view = encoded(cmd, seq);
        const n = recordBytes(view, 0);
        const full = new Uint8Array(view.buffer);
        expect(n % 8).toBe(0);
        expect(full.subarray(n).every((b) => b === 0)).toBe(true);
        // A record sits among others in a journal buffer: put it between two junk-filled runs.
        const buffer = new Uint8Array(n + 64).fill(0x55);
        buffer.set(full.subarray(0, n), 32);
        const slot = reader.slot(buffer.subarray(32, 32 + n), seq);
        expect(validateCommandSlot(slot, reader.offset)).toBeNull();
        const into = new Command();
        expect(decodeCommand(slot, reader.offset, into)).toBe(seq);
        expect(into).toEqual(cmd);
      }),
      { numRuns: 500 },
    );
  });

  test("a full-slot record (how earlier journals were written) is read in place", () => {
    const reader = new RecordReader();
    const cmd = makeCommand({ type: CommandType.NEW_ORDER, account: 7, clientOrderId: "old" });
    const buffer = new Uint8Array(COMMAND_SLOT_BYTES + 16);
    buffer.set(new Uint8Array(encoded(cmd, 9).buffer), 16);
    const slot = reader.slot(buffer.subarray(16), 9);
    expect(slot.buffer).toBe(buffer.buffer);
    expect(reader.offset).toBe(16);
    const into = new Command();
    decodeCommand(slot, reader.offset, into);
    expect(into).toEqual(cmd);
  });

  test("a record shorter than the fixed fields is refused with its seq", () => {
    expect(() => new RecordReader().slot(new Uint8Array(MIN_RECORD_BYTES - 8), 42)).toThrow(/journal record 42 is 104 bytes/);
  });
});

describe("in a journal", () => {
  test("trimmed and full-slot records mixed in one journal replay to the commands written", () => {
    const dir = mkdtempSync(join(tmpdir(), "bourse-record-"));
    dirs.push(dir);
    const cmds = Array.from({ length: 50 }, (_, i) =>
      makeCommand({ type: CommandType.NEW_ORDER, account: 1 + (i % 3), symbol: 1, side: i & 1, price: 100 + i, qty: 1 + i, clientOrderId: i % 7 === 0 ? "" : `c-${i}`, destination: i % 5 === 0 ? `dest-${i}` : "" }),
    );
    const j = Journal.open({ dir: join(dir, "journal"), fsync: false });
    cmds.forEach((c, i) => {
      const at = j.reserve(COMMAND_SLOT_BYTES);
      encodeCommand(c, 0, j.view, at);
      // Every third record as the old writer did: the whole slot.
      j.stage(i % 3 === 0 ? COMMAND_SLOT_BYTES : recordBytes(j.view, at));
      j.appendStaged(i + 1);
    });
    j.commit();
    j.close();
    const r = Journal.open({ dir: join(dir, "journal"), readOnly: true });
    const reader = new RecordReader();
    const got: Command[] = [];
    const lengths: number[] = [];
    for (const rec of r.read(1)) {
      lengths.push(rec.payload.length);
      const into = new Command();
      decodeCommand(reader.slot(rec.payload, rec.seq), reader.offset, into);
      got.push(into);
    }
    r.close();
    expect(got).toEqual(cmds);
    expect(lengths.filter((n) => n < COMMAND_SLOT_BYTES).length).toBe(33);
  });

  test("stage() refuses a length beyond what was reserved", () => {
    const dir = mkdtempSync(join(tmpdir(), "bourse-record-"));
    dirs.push(dir);
    const j = Journal.open({ dir: join(dir, "journal"), fsync: false });
    j.reserve(128);
    expect(() => j.stage(129)).toThrow(RangeError);
    j.stage(120);
    j.appendStaged(1);
    j.commit();
    expect([...j.read(1)].map((r) => r.payload.length)).toEqual([120]);
    j.close();
  });
});
