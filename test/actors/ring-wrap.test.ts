/**
 * Sequences wrap at 2^32 (int32 max → int32 min at 2^31, −1 → 0 at 2^32). Rings started just
 * before each wrap must gate, claim, publish and deliver straight through it.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Ring } from "../../actors/ring/ring.ts";
import { seqDiff } from "../../actors/ring/sequence.ts";
import { start, stopAll } from "./fixtures/workers.ts";

afterEach(stopAll);

// Each worker answers within its own deadline (fixtures/workers.ts); this bounds the whole test.
const WORKER_TEST_MS = 30_000;

const NEAR_2_31 = 0x7fffffff - 1000; // int32 max − 1000
const NEAR_2_32 = -1000; // 2^32 − 1000 as an int32

describe.each([
  ["2^31", NEAR_2_31],
  ["2^32", NEAR_2_32],
])("across %s", (_name, initial) => {
  test("gating holds across the wrap: a full ring stays full until the consumer passes it", () => {
    const before = (initial + 997) | 0; // three before the wrap
    const ring = Ring.create({ size: 4, slotBytes: 8, initial: before });
    const lo = ring.claim(4);
    expect(lo).toBe((before + 1) | 0);
    ring.publish((lo + 3) | 0);
    expect(seqDiff(ring.cursor.get(), before)).toBe(4);
    expect(ring.tryClaim(1)).toBeNull();
    ring.consumer(0).set((before + 2) | 0);
    expect(ring.tryClaim(2)).toBe((before + 5) | 0);
    expect(ring.tryClaim(1)).toBeNull();
    expect(ring.remaining()).toBe(0);
  });

  test("a producer worker and a chain of two consumer workers deliver 5,000 messages through the wrap", async () => {
    const count = 5_000;
    const ring = Ring.create({ size: 64, slotBytes: 24, consumers: 2, initial });
    const first = start({
      role: "consume", sab: ring.sab, id: 0, after: [], count, stamped: false, stamp: true, maxBatch: 5,
      delayEvery: 3, delayUs: 10, // slow enough that the producer waits on a full ring, at the wrap too
    });
    const second = start({ role: "consume", sab: ring.sab, id: 1, after: [0], count, stamped: true, stamp: false });
    const producer = start({ role: "produce", sab: ring.sab, count, batches: [1, 13, 64], mode: "claim" });
    const [made, a, b] = await Promise.all([producer.result, first.result, second.result]);
    const last = (initial + count) | 0;
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(made.last).toBe(last);
    expect([a.handled, b.handled]).toEqual([count, count]);
    expect([a.last, b.last]).toEqual([last, last]);
    expect(ring.consumer(1).get()).toBe(last);
    expect(seqDiff(last, initial)).toBe(count);
    if (initial === NEAR_2_31) expect(last).toBeLessThan(0); // raw values really did wrap
    else expect(last).toBeGreaterThan(0);
  }, WORKER_TEST_MS);
});
