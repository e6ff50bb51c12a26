/**
 * The fast paths of the FIX door's output must be invisible on the wire: FixEncoder writes what
 * encodeFix (the reference) writes and refuses what it refuses; the session's messages, from
 * sendApp and from sendAppWith alike, are encodeFix of the header it stamps plus the body, and so
 * are the bytes it stores for resends; fixTimestamp's cache answers what a fresh computation would.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { encodeFields, encodeFix, FixEncoder, fixTimestamp, printable } from "../../../gateway/fix/codec.ts";
import { FixFramer } from "../../../gateway/fix/framer.ts";
import type { Field, FixMessage } from "../../../gateway/fix/message.ts";
import { FixSession, type FixSessionHost } from "../../../gateway/fix/session.ts";
import { FixStore } from "../../../gateway/fix/store.ts";

const RUNS = Number(process.env.FIX_FUZZ_RUNS ?? 500);

const goodTag = fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 999_999_999 })).filter((t) => t !== 8 && t !== 9 && t !== 10);
const anyTag = fc.oneof(
  { weight: 8, arbitrary: goodTag },
  { weight: 1, arbitrary: fc.constantFrom(0, 8, 9, 10, -1, 1.5, 1e9, 2 ** 31, Number.NaN) },
);
const goodValue = fc.oneof(
  { weight: 10, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 24 }) },
  { weight: 10, arbitrary: fc.string({ unit: fc.integer({ min: 2, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 }) },
  // Past the encoder's first buffer, so growth is exercised.
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1000, maxLength: 3000 }) },
);
const anyValue = fc.oneof(
  { weight: 8, arbitrary: goodValue },
  { weight: 1, arbitrary: fc.constantFrom("", "a\x01b", "\x01", "€", "x\u0100", "ok\uffff") },
);
const msgTypeArb = fc.oneof(fc.constantFrom("8", "D", "0", "AE", "j"), { weight: 1, arbitrary: fc.constantFrom("", "\x01", "€") });
const fieldsArb = (tag: fc.Arbitrary<number>, value: fc.Arbitrary<string>) => fc.array(fc.tuple(tag, value) as fc.Arbitrary<Field>, { maxLength: 25 });

/** encodeFix's answer: the bytes, or that it threw a RangeError. */
function reference(fields: Field[]): Uint8Array | "throws" {
  try {
    return encodeFix(fields);
  } catch (e) {
    expect(e).toBeInstanceOf(RangeError);
    return "throws";
  }
}

function viaEncoder(e: FixEncoder, msgType: string, body: Field[]): Uint8Array | "throws" {
  try {
    e.begin(msgType);
    for (const [tag, value] of body) e.field(tag, value);
    return e.finish();
  } catch (err) {
    expect(err).toBeInstanceOf(RangeError);
    return "throws";
  }
}

const show = (x: Uint8Array | "throws") => (x === "throws" ? x : printable(x));

