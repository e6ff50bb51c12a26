/**
 * Ring: a single-producer ring of fixed-size slots in one SharedArrayBuffer, after the LMAX
 * Disruptor's RingBuffer. The producer claims slots, writes them in place (DataView / typed
 * arrays at `offset(seq)`), and publishes; consumers read them through a SequenceBarrier and
 * publish their own progress in the ring's header, which the producer gates on: a slot is reused
 * only once every consumer is past it. Nothing is ever overwritten or dropped; a full ring makes
 * `claim` wait and `tryClaim` say no.
 *
 * The buffer carries its own description, so another worker rebuilds the same ring from the
 * buffer alone: `Ring.attach(sab)`. Layout (docs/ring.md), one 64-byte line each:
 *
 *   line 0          meta: magic "BRNG", version, size, slotBytes, consumers, dataOffset, initial
 *   line 1          cursor: the last published sequence
 *   line 2          claim: the last claimed sequence (the producer's; kept here so a producer can
 *                   be re-attached in another thread)
 *   line 3 + i      consumer i's sequence: the last slot it is done with; its alert word is the
 *                   stage's halt flag
 *   dataOffset      size × slotBytes of slots
 *
 * Every consumer sequence gates the producer. In a pipeline a later stage is never ahead of the
 * stage it follows, so the minimum over all of them is the tail of the chain.
 *
 * Sequences wrap at 2^32 (see sequence.ts); slot index = seq & (size − 1) works for negative
 * int32 values too.
 */
import { SequenceBarrier } from "./barrier.ts";
import { LINE_BYTES, LINE_WORDS, seqDiff, Sequence } from "./sequence.ts";
import { minimumOf, type WaitOptions, WaitStrategy } from "./wait.ts";

const MAGIC = 0x474e5242; // "BRNG" little-endian
const VERSION = 1;
const META_MAGIC = 0;
const META_VERSION = 1;
const META_SIZE = 2;
const META_SLOT_BYTES = 3;
const META_CONSUMERS = 4;
const META_DATA_OFFSET = 5;
const META_INITIAL = 6;
const CURSOR_LINE = 1;
const CLAIM_LINE = 2;
const FIRST_CONSUMER_LINE = 3;

/** Largest ring: keeps every live sequence within 2^31 of every other, as serial arithmetic needs. */
export const MAX_RING_SIZE = 1 << 30;
export const MAX_CONSUMERS = 64;

export interface RingOptions {
  /** Number of slots, a power of two. */
  size: number;
  /** Bytes per slot, a positive multiple of 8 (so Float64 / BigInt64 fields stay aligned). */
  slotBytes: number;
  /** Consumer sequences in the header, all gating the producer. Default 1. */
  consumers?: number;
  /** Starting value of the cursor, the claim counter and every consumer: the first slot is initial + 1. Default −1. */
  initial?: number;
  /** How the producer waits in `claim` for consumers to free slots. */
  wait?: WaitOptions;
}

/** Memory that is not a ring this code can read, or a ring used against its rules (two producers): a bug, not load. */
export class RingError extends Error {
  override name = "RingError";
}

/** `claim` waited `timeoutMs` and the slowest consumer did not free a slot: a stalled pipeline. */
export class RingStalledError extends Error {
  override name = "RingStalledError";
  readonly code = "RING_STALLED";
  constructor(
    readonly consumer: number,
    readonly consumerSequence: number,
    readonly wanted: number,
    timeoutMs: number,
  ) {
    super(`ring full for ${timeoutMs} ms: consumer ${consumer} is at ${consumerSequence}, the producer needs it at ${wanted}`);
  }
}

export class Ring {
  readonly size: number;
  readonly mask: number;
  readonly slotBytes: number;
  readonly consumerCount: number;
  /** Byte offset of slot 0 in the buffer. */
  readonly dataOffset: number;
  /** The sequence value before the first slot (the first claimed sequence is initial + 1). */
  readonly initial: number;
  /** The last published sequence. */
  readonly cursor: Sequence;
  /** The consumers' sequences, in header order. */
  readonly consumers: readonly Sequence[];
  /** The whole buffer; slot fields are at `offset(seq) + field`. */
  readonly view: DataView;
  readonly bytes: Uint8Array;
  /** The producer's wait strategy (claim). */
  readonly wait: WaitStrategy;

  private readonly cells: Int32Array;
  private readonly claimCell: number;
  private claimed: number;
  private published: number;
  private gatingCache: number;

