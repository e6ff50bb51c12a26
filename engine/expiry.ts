/**
 * Good-till-date deadlines as a binary min-heap on (expireTime, orderId). Entries are not removed
 * when an order fills or is cancelled; the engine skips an entry whose order is no longer open
 * (lazy deletion), which keeps cancels O(1). Ties break on order id so expiry order is
 * deterministic.
 */
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
    const t = this.time;
    const d = this.id;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (t[parent]! < time || (t[parent] === time && d[parent]! < id)) break;
      t[i] = t[parent]!;
      d[i] = d[parent]!;
      i = parent;
    }
    t[i] = time;
    d[i] = id;
  }

  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const t = this.time;
    const d = this.id;
    const time = t[n]!;
    const id = d[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (t[c + 1]! < t[c]! || (t[c + 1] === t[c] && d[c + 1]! < d[c]!))) c++;
      if (time < t[c]! || (time === t[c] && id < d[c]!)) break;
      t[i] = t[c]!;
      d[i] = d[c]!;
      i = c;
    }
    t[i] = time;
    d[i] = id;
  }

  clear(): void {
    this.size = 0;
  }

  private grow(): void {
    const t = new Float64Array(this.time.length * 2);
    t.set(this.time);
    this.time = t;
    const d = new Float64Array(this.id.length * 2);
    d.set(this.id);
    this.id = d;
  }
}
