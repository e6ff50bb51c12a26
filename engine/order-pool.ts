/**
 * Open orders as a struct of typed arrays indexed by slot. The matching loop touches a few fields
 * of many orders; columns keep those reads dense and mean an order costs no object, no closure and
 * no garbage. Slots are recycled through a free list; the pool only grows (by doubling).
 */
export const Status = {
  FREE: 0,
  /** On a price level of the book. */
  RESTING: 1,
  /** Parked in the stop list, not yet triggered. */
  STOP: 2,
  /** Accepted and matching as a taker within the current command (or a triggered stop in queue). */
  ACTIVE: 3,
  /** Accepted while its symbol cannot trade; waits in the book's queue for the open. */
  QUEUED: 4,
} as const;

export class OrderPool {
  capacity: number;
  id!: Float64Array;
  account!: Float64Array;
  symbol!: Int32Array;
  side!: Uint8Array;
  type!: Uint8Array;
  tif!: Uint8Array;
  stp!: Uint8Array;
  flags!: Uint8Array;
  status!: Uint8Array;
  /** 1 while the order is known beyond the current command: in the id map, account list, expiry heap. */
  registered!: Uint8Array;
  price!: Float64Array;
  stopPrice!: Float64Array;
  /** Ordered quantity; ordered = filled + leaves + cancelled. */
  qty!: Float64Array;
  leaves!: Float64Array;
  filled!: Float64Array;
  cancelled!: Float64Array;
  expireTime!: Float64Array;
  /** Time priority: taken from the engine's entry counter whenever the order (re)joins a queue. */
  entrySeq!: Float64Array;
  /** Queue links within a price level (or stop level); -1 ends the list. */
  prev!: Int32Array;
  next!: Int32Array;
  /** Level slot in the owning ladder while queued. */
  level!: Int32Array;
  /** Links within the owning account's list of open orders. */
  accPrev!: Int32Array;
  accNext!: Int32Array;

  private free: Int32Array;
  private freeTop = 0;
  /** Number of slots in use. */
  size = 0;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.allocate(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  private allocate(cap: number): void {
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(old: T | undefined, make: (n: number) => T): T => {
      const next = make(cap);
      if (old) next.set(old);
      return next;
    };
    this.id = grow(this.id, (n) => new Float64Array(n));
    this.account = grow(this.account, (n) => new Float64Array(n));
    this.symbol = grow(this.symbol, (n) => new Int32Array(n));
    this.side = grow(this.side, (n) => new Uint8Array(n));
    this.type = grow(this.type, (n) => new Uint8Array(n));
    this.tif = grow(this.tif, (n) => new Uint8Array(n));
    this.stp = grow(this.stp, (n) => new Uint8Array(n));
    this.flags = grow(this.flags, (n) => new Uint8Array(n));
    this.status = grow(this.status, (n) => new Uint8Array(n));
    this.registered = grow(this.registered, (n) => new Uint8Array(n));
    this.price = grow(this.price, (n) => new Float64Array(n));
    this.stopPrice = grow(this.stopPrice, (n) => new Float64Array(n));
    this.qty = grow(this.qty, (n) => new Float64Array(n));
    this.leaves = grow(this.leaves, (n) => new Float64Array(n));
    this.filled = grow(this.filled, (n) => new Float64Array(n));
    this.cancelled = grow(this.cancelled, (n) => new Float64Array(n));
    this.expireTime = grow(this.expireTime, (n) => new Float64Array(n));
    this.entrySeq = grow(this.entrySeq, (n) => new Float64Array(n));
    this.prev = grow(this.prev, (n) => new Int32Array(n));
    this.next = grow(this.next, (n) => new Int32Array(n));
    this.level = grow(this.level, (n) => new Int32Array(n));
    this.accPrev = grow(this.accPrev, (n) => new Int32Array(n));
    this.accNext = grow(this.accNext, (n) => new Int32Array(n));
  }

  /** Takes a free slot; every field the caller does not set is left from the last user. */
  alloc(): number {
    if (this.freeTop === 0) this.expand();
    this.size++;
    return this.free[--this.freeTop]!;
  }

  release(slot: number): void {
    this.status[slot] = Status.FREE;
    this.registered[slot] = 0;
    this.free[this.freeTop++] = slot;
    this.size--;
  }

  private expand(): void {
    const old = this.capacity;
    const cap = old * 2;
    this.capacity = cap;
    this.allocate(cap);
    const free = new Int32Array(cap);
    free.set(this.free.subarray(0, this.freeTop));
    for (let i = cap - 1; i >= old; i--) free[this.freeTop++] = i;
    this.free = free;
  }
}
