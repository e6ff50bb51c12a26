/**
 * actors/layout/schema.ts: the one binary layout of a command (256-byte slot), shared by the rings
 * and the journal (docs/layouts.md). The event record is in event-layout.test.ts.
 */
import { heapGrowth, MiB } from "../heap-growth.ts";
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { commandArb, u8 } from "./command-arb.ts";
import { ALL_SYMBOLS, Command, type CommandInit, CommandType, makeCommand } from "../../engine/commands.ts";
import { EVENT_WIDTH, EventBuffer, EventType } from "../../engine/events.ts";
import { CLIENT_ORDER_ID_MAX, COMMAND_LAYOUT_VERSION, COMMAND_SLOT_BYTES, CommandOffset, decodeCommand, decodeEvent, DESTINATION_MAX, encodeCommand, encodeEventsToRing, EVENT_RECORD_BYTES, validateCommandSlot } from "../../actors/layout/schema.ts";

const MAX = Number.MAX_SAFE_INTEGER;
const MIN = Number.MIN_SAFE_INTEGER;
const T = 1_700_000_000_000_000;

function slot(): DataView {
  return new DataView(new ArrayBuffer(COMMAND_SLOT_BYTES));
}

function bytes(view: DataView, offset = 0, length = view.byteLength - offset): number[] {
  return Array.from(new Uint8Array(view.buffer, view.byteOffset + offset, length));
}

function roundTrip(cmd: Command, seq = 1): { seq: number; cmd: Command } {
  const view = slot();
  encodeCommand(cmd, seq, view, 0);
  const into = new Command();
  return { seq: decodeCommand(view, 0, into), cmd: into };
}

/** Printable ASCII without space: what the engine accepts in client order ids and destinations. */
const PRINTABLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join("");

// ------------------------------------------------------------------------------- the layout

/** The slot as docs/layouts.md tabulates it: [name, offset, bytes]. */
const COMMAND_TABLE: [string, number, number][] = [
  ["seq", 0, 8],
  ["type", 8, 2],
  ["version", 10, 1],
  ["side", 11, 1],
  ["orderType", 12, 1],
  ["tif", 13, 1],
  ["stp", 14, 1],
  ["flags", 15, 1],
  ["time", 16, 8],
  ["orderId", 24, 8],
  ["account", 32, 8],
  ["price", 40, 8],
  ["stopPrice", 48, 8],
  ["qty", 56, 8],
  ["expireTime", 64, 8],
  ["session", 72, 8],
  ["amount", 80, 16],
  ["symbol", 96, 4],
  ["currency", 100, 4],
  ["tier", 104, 4],
  ["actor", 108, 1],
  ["clientOrderId.length", 109, 1],
  ["destination.length", 110, 1],
  ["reserved", 111, 1],
  ["clientOrderId", 112, 36],
  ["destination", 148, 96],
  ["reserved", 244, 12],
];

