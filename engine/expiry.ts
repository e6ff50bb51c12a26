import { grown } from "./typed-arrays.ts";

/**
 * Good-till-date deadlines as a binary min-heap on (expireTime, orderId). Entries are not removed
 * when an order fills or is cancelled; the engine skips an entry whose order is no longer open
 * (lazy deletion), which keeps cancels O(1). Ties break on order id so expiry order is
 * deterministic.
 */
/** (ta, ia) comes strictly before (tb, ib): an earlier deadline, or the same one and a lower id. */
function precedes(ta: number, ia: number, tb: number, ib: number): boolean {
  return ta < tb || (ta === tb && ia < ib);
}

export class ExpiryHeap {
  private time: Float64Array;
  private id: Float64Array;
  size = 0;

  constructor(capacity = 64) {
    this.time = new Float64Array(capacity);
    this.id = new Float64Array(capacity);
  }

  /** Earliest deadline, or +Infinity when empty. */
  peekTime(): number {
    return this.size > 0 ? this.time[0]! : Infinity;
  }

  peekId(): number {
    return this.id[0]!;
  }

  push(time: number, id: number): void {
    if (this.size === this.time.length) this.grow();
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (precedes(this.time[parent]!, this.id[parent]!, time, id)) break;
      this.move(parent, i);
      i = parent;
    }
    this.place(i, time, id);
  }

  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const time = this.time[n]!;
    const id = this.id[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && precedes(this.time[c + 1]!, this.id[c + 1]!, this.time[c]!, this.id[c]!)) c++;
      if (precedes(time, id, this.time[c]!, this.id[c]!)) break;
      this.move(c, i);
      i = c;
    }
    this.place(i, time, id);
  }

  private move(from: number, to: number): void {
    this.time[to] = this.time[from]!;
    this.id[to] = this.id[from]!;
  }

  private place(i: number, time: number, id: number): void {
    this.time[i] = time;
    this.id[i] = id;
  }

  clear(): void {
    this.size = 0;
  }

  private grow(): void {
    this.time = grown(this.time, this.time.length * 2);
    this.id = grown(this.id, this.id.length * 2);
  }
}
