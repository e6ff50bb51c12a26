/**
 * The ring across real Bun workers: a producer thread and consumer threads sharing one
 * SharedArrayBuffer. Every message's bytes are a function of its sequence (fixtures/pattern.ts),
 * so a consumer can tell a torn or overwritten slot from a good one, and it checks that every
 * message arrives exactly once and in order.
 */
import { afterEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Ring } from "../../actors/ring/ring.ts";
import { seqDiff } from "../../actors/ring/sequence.ts";
import { Stage } from "../../actors/ring/stage.ts";
import { checkSlot, fillSlot } from "./fixtures/pattern.ts";
import { sleep, start, stopAll } from "./fixtures/workers.ts";

// ~3 s on a 2-core machine (each run starts two workers). RING_PROPERTY_RUNS / RING_PROPERTY_SEED
// override, e.g. RING_PROPERTY_RUNS=500 for a soak.
const RUNS = Number(process.env.RING_PROPERTY_RUNS ?? 60);
const SEED = process.env.RING_PROPERTY_SEED ? Number(process.env.RING_PROPERTY_SEED) : undefined;

afterEach(stopAll);

// Each worker answers within its own deadline (fixtures/workers.ts); this bounds the whole test.
const WORKER_TEST_MS = 30_000;

describe("one producer worker, one consumer worker", () => {
  test(
    "every message arrives exactly once, in order and untorn, whatever the ring and batch sizes",
    async () => {
      const params = fc.record({
        sizeLog2: fc.integer({ min: 0, max: 7 }),
        slotWords: fc.integer({ min: 1, max: 24 }),
        batches: fc.array(fc.integer({ min: 1, max: 130 }), { minLength: 1, maxLength: 4 }),
        count: fc.integer({ min: 0, max: 4000 }),
        mode: fc.constantFrom("claim" as const, "try" as const),
        maxBatch: fc.option(fc.integer({ min: 1, max: 16 }), { nil: undefined }),
        delayEvery: fc.constantFrom(0, 0, 1, 7, 97, 500),
        delayUs: fc.integer({ min: 1, max: 40 }),
        initial: fc.oneof(
          fc.constantFrom(-1, 0x7fffffff - 100, -100),
          fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        ),
        spins: fc.constantFrom(0, 16, 512),
      });
      await fc.assert(
        fc.asyncProperty(params, async (p) => {
          const ring = Ring.create({ size: 1 << p.sizeLog2, slotBytes: p.slotWords * 8, initial: p.initial });
          const wait = { spins: p.spins };
          const consumer = start({
            role: "consume", sab: ring.sab, id: 0, after: [], count: p.count, stamped: false, stamp: false,
            maxBatch: p.maxBatch, delayEvery: p.delayEvery, delayUs: p.delayUs, wait,
          });
          const producer = start({ role: "produce", sab: ring.sab, count: p.count, batches: p.batches, mode: p.mode, wait });
          const [made, got] = await Promise.all([producer.result, consumer.result]);
          stopAll();
          const last = (p.initial + p.count) | 0;
          expect(got.errors).toEqual([]);
          expect(made.published).toBe(p.count);
          expect(got.handled).toBe(p.count);
          expect(got.last).toBe(last);
          expect(ring.cursor.get()).toBe(last);
          expect(ring.consumer(0).get()).toBe(last);
          if (p.maxBatch !== undefined) expect(got.maxBatchSeen).toBeLessThanOrEqual(p.maxBatch);
        }),
        { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: 100_000 },
      );
    },
    120_000,
  );

  test("consumers batch under load: a slow consumer sees batches larger than one", async () => {
    const ring = Ring.create({ size: 256, slotBytes: 64 });
    const consumer = start({
      role: "consume", sab: ring.sab, id: 0, after: [], count: 20_000, stamped: false, stamp: false,
      delayEvery: 100, delayUs: 200,
    });
    const producer = start({ role: "produce", sab: ring.sab, count: 20_000, batches: [1], mode: "claim" });
    const [, got] = await Promise.all([producer.result, consumer.result]);
    expect(got.errors).toEqual([]);
    expect(got.handled).toBe(20_000);
    expect(got.maxBatchSeen).toBeGreaterThan(1);
    expect(got.batches).toBeLessThan(20_000);
  }, WORKER_TEST_MS);
});

