/**
 * The FIX tag=value codec and framer as specified: golden bytes for encodeFix (body lengths and
 * checksums worked out independently of the code), the `|` text form, message accessors, framing
 * across any chunking, every kind of garbled input, data fields, and FIX timestamps. Random streams
 * and mutations are in framer-fuzz.test.ts.
 */
import { describe, expect, test } from "bun:test";
import {
  BEGIN_STRING,
  checksum,
  encodeFix,
  fixTimestamp,
  fromPrintable,
  parseFixTimestamp,
  printable,
} from "../../../gateway/fix/codec.ts";
import { type Frame, FixFramer } from "../../../gateway/fix/framer.ts";
import { type Field, FixMessage, SOH } from "../../../gateway/fix/message.ts";
import { bytesOf, concat } from "./bytes.ts";


/** Every frame the framer gives for these chunks, pushed one at a time and drained after each. */
function frames(chunks: Uint8Array[], opts?: ConstructorParameters<typeof FixFramer>[0]): Frame[] {
  const framer = new FixFramer(opts);
  const out: Frame[] = [];
  for (const chunk of chunks) {
    framer.push(chunk);
    for (let f = framer.next(); f !== null; f = framer.next()) out.push(f);
  }
  return out;
}
const messagesOf = (fs: Frame[]): FixMessage[] => fs.flatMap((f) => (f.kind === "message" ? [f.message] : []));
const garbledOf = (fs: Frame[]) => fs.flatMap((f) => (f.kind === "garbled" ? [f] : []));

const HEARTBEAT: Field[] = [
  [35, "0"],
  [49, "BOURSE"],
  [56, "CLIENT1"],
  [34, "2"],
  [52, "20240102-10:11:12.123"],
];
const ORDER: Field[] = [
  [35, "D"],
  [49, "CLIENT1"],
  [56, "BOURSE"],
  [34, "7"],
  [52, "20240102-10:11:12.456"],
  [11, "ord-1"],
  [55, "BTC-USD"],
  [54, "1"],
  [38, "0.25"],
  [40, "2"],
  [44, "30010.5"],
];

describe("encodeFix", () => {
  test("the logon from the FIX 4.2 examples encodes to its published bytes: 9=65, 10=062", () => {
    const logon: Field[] = [
      [35, "A"],
      [49, "SERVER"],
      [56, "CLIENT"],
      [34, "177"],
      [52, "20090107-18:15:16"],
      [98, "0"],
      [108, "30"],
    ];
    expect(printable(encodeFix(logon, "FIX.4.2"))).toBe(
      "8=FIX.4.2|9=65|35=A|49=SERVER|56=CLIENT|34=177|52=20090107-18:15:16|98=0|108=30|10=062|",
    );
  });

  test("a FIX.4.4 heartbeat has BodyLength 56 (5+10+11+5+25 bytes) and CheckSum 127", () => {
    const bytes = encodeFix(HEARTBEAT);
    const expected = bytesOf(
      "8=FIX.4.4\x019=56\x0135=0\x0149=BOURSE\x0156=CLIENT1\x0134=2\x0152=20240102-10:11:12.123\x0110=127\x01",
    );
    expect(bytes).toEqual(expected);
  });

  test("BeginString defaults to FIX.4.4", () => {
    expect(BEGIN_STRING).toBe("FIX.4.4");
    expect(printable(encodeFix([[35, "0"]])).startsWith("8=FIX.4.4|9=5|35=0|10=")).toBe(true);
  });

  test("latin1 values keep their byte values", () => {
    const bytes = encodeFix([[35, "0"], [58, "café\xff"]]);
    const at = printable(bytes).indexOf("58=") + 3;
    expect([...bytes.subarray(at, at + 5)]).toEqual([0x63, 0x61, 0x66, 0xe9, 0xff]);
  });

  test("refuses what would garble or get the message rejected at the other end", () => {
    expect(() => encodeFix([[35, "0"], [58, "a\x01b"]])).toThrow(/SOH/);
    expect(() => encodeFix([[35, "0"], [58, ""]])).toThrow(/empty/);
    expect(() => encodeFix([[35, "0"], [58, "€"]])).toThrow(/latin1/);
    expect(() => encodeFix([[49, "X"], [35, "0"]])).toThrow(/35/);
    expect(() => encodeFix([])).toThrow(/35/);
    for (const tag of [8, 9, 10]) expect(() => encodeFix([[35, "0"], [tag, "1"]])).toThrow(/encoder/);
    for (const tag of [0, -1, 1.5, NaN]) expect(() => encodeFix([[35, "0"], [tag, "1"]])).toThrow(/positive integer/);
    expect(() => encodeFix([[35, "0"]], "FOO.1")).toThrow(/FIX/);
  });

  test("checksum is the byte sum mod 256 over [from, to)", () => {
    expect(checksum(Uint8Array.of(200, 100, 7), 0, 3)).toBe(51);
    expect(checksum(Uint8Array.of(200, 100, 7), 1, 2)).toBe(100);
    expect(checksum(new Uint8Array(0), 0, 0)).toBe(0);
  });
});

