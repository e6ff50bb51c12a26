import { PrefixViews } from "../../protocol/prefix-views.ts";
import type { FrameWriter } from "../../protocol/index.ts";

/** Where a held frame is moved to be sent: room for every session frame but a large REFERENCE_DATA. */
const STAGE = 512;
/** An outbox that grew past this for a burst (a mass cancel) gives the memory back once drained. */
const KEEP_BYTES = 256 * 1024;
const EMPTY = new Uint8Array(0);

/**
 * Frames held for one socket while a delivery batch is answered, sent together once it is: one
 * corked write instead of one syscall per frame. Frames are copied back to back into one buffer,
 * and each is moved to the front of it to be sent through a view made once per frame length, so
 * holding and sending a frame allocates nothing (a slice per frame, as before, was garbage at
 * every order; a subarray per frame costs as much).
 */
export class Outbox {
  /** Made on the first hold: most sockets (market-data subscribers) never hold a frame. */
  private bytes = EMPTY;
  private end = STAGE;
  private readonly lengths: number[] = [];
  private count = 0;
  private readonly views = new PrefixViews();

  get empty(): boolean {
    return this.count === 0;
  }

  /** Holds a copy of the `length`-byte frame `w` holds. */
  hold(w: FrameWriter, length: number): void {
    const at = this.end;
    if (at + length > this.bytes.length) this.grow(at + length);
    this.bytes.set(w.frame(length), at);
    this.end = at + length;
    this.lengths[this.count++] = length;
  }

  /** Sends every held frame, in order, and empties the outbox. */
  drain(ws: { sendBinary(frame: Uint8Array): unknown }): void {
    const n = this.count;
    this.count = 0;
    const bytes = this.bytes;
    let at = STAGE;
    for (let i = 0; i < n; i++) {
      const length = this.lengths[i]!;
      if (length <= STAGE) {
        bytes.copyWithin(0, at, at + length);
        ws.sendBinary(this.views.of(bytes, length));
      } else ws.sendBinary(bytes.subarray(at, at + length));
      at += length;
    }
    this.end = STAGE;
    if (bytes.length > KEEP_BYTES) {
      this.bytes = EMPTY;
      this.views.reset();
    }
  }

  private grow(needed: number): void {
    let size = Math.max(this.bytes.length * 2, STAGE + 4096);
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    if (this.end > STAGE) next.set(this.bytes.subarray(STAGE, this.end), STAGE);
    this.bytes = next;
    this.views.reset();
  }
}
