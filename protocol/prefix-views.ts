const SLOTS = 16;
const EMPTY = new Uint8Array(0);

/**
 * Views `bytes.subarray(0, n)` of one buffer, kept for the last few lengths n (slot n mod 16). A
 * subarray per sent frame costs about what copying a small frame does and leaves garbage at every
 * message, while the same few frame sizes recur (ACK, CANCELLED, a one-level L2_UPDATE). A view
 * shows whatever is in the buffer when it is sent: send or copy it before the next write.
 */
export class PrefixViews {
  private views: Uint8Array[] = [];

  /** The view of `bytes[0, length)`; `bytes` must be the buffer of every call since the last reset(). */
  of(bytes: Uint8Array, length: number): Uint8Array {
    const views = this.views;
    if (views.length === 0) for (let i = 0; i < SLOTS; i++) views.push(EMPTY);
    const slot = length & (SLOTS - 1);
    let v = views[slot]!;
    if (v.length !== length) views[slot] = v = bytes.subarray(0, length);
    return v;
  }

  /** Forgets every view: the buffer was replaced. */
  reset(): void {
    this.views = [];
  }
}