describe("printable and fromPrintable", () => {
  test("printable shows SOH as |", () => {
    expect(printable(bytesOf("8=FIX.4.4\x019=5\x01"))).toBe("8=FIX.4.4|9=5|");
  });

  test("fromPrintable computes a BodyLength written as .. and a missing CheckSum", () => {
    expect(fromPrintable("8=FIX.4.4|9=..|35=0|49=BOURSE|56=CLIENT1|34=2|52=20240102-10:11:12.123|")).toEqual(encodeFix(HEARTBEAT));
    expect(fromPrintable("8=FIX.4.4|9=|35=0|49=BOURSE|56=CLIENT1|34=2|52=20240102-10:11:12.123|10=..")).toEqual(encodeFix(HEARTBEAT));
  });

  test("fromPrintable keeps a BodyLength and CheckSum given as digits, right or wrong", () => {
    expect(printable(fromPrintable("8=FIX.4.4|9=3|35=0|10=999|"))).toBe("8=FIX.4.4|9=3|35=0|10=999|");
  });

  test("fromPrintable wraps a bare body in a FIX.4.4 header and trailer", () => {
    expect(fromPrintable("35=0|49=BOURSE|56=CLIENT1|34=2|52=20240102-10:11:12.123")).toEqual(encodeFix(HEARTBEAT));
  });
});

describe("FixMessage", () => {
  const m = new FixMessage(
    [[35, "8"], [34, "12"], [43, "Y"], [448, "A"], [448, "B"], [58, ""]],
    new Uint8Array(0),
  );

  test("get is the first occurrence, getAll every one in order, has is presence (empty values count)", () => {
    expect(m.get(448)).toBe("A");
    expect(m.getAll(448)).toEqual(["A", "B"]);
    expect(m.getAll(1)).toEqual([]);
    expect(m.get(1)).toBeUndefined();
    expect(m.has(58)).toBe(true);
    expect(m.has(1)).toBe(false);
  });

  test("msgType, seqNum and possDup read 35, 34 and 43", () => {
    expect(m.msgType).toBe("8");
    expect(m.seqNum).toBe(12);
    expect(m.possDup).toBe(true);
    const bare = new FixMessage([[43, "N"]], new Uint8Array(0));
    expect(bare.msgType).toBe("");
    expect(bare.seqNum).toBeNaN();
    expect(bare.possDup).toBe(false);
  });

  test("seqNum is NaN unless 34 is a positive integer; leading zeros are allowed, as for any FIX int", () => {
    const seq = (v: string) => new FixMessage([[35, "0"], [34, v]], new Uint8Array(0)).seqNum;
    expect(seq("0007")).toBe(7);
    for (const v of ["0", "-1", "+1", "1.0", "1e3", "", " 1", "99999999999999999"]) expect(seq(v)).toBeNaN();
  });
});

