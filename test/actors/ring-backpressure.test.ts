/**
 * Backpressure: with a consumer held still (its barrier also waits on a "permit" sequence the test
 * controls), a full ring makes tryClaim answer "busy" (null) and claim wait until the consumer
 * moves — and no slot is ever overwritten before it was read.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Ring } from "../../actors/ring/ring.ts";
import { Sequence } from "../../actors/ring/sequence.ts";
import { checkSlot, fillSlot } from "./fixtures/pattern.ts";
import { sleep, start, stopAll, until } from "./fixtures/workers.ts";

afterEach(stopAll);

// Each worker answers within its own deadline (fixtures/workers.ts); this bounds the whole test.
const WORKER_TEST_MS = 30_000;

function write(ring: Ring, lo: number, n: number): void {
  const i32 = new Int32Array(ring.sab);
  for (let k = 0; k < n; k++) fillSlot(i32, ring.offset((lo + k) | 0), ring.slotBytes, (lo + k) | 0);
  ring.publish((lo + n - 1) | 0);
}

/** Every slot still holds the message the stalled consumer has yet to read. */
function expectUnread(ring: Ring, from: number, to: number): void {
  const i32 = new Int32Array(ring.sab);
  for (let s = from; s !== ((to + 1) | 0); s = (s + 1) | 0) {
    expect(checkSlot(i32, ring.offset(s), ring.slotBytes, s, false)).toBeNull();
  }
}

describe("a full ring with a stalled consumer", () => {
  test("main-thread producer: tryClaim says busy, claimAsync waits for the consumer, nothing is overwritten", async () => {
    const initial = 0x7fffffff - 4; // the run also crosses 2^31
    const ring = Ring.create({ size: 8, slotBytes: 48, initial });
    const gate = Sequence.create(initial);
    const consumer = start({
      role: "consume", sab: ring.sab, id: 0, after: [], count: 9, stamped: false, stamp: false,
      gate: gate.cells.buffer as SharedArrayBuffer, wait: { spins: 0 },
    });

    const a = ring.tryClaim(3)!;
    write(ring, a, 3);
    const b = ring.tryClaim(3)!;
    write(ring, b, 3);
    expect(ring.tryClaim(3)).toBeNull(); // two slots left
    const c = ring.tryClaim(2)!;
    write(ring, c, 2);
    expect(ring.tryClaim(1)).toBeNull();
    expect(ring.remaining()).toBe(0);

    let claimed: number | null = null;
    const pending = ring.claimAsync(1).then((s) => (claimed = s));
    await sleep(100);
    expect(claimed).toBeNull();
    expect(ring.consumer(0).get()).toBe(initial);
    expect(ring.cursor.get()).toBe((initial + 8) | 0);
    expectUnread(ring, (initial + 1) | 0, (initial + 8) | 0);

    gate.set((initial + 1) | 0); // let the consumer read one message
    await pending;
    expect(claimed as number | null).toBe((initial + 9) | 0);
    expect(ring.consumer(0).get()).toBe((initial + 1) | 0);
    expect(ring.tryClaim(1)).toBeNull(); // the freed slot is ours; the ring is full again
    write(ring, claimed!, 1);

    gate.set((initial + 9) | 0);
    const got = await consumer.result;
    expect(got.errors).toEqual([]);
    expect(got.handled).toBe(9);
    expect(got.last).toBe((initial + 9) | 0);
  }, WORKER_TEST_MS);

  test("worker producer: claim() blocks while the ring is full and resumes as the consumer advances", async () => {
    const initial = -5; // the run also crosses 2^32
    const count = 20;
    const ring = Ring.create({ size: 8, slotBytes: 16, initial });
    const gate = Sequence.create(initial);
    const consumer = start({
      role: "consume", sab: ring.sab, id: 0, after: [], count, stamped: false, stamp: false,
      gate: gate.cells.buffer as SharedArrayBuffer,
    });
    const producer = start({ role: "produce", sab: ring.sab, count, batches: [1], mode: "claim", wait: { spins: 100 } });
    const header = () => Ring.attach(ring.sab);

    await until(() => ring.cursor.get() === ((initial + 8) | 0), "the producer to fill the ring");
    await sleep(100);
    expect(producer.settled()).toBe(false);
    expect(ring.cursor.get()).toBe((initial + 8) | 0);
    expect(header().lastClaimed).toBe((initial + 8) | 0); // blocked inside claim, nothing more claimed
    expectUnread(ring, (initial + 1) | 0, (initial + 8) | 0);

    gate.set((initial + 3) | 0);
    await until(() => ring.cursor.get() === ((initial + 11) | 0), "the producer to take the three freed slots");
    await sleep(50);
    expect(ring.cursor.get()).toBe((initial + 11) | 0);
    expect(producer.settled()).toBe(false);
    expectUnread(ring, (initial + 4) | 0, (initial + 11) | 0);

    gate.set((initial + count) | 0);
    const [made, got] = await Promise.all([producer.result, consumer.result]);
    expect(made.published).toBe(count);
    expect(got.errors).toEqual([]);
    expect(got.handled).toBe(count);
  }, WORKER_TEST_MS);

  test("worker producer on tryClaim gets busy answers while the consumer is held, then finishes", async () => {
    const ring = Ring.create({ size: 4, slotBytes: 8 });
    const gate = Sequence.create(-1);
    const consumer = start({
      role: "consume", sab: ring.sab, id: 0, after: [], count: 16, stamped: false, stamp: false,
      gate: gate.cells.buffer as SharedArrayBuffer,
    });
    const producer = start({ role: "produce", sab: ring.sab, count: 16, batches: [2], mode: "try" });
    await until(() => ring.cursor.get() === 3, "the producer to fill the ring");
    await sleep(30);
    expect(producer.settled()).toBe(false);
    gate.set(15);
    const [made, got] = await Promise.all([producer.result, consumer.result]);
    expect(made.busy).toBeGreaterThan(0);
    expect(got.errors).toEqual([]);
    expect(got.handled).toBe(16);
  }, WORKER_TEST_MS);
});