describe("command slot layout", () => {
  test("the documented fields tile the 256 bytes exactly, without gaps or overlaps", () => {
    let next = 0;
    for (const [name, offset, size] of COMMAND_TABLE) {
      expect({ name, offset }).toEqual({ name, offset: next });
      next += size;
    }
    expect(next).toBe(COMMAND_SLOT_BYTES);
  });

  test("every field of Command has a place in the slot", () => {
    const placed = new Set(COMMAND_TABLE.map(([name]) => name.replace(/\.length$/, "")));
    for (const field of Object.keys(new Command())) expect({ field, placed: placed.has(field) }).toEqual({ field, placed: true });
  });

  test("CommandOffset agrees with the table, and float64 fields are 8-byte aligned", () => {
    const o = CommandOffset;
    const expected = [o.SEQ, o.TYPE, o.VERSION, o.SIDE, o.ORDER_TYPE, o.TIF, o.STP, o.FLAGS, o.TIME, o.ORDER_ID, o.ACCOUNT, o.PRICE, o.STOP_PRICE, o.QTY, o.EXPIRE_TIME, o.SESSION, o.AMOUNT, o.SYMBOL, o.CURRENCY, o.TIER, o.ACTOR, o.CLIENT_ORDER_ID_LEN, o.DESTINATION_LEN, o.RESERVED_A, o.CLIENT_ORDER_ID, o.DESTINATION, o.RESERVED_B];
    expect(COMMAND_TABLE.map(([, offset]) => offset)).toEqual(expected);
    for (const at of [o.SEQ, o.TIME, o.ORDER_ID, o.ACCOUNT, o.PRICE, o.STOP_PRICE, o.QTY, o.EXPIRE_TIME, o.SESSION, o.AMOUNT]) expect(at % 8).toBe(0);
    expect(CLIENT_ORDER_ID_MAX).toBe(36);
    expect(DESTINATION_MAX).toBe(96);
  });

  test("fields are little-endian at their fixed offsets", () => {
    const cmd = makeCommand({
      type: 0x0102,
      time: 2 ** 40 + 3,
      orderId: 7,
      account: 8,
      symbol: ALL_SYMBOLS,
      side: 1,
      orderType: 3,
      tif: 4,
      price: 101,
      stopPrice: 99,
      qty: 5,
      stp: 2,
      flags: 1,
      expireTime: 9,
      clientOrderId: "AB",
      actor: 2,
      session: 11,
      currency: 0x01020304,
      amount: -2n,
      tier: 0xfffffffe,
      destination: "xyz",
    });
    const view = slot();
    encodeCommand(cmd, 0x1234, view, 0);
    const b = bytes(view);
    expect(view.getFloat64(0, true)).toBe(0x1234);
    expect(b.slice(8, 16)).toEqual([0x02, 0x01, COMMAND_LAYOUT_VERSION, 1, 3, 4, 2, 1]);
    expect(view.getFloat64(16, true)).toBe(2 ** 40 + 3);
    expect([24, 32, 40, 48, 56, 64, 72].map((at) => view.getFloat64(at, true))).toEqual([7, 8, 101, 99, 5, 9, 11]);
    expect(b.slice(80, 96)).toEqual([0xfe, ...Array(15).fill(0xff)]);
    expect(b.slice(96, 100)).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(b.slice(100, 104)).toEqual([0x04, 0x03, 0x02, 0x01]);
    expect(b.slice(104, 108)).toEqual([0xfe, 0xff, 0xff, 0xff]);
    expect(b.slice(108, 112)).toEqual([2, 2, 3, 0]);
    expect(b.slice(112, 116)).toEqual([0x41, 0x42, 0, 0]);
    expect(b.slice(148, 152)).toEqual([0x78, 0x79, 0x7a, 0]);
    expect(b.slice(244)).toEqual(Array(12).fill(0));
  });
});

// ------------------------------------------------------------------------------- round trips

/** One representative command of every type, with the fields that type uses. */
function commandOfType(type: number): Command {
  const base: CommandInit = { type, time: T, account: 12, symbol: 3, actor: 1, session: 77 };
  switch (type) {
    case CommandType.NEW_ORDER:
      return makeCommand({ ...base, orderId: 1001, side: 1, orderType: 3, tif: 4, price: 10_125, stopPrice: 10_100, qty: 40, stp: 3, flags: 1, expireTime: T + 60_000_000, clientOrderId: "order-1" });
    case CommandType.CANCEL:
      return makeCommand({ ...base, orderId: 1001 });
    case CommandType.AMEND:
      return makeCommand({ ...base, orderId: 1001, price: 10_130, qty: 25 });
    case CommandType.MASS_CANCEL:
    case CommandType.END_OF_DAY:
      return makeCommand({ ...base, symbol: ALL_SYMBOLS });
    case CommandType.TICK:
      return makeCommand({ type, time: T });
    case CommandType.DEPOSIT:
    case CommandType.WITHDRAW:
      return makeCommand({ ...base, currency: 2, amount: 1_234_567_890_123_456_789_012n, destination: type === CommandType.WITHDRAW ? "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh" : "" });
    case CommandType.ADD_DESTINATION:
      return makeCommand({ ...base, currency: 2, destination: "DE89370400440532013000" });
    case CommandType.DEPOSIT_POSITION:
    case CommandType.WITHDRAW_POSITION:
    case CommandType.SET_SHORT_LIMIT:
      return makeCommand({ ...base, qty: 1_000 });
    case CommandType.SET_TIER:
      return makeCommand({ ...base, tier: 4 });
    case CommandType.SET_SYMBOL_ACCESS:
      return makeCommand({ ...base, flags: 2 });
    case CommandType.SET_MARK_PRICE:
      return makeCommand({ ...base, price: 99_999 });
    default:
      return makeCommand(base);
  }
}

