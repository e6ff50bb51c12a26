/**
 * SequenceBarrier: what a consumer waits on before it may read a slot. The first stage after the
 * producer waits on the ring's cursor; a later stage also waits on the sequences of the stages it
 * follows, so it never reads a slot before they are done with it. Any extra Sequence can be a
 * dependency too (a test's "permit" gate, a replay limit): the barrier is the minimum of them all.
 *
 * waitFor returns the highest available sequence, not just the one asked for: the caller handles
 * everything up to it as one batch (and publishes its own progress once), which is how the
 * pipeline batches under load without timers.
 */
import { Sequence } from "./sequence.ts";
import { minimumOf, WaitStrategy } from "./wait.ts";

export class SequenceBarrier {
  /** Cursor first, then each dependency; the barrier is their minimum. */
  readonly sequences: readonly Sequence[];
  /** The flag that interrupts a wait. A stage passes its own sequence, so a halt can be raised from any thread. */
  readonly alertFlag: Sequence;

  constructor(
    readonly cursor: Sequence,
    readonly dependents: readonly Sequence[] = [],
    readonly wait: WaitStrategy = new WaitStrategy(),
    alertFlag?: Sequence,
  ) {
    this.sequences = [cursor, ...dependents];
    this.alertFlag = alertFlag ?? Sequence.create(0);
  }

  /**
   * Block (worker) until `seq` is available; return the highest available sequence, which is at
   * or after `seq` — or behind it if the wait timed out or the barrier was alerted (check `alerted`).
   */
  waitFor(seq: number): number {
    return this.wait.waitFor(seq, this.sequences, this.alertFlag);
  }

  /** waitFor for the main thread. */
  waitForAsync(seq: number): Promise<number> {
    return this.wait.waitForAsync(seq, this.sequences, this.alertFlag);
  }

  /** The highest available sequence right now, without waiting. */
  available(): number {
    return minimumOf(this.sequences);
  }

  /** Interrupt waiters on this barrier: they return (behind their target) and see `alerted`. */
  alert(): void {
    this.alertFlag.alert();
    for (const s of this.sequences) s.wake();
  }

  clearAlert(): void {
    this.alertFlag.clearAlert();
  }

  get alerted(): boolean {
    return this.alertFlag.alerted;
  }
}