  private constructor(
    readonly sab: SharedArrayBuffer,
    wait: WaitOptions | undefined,
  ) {
    if (sab.byteLength < LINE_BYTES) throw new RingError(`not a Bourse ring: ${sab.byteLength} bytes is smaller than its header`);
    const meta = new Int32Array(sab, 0, LINE_WORDS);
    if (Atomics.load(meta, META_MAGIC) !== MAGIC) throw new RingError("not a Bourse ring: bad magic in the header");
    if (meta[META_VERSION] !== VERSION) throw new RingError(`ring header version ${meta[META_VERSION]}, this code reads ${VERSION}`);
    this.size = meta[META_SIZE]!;
    this.mask = this.size - 1;
    this.slotBytes = meta[META_SLOT_BYTES]!;
    this.consumerCount = meta[META_CONSUMERS]!;
    this.dataOffset = meta[META_DATA_OFFSET]!;
    this.initial = meta[META_INITIAL]!;
    if (
      this.size < 1 || (this.size & this.mask) !== 0 || this.slotBytes < 8 || this.slotBytes % 8 !== 0 ||
      this.consumerCount < 1 || this.consumerCount > MAX_CONSUMERS ||
      this.dataOffset !== (FIRST_CONSUMER_LINE + this.consumerCount) * LINE_BYTES ||
      sab.byteLength !== this.dataOffset + this.size * this.slotBytes
    ) {
      throw new RingError(`corrupt ring header: size ${this.size}, slotBytes ${this.slotBytes}, consumers ${this.consumerCount}, dataOffset ${this.dataOffset}, buffer ${sab.byteLength} bytes`);
    }
    const cells = new Int32Array(sab, 0, this.dataOffset >> 2);
    this.cells = cells;
    this.cursor = new Sequence(cells, CURSOR_LINE * LINE_WORDS);
    this.claimCell = CLAIM_LINE * LINE_WORDS;
    const consumers: Sequence[] = [];
    for (let i = 0; i < this.consumerCount; i++) consumers.push(new Sequence(cells, (FIRST_CONSUMER_LINE + i) * LINE_WORDS));
    this.consumers = consumers;
    this.view = new DataView(sab);
    this.bytes = new Uint8Array(sab);
    this.wait = new WaitStrategy(wait);
    this.claimed = Atomics.load(cells, this.claimCell);
    this.published = this.cursor.get();
    this.gatingCache = minimumOf(consumers);
  }

  /** A new ring in a new SharedArrayBuffer; share `ring.sab` with workers and `Ring.attach` it there. */
  static create(options: RingOptions): Ring {
    const { size, slotBytes } = options;
    const consumers = options.consumers ?? 1;
    const initial = (options.initial ?? -1) | 0;
    if (!Number.isInteger(size) || size < 1 || size > MAX_RING_SIZE || (size & (size - 1)) !== 0) {
      throw new RangeError(`ring size must be a power of two from 1 to 2^30, got ${size}`);
    }
    if (!Number.isInteger(slotBytes) || slotBytes < 8 || slotBytes % 8 !== 0) {
      throw new RangeError(`slotBytes must be a positive multiple of 8, got ${slotBytes}`);
    }
    if (!Number.isInteger(consumers) || consumers < 1 || consumers > MAX_CONSUMERS) {
      throw new RangeError(`consumers must be from 1 to ${MAX_CONSUMERS}, got ${consumers}`);
    }
    const dataOffset = (FIRST_CONSUMER_LINE + consumers) * LINE_BYTES;
    const total = dataOffset + size * slotBytes;
    if (total > 2 ** 31 - 1) throw new RangeError(`ring of ${size} × ${slotBytes} bytes is too large (${total} bytes)`);
    const sab = new SharedArrayBuffer(total);
    const cells = new Int32Array(sab, 0, dataOffset >> 2);
    cells[META_SIZE] = size;
    cells[META_SLOT_BYTES] = slotBytes;
    cells[META_CONSUMERS] = consumers;
    cells[META_DATA_OFFSET] = dataOffset;
    cells[META_INITIAL] = initial;
    cells[CURSOR_LINE * LINE_WORDS] = initial;
    cells[CLAIM_LINE * LINE_WORDS] = initial;
    for (let i = 0; i < consumers; i++) cells[(FIRST_CONSUMER_LINE + i) * LINE_WORDS] = initial;
    cells[META_VERSION] = VERSION;
    Atomics.store(cells, META_MAGIC, MAGIC);
    return new Ring(sab, options.wait);
  }

  /** The ring living in `sab`, made by `Ring.create` in another thread; every parameter comes from its header. */
  static attach(sab: SharedArrayBuffer, wait?: WaitOptions): Ring {
    if (!(sab instanceof SharedArrayBuffer)) throw new TypeError("Ring.attach needs a SharedArrayBuffer");
    return new Ring(sab, wait);
  }

