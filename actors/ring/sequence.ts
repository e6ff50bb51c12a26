/**
 * Sequence: one 32-bit counter cell in shared memory, read and written with Atomics, alone on its
 * own 64-byte cache line so that two threads bumping two different sequences never fight over a
 * line (false sharing).
 *
 * Sequences WRAP. A sequence is an int32 (stored in an Int32Array) and counts modulo 2^32: after
 * 0x7fffffff comes −0x80000000, after −1 comes 0. Never compare two sequences with `<` on their raw
 * values; compare with serial-number arithmetic (RFC 1982): `seqDiff(a, b) = (a − b) | 0` is the
 * signed distance from b to a, correct as long as the two are less than 2^31 apart. A ring of at
 * most 2^30 slots keeps every sequence a producer or consumer looks at within that window.
 *
 * Line layout (Int32 words from `index`, 16 words per line):
 *   [0] value     the sequence itself
 *   [1] parked    1 when a thread may be parked on [0] (Atomics.wait / waitAsync); a writer that
 *                 finds it set clears it and notifies, so a wake-up costs one system call, not one per write
 *   [2] alert     a flag a controller raises to make a stage waiting on this line's owner stop
 *   [3..15]       padding
 */

/** Bytes in a cache line; every Sequence owns one. */
export const LINE_BYTES = 64;
/** Int32 words in a cache line. */
export const LINE_WORDS = LINE_BYTES / 4;

const VALUE = 0;
const PARKED = 1;
const ALERT = 2;

/** Signed serial distance from `b` to `a` (mod 2^32): > 0 when a is after b, 0 when equal. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `a` comes at or after `b` in serial order. */
export function seqAtOrAfter(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** The earlier of two sequences in serial order. */
export function seqMin(a: number, b: number): number {
  return ((a - b) | 0) < 0 ? a : b;
}

/** `s + n` wrapped to int32. */
export function seqAdd(s: number, n: number): number {
  return (s + n) | 0;
}

export class Sequence {
  /**
   * A view of the line starting at Int32 word `index` of `cells` (a view over a SharedArrayBuffer).
   * Nothing is written: this is how a second thread attaches to a sequence that already exists.
   */
  constructor(
    readonly cells: Int32Array,
    readonly index: number,
  ) {
    if (!(cells.buffer instanceof SharedArrayBuffer)) throw new TypeError("Sequence needs an Int32Array over a SharedArrayBuffer");
    if (index % LINE_WORDS !== 0) throw new RangeError(`Sequence index ${index} is not at the start of a ${LINE_BYTES}-byte line`);
    if (index + LINE_WORDS > cells.length) throw new RangeError(`Sequence line at ${index} runs past the end of its array`);
  }

  /** A standalone sequence in its own 64-byte SharedArrayBuffer (post `.cells.buffer` to share it). */
  static create(initial = -1): Sequence {
    const s = new Sequence(new Int32Array(new SharedArrayBuffer(LINE_BYTES)), 0);
    s.set(initial);
    return s;
  }

  /** Attach to a standalone sequence made by `Sequence.create` in another thread. */
  static attach(sab: SharedArrayBuffer, index = 0): Sequence {
    return new Sequence(new Int32Array(sab), index);
  }

  get(): number {
    return Atomics.load(this.cells, this.index + VALUE);
  }

  /** Store and wake anyone parked on this sequence. */
  set(value: number): void {
    Atomics.store(this.cells, this.index + VALUE, value | 0);
    this.wakeParked();
  }

  /** Add `delta` (wrapping) and wake anyone parked; returns the new value. */
  addAndGet(delta: number): number {
    const next = (Atomics.add(this.cells, this.index + VALUE, delta | 0) + delta) | 0;
    this.wakeParked();
    return next;
  }

  // A parker sets PARKED before its Atomics.wait re-checks VALUE; we store VALUE before we read
  // PARKED. All four are sequentially consistent, so either we see its flag (and notify) or its
  // wait sees our value (and does not sleep). Clearing the flag as we notify means the writes that
  // follow, while the woken thread is still being scheduled, do not each make a system call.
  private wakeParked(): void {
    const i = this.index;
    if (Atomics.load(this.cells, i + PARKED) !== 0 && Atomics.exchange(this.cells, i + PARKED, 0) !== 0) {
      Atomics.notify(this.cells, i + VALUE);
    }
  }

  /** Wake every thread blocked on this sequence, whether or not the value changed. */
  wake(): void {
    Atomics.notify(this.cells, this.index + VALUE);
  }

  /**
   * Block the calling worker while the value still equals `observed`, at most `ms` milliseconds.
   * Returns as Atomics.wait does; callers re-read the value either way (wake-ups can be spurious).
   */
  sleep(observed: number, ms: number): "ok" | "not-equal" | "timed-out" {
    Atomics.store(this.cells, this.index + PARKED, 1);
    return Atomics.wait(this.cells, this.index + VALUE, observed, ms);
  }

  /** `sleep` for the main thread, where blocking is not an option: resolves instead of blocking. */
  async sleepAsync(observed: number, ms: number): Promise<"ok" | "not-equal" | "timed-out"> {
    Atomics.store(this.cells, this.index + PARKED, 1);
    const r = Atomics.waitAsync(this.cells, this.index + VALUE, observed, ms);
    return r.async ? await r.value : r.value;
  }

  /**
   * Raise this line's alert flag. A stage's halt flag lives on its own sequence's line; whoever
   * raises it also wakes the lines the stage may be parked on (SequenceBarrier.alert, Ring.halt).
   */
  alert(): void {
    Atomics.store(this.cells, this.index + ALERT, 1);
  }

  clearAlert(): void {
    Atomics.store(this.cells, this.index + ALERT, 0);
  }

  get alerted(): boolean {
    return Atomics.load(this.cells, this.index + ALERT) !== 0;
  }

  toString(): string {
    return `Sequence(${this.get()})`;
  }
}