/** Test titles: "2^63 − 1" reads better than 9223372036854775807, "36 chars" than the string. */
function describeValues(values: unknown[]): string {
  const power = (x: bigint): string => {
    const m = x < 0n ? -x : x;
    for (const k of [53n, 63n, 64n, 127n]) {
      for (const d of [-1n, 0n, 1n]) {
        if (m !== 2n ** k + d) continue;
        const p = d === 0n ? `2^${k}` : `2^${k} ${d < 0n ? "−" : "+"} 1`;
        return x > 0n ? p : d === 0n ? `−${p}` : `−(${p})`;
      }
    }
    return String(x);
  };
  return values
    .map((v) => {
      if (typeof v === "string") return `${v.length} chars`;
      if (typeof v === "bigint") return power(v);
      if (v === MAX) return "2^53 − 1";
      if (v === MIN) return "−(2^53 − 1)";
      return String(v);
    })
    .join(", ");
}

describe("encodeCommand then decodeCommand", () => {
  test("gives back every command type, field for field, with its seq", () => {
    for (const type of Object.values(CommandType)) {
      const cmd = commandOfType(type);
      const out = roundTrip(cmd, 1000 + type);
      expect(out.seq).toBe(1000 + type);
      expect(out.cmd).toEqual(cmd);
    }
  });

  const extremes: [keyof Command, unknown[]][] = [
    ["time", [0, 1, MAX, MIN]],
    ["orderId", [0, 1, MAX, MIN]],
    ["account", [0, MAX, -1]],
    ["price", [0, 1, MAX, MIN]],
    ["stopPrice", [0, MAX, MIN]],
    ["qty", [0, MAX, MIN]],
    ["expireTime", [0, MAX, MIN]],
    ["session", [0, MAX, MIN]],
    ["type", [0, 1, 29, 0xffff]],
    ["side", [0, 1, 0xff]],
    ["orderType", [0, 3, 0xff]],
    ["tif", [0, 4, 0xff]],
    ["stp", [0, 4, 0xff]],
    ["flags", [0, 1, 0xff]],
    ["actor", [0, 2, 0xff]],
    ["symbol", [ALL_SYMBOLS, 0, 1, 2 ** 31 - 1, -(2 ** 31)]],
    ["currency", [0, 1, 2 ** 32 - 1]],
    ["tier", [0, 1, 2 ** 32 - 1]],
    ["amount", [0n, 1n, -1n, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n, -(2n ** 64n), 2n ** 127n - 1n, -(2n ** 127n - 1n), -(2n ** 127n)]],
    ["clientOrderId", ["", "a", "x".repeat(35), PRINTABLE.slice(0, 36), "~".repeat(36)]],
    ["destination", ["", "!", PRINTABLE, PRINTABLE.slice(0, 96 - PRINTABLE.length) + PRINTABLE, "~".repeat(96)]],
  ];
  for (const [field, values] of extremes) {
    test(`keeps ${field} exact at ${describeValues(values)}`, () => {
      for (const value of values) {
        const cmd = makeCommand({ type: CommandType.NEW_ORDER, [field]: value } as CommandInit);
        expect({ field, value, got: roundTrip(cmd).cmd[field] as unknown }).toEqual({ field, value, got: value });
      }
    });
  }

  test("keeps seq exact from 0 to 2^53 − 1", () => {
    for (const seq of [0, 1, 2 ** 32, MAX]) expect(roundTrip(new Command(), seq).seq).toBe(seq);
  });

  test("fills every field of a reused Command, so nothing of the previous command survives", () => {
    const into = commandOfType(CommandType.NEW_ORDER);
    into.destination = "old-destination";
    into.amount = -5n;
    const view = slot();
    encodeCommand(commandOfType(CommandType.TICK), 9, view, 0);
    decodeCommand(view, 0, into);
    expect(into).toEqual(commandOfType(CommandType.TICK));
  });

  test("rewriting a slot that held longer strings gives the same bytes as a fresh slot", () => {
    const long = makeCommand({ type: CommandType.WITHDRAW, clientOrderId: "~".repeat(36), destination: "~".repeat(96), amount: -(2n ** 127n) });
    const short = makeCommand({ type: CommandType.WITHDRAW, clientOrderId: "abcde", destination: "xy", amount: 3n });
    const reused = slot();
    reused.setUint8(250, 0xff); // garbage in the reserved tail too
    encodeCommand(long, 1, reused, 0);
    encodeCommand(short, 2, reused, 0);
    const fresh = slot();
    encodeCommand(short, 2, fresh, 0);
    expect(bytes(reused)).toEqual(bytes(fresh));
  });

  test("works at any offset of a view that itself starts inside a larger buffer", () => {
    const backing = new SharedArrayBuffer(8 + 3 * COMMAND_SLOT_BYTES + 5);
    const ring = new DataView(backing, 8, 3 * COMMAND_SLOT_BYTES + 5);
    const cmds = [commandOfType(CommandType.NEW_ORDER), commandOfType(CommandType.WITHDRAW), commandOfType(CommandType.AMEND)];
    // the third slot starts at an odd offset: DataView needs no alignment
    const offsets = [0, COMMAND_SLOT_BYTES, 2 * COMMAND_SLOT_BYTES + 5];
    cmds.forEach((c, i) => encodeCommand(c, 50 + i, ring, offsets[i]!));
    const into = new Command();
    cmds.forEach((c, i) => {
      expect(decodeCommand(ring, offsets[i]!, into)).toBe(50 + i);
      expect(into).toEqual(c);
      expect(validateCommandSlot(ring, offsets[i]!)).toBeNull();
    });
    expect(Array.from(new Uint8Array(backing, 0, 8))).toEqual(Array(8).fill(0));
  });

  test("reads strings right through a fresh DataView per record and from a buffer that grew", () => {
    const journal = new ArrayBuffer(COMMAND_SLOT_BYTES, { maxByteLength: 4 * COMMAND_SLOT_BYTES });
    const a = makeCommand({ type: CommandType.NEW_ORDER, clientOrderId: "first", destination: "d1" });
    const b = makeCommand({ type: CommandType.NEW_ORDER, clientOrderId: "second-one", destination: "d2" });
    const into = new Command();
    encodeCommand(a, 1, new DataView(journal), 0);
    decodeCommand(new DataView(journal), 0, into);
    expect(into).toEqual(a);
    journal.resize(3 * COMMAND_SLOT_BYTES);
    encodeCommand(b, 2, new DataView(journal, 2 * COMMAND_SLOT_BYTES), 0);
    expect(decodeCommand(new DataView(journal, 2 * COMMAND_SLOT_BYTES), 0, into)).toBe(2);
    expect(into).toEqual(b);
  });
});