  /** Consumer i's sequence (the last slot it is done with). */
  consumer(i: number): Sequence {
    const s = this.consumers[i];
    if (s === undefined) throw new RangeError(`consumer ${i} does not exist; this ring has ${this.consumerCount}`);
    return s;
  }

  /** Byte offset in `sab` of the slot holding `seq`. */
  offset(seq: number): number {
    return this.dataOffset + (seq & this.mask) * this.slotBytes;
  }

  /** The last claimed sequence (this producer's view). */
  get lastClaimed(): number {
    return this.claimed;
  }

  /** Free slots right now, as the producer sees them. */
  remaining(): number {
    return this.size - seqDiff(this.claimed, minimumOf(this.consumers));
  }

  /**
   * Claim `n` contiguous slots and return the first one's sequence (the last is first + n − 1).
   * Non-blocking: returns null when fewer than `n` slots are free — the caller answers "busy".
   * (Not −1: sequences wrap, so −1 is a sequence like any other.)
   */
  tryClaim(n = 1): number | null {
    if (!(n >= 1 && n <= this.size && (n | 0) === n)) throw new RangeError(`claim of ${n} slots from a ring of ${this.size}`);
    const hi = (this.claimed + n) | 0;
    const wrapPoint = (hi - this.size) | 0;
    if (((wrapPoint - this.gatingCache) | 0) > 0) {
      this.gatingCache = minimumOf(this.consumers);
      if (((wrapPoint - this.gatingCache) | 0) > 0) return null;
    }
    this.claimed = hi;
    Atomics.store(this.cells, this.claimCell, hi);
    return (hi - n + 1) | 0;
  }

  /**
   * Claim `n` contiguous slots, waiting (worker threads) while the slowest consumer is more than
   * size − n behind. Throws RingStalledError if the wait strategy's timeout passes first.
   */
  claim(n = 1): number {
    const lo = this.tryClaim(n);
    if (lo !== null) return lo;
    const wrapPoint = (this.claimed + n - this.size) | 0;
    this.gatingCache = this.wait.waitFor(wrapPoint, this.consumers);
    return this.claimAfterWait(n, wrapPoint);
  }

  /** claim for the main thread: resolves once the slots are free. */
  async claimAsync(n = 1): Promise<number> {
    const lo = this.tryClaim(n);
    if (lo !== null) return lo;
    const wrapPoint = (this.claimed + n - this.size) | 0;
    this.gatingCache = await this.wait.waitForAsync(wrapPoint, this.consumers);
    return this.claimAfterWait(n, wrapPoint);
  }

  private claimAfterWait(n: number, wrapPoint: number): number {
    if (((wrapPoint - this.gatingCache) | 0) > 0) {
      let slowest = 0;
      for (let i = 1; i < this.consumerCount; i++) {
        if (seqDiff(this.consumers[i]!.get(), this.consumers[slowest]!.get()) < 0) slowest = i;
      }
      throw new RingStalledError(slowest, this.consumers[slowest]!.get(), wrapPoint, this.wait.timeoutMs);
    }
    const lo = this.tryClaim(n);
    if (lo === null) throw new RingError("ring: slots freed by the wait were taken by another producer (a ring has one producer)");
    return lo;
  }

  /** Make every claimed slot up to and including `hi` visible to consumers, and wake any that sleep. */
  publish(hi: number): void {
    if (((hi - this.claimed) | 0) > 0) throw new RangeError(`publish(${hi}) beyond the last claimed sequence ${this.claimed}`);
    if (((hi - this.published) | 0) <= 0) throw new RangeError(`publish(${hi}) does not advance the cursor (${this.published})`);
    this.published = hi;
    this.cursor.set(hi);
  }

  /**
   * A barrier for a consumer that follows the producer and the consumers listed in `after`
   * (indexes into the header). Pass the consumer's own index as `self` so its halt flag is shared.
   */
  barrier(after: readonly number[] = [], options: { self?: number; wait?: WaitOptions | WaitStrategy } = {}): SequenceBarrier {
    const wait = options.wait instanceof WaitStrategy ? options.wait : new WaitStrategy(options.wait);
    const alert = options.self === undefined ? undefined : this.consumer(options.self);
    return new SequenceBarrier(this.cursor, after.map((i) => this.consumer(i)), wait, alert);
  }

  /** Ask consumer i's stage to stop, from any thread: raise its halt flag and wake every sleeper on this ring. */
  halt(i: number): void {
    this.consumer(i).alert();
    this.cursor.wake();
    for (const c of this.consumers) c.wake();
  }
}
