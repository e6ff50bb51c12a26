import type { L2Snapshot, L2Update } from "../protocol/index.ts";

export interface Level {
  price: number;
  qty: number;
  orders: number;
}

/**
 * A client's copy of one symbol's L2 book: loaded from a snapshot, then kept by diffs whose
 * sequence numbers must follow on from it without a gap. `apply` returns false on a gap — the
 * caller asks for a fresh snapshot — and changes nothing.
 */
export class LocalBook {
  seq = 0;
  ready = false;
  /** Bumped on every change, so a reader can tell it has seen this state. */
  version = 0;
  resyncs = 0;
  /** A gap was seen: the next snapshot is a resync. */
  private broken = false;
  private readonly bids = new Map<number, Level>();
  private readonly asks = new Map<number, Level>();

  constructor(readonly symbol: number) {}

  load(s: L2Snapshot): void {
    if (this.broken) this.resyncs++;
    this.broken = false;
    this.bids.clear();
    this.asks.clear();
    for (const l of s.bids) this.bids.set(l.price, { price: l.price, qty: l.qty, orders: l.orders });
    for (const l of s.asks) this.asks.set(l.price, { price: l.price, qty: l.qty, orders: l.orders });
    this.seq = s.seq;
    this.ready = true;
    this.version++;
  }

  apply(u: L2Update): boolean {
    if (!this.ready) return true; // waiting for the snapshot; updates before it are covered by it
    if (u.seq <= this.seq) return true; // already in the snapshot
    if (u.seq !== this.seq + 1) {
      this.ready = false;
      this.broken = true;
      return false;
    }
    for (const c of u.changes) {
      const side = c.side === 0 ? this.bids : this.asks;
      if (c.qty === 0) side.delete(c.price);
      else side.set(c.price, { price: c.price, qty: c.qty, orders: c.orders });
    }
    this.seq = u.seq;
    this.version++;
    return true;
  }

  /** Best first. */
  levels(side: "bid" | "ask", n = Infinity): Level[] {
    const all = [...(side === "bid" ? this.bids : this.asks).values()].sort((a, b) => (side === "bid" ? b.price - a.price : a.price - b.price));
    return all.slice(0, n);
  }

  bestBid(): Level | undefined {
    return this.levels("bid", 1)[0];
  }

  bestAsk(): Level | undefined {
    return this.levels("ask", 1)[0];
  }
}
