/**
 * Integer key → slot, open addressing with linear probing over typed arrays. Replaces a JS `Map`
 * on the hot path: the bench saw `Map` inserts stall for tens of µs when it rehashed and about 20%
 * of the simple mix spent in its calls. Here a lookup is a multiply and a short probe, deletion
 * shifts the run back (no tombstones, so probes stay short under churn), and growth is the only
 * rehash — by doubling, at half load.
 *
 * Keys are non-negative safe integers (order ids, account ids); values are int32 slots.
 */
export class IdMap {
  private keys: Float64Array;
  private vals: Int32Array;
  private used: Uint8Array;
  private mask: number;
  private shift: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  private home(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** The slot for `key`, or −1. */
  get(key: number): number {
    const keys = this.keys;
    const used = this.used;
    const mask = this.mask;
    for (let i = this.home(key); used[i] === 1; i = (i + 1) & mask) {
      if (keys[i] === key) return this.vals[i]!;
    }
    return -1;
  }

  has(key: number): boolean {
    return this.get(key) !== -1;
  }

  set(key: number, value: number): void {
    const mask = this.mask;
    let i = this.home(key);
    while (this.used[i] === 1) {
      if (this.keys[i] === key) {
        this.vals[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    this.used[i] = 1;
    this.keys[i] = key;
    this.vals[i] = value;
    if (++this.size * 2 > this.keys.length) this.grow();
  }

  delete(key: number): boolean {
    const keys = this.keys;
    const used = this.used;
    const mask = this.mask;
    let i = this.home(key);
    while (used[i] === 1 && keys[i] !== key) i = (i + 1) & mask;
    if (used[i] !== 1) return false;
    // Backward-shift: pull later members of the run into the hole when their home allows it.
    let hole = i;
    let j = (i + 1) & mask;
    while (used[j] === 1) {
      const h = this.home(keys[j]!);
      // j's entry may move to the hole unless its home lies cyclically in (hole, j].
      const between = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (!between) {
        keys[hole] = keys[j]!;
        this.vals[hole] = this.vals[j]!;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    used[hole] = 0;
    this.size--;
    return true;
  }

  /** Values in no particular order (callers sort when order matters). */
  values(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.used.length; i++) if (this.used[i] === 1) out.push(this.vals[i]!);
    return out;
  }

  private grow(): void {
    const keys = this.keys;
    const vals = this.vals;
    const used = this.used;
    const cap = keys.length * 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.size = 0;
    for (let i = 0; i < used.length; i++) if (used[i] === 1) this.set(keys[i]!, vals[i]!);
  }
}
