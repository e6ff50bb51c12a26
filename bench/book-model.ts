/**
 * The stream generator's own model of one order book: plain price-time priority, trades at the
 * maker's price, self-trades allowed (the streams send stp = NONE). It exists only so the
 * generator knows which orders are alive and how much they have left, so that cancels and moves
 * always target resting orders. It is not the engine and is never timed; it only has to agree
 * with the engine on which orders rest, which the bench checks after every verification pass.
 *
 * Side 0 = buy (bids), 1 = sell (asks), as in engine/commands.ts.
 */
export class BookModel {
  readonly side: Uint8Array;
  readonly price: Int32Array;
  readonly leaves: Int32Array;
  /** Total ordered quantity (the AMEND `qty` that keeps leaves unchanged). */
  readonly ordered: Int32Array;
  readonly account: Int32Array;
  /** Resting orders, dense, for uniform random picks; `pos[id]` is the index or -1. */
  private readonly live: Int32Array;
  private readonly pos: Int32Array;
  liveCount = 0;

  /** price → FIFO of order ids, per side. */
  readonly levels: [Map<number, number[]>, Map<number, number[]>] = [new Map(), new Map()];
  /** Best price per side, 0 = side empty. */
  readonly best: [number, number] = [0, 0];
  readonly ordersPerSide: [number, number] = [0, 0];

  trades = 0;
  lastPrice = 0;

  constructor(capacity: number) {
    this.side = new Uint8Array(capacity);
    this.price = new Int32Array(capacity);
    this.leaves = new Int32Array(capacity);
    this.ordered = new Int32Array(capacity);
    this.account = new Int32Array(capacity);
    this.live = new Int32Array(capacity);
    this.pos = new Int32Array(capacity).fill(-1);
  }

  levelCount(): number {
    return this.levels[0].size + this.levels[1].size;
  }

  isLive(id: number): boolean {
    return this.pos[id]! >= 0;
  }

  /** A uniformly random resting order id (liveCount must be > 0). */
  liveAt(index: number): number {
    return this.live[index]!;
  }

  /** The order at the head of the best level of `side`, or 0. */
  headOfBest(side: number): number {
    const p = this.best[side]!;
    if (p === 0) return 0;
    return this.levels[side]!.get(p)![0]!;
  }

  /** Sum of resting leaves on one side (for cross-checking an engine's depth). */
  volume(side: number): number {
    let v = 0;
    for (const q of this.levels[side]!.values()) for (const id of q) v += this.leaves[id]!;
    return v;
  }

  /**
   * A new order takes liquidity up to `limit` (buy: asks ≤ limit; sell: bids ≥ limit; use
   * Infinity / 0 for a market order) and returns the quantity left. Counts trades.
   */
  take(side: number, limit: number, qty: number): number {
    const opp = side ^ 1;
    const book = this.levels[opp]!;
    while (qty > 0) {
      const p = this.best[opp]!;
      if (p === 0) break;
      if (side === 0 ? p > limit : p < limit) break;
      const q = book.get(p)!;
      while (qty > 0 && q.length > 0) {
        const m = q[0]!;
        const f = Math.min(qty, this.leaves[m]!);
        qty -= f;
        this.leaves[m]! -= f;
        this.trades++;
        this.lastPrice = p;
        if (this.leaves[m] === 0) {
          q.shift();
          this.unlist(m);
          this.ordersPerSide[opp]!--;
        }
      }
      if (q.length === 0) this.dropLevel(opp, p);
    }
    return qty;
  }

  /** Rests an order (id fresh, or one just taken off its level by a move) at the back of its level. */
  rest(id: number, side: number, price: number, leaves: number): void {
    this.side[id] = side;
    this.price[id] = price;
    this.leaves[id] = leaves;
    const book = this.levels[side]!;
    let q = book.get(price);
    if (q === undefined) {
      q = [];
      book.set(price, q);
      const b = this.best[side]!;
      if (b === 0 || (side === 0 ? price > b : price < b)) this.best[side] = price;
    }
    q.push(id);
    this.ordersPerSide[side]!++;
    this.pos[id] = this.liveCount;
    this.live[this.liveCount++] = id;
  }

  /** Takes a resting order off its level (cancel, or the first half of a move). */
  remove(id: number): void {
    const side = this.side[id]!;
    const price = this.price[id]!;
    const q = this.levels[side]!.get(price)!;
    const i = q.indexOf(id);
    if (i < 0) throw new Error(`model: order ${id} not at its level`);
    q.splice(i, 1);
    this.ordersPerSide[side]!--;
    this.unlist(id);
    if (q.length === 0) this.dropLevel(side, price);
  }

  private unlist(id: number): void {
    const i = this.pos[id]!;
    const lastId = this.live[--this.liveCount]!;
    this.live[i] = lastId;
    this.pos[lastId] = i;
    this.pos[id] = -1;
  }

  private dropLevel(side: number, price: number): void {
    const book = this.levels[side]!;
    book.delete(price);
    if (this.best[side] !== price) return;
    if (book.size === 0) {
      this.best[side] = 0;
      return;
    }
    // Levels sit close together near the top; walk away from the spread to the next one.
    const step = side === 0 ? -1 : 1;
    let p = price + step;
    while (!book.has(p)) p += step;
    this.best[side] = p;
  }
}