describe("FixEncoder writes what encodeFix writes", () => {
  // One encoder for every case: reuse, growth and recovery after a refused field are part of the property.
  const e = new FixEncoder();

  test("random fields, valid and not: the same bytes, or both refuse", () => {
    fc.assert(
      fc.property(msgTypeArb, fieldsArb(anyTag, anyValue), (type, body) => {
        expect(show(viaEncoder(e, type, body))).toBe(show(reference([[35, type], ...body])));
      }),
      { numRuns: RUNS },
    );
  });

  test("intField and idField write the digits String() would", () => {
    const n = fc.oneof(fc.nat({ max: 1000 }), fc.constantFrom(0, 9, 10, 99, 100, 1e15, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
    fc.assert(
      fc.property(goodTag, n, fc.constantFrom("", "mwvktiac-", "x"), (tag, v, prefix) => {
        const expected = encodeFix([[35, "8"], [tag, `${prefix}${v}`]]);
        expect(show(e.begin("8").idField(tag, prefix, v).finish())).toBe(show(expected));
        if (prefix === "") expect(show(e.begin("8").intField(tag, v).finish())).toBe(show(expected));
      }),
      { numRuns: RUNS },
    );
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => e.begin("8").intField(17, bad)).toThrow(RangeError);
  });

  test("pre-encoded fields write what writing them one by one writes", () => {
    fc.assert(
      fc.property(fieldsArb(goodTag, goodValue), fieldsArb(goodTag, goodValue), fieldsArb(goodTag, goodValue), (a, b, c) => {
        const pre = encodeFields(b);
        e.begin("8");
        for (const [t, v] of a) e.field(t, v);
        e.bytes(pre);
        for (const [t, v] of c) e.field(t, v);
        expect(show(e.finish())).toBe(show(encodeFix([[35, "8"], ...a, ...b, ...c])));
      }),
      { numRuns: RUNS },
    );
    expect(() => encodeFields([[58, "a\x01b"]])).toThrow(RangeError);
    expect(() => encodeFields([[9, "1"]])).toThrow(RangeError);
  });

  test("messages that end at every offset around the first buffer's end (room for the trailer)", () => {
    // The longest tag and number leave no slack in the room each write asks for.
    const T = 999_999_999;
    const N = Number.MAX_SAFE_INTEGER;
    for (let n = 950; n <= 1100; n++) {
      const x = "x".repeat(n);
      expect(show(new FixEncoder().begin("8").field(T, x).finish())).toBe(show(encodeFix([[35, "8"], [T, x]])));
      expect(show(new FixEncoder().begin("8").idField(T, x, N).finish())).toBe(show(encodeFix([[35, "8"], [T, `${x}${N}`]])));
      expect(show(new FixEncoder().begin("8").bytes(encodeFields([[T, x]])).finish())).toBe(show(encodeFix([[35, "8"], [T, x]])));
    }
  });

  test("each message is an array of its own: the next one does not change it", () => {
    const first = e.begin("8").field(17, "a").finish();
    const copy = first.slice();
    e.begin("8").field(17, "b".repeat(5000)).finish();
    expect(first).toEqual(copy);
  });

  test("another BeginString", () => {
    const e42 = new FixEncoder("FIX.4.2");
    expect(show(e42.begin("0").field(112, "x").finish())).toBe(show(encodeFix([[35, "0"], [112, "x"]], "FIX.4.2")));
    expect(() => new FixEncoder("FOO")).toThrow(RangeError);
  });
});

describe("the session's messages are encodeFix of its header and the body", () => {
  const dir = mkdtempSync(join(tmpdir(), "fix-encoder-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const T0 = Date.UTC(2026, 10, 25, 3, 30, 1, 123);

  function rig(name: string) {
    const clock = { t: T0 };
    const sent: Uint8Array[] = [];
    const store = FixStore.open(dir, name, { autoFlush: false });
    const host: FixSessionHost = {
      send: (b) => sent.push(b),
      close: () => {},
      authenticate: () => ({ account: 1 }),
      openStore: () => store,
      onApplication: () => {},
    };
    const session = new FixSession(host, { compId: "BOURSE", now: () => clock.t });
    const f = new FixFramer();
    f.push(encodeFix([[35, "A"], [34, "1"], [49, name], [52, fixTimestamp(clock.t)], [56, "BOURSE"], [98, "0"], [108, "0"], [141, "Y"]]));
    session.onFrame(f.next()!);
    expect(session.state).toBe("active");
    sent.length = 0;
    return { clock, sent, store, session };
  }

  test("sendApp and sendAppWith, over random bodies and clocks", () => {
    const a = rig("CLIENT-A");
    const b = rig("CLIENT-B");
    fc.assert(
      fc.property(fc.constantFrom("8", "9", "j", "r"), fieldsArb(goodTag, goodValue), fc.nat({ max: 5000 }), (type, body, dt) => {
        a.clock.t += dt;
        b.clock.t = a.clock.t;
        const seqA = a.session.sendApp([[35, type], ...body]);
        const seqB = b.session.sendAppWith(type, (e) => {
          for (const [t, v] of body) e.field(t, v);
        });
        expect(seqB).toBe(seqA);
        const ts = fixTimestamp(a.clock.t);
        const expected = (them: string) => printable(encodeFix([[35, type], [34, String(seqA)], [49, "BOURSE"], [52, ts], [56, them], ...body]));
        expect(printable(a.sent.pop()!)).toBe(expected("CLIENT-A"));
        expect(printable(b.sent.pop()!)).toBe(expected("CLIENT-B"));
        // What a resend would be built from.
        expect(printable(a.store.get(seqA)!)).toBe(expected("CLIENT-A"));
        expect(printable(b.store.get(seqB)!)).toBe(expected("CLIENT-B"));
      }),
      { numRuns: RUNS },
    );
  });

  test("sendAppWith before logon sends nothing and does not ask for the body", () => {
    const sent: Uint8Array[] = [];
    const session = new FixSession(
      { send: (b) => sent.push(b), close: () => {}, authenticate: () => ({ account: 1 }), openStore: () => FixStore.open(dir, "NEVER"), onApplication: () => {} },
      { compId: "BOURSE", now: () => T0 },
    );
    let asked = false;
    expect(session.sendAppWith("8", () => (asked = true))).toBe(0);
    expect(asked).toBe(false);
    expect(sent).toEqual([]);
  });

  test("a body the encoder refuses throws before anything is stored or sent, and the next message is whole", () => {
    const r = rig("CLIENT-C");
    const next = r.store.nextSenderSeq;
    expect(() => r.session.sendAppWith("8", (e) => e.field(17, "e-1").field(58, "a\x01b"))).toThrow(RangeError);
    expect(() => r.session.sendApp([[35, "8"], [17, "e-1"], [58, ""]])).toThrow(RangeError);
    expect(r.sent).toEqual([]);
    expect(r.store.nextSenderSeq).toBe(next);
    const seq = r.session.sendAppWith("8", (e) => e.field(17, "e-2"));
    expect(seq).toBe(next);
    const f = new FixFramer();
    f.push(r.sent[0]!);
    const m = (f.next() as { message: FixMessage }).message;
    expect(m.fields).toEqual([[35, "8"], [34, String(next)], [49, "BOURSE"], [52, fixTimestamp(r.clock.t)], [56, "CLIENT-C"], [17, "e-2"]]);
  });
});

describe("fixTimestamp's cache", () => {
  /** The uncached computation it replaced. */
  function fresh(ms: number): string {
    const d = new Date(Math.floor(ms));
    const year = d.getUTCFullYear();
    if (!(year >= 0 && year <= 9999)) throw new RangeError("not a FIX time");
    const p = (n: number, w: number) => String(n).padStart(w, "0");
    return `${p(year, 4)}${p(d.getUTCMonth() + 1, 2)}${p(d.getUTCDate(), 2)}-${p(d.getUTCHours(), 2)}:${p(d.getUTCMinutes(), 2)}:${p(d.getUTCSeconds(), 2)}.${p(d.getUTCMilliseconds(), 3)}`;
  }
  const answer = (f: (ms: number) => string, ms: number) => {
    try {
      return f(ms);
    } catch (e) {
      return e instanceof RangeError ? "RangeError" : String(e);
    }
  };

  test("any sequence of times, repeated, near each other, across seconds, before 1970 and out of range", () => {
    const t0 = Date.UTC(2026, 10, 25, 3, 30, 59, 998);
    const time = fc.oneof(
      fc.integer({ min: t0 - 3000, max: t0 + 3000 }),
      fc.double({ min: t0 - 2000, max: t0 + 2000, noNaN: true }),
      fc.integer({ min: -62_167_219_200_000 - 5000, max: 253_402_300_799_999 + 5000 }),
      fc.constantFrom(0, -1, -999, -1000, -1001, 0.5, -0.5, Number.NaN, Number.POSITIVE_INFINITY, 8.64e15, 8.64e15 + 1, 253_402_300_800_000, -62_167_219_200_001),
    );
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 30 }), (times) => {
        for (const ms of times) expect(answer(fixTimestamp, ms)).toBe(answer(fresh, ms));
      }),
      { numRuns: RUNS },
    );
  });
});
