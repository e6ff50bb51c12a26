/**
 * Stage: one consumer of a ring, after the Disruptor's BatchEventProcessor. It asks its barrier
 * for the highest available sequence, hands every slot up to it to the handler in order — the
 * last one with endOfBatch = true, where a journal fsyncs and a gateway flushes — and only then
 * publishes its own sequence, once per batch. Downstream stages and the producer gate on that
 * sequence, so a slot is never reused while this stage may still read it.
 *
 * `run()` is the worker loop (blocks between batches; the engine worker, actors/engine-worker.ts,
 * runs on it); `runAsync()` is the same loop for the main thread. Either returns once the stage is
 * halted: `stage.halt()` here, or `ring.halt(id)` from any thread, since the halt flag lives on the
 * stage's sequence line in shared memory. A halt is sticky: a halted stage's run returns at once
 * until `barrier.clearAlert()`.
 *
 * If the handler throws, the error propagates out of run and the stage's sequence stays at the
 * end of the last completed batch: the failed batch is not acknowledged to anyone downstream.
 */
import { SequenceBarrier } from "./barrier.ts";
import type { Ring } from "./ring.ts";
import { type Sequence } from "./sequence.ts";
import { type WaitOptions, WaitStrategy } from "./wait.ts";

/** Handles one slot. `offset` is the slot's byte offset in the ring's buffer. */
export type Handler = (seq: number, offset: number, endOfBatch: boolean) => void;

export interface StageOptions {
  /** Cap on a batch, so endOfBatch (and the sequence publish) comes at least this often. Default unbounded. */
  maxBatch?: number;
  /** Called when the barrier's wait times out (WaitOptions.timeoutMs) with nothing new: a stalled upstream. */
  onTimeout?: (next: number) => void;
  /** Main thread only: yield to the event loop after this many batches in a row. Default 64. */
  yieldEvery?: number;
  /**
   * `run` only, first stage only (it waits on nothing but the cursor): the owner's own work, done at
   * the top of every turn before the barrier is read — the engine worker delivers what the syncer
   * has made durable. Returns how long the stage may then park when nothing new is there: Infinity
   * to wait on the barrier as usual, a few ms while the owner has something of its own to notice
   * that does not change the cursor's value. It may halt the stage.
   */
  between?: () => number;
}

export class Stage {
  private readonly maxBatch: number;
  private readonly onTimeout: ((next: number) => void) | undefined;
  private readonly yieldEvery: number;
  private readonly between: (() => number) | undefined;

  constructor(
    readonly ring: Ring,
    readonly barrier: SequenceBarrier,
    /** This stage's progress: the last sequence it is done with. */
    readonly sequence: Sequence,
    readonly handler: Handler,
    options: StageOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? Infinity;
    this.onTimeout = options.onTimeout;
    this.yieldEvery = options.yieldEvery ?? 64;
    this.between = options.between;
    // The bounded park sleeps on the cursor, expecting what the barrier last showed: right only when
    // the barrier is the cursor alone.
    if (this.between !== undefined && barrier.dependents.length > 0) throw new RangeError("between needs a first stage (a barrier on the cursor alone)");
    if (!(this.maxBatch >= 1)) throw new RangeError(`maxBatch must be >= 1, got ${options.maxBatch}`);
  }

  /**
   * Consumer `id` of `ring` (its sequence is header slot `id`), following the producer and the
   * consumers in `after`.
   */
  static of(
    ring: Ring,
    id: number,
    after: readonly number[],
    handler: Handler,
    options: StageOptions & { wait?: WaitOptions | WaitStrategy } = {},
  ): Stage {
    if (after.includes(id)) throw new RangeError(`stage ${id} cannot wait on itself`);
    const barrier = ring.barrier(after, { self: id, wait: options.wait });
    return new Stage(ring, barrier, ring.consumer(id), handler, options);
  }

  /** Raise the halt flag and wake the stage if it sleeps; its run returns after the current batch. */
  halt(): void {
    this.barrier.alert();
  }

  get halted(): boolean {
    return this.barrier.alerted;
  }

  /** The worker loop. Returns the number of slots handled once halted. */
  run(): number {
    const { barrier, ring, handler, sequence, maxBatch } = this;
    let next = (sequence.get() + 1) | 0;
    let handled = 0;
    while (!barrier.alerted) {
      let avail: number;
      if (this.between === undefined) avail = barrier.waitFor(next);
      else {
        const parkMs = this.between();
        if (barrier.alerted) break;
        avail = barrier.available();
        if (((avail - next) | 0) < 0) {
          if (parkMs !== Infinity) {
            barrier.cursor.sleep(avail, parkMs);
            continue;
          }
          avail = barrier.waitFor(next);
        }
      }
      if (((avail - next) | 0) < 0) {
        if (!barrier.alerted && this.onTimeout !== undefined) this.onTimeout(next);
        continue;
      }
      if (((avail - next) | 0) >= maxBatch) avail = (next + maxBatch - 1) | 0;
      handled += this.handleBatch(ring, handler, next, avail);
      sequence.set(avail);
      next = (avail + 1) | 0;
    }
    return handled;
  }

  /** The main-thread loop: awaits instead of blocking, and yields to the event loop now and then. */
  async runAsync(): Promise<number> {
    const { barrier, ring, handler, sequence, maxBatch } = this;
    let next = (sequence.get() + 1) | 0;
    let handled = 0;
    let batches = 0;
    while (!barrier.alerted) {
      let avail = barrier.available();
      if (((avail - next) | 0) < 0) {
        batches = 0;
        avail = await barrier.waitForAsync(next);
        if (((avail - next) | 0) < 0) {
          if (!barrier.alerted && this.onTimeout !== undefined) this.onTimeout(next);
          continue;
        }
      } else if (++batches >= this.yieldEvery) {
        batches = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (barrier.alerted) break;
        avail = barrier.available(); // never behind `next`: only this stage moves it
      }
      if (((avail - next) | 0) >= maxBatch) avail = (next + maxBatch - 1) | 0;
      handled += this.handleBatch(ring, handler, next, avail);
      sequence.set(avail);
      next = (avail + 1) | 0;
    }
    return handled;
  }

  private handleBatch(ring: Ring, handler: Handler, lo: number, hi: number): number {
    for (let s = lo; s !== hi; s = (s + 1) | 0) handler(s, ring.offset(s), false);
    handler(hi, ring.offset(hi), true);
    return ((hi - lo) | 0) + 1;
  }
}