// ----------------------------------------------------------------------- what encode refuses

describe("encodeCommand refuses what the layout cannot carry exactly, and writes nothing", () => {
  const cases: [string, Partial<CommandInit>, number, RegExp][] = [
    ["seq not an integer", {}, 1.5, /seq/],
    ["seq past 2^53 − 1", {}, 2 ** 53, /seq/],
    ["time not an integer", { time: 0.5 }, 1, /time/],
    ["orderId past 2^53 − 1", { orderId: 2 ** 53 }, 1, /orderId/],
    ["account NaN", { account: NaN }, 1, /account/],
    ["price Infinity", { price: Infinity }, 1, /price/],
    ["stopPrice below −(2^53 − 1)", { stopPrice: -(2 ** 53) }, 1, /stopPrice/],
    ["qty fraction", { qty: 1.25 }, 1, /qty/],
    ["expireTime fraction", { expireTime: 1e15 + 0.5 }, 1, /expireTime/],
    ["session NaN", { session: NaN }, 1, /session/],
    ["type past 16 bits", { type: 0x10000 }, 1, /type/],
    ["side past 8 bits", { side: 256 }, 1, /side/],
    ["side negative", { side: -1 }, 1, /side/],
    ["orderType fraction", { orderType: 1.5 }, 1, /orderType/],
    ["tif past 8 bits", { tif: 300 }, 1, /tif/],
    ["stp negative", { stp: -1 }, 1, /stp/],
    ["flags past 8 bits", { flags: 0x100 }, 1, /flags/],
    ["actor past 8 bits", { actor: 999 }, 1, /actor/],
    ["symbol past 32 bits", { symbol: 2 ** 31 }, 1, /symbol/],
    ["symbol fraction", { symbol: 0.5 }, 1, /symbol/],
    ["currency negative", { currency: -1 }, 1, /currency/],
    ["tier past 32 bits", { tier: 2 ** 32 }, 1, /tier/],
    ["amount 2^127", { amount: 2n ** 127n }, 1, /amount.*overflow/],
    ["amount −2^127 − 1", { amount: -(2n ** 127n) - 1n }, 1, /amount.*overflow/],
    ["amount a number", { amount: 5 as unknown as bigint }, 1, /amount.*bigint/],
    ["clientOrderId of 37 characters", { clientOrderId: "x".repeat(37) }, 1, /clientOrderId.*36/],
    ["clientOrderId with a space", { clientOrderId: "a b" }, 1, /clientOrderId.*printable/],
    ["clientOrderId with non-ASCII", { clientOrderId: "café" }, 1, /clientOrderId.*printable/],
    ["clientOrderId with a control character", { clientOrderId: "a\u0000" }, 1, /clientOrderId.*printable/],
    ["clientOrderId with DEL", { clientOrderId: "a\u007f" }, 1, /clientOrderId.*printable/],
    ["destination of 97 characters", { destination: "x".repeat(97) }, 1, /destination.*96/],
    ["destination with an emoji", { destination: "addr-\u{1f4b8}" }, 1, /destination.*printable/],
    ["destination not a string", { destination: undefined as unknown as string }, 1, /destination.*string/],
  ];
  for (const [name, init, seq, message] of cases) {
    test(name, () => {
      const view = slot();
      new Uint8Array(view.buffer).fill(0xaa);
      expect(() => encodeCommand(makeCommand({ type: CommandType.NEW_ORDER, ...init }), seq, view, 0)).toThrow(message);
      expect(() => encodeCommand(makeCommand({ type: CommandType.NEW_ORDER, ...init }), seq, view, 0)).toThrow(RangeError);
      expect(bytes(view)).toEqual(Array(COMMAND_SLOT_BYTES).fill(0xaa));
    });
  }
});