describe("a chain of two consumers", () => {
  test("the second stage gates on the first: it never reads a slot the first has not finished", async () => {
    // The first stage stamps each slot after checking it; the second checks the stamp. The producer
    // is the main thread, on the async API, and gates on both.
    const count = 30_000;
    const ring = Ring.create({ size: 64, slotBytes: 32, consumers: 2, wait: { spins: 64 } });
    const first = start({
      role: "consume", sab: ring.sab, id: 0, after: [], count, stamped: false, stamp: true, delayEvery: 211, delayUs: 300,
    });
    const second = start({ role: "consume", sab: ring.sab, id: 1, after: [0], count, stamped: true, stamp: false });
    const i32 = new Int32Array(ring.sab);
    const batches = [1, 7, 64, 3];
    let sent = 0;
    let turn = 0;
    let aheadOfFirst = 0;
    while (sent < count) {
      const n = Math.min(batches[turn++ % batches.length]!, count - sent);
      const lo = await ring.claimAsync(n);
      for (let k = 0; k < n; k++) fillSlot(i32, ring.offset(lo + k), ring.slotBytes, lo + k);
      ring.publish(lo + n - 1);
      sent += n;
      if (seqDiff(ring.consumer(1).get(), ring.consumer(0).get()) > 0) aheadOfFirst++;
    }
    const [a, b] = await Promise.all([first.result, second.result]);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect([a.handled, b.handled]).toEqual([count, count]);
    expect(aheadOfFirst).toBe(0);
    expect(ring.consumer(1).get()).toBe(count - 1);
  }, WORKER_TEST_MS);
});

describe("halting a stage from another thread", () => {
  test("ring.halt wakes a worker stage parked on an idle ring and its run returns", async () => {
    const ring = Ring.create({ size: 8, slotBytes: 8 });
    const consumer = start({ role: "consume", sab: ring.sab, id: 0, after: [], count: -1, stamped: false, stamp: false, wait: { spins: 0 } }, 5_000);
    const lo = ring.claim(3);
    for (let s = lo; s < lo + 3; s++) fillSlot(new Int32Array(ring.sab), ring.offset(s), ring.slotBytes, s);
    ring.publish(lo + 2);
    // Once it has handled the three it parks on the idle ring (a worker may start late on a busy machine).
    while (ring.consumer(0).get() !== lo + 2) await sleep(1);
    ring.halt(0);
    // A halt that failed to wake it would leave this waiting until the test's timeout.
    const got = await consumer.result;
    expect(got.errors).toEqual([]);
    expect(got.handled).toBe(3);
  }, WORKER_TEST_MS);
});

describe("parking and waking", () => {
  // Long parks (10 s) with no spinning: a publish that failed to wake a parked thread would show
  // as a 10 s stall, far past these tests' deadlines.
  const parkOnly = { spins: 0, parkMs: 10_000 };

  test("a consumer worker parked on the cursor wakes on every publish from the main thread", async () => {
    const ring = Ring.create({ size: 16, slotBytes: 16 });
    const count = 300;
    const consumer = start({ role: "consume", sab: ring.sab, id: 0, after: [], count, stamped: false, stamp: false, wait: parkOnly }, 8_000);
    const i32 = new Int32Array(ring.sab);
    const t0 = performance.now();
    for (let k = 0; k < count; k++) {
      const s = ring.tryClaim(1) ?? (await ring.claimAsync(1));
      fillSlot(i32, ring.offset(s), ring.slotBytes, s);
      ring.publish(s);
      await new Promise<void>((resolve) => setImmediate(resolve)); // let it drain and park again
    }
    const got = await consumer.result;
    expect(got.errors).toEqual([]);
    expect(got.handled).toBe(count);
    expect(performance.now() - t0).toBeLessThan(5_000);
  }, WORKER_TEST_MS);

  test("a producer worker parked on a full ring wakes as a main-thread stage frees slots", async () => {
    const ring = Ring.create({ size: 2, slotBytes: 8 });
    const count = 300;
    const producer = start({ role: "produce", sab: ring.sab, count, batches: [1], mode: "claim", wait: parkOnly }, 8_000);
    const i32 = new Int32Array(ring.sab);
    let bad = 0;
    const stage = Stage.of(ring, 0, [], (seq, offset) => {
      if (checkSlot(i32, offset, ring.slotBytes, seq, false) !== null) bad++;
      if (seq === count - 1) stage.halt();
    }, { wait: parkOnly, maxBatch: 1, yieldEvery: 1 });
    const t0 = performance.now();
    expect(await stage.runAsync()).toBe(count);
    expect((await producer.result).published).toBe(count);
    expect(bad).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5_000);
  }, WORKER_TEST_MS);
});

