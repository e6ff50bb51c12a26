/**
 * The ring's mechanics on one thread: serial-number arithmetic, the header, claiming, gating,
 * publishing, barriers, wait timeouts and alerts, and a main-thread stage. The same mechanics
 * across real workers are in ring-workers / ring-backpressure / ring-wrap.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { SequenceBarrier } from "../../actors/ring/barrier.ts";
import { MAX_RING_SIZE, Ring, RingStalledError } from "../../actors/ring/ring.ts";
import { LINE_BYTES, seqAdd, seqAtOrAfter, seqDiff, seqMin, Sequence } from "../../actors/ring/sequence.ts";
import { Stage } from "../../actors/ring/stage.ts";
import { WaitStrategy } from "../../actors/ring/wait.ts";

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

describe("serial-number arithmetic", () => {
  test("the distance across 2^31 (int32 max → min) is one step", () => {
    expect(seqDiff(INT32_MIN, INT32_MAX)).toBe(1);
    expect(seqDiff(INT32_MAX, INT32_MIN)).toBe(-1);
    expect(seqAtOrAfter(INT32_MIN, INT32_MAX)).toBe(true);
    expect(INT32_MIN < INT32_MAX).toBe(true); // why raw `<` is wrong
  });

  test("the distance across 2^32 (−1 → 0) is one step", () => {
    expect(seqDiff(0, -1)).toBe(1);
    expect(seqDiff(5, -5)).toBe(10);
    expect(seqAtOrAfter(-1, 0)).toBe(false);
  });

  test("seqAdd wraps and seqMin picks the earlier in serial order", () => {
    expect(seqAdd(INT32_MAX, 1)).toBe(INT32_MIN);
    expect(seqAdd(-1, 1)).toBe(0);
    expect(seqMin(INT32_MAX, INT32_MIN)).toBe(INT32_MAX);
    expect(seqMin(INT32_MIN + 3, INT32_MAX - 3)).toBe(INT32_MAX - 3);
  });
});

describe("Sequence", () => {
  test("a standalone sequence is one 64-byte line holding the initial value", () => {
    const s = Sequence.create(41);
    expect(s.cells.buffer.byteLength).toBe(LINE_BYTES);
    expect(s.get()).toBe(41);
    expect(Sequence.attach(s.cells.buffer as SharedArrayBuffer).get()).toBe(41);
  });

  test("addAndGet wraps from int32 max to int32 min", () => {
    const s = Sequence.create(INT32_MAX - 1);
    expect(s.addAndGet(1)).toBe(INT32_MAX);
    expect(s.addAndGet(1)).toBe(INT32_MIN);
    expect(s.get()).toBe(INT32_MIN);
  });

  test("set stores values as int32 (2^32 − 1 is −1)", () => {
    const s = Sequence.create(0);
    s.set(2 ** 32 - 1);
    expect(s.get()).toBe(-1);
  });

  test("a sequence must start on a line boundary of a shared buffer", () => {
    expect(() => new Sequence(new Int32Array(new SharedArrayBuffer(128)), 4)).toThrow(/line/);
    expect(() => new Sequence(new Int32Array(16), 0)).toThrow(/SharedArrayBuffer/);
  });

  test("the alert flag is raised, read and cleared", () => {
    const s = Sequence.create(0);
    expect(s.alerted).toBe(false);
    s.alert();
    expect(s.alerted).toBe(true);
    expect(s.get()).toBe(0);
    s.clearAlert();
    expect(s.alerted).toBe(false);
  });
});

describe("Ring header", () => {
  test("create validates size, slot size and consumers", () => {
    expect(() => Ring.create({ size: 6, slotBytes: 64 })).toThrow(/power of two/);
    expect(() => Ring.create({ size: MAX_RING_SIZE * 2, slotBytes: 8 })).toThrow(/power of two/);
    expect(() => Ring.create({ size: 8, slotBytes: 12 })).toThrow(/multiple of 8/);
    expect(() => Ring.create({ size: 8, slotBytes: 0 })).toThrow(/multiple of 8/);
    expect(() => Ring.create({ size: 8, slotBytes: 8, consumers: 0 })).toThrow(/consumers/);
  });

  test("attach reads every parameter and the current positions from the buffer", () => {
    const a = Ring.create({ size: 16, slotBytes: 40, consumers: 3, initial: 1000 });
    a.publish(a.claim(5) + 4);
    a.consumer(2).set(1002);
    const b = Ring.attach(a.sab);
    expect([b.size, b.mask, b.slotBytes, b.consumerCount, b.initial]).toEqual([16, 15, 40, 3, 1000]);
    expect(b.dataOffset).toBe((3 + 3) * LINE_BYTES);
    expect(b.sab.byteLength).toBe(b.dataOffset + 16 * 40);
    expect(b.cursor.get()).toBe(1005);
    expect(b.lastClaimed).toBe(1005);
    expect(b.consumer(2).get()).toBe(1002);
    expect(b.consumer(0).get()).toBe(1000);
  });

  test("every sequence in the header is on its own cache line", () => {
    const r = Ring.create({ size: 4, slotBytes: 8, consumers: 4 });
    const byteAt = (s: Sequence) => s.index * 4;
    const lines = [r.cursor, ...r.consumers].map(byteAt);
    for (const b of lines) expect(b % LINE_BYTES).toBe(0);
    expect(new Set(lines.map((b) => b / LINE_BYTES)).size).toBe(lines.length);
    expect(r.dataOffset % LINE_BYTES).toBe(0);
    expect(Math.max(...lines) + LINE_BYTES).toBeLessThanOrEqual(r.dataOffset);
  });

  test("attach refuses a buffer that is not a ring", () => {
    expect(() => Ring.attach(new SharedArrayBuffer(256))).toThrow(/not a Bourse ring/);
    expect(() => Ring.attach(new SharedArrayBuffer(8))).toThrow(/not a Bourse ring/);
    const r = Ring.create({ size: 4, slotBytes: 8 });
    new Int32Array(r.sab)[2] = 3; // size field no longer a power of two
    expect(() => Ring.attach(r.sab)).toThrow(/corrupt ring header/);
  });
});

describe("Ring claim and publish", () => {
  test("offset maps a sequence to its slot, wrapping through the data area", () => {
    const r = Ring.create({ size: 8, slotBytes: 24 });
    expect(r.offset(0)).toBe(r.dataOffset);
    expect(r.offset(3)).toBe(r.dataOffset + 3 * 24);
    expect(r.offset(8)).toBe(r.offset(0));
    expect(r.offset(-1)).toBe(r.dataOffset + 7 * 24);
    expect(r.offset(INT32_MIN)).toBe(r.offset(0));
    expect(r.offset(INT32_MAX)).toBe(r.offset(7));
  });

  test("claims are contiguous and start after the initial sequence", () => {
    const r = Ring.create({ size: 8, slotBytes: 8 });
    expect(r.tryClaim(3)).toBe(0);
    expect(r.claim(2)).toBe(3);
    expect(r.lastClaimed).toBe(4);
    expect(r.remaining()).toBe(3);
  });

  test("tryClaim says no (null) when the slowest consumer is more than size − n behind", () => {
    const r = Ring.create({ size: 8, slotBytes: 8, consumers: 2 });
    expect(r.tryClaim(8)).toBe(0);
    r.publish(7);
    expect(r.tryClaim(1)).toBeNull();
    r.consumer(0).set(7);
    expect(r.tryClaim(1)).toBeNull(); // consumer 1 still holds every slot
    r.consumer(1).set(2);
    expect(r.tryClaim(4)).toBeNull();
    expect(r.tryClaim(3)).toBe(8);
    expect(r.tryClaim(1)).toBeNull();
  });

  test("tryClaim refuses a claim larger than the ring", () => {
    const r = Ring.create({ size: 4, slotBytes: 8 });
    expect(() => r.tryClaim(5)).toThrow(RangeError);
    expect(() => r.tryClaim(0)).toThrow(RangeError);
    expect(() => r.tryClaim(1.5)).toThrow(RangeError);
  });

  test("publish only advances, and never past what was claimed", () => {
    const r = Ring.create({ size: 8, slotBytes: 8 });
    r.claim(2);
    expect(() => r.publish(2)).toThrow(/beyond the last claimed/);
    r.publish(0);
    expect(() => r.publish(0)).toThrow(/does not advance/);
    r.publish(1);
    expect(r.cursor.get()).toBe(1);
  });

  test("claim on a stalled ring throws RingStalledError naming the slowest consumer after its timeout", () => {
    const r = Ring.create({ size: 4, slotBytes: 8, consumers: 2, wait: { spins: 10, timeoutMs: 30 } });
    r.publish(r.claim(4) + 3);
    r.consumer(0).set(3);
    const t0 = performance.now();
    let err: unknown;
    try {
      r.claim(1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RingStalledError);
    expect((err as RingStalledError).code).toBe("RING_STALLED");
    expect((err as RingStalledError).consumer).toBe(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    expect(r.lastClaimed).toBe(3); // nothing was claimed
  });

  test("claimAsync resolves once a consumer frees a slot", async () => {
    const r = Ring.create({ size: 2, slotBytes: 8, wait: { spins: 0 } });
    r.publish(r.claim(2) + 1);
    let got: number | undefined;
    const p = r.claimAsync(1).then((s) => (got = s));
    await Bun.sleep(20);
    expect(got).toBeUndefined();
    r.consumer(0).set(0);
    await p;
    expect(got).toBe(2);
  });
});

describe("SequenceBarrier and WaitStrategy", () => {
  test("waitFor returns the highest available sequence, not just the one asked for", () => {
    const r = Ring.create({ size: 16, slotBytes: 8 });
    r.publish(r.claim(10) + 9);
    expect(r.barrier().waitFor(3)).toBe(9);
  });

  test("a barrier with dependents is the minimum of the cursor and them", () => {
    const r = Ring.create({ size: 16, slotBytes: 8, consumers: 3 });
    r.publish(r.claim(10) + 9);
    r.consumer(0).set(6);
    r.consumer(1).set(4);
    const b = r.barrier([0, 1]);
    expect(b.available()).toBe(4);
    expect(b.waitFor(2)).toBe(4);
  });

  test("waitFor returns behind its target when the timeout passes (a stalled producer shows)", () => {
    const cursor = Sequence.create(5);
    const b = new SequenceBarrier(cursor, [], new WaitStrategy({ spins: 100, timeoutMs: 25 }));
    const t0 = performance.now();
    expect(b.waitFor(6)).toBe(5);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(20);
    expect(b.alerted).toBe(false);
  });

  test("an alerted barrier returns at once, behind its target", () => {
    const b = new SequenceBarrier(Sequence.create(0), [], new WaitStrategy({ timeoutMs: 5_000 }));
    b.alert();
    const t0 = performance.now();
    expect(b.waitFor(1)).toBe(0);
    expect(b.alerted).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1_000);
    b.clearAlert();
    expect(b.alerted).toBe(false);
  });

  test("waitForAsync parks on the main thread and wakes on publish", async () => {
    const r = Ring.create({ size: 8, slotBytes: 8, wait: { spins: 0 } });
    const b = r.barrier([], { wait: { spins: 0 } });
    const p = b.waitForAsync(0);
    setTimeout(() => r.publish(r.claim(3) + 2), 10);
    expect(await p).toBe(2);
  });

  test("waitForAsync wraps: waiting for 0 after −1 across 2^32", async () => {
    const r = Ring.create({ size: 8, slotBytes: 8, initial: -3 });
    const b = r.barrier([], { wait: { spins: 0 } });
    const p = b.waitForAsync(0);
    setTimeout(() => r.publish(r.claim(4) + 3), 5); // publishes −2, −1, 0, 1
    expect(await p).toBe(1);
  });
});

describe("Stage on the main thread", () => {
  test("handles every slot in order, flags the end of each batch, publishes once per batch", async () => {
    const r = Ring.create({ size: 16, slotBytes: 8 });
    const seen: Array<[number, boolean]> = [];
    const publishes: number[] = [];
    const stage = Stage.of(r, 0, [], (seq, offset, end) => {
      expect(offset).toBe(r.offset(seq));
      expect(r.view.getInt32(offset, true)).toBe(seq * 10);
      seen.push([seq, end]);
      if (seq === 9) stage.halt();
    });
    const origSet = stage.sequence.set.bind(stage.sequence);
    stage.sequence.set = (v: number) => {
      publishes.push(v);
      origSet(v);
    };
    const write = (n: number) => {
      const lo = r.claim(n);
      for (let s = lo; s < lo + n; s++) r.view.setInt32(r.offset(s), s * 10, true);
      r.publish(lo + n - 1);
    };
    write(4);
    const running = stage.runAsync();
    await Bun.sleep(5);
    write(6);
    expect(await running).toBe(10);
    expect(seen.map(([s]) => s)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen.filter(([, end]) => end).map(([s]) => s)).toEqual(publishes);
    expect(publishes).toEqual([3, 9]);
    expect(r.consumer(0).get()).toBe(9);
  });

  test("maxBatch caps a batch so endOfBatch comes at least that often", async () => {
    const r = Ring.create({ size: 16, slotBytes: 8 });
    r.publish(r.claim(10) + 9);
    const ends: number[] = [];
    const stage = Stage.of(r, 0, [], (seq, _o, end) => {
      if (end) ends.push(seq);
      if (seq === 9) stage.halt();
    }, { maxBatch: 4 });
    await stage.runAsync();
    expect(ends).toEqual([3, 7, 9]);
  });

  test("yieldEvery: 1 yields to the event loop between batches and still handles everything", async () => {
    const r = Ring.create({ size: 16, slotBytes: 8 });
    r.publish(r.claim(10) + 9);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const seen: number[] = [];
    const stage = Stage.of(r, 0, [], (seq) => {
      seen.push(seq);
      if (seq === 9) stage.halt();
    }, { maxBatch: 1, yieldEvery: 1 });
    await stage.runAsync();
    clearInterval(timer);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("a halted stage stays halted: run returns at once until the alert is cleared", async () => {
    const r = Ring.create({ size: 4, slotBytes: 8 });
    const stage = Stage.of(r, 0, [], () => {});
    r.halt(0);
    expect(stage.halted).toBe(true);
    expect(stage.run()).toBe(0);
    expect(await stage.runAsync()).toBe(0);
  });

  test("onTimeout reports a stalled upstream and the stage keeps waiting", async () => {
    const r = Ring.create({ size: 4, slotBytes: 8 });
    const timeouts: number[] = [];
    const stage = Stage.of(r, 0, [], () => {}, {
      wait: { spins: 0, timeoutMs: 10 },
      onTimeout: (next) => {
        timeouts.push(next);
        if (timeouts.length === 3) stage.halt();
      },
    });
    expect(await stage.runAsync()).toBe(0);
    expect(timeouts).toEqual([0, 0, 0]);
  });

  test("a handler error propagates and the failed batch is not acknowledged", async () => {
    const r = Ring.create({ size: 8, slotBytes: 8 });
    r.publish(r.claim(3) + 2);
    const stage = Stage.of(r, 0, [], (seq) => {
      if (seq === 1) throw new Error("boom");
    });
    await expect(stage.runAsync()).rejects.toThrow("boom");
    expect(r.consumer(0).get()).toBe(-1);
  });
});

describe("Stage.run with between (the engine worker's loop)", () => {
  test("between runs at the top of every turn, and a halt from it stops the stage", () => {
    const r = Ring.create({ size: 8, slotBytes: 8 });
    r.publish(r.claim(3) + 2);
    const log: Array<number | string> = [];
    const stage = Stage.of(r, 0, [], (seq) => log.push(seq), {
      maxBatch: 1,
      between: () => {
        log.push("between");
        if (log.length === 7) stage.halt();
        return Infinity;
      },
    });
    expect(stage.run()).toBe(3);
    expect(log).toEqual(["between", 0, "between", 1, "between", 2, "between"]);
    expect(r.consumer(0).get()).toBe(2);
  });

  test("a bounded park gives the owner its turn again though nothing is published", () => {
    const r = Ring.create({ size: 8, slotBytes: 8 });
    let turns = 0;
    const stage = Stage.of(r, 0, [], () => {}, {
      // A timeout on the barrier's own wait, so a stage that ignored the bound would come back (late) instead of hanging the test.
      wait: { spins: 0, timeoutMs: 600 },
      between: () => {
        if (++turns === 3) stage.halt();
        return 2;
      },
    });
    const t0 = performance.now();
    expect(stage.run()).toBe(0);
    expect(turns).toBe(3);
    expect(performance.now() - t0, "parked at most 2 ms a turn, not until a slot came").toBeLessThan(500);
  }, 10_000);

  test("between is refused on a stage that follows another (its park watches the cursor alone)", () => {
    const r = Ring.create({ size: 8, slotBytes: 8, consumers: 2 });
    expect(() => Stage.of(r, 1, [0], () => {}, { between: () => Infinity })).toThrow(RangeError);
  });
});