// ------------------------------------------------------------------------------- properties

const seqArb = fc.oneof(fc.nat(), fc.constant(MAX), fc.maxSafeNat());

describe("properties", () => {
  test("any valid command survives encode → decode unchanged, and its slot validates", () => {
    const view = slot();
    const into = new Command();
    fc.assert(
      fc.property(commandArb, seqArb, (cmd, seq) => {
        encodeCommand(cmd, seq, view, 0);
        expect(validateCommandSlot(view, 0)).toBeNull();
        expect(decodeCommand(view, 0, into)).toBe(seq);
        expect(into).toEqual(cmd);
      }),
      { numRuns: 2_000 },
    );
  });

  test("a command's slot bytes depend on the command only, not on what the slot held before", () => {
    const reused = slot();
    fc.assert(
      fc.property(commandArb, commandArb, seqArb, (before, cmd, seq) => {
        encodeCommand(before, 1, reused, 0);
        encodeCommand(cmd, seq, reused, 0);
        const fresh = slot();
        encodeCommand(cmd, seq, fresh, 0);
        expect(bytes(reused)).toEqual(bytes(fresh));
      }),
      { numRuns: 500 },
    );
  });
});

// ------------------------------------------------------------------------------- validation

describe("validateCommandSlot", () => {
  function valid(): DataView {
    const view = slot();
    encodeCommand(makeCommand({ type: CommandType.WITHDRAW, clientOrderId: "abc", destination: "dest" }), 1, view, 0);
    expect(validateCommandSlot(view, 0)).toBeNull();
    return view;
  }
  const O = CommandOffset;
  const cases: [string, (v: DataView) => void, RegExp][] = [
    ["an all-zero slot (never written)", (v) => new Uint8Array(v.buffer).fill(0), /layout version 0/],
    ["another layout version", (v) => v.setUint8(O.VERSION, 2), /layout version 2/],
    ["a NaN seq", (v) => v.setFloat64(O.SEQ, NaN, true), /seq/],
    ["a fractional time", (v) => v.setFloat64(O.TIME, 1.5, true), /time/],
    ["an orderId of 2^53", (v) => v.setFloat64(O.ORDER_ID, 2 ** 53, true), /orderId/],
    ["an infinite price", (v) => v.setFloat64(O.PRICE, -Infinity, true), /price/],
    ["a fractional qty", (v) => v.setFloat64(O.QTY, 0.1, true), /qty/],
    ["a NaN session", (v) => v.setFloat64(O.SESSION, NaN, true), /session/],
    ["a clientOrderId length of 37", (v) => v.setUint8(O.CLIENT_ORDER_ID_LEN, 37), /clientOrderId length 37 exceeds 36/],
    ["a destination length of 255", (v) => v.setUint8(O.DESTINATION_LEN, 255), /destination length 255 exceeds 96/],
    ["a non-ASCII clientOrderId byte", (v) => v.setUint8(O.CLIENT_ORDER_ID + 1, 0xe9), /clientOrderId byte 1 is 0xe9/],
    ["a space in a destination", (v) => v.setUint8(O.DESTINATION + 2, 0x20), /destination byte 2 is 0x20/],
    ["a NUL inside a clientOrderId", (v) => v.setUint8(O.CLIENT_ORDER_ID, 0), /clientOrderId byte 0 is 0x00/],
    ["a DEL in a destination", (v) => v.setUint8(O.DESTINATION + 3, 0x7f), /destination byte 3 is 0x7f/],
    ["a byte after the clientOrderId", (v) => v.setUint8(O.CLIENT_ORDER_ID + 3, 0x41), /clientOrderId padding byte 3/],
    ["a byte after the destination", (v) => v.setUint8(O.DESTINATION + 95, 0x41), /destination padding byte 95/],
    ["a non-zero reserved byte 111", (v) => v.setUint8(O.RESERVED_A, 1), /reserved byte 111/],
    ["a non-zero byte in the reserved tail", (v) => v.setUint8(255, 1), /reserved byte 255/],
  ];
  for (const [name, spoil, reason] of cases) {
    test(`flags ${name}`, () => {
      const view = valid();
      spoil(view);
      expect(validateCommandSlot(view, 0)).toMatch(reason);
    });
  }

  test("accepts any bytes in the enum, symbol, currency, tier and amount fields: those are the engine's to judge", () => {
    const view = valid();
    for (const at of [O.TYPE, O.TYPE + 1, O.SIDE, O.ORDER_TYPE, O.TIF, O.STP, O.FLAGS, O.ACTOR]) view.setUint8(at, 0xff);
    for (let at = O.AMOUNT; at < O.TIER + 4; at++) view.setUint8(at, 0xa5);
    expect(validateCommandSlot(view, 0)).toBeNull();
  });
});

