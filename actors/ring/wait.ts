/**
 * WaitStrategy: how a thread waits for a set of sequences to reach a target.
 *
 * Spin first, then block. A bounded number of checks catches the common case of a producer a few
 * hundred nanoseconds ahead without a system call; after that the thread parks on the sequence that
 * is holding it back (the laggard), with Atomics.wait in a worker, or Atomics.waitAsync on the main
 * thread, where blocking would freeze the event loop. Publishers notify only when someone has parked
 * since the last notify (Sequence.set checks and clears the line's parked flag), so a busy ring makes
 * one system call per park, not one per publish.
 *
 * A finite `timeoutMs` bounds the whole wait: waitFor then returns what is available even though
 * it is behind the target, so the caller can notice a stalled producer (or consumer) and say so.
 * Each single park is at most `parkMs`; that bounds how late a raised alert can be noticed if it
 * raced with going to sleep (an alert wakes sleepers but does not change the value they watch).
 */
import { type Sequence } from "./sequence.ts";

export interface WaitOptions {
  /** Checks of the sequences before parking. Default 512 (a few microseconds). */
  spins?: number;
  /** Give up after this long; waitFor then returns a value behind its target. Default Infinity. */
  timeoutMs?: number;
  /** Longest single park, in ms. Default 50. */
  parkMs?: number;
}

/** The earliest of `seqs` in serial (wrapping) order. `seqs` is never empty. */
export function minimumOf(seqs: readonly Sequence[]): number {
  let min = seqs[0]!.get();
  for (let i = 1; i < seqs.length; i++) {
    const v = seqs[i]!.get();
    if (((v - min) | 0) < 0) min = v;
  }
  return min;
}

function laggard(seqs: readonly Sequence[]): Sequence {
  let lag = seqs[0]!;
  let min = lag.get();
  for (let i = 1; i < seqs.length; i++) {
    const v = seqs[i]!.get();
    if (((v - min) | 0) < 0) {
      min = v;
      lag = seqs[i]!;
    }
  }
  return lag;
}

/** One park a wait makes: sleep on `lag` while it still reads `observed`, for at most `ms`. */
interface Park {
  lag: Sequence;
  observed: number;
  ms: number;
}

export class WaitStrategy {
  readonly spins: number;
  readonly timeoutMs: number;
  readonly parkMs: number;

  constructor(options: WaitOptions = {}) {
    this.spins = options.spins ?? 512;
    this.timeoutMs = options.timeoutMs ?? Infinity;
    this.parkMs = options.parkMs ?? 50;
    if (!(this.spins >= 0)) throw new RangeError(`spins must be >= 0, got ${options.spins}`);
    if (!(this.timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0, got ${options.timeoutMs}`);
    if (!(this.parkMs > 0)) throw new RangeError(`parkMs must be > 0, got ${options.parkMs}`);
  }

  /**
   * Worker threads: block until the minimum of `seqs` is at or after `target`; return that
   * minimum (often beyond the target: the caller handles everything up to it). Returns a value
   * behind `target` when the timeout passes or when `alert` is raised.
   */
  waitFor(target: number, seqs: readonly Sequence[], alert: Sequence | null = null): number {
    const avail = this.spin(target, seqs);
    if (((avail - target) | 0) >= 0) return avail;
    const parks = this.parks(target, seqs, alert, avail);
    let p = parks.next();
    for (; !p.done; p = parks.next()) p.value.lag.sleep(p.value.observed, p.value.ms);
    return p.value;
  }

  /** The main thread's waitFor: same contract, parks with Atomics.waitAsync instead of blocking. */
  async waitForAsync(target: number, seqs: readonly Sequence[], alert: Sequence | null = null): Promise<number> {
    const avail = this.spin(target, seqs);
    if (((avail - target) | 0) >= 0) return avail;
    const parks = this.parks(target, seqs, alert, avail);
    let p = parks.next();
    while (!p.done) {
      await p.value.lag.sleepAsync(p.value.observed, p.value.ms);
      p = parks.next();
    }
    return p.value;
  }

  /** The minimum of `seqs` once it reaches `target` or after `spins` more checks, whichever is first. */
  private spin(target: number, seqs: readonly Sequence[]): number {
    let avail = minimumOf(seqs);
    for (let i = this.spins; i > 0 && ((avail - target) | 0) < 0; i--) avail = minimumOf(seqs);
    return avail;
  }

  /**
   * The parked phase of both waits, written once: yields each park to make (the waiter sleeps on
   * it, blocking or not) and returns what the wait returns. Only reached after spinning failed, so
   * its allocations are off the fast path.
   */
  private *parks(target: number, seqs: readonly Sequence[], alert: Sequence | null, avail: number): Generator<Park, number, void> {
    const deadline = this.timeoutMs === Infinity ? Infinity : performance.now() + this.timeoutMs;
    const park: Park = { lag: seqs[0]!, observed: 0, ms: 0 };
    for (;;) {
      if (alert !== null && alert.alerted) return avail;
      const lag = laggard(seqs);
      const observed = lag.get();
      if (((observed - target) | 0) < 0) {
        let ms = this.parkMs;
        if (deadline !== Infinity) {
          const left = deadline - performance.now();
          if (left <= 0) return minimumOf(seqs);
          if (left < ms) ms = left;
        }
        park.lag = lag;
        park.observed = observed;
        park.ms = ms;
        yield park;
      }
      avail = minimumOf(seqs);
      if (((avail - target) | 0) >= 0) return avail;
    }
  }
}
