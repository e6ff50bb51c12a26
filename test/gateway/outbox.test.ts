import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Outbox } from "../../gateway/ws/outbox.ts";
import { FrameWriter } from "../../protocol/frame.ts";

/** Writes `frame` into the writer the way an encoder does, and returns its length. */
function encode(w: FrameWriter, frame: Uint8Array): number {
  w.ensure(frame.length);
  w.bytes.set(frame, 0);
  return frame.length;
}

/** A socket that records a copy of every frame it is handed, as Bun's sendBinary copies it out. */
function recorder(): { sent: Uint8Array[]; sendBinary(f: Uint8Array): number } {
  const sent: Uint8Array[] = [];
  return {
    sent,
    sendBinary(f: Uint8Array) {
      sent.push(f.slice());
      return f.length;
    },
  };
}

const frameArb = fc.uint8Array({ minLength: 1, maxLength: 700 });

describe("Outbox", () => {
  test("sends held frames in order, byte for byte, over many hold/drain rounds", () => {
    fc.assert(
      fc.property(fc.array(fc.array(frameArb, { maxLength: 40 }), { minLength: 1, maxLength: 8 }), (rounds) => {
        const w = new FrameWriter(8192);
        const box = new Outbox();
        for (const frames of rounds) {
          for (const f of frames) box.hold(w, encode(w, f));
          expect(box.empty).toBe(frames.length === 0);
          const ws = recorder();
          box.drain(ws);
          expect(box.empty).toBe(true);
          expect(ws.sent).toEqual(frames);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("a burst past the kept size is sent whole and the outbox still works after", () => {
    const w = new FrameWriter(8192);
    const box = new Outbox();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) frames.push(new Uint8Array(200 + (i % 300)).fill(i & 0xff));
    for (const f of frames) box.hold(w, encode(w, f));
    const ws = recorder();
    box.drain(ws);
    expect(ws.sent.length).toBe(2000);
    expect(ws.sent).toEqual(frames);
    const after = recorder();
    const small = new Uint8Array([1, 2, 3]);
    box.hold(w, encode(w, small));
    box.drain(after);
    expect(after.sent).toEqual([small]);
  });
});