// ------------------------------------------------------------------------------------- fuzz

describe("fuzz", () => {
  const into = new Command();
  const reencoded = slot();

  /** Whatever the bytes, decode returns; a slot that validates is canonical (re-encodes to itself). */
  function check(view: DataView): void {
    const seq = decodeCommand(view, 0, into);
    const reason = validateCommandSlot(view, 0);
    expect(reason === null || typeof reason === "string").toBe(true);
    if (reason === null) {
      encodeCommand(into, seq, reencoded, 0);
      expect(bytes(reencoded)).toEqual(bytes(view));
    }
  }

  test("random 256-byte slots never make decodeCommand or validateCommandSlot throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: COMMAND_SLOT_BYTES, maxLength: COMMAND_SLOT_BYTES }), (raw) => {
        check(new DataView(raw.buffer, raw.byteOffset, raw.byteLength));
      }),
      { numRuns: 5_000 },
    );
  });

  test("random slots with a valid version byte never make decodeCommand throw either", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: COMMAND_SLOT_BYTES, maxLength: COMMAND_SLOT_BYTES }), (raw) => {
        raw[CommandOffset.VERSION] = COMMAND_LAYOUT_VERSION;
        check(new DataView(raw.buffer, raw.byteOffset, raw.byteLength));
      }),
      { numRuns: 5_000 },
    );
  });

  test("valid slots with a few bytes changed never make decodeCommand throw, and validate again only if canonical", () => {
    const mutation = fc.array(fc.tuple(fc.nat(COMMAND_SLOT_BYTES - 1), u8), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(commandArb, mutation, (cmd, changes) => {
        const view = slot();
        encodeCommand(cmd, 1, view, 0);
        for (const [at, value] of changes) view.setUint8(at, value);
        check(view);
      }),
      { numRuns: 5_000 },
    );
  });

  test("validateCommandSlot catches every non-printable byte inside a string", () => {
    const bad = fc.integer({ min: 0, max: 0xff }).filter((c) => c < 0x21 || c > 0x7e);
    fc.assert(
      fc.property(commandArb, fc.boolean(), fc.nat(), bad, (cmd, inClientId, pick, c) => {
        const field = inClientId ? "clientOrderId" : "destination";
        if (cmd[field].length === 0) cmd[field] = "x";
        const view = slot();
        encodeCommand(cmd, 1, view, 0);
        const i = pick % cmd[field].length;
        view.setUint8((inClientId ? CommandOffset.CLIENT_ORDER_ID : CommandOffset.DESTINATION) + i, c);
        expect(validateCommandSlot(view, 0)).toBe(`${field} byte ${i} is 0x${c.toString(16).padStart(2, "0")}, not printable ASCII`);
        decodeCommand(view, 0, into);
        expect(into[field].charCodeAt(i)).toBe(c);
      }),
      { numRuns: 2_000 },
    );
  });

  test("validateCommandSlot catches every oversize string length, and decode cuts it to the field", () => {
    fc.assert(
      fc.property(commandArb, fc.boolean(), fc.integer({ min: 0, max: 0xff }), (cmd, inClientId, n) => {
        const [field, max, lenAt] = inClientId
          ? (["clientOrderId", CLIENT_ORDER_ID_MAX, CommandOffset.CLIENT_ORDER_ID_LEN] as const)
          : (["destination", DESTINATION_MAX, CommandOffset.DESTINATION_LEN] as const);
        fc.pre(n > max);
        const view = slot();
        encodeCommand(cmd, 1, view, 0);
        view.setUint8(lenAt, n);
        expect(validateCommandSlot(view, 0)).toBe(`${field} length ${n} exceeds ${max}`);
        decodeCommand(view, 0, into);
        expect(into[field].length).toBe(max);
      }),
      { numRuns: 1_000 },
    );
  });
});