describe("FixFramer: delivery", () => {
  const order = encodeFix(ORDER);
  const heartbeat = encodeFix(HEARTBEAT);

  test("an encoded message comes back with its fields in order and its exact bytes", () => {
    const [f, ...rest] = frames([order]);
    expect(rest).toEqual([]);
    expect(f!.kind).toBe("message");
    const msg = (f as { message: FixMessage }).message;
    expect(msg.fields).toEqual(ORDER);
    expect(msg.raw).toEqual(order);
    expect(msg.msgType).toBe("D");
    expect(msg.seqNum).toBe(7);
  });

  test("raw is a copy: later input does not change a delivered message", () => {
    const framer = new FixFramer();
    framer.push(order);
    const f = framer.next();
    for (let i = 0; i < 50; i++) framer.push(heartbeat);
    while (framer.next() !== null);
    expect(f?.kind === "message" && f.message.raw).toEqual(order);
  });

  test("a message split at every byte offset, and fed byte by byte, comes out whole", () => {
    for (let cut = 0; cut <= order.length; cut++) {
      const got = frames([order.subarray(0, cut), order.subarray(cut)]);
      expect(got.map((f) => f.kind)).toEqual(["message"]);
      expect(messagesOf(got)[0]!.raw).toEqual(order);
    }
    const byByte = frames([...order].map((b) => Uint8Array.of(b)));
    expect(messagesOf(byByte).map((m) => m.raw)).toEqual([order]);
  });

  test("nothing is delivered before the last byte, and nothing is buffered after it", () => {
    const framer = new FixFramer();
    framer.push(order.subarray(0, order.length - 1));
    expect(framer.next()).toBeNull();
    expect(framer.buffered).toBe(order.length - 1);
    framer.push(order.subarray(order.length - 1));
    expect(framer.next()!.kind).toBe("message");
    expect(framer.next()).toBeNull();
    expect(framer.buffered).toBe(0);
  });

  test("many messages in one chunk come out one at a time, in order", () => {
    const stream = concat(heartbeat, order, heartbeat, order, order);
    const got = frames([stream]);
    expect(got.every((f) => f.kind === "message")).toBe(true);
    expect(messagesOf(got).map((m) => m.msgType)).toEqual(["0", "D", "0", "D", "D"]);
  });

  test("two messages split at every offset of the pair", () => {
    const stream = concat(heartbeat, order);
    for (let cut = 0; cut <= stream.length; cut++) {
      const got = frames([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(messagesOf(got).map((m) => m.raw)).toEqual([heartbeat, order]);
      expect(garbledOf(got)).toEqual([]);
    }
  });

  test("empty values parse; rejecting them is the session's job", () => {
    const [m] = messagesOf(frames([fromPrintable("35=0|58=|112=|")]));
    expect(m!.fields).toEqual([[35, "0"], [58, ""], [112, ""]]);
  });

  test("a data field is measured by its length field, so it may contain SOH and '='", () => {
    const [m] = messagesOf(frames([fromPrintable("35=A|95=7|96=a\x01b=c\x01d|98=0|108=30|")]));
    expect(m!.fields).toEqual([[35, "A"], [95, "7"], [96, "a\x01b=c\x01d"], [98, "0"], [108, "30"]]);
    const [x] = messagesOf(frames([fromPrintable("35=n|212=3|213=<a>|")]));
    expect(x!.get(213)).toBe("<a>");
  });

  test("a data field without its length field right before it ends at SOH like any field", () => {
    const [m] = messagesOf(frames([fromPrintable("35=A|96=secret|98=0|")]));
    expect(m!.get(96)).toBe("secret");
  });

  test("a framer for another BeginString takes that version's messages", () => {
    const logon = fromPrintable("8=FIX.4.2|9=65|35=A|49=SERVER|56=CLIENT|34=177|52=20090107-18:15:16|98=0|108=30|10=062|");
    const [m] = messagesOf(frames([logon], { beginString: "FIX.4.2" }));
    expect(m!.seqNum).toBe(177);
    expect(m!.get(108)).toBe("30");
  });

  test("options are checked", () => {
    expect(() => new FixFramer({ maxMessageBytes: 10 })).toThrow(/too small/);
    expect(() => new FixFramer({ beginString: "FOO" })).toThrow(/FIX/);
  });
});

describe("FixFramer: garbled input is reported, skipped, and the next message still arrives", () => {
  const good = encodeFix(ORDER);

  /** The frames for `bad` followed by a good message: exactly one garbled covering all of `bad`, then the message. */
  function expectGarbledThenGood(bad: Uint8Array, reason: RegExp, opts?: ConstructorParameters<typeof FixFramer>[0]) {
    for (const chunks of [[concat(bad, good)], [bad, good], [...concat(bad, good)].map((b) => Uint8Array.of(b))]) {
      const got = frames(chunks, opts);
      const garbled = garbledOf(got);
      expect(garbled.length).toBeGreaterThanOrEqual(1);
      expect(garbled[0]!.reason).toMatch(reason);
      expect(garbled.reduce((n, g) => n + g.bytes, 0)).toBe(bad.length);
      expect(got.at(-1)).toEqual({ kind: "message", message: new FixMessage(ORDER, good) });
      // raw is a getter (made from the decoded text on demand), so toEqual does not compare it.
      expect(messagesOf(got).at(-1)!.raw).toEqual(good);
    }
  }
  const corrupt = (bytes: Uint8Array, at: number, value: number) => {
    const copy = new Uint8Array(bytes);
    copy[at] = value;
    return copy;
  };

  test("a wrong checksum", () => {
    const bad = fromPrintable("8=FIX.4.4|9=5|35=0|10=000|");
    expectGarbledThenGood(bad, /CheckSum 000 is wrong, computed \d{3}/);
  });

  test("a flipped body byte is caught by the checksum", () => {
    const bad = corrupt(encodeFix(HEARTBEAT), 30, 0x5a);
    expectGarbledThenGood(bad, /CheckSum/);
  });

  test("a CheckSum that is not three digits", () => {
    expectGarbledThenGood(fromPrintable("8=FIX.4.4|9=5|35=0|10=12|"), /not three digits/);
  });

  test("a BodyLength too short or too long for where 10= is", () => {
    expectGarbledThenGood(fromPrintable("8=FIX.4.4|9=4|35=0|10=000|"), /BodyLength 4 does not end/);
    expectGarbledThenGood(fromPrintable("8=FIX.4.4|9=6|35=0|10=000|"), /BodyLength 6 does not end/);
  });

  test("a BodyLength that is not a number, or is empty", () => {
    expectGarbledThenGood(bytesOf("8=FIX.4.4\x019=5x\x0135=0\x0110=000\x01"), /not a number/);
    expectGarbledThenGood(bytesOf("8=FIX.4.4\x019=\x0135=0\x0110=000\x01"), /empty/);
  });

  test("BodyLength not the second field", () => {
    expectGarbledThenGood(fromPrintable("8=FIX.4.4|35=0|9=5|10=000|"), /BodyLength \(9\) is not the second field/);
  });

  test("a wrong BeginString, named in the reason", () => {
    const fix42 = encodeFix(HEARTBEAT, "FIX.4.2");
    expectGarbledThenGood(fix42, /BeginString "FIX.4.2" is not FIX.4.4/);
    expectGarbledThenGood(encodeFix(HEARTBEAT, "FIXT.1.1"), /BeginString/);
  });

  test("a message over maxMessageBytes, judged on its declared length before the body arrives", () => {
    const big = encodeFix([[35, "0"], [58, "x".repeat(300)]]);
    expectGarbledThenGood(big, /exceeds the limit of 256/, { maxMessageBytes: 256 });
    const framer = new FixFramer({ maxMessageBytes: 256 });
    framer.push(bytesOf("8=FIX.4.4\x019=999999\x01"));
    expect(framer.next()).toMatchObject({ kind: "garbled", reason: expect.stringMatching(/exceeds/) });
    expect(framer.buffered).toBe(0);
  });

  test("a message of exactly maxMessageBytes is delivered", () => {
    expect(messagesOf(frames([good], { maxMessageBytes: good.length })).length).toBe(1);
    expect(messagesOf(frames([good], { maxMessageBytes: good.length - 1 })).length).toBe(0);
  });

  test("endless BodyLength digits are garbled, not waited on", () => {
    const framer = new FixFramer();
    framer.push(bytesOf(`8=FIX.4.4\x019=${"0".repeat(20)}`));
    expect(framer.next()).toMatchObject({ kind: "garbled", reason: expect.stringMatching(/too many digits/) });
  });

  test("garbage before a message", () => {
    expectGarbledThenGood(bytesOf("hello, this is not FIX\r\n"), /no message start/);
    expectGarbledThenGood(bytesOf("8=FIY 8=F 8= 88"), /no message start/);
  });

  test("malformed field syntax in a well-framed message", () => {
    expectGarbledThenGood(fromPrintable("35=0|58|"), /without "="/);
    expectGarbledThenGood(fromPrintable("35=0|5x=1|"), /without "="/);
    expectGarbledThenGood(fromPrintable("35=0|=1|"), /without a numeric tag/);
    expectGarbledThenGood(fromPrintable("35=0||"), /without a numeric tag/);
    expectGarbledThenGood(fromPrintable("35=0|058=1|"), /leading zero/);
    expectGarbledThenGood(fromPrintable("35=0|1234567890=1|"), /more than 9 digits/);
  });

  test("MsgType not the third field, or missing", () => {
    expectGarbledThenGood(fromPrintable("49=X|35=0|"), /MsgType \(35\) is not the third field/);
    expectGarbledThenGood(fromPrintable("8=FIX.4.4|9=0|10=..|"), /MsgType/);
  });

  test("8, 9 or 10 inside the body", () => {
    expectGarbledThenGood(fromPrintable("35=0|10=123|58=x|"), /tag 10 inside the body/);
    expectGarbledThenGood(fromPrintable("35=0|9=5|"), /tag 9 inside the body/);
  });

  test("a data field whose length does not land on SOH", () => {
    expectGarbledThenGood(fromPrintable("35=A|95=3|96=abcd|"), /data field 96/);
    expectGarbledThenGood(fromPrintable("35=A|95=x|96=abcd|"), /data field 96/);
  });

  test("a garbled message's bytes are skipped only up to the next 8=FIX, which may be inside it", () => {
    // The bad checksum makes the whole thing garbled; the embedded 8=FIX in 58's value is tried next.
    const bad = fromPrintable("35=0|58=x8=FIXy|10=000");
    const got = frames([concat(bad, good)]);
    expect(garbledOf(got).map((g) => g.reason)[1]).toMatch(/BeginString/);
    expect(messagesOf(got).map((m) => m.raw)).toEqual([good]);
  });

  test("garbage waits for more only while its tail could start 8=FIX", () => {
    const framer = new FixFramer();
    framer.push(bytesOf("xyz8=F"));
    expect(framer.next()).toEqual({ kind: "garbled", reason: "no message start (8=FIX)", bytes: 3 });
    expect(framer.next()).toBeNull();
    expect(framer.buffered).toBe(3);
    framer.push(bytesOf("OO"));
    expect(framer.next()).toEqual({ kind: "garbled", reason: "no message start (8=FIX)", bytes: 5 });
    expect(framer.buffered).toBe(0);
  });
});

describe("FIX timestamps", () => {
  const t = Date.UTC(2024, 0, 2, 10, 11, 12, 123);

  test("fixTimestamp writes UTC with milliseconds, zero-padded", () => {
    expect(fixTimestamp(t)).toBe("20240102-10:11:12.123");
    expect(fixTimestamp(0)).toBe("19700101-00:00:00.000");
    expect(fixTimestamp(Date.UTC(2024, 1, 29, 23, 59, 59, 7))).toBe("20240229-23:59:59.007");
    expect(fixTimestamp(t + 0.9)).toBe("20240102-10:11:12.123");
    expect(() => fixTimestamp(NaN)).toThrow(RangeError);
    expect(() => fixTimestamp(Date.UTC(10000, 0, 1))).toThrow(RangeError);
  });

  test("parseFixTimestamp reads what fixTimestamp writes, with or without milliseconds", () => {
    expect(parseFixTimestamp("20240102-10:11:12.123")).toBe(t);
    expect(parseFixTimestamp("20240102-10:11:12")).toBe(t - 123);
    expect(parseFixTimestamp("19700101-00:00:00")).toBe(0);
    expect(parseFixTimestamp("00010101-00:00:00")).toBe(Date.parse("0001-01-01T00:00:00Z"));
    for (const ms of [0, t, Date.UTC(2000, 1, 29), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(1969, 6, 20, 20, 17, 40, 1)]) {
      expect(parseFixTimestamp(fixTimestamp(ms))).toBe(ms);
    }
  });

  test("micro- and nanosecond fractions are truncated to milliseconds", () => {
    expect(parseFixTimestamp("20240102-10:11:12.123999")).toBe(t);
    expect(parseFixTimestamp("20240102-10:11:12.123456789")).toBe(t);
  });

  test("second 60 (a leap second) is accepted as the next minute's second 0", () => {
    expect(parseFixTimestamp("20161231-23:59:60.000")).toBe(Date.UTC(2017, 0, 1));
  });

  test("anything else is NaN", () => {
    for (const s of [
      "",
      "20240102-10:11:12.12",
      "20240102-10:11:12.1234",
      "20240102 10:11:12.123",
      "20240102-10-11-12.123",
      "20240102-10:11:12,123",
      "2024010-210:11:12.123",
      "20241302-10:11:12.123",
      "20240002-10:11:12.123",
      "20240230-10:11:12.123",
      "20230229-10:11:12",
      "19000229-10:11:12",
      "20240100-10:11:12",
      "20240102-24:00:00",
      "20240102-10:60:00",
      "20240102-10:11:61",
      "2024010a-10:11:12",
      "20240102-10:11:12.12a",
      "20240102-10:11:12.123abc",
      "+2024010-10:11:12",
    ]) {
      expect({ s, ms: parseFixTimestamp(s) }).toEqual({ s, ms: NaN });
    }
  });
});

test("SOH is 0x01", () => {
  expect(SOH).toBe(1);
});