// ------------------------------------------------------------------------------- allocation


describe("allocation", () => {
  const ring = new DataView(new SharedArrayBuffer(64 * COMMAND_SLOT_BYTES));
  const commands = [
    commandOfType(CommandType.NEW_ORDER),
    makeCommand({ type: CommandType.NEW_ORDER, orderId: MAX, price: MAX, qty: MAX, symbol: ALL_SYMBOLS, clientOrderId: PRINTABLE.slice(0, 36) }),
    commandOfType(CommandType.CANCEL),
    makeCommand({ type: CommandType.WITHDRAW, amount: 2n ** 63n - 1n, currency: 2 ** 32 - 1, destination: "~".repeat(96) }),
    makeCommand({ type: CommandType.DEPOSIT, amount: -(2n ** 63n) }),
  ];

  test("the measure sees an allocation per call (control)", () => {
    const keep: unknown[] = [];
    const growth = heapGrowth((i) => {
      keep[i & 7] = { i };
    });
    expect(growth.capacity).toBeGreaterThan(MiB);
  });

  test("encoding a million commands (amounts within ±2^63) allocates nothing measurable", () => {
    const growth = heapGrowth((i) => encodeCommand(commands[i % commands.length]!, i, ring, (i & 63) * COMMAND_SLOT_BYTES));
    expect(growth.used).toBeLessThan(MiB);
    expect(growth.capacity).toBeLessThan(MiB);
  });

  test("decoding a million slots whose strings did not change allocates nothing measurable", () => {
    const view = slot();
    encodeCommand(commands[1]!, 1, view, 0);
    const into = new Command();
    const growth = heapGrowth(() => decodeCommand(view, 0, into));
    expect(growth.used).toBeLessThan(MiB);
    expect(growth.capacity).toBeLessThan(MiB);
  });

  test("writing and reading a million event records allocates nothing measurable", () => {
    const buf = new EventBuffer(4);
    buf.write(EventType.TRADE, 1, 2, 3, 0, 100, 5, 0, 7, 8, 0, 9);
    buf.write(EventType.LEVEL, 1, 0, 0, 1, 101, 50, 2, 0, 0, 0, 0);
    const events = new DataView(new SharedArrayBuffer(64 * EVENT_RECORD_BYTES));
    const out = new Float64Array(EVENT_WIDTH);
    const growth = heapGrowth((i) => {
      encodeEventsToRing(buf, i, events, 0, 64, i);
      decodeEvent(events, (i & 63) * EVENT_RECORD_BYTES, out);
    });
    expect(growth.used).toBeLessThan(MiB);
    expect(growth.capacity).toBeLessThan(MiB);
  });
});
