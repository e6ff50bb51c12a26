import type { Instrument } from "./instrument.ts";
import { L3Action, type L2Snapshot, type L2Update, type L3Snapshot, type L3Update } from "../protocol/index.ts";
import { priceText, qtyText } from "./decimals.ts";
import { price as checkPrice } from "./validate.ts";

/** A level in ticks and lots, as the protocol carries it. */
export interface TickLevel {
  price: number;
  qty: number;
  orders: number;
}

/** A level of a LocalBook: decimal strings in the instrument's units, with the ticks and lots beside them. */
export interface Level {
  price: string;
  priceTicks: number;
  qty: string;
  qtyLots: number;
  orders: number;
}

/**
 * What both local books share: a copy loaded from a snapshot, then kept by updates whose sequence
 * numbers must follow on from it without a gap. `apply` returns false on a gap, or on a change the
 * copy cannot take (it missed something) — the caller asks for a fresh snapshot — and until that
 * snapshot comes the book is not `ready`.
 */
abstract class SequencedBook<S extends { seq: number }, U extends { seq: number }> {
  seq = 0;
  ready = false;
  /** Bumped on every change, so a reader can tell it has seen this state. */
  version = 0;
  resyncs = 0;
  /** A gap was seen: the next snapshot is a resync. */
  private broken = false;

  /** `instrument` gives the tick and lot the book is shown in. */
  constructor(
    readonly symbol: number,
    readonly instrument: Instrument,
  ) {}

  load(s: S): void {
    if (this.broken) this.resyncs++;
    this.broken = false;
    this.ready = true;
    if (!this.replace(s)) {
      this.fail();
      return;
    }
    this.seq = s.seq;
    this.version++;
  }

  apply(u: U): boolean {
    if (!this.ready) return true; // waiting for the snapshot; updates before it are covered by it
    if (u.seq <= this.seq) return true; // already in the snapshot
    // What was applied of a frame that fails is discarded with the book when the snapshot comes.
    if (u.seq !== this.seq + 1 || !this.change(u)) return this.fail();
    this.seq = u.seq;
    this.version++;
    return true;
  }

  /** One side's levels, best first. */
  abstract levels(side: "bid" | "ask", n?: number): Level[];

  bestBid(): Level | undefined {
    return this.levels("bid", 1)[0];
  }

  bestAsk(): Level | undefined {
    return this.levels("ask", 1)[0];
  }

  /** The book becomes the snapshot's; false if the snapshot does not fit. */
  protected abstract replace(s: S): boolean;
  /** One update's changes; false on a change that does not fit the book. */
  protected abstract change(u: U): boolean;

  private fail(): false {
    this.ready = false;
    this.broken = true;
    return false;
  }
}

/** Levels sorted best first and shown in the instrument's decimals. */
function shownLevels<L extends { price: number; qty: number }>(inst: Instrument, levels: Iterable<L>, count: (l: L) => number, bid: boolean, n: number): Level[] {
  const all = [...levels].sort((a, b) => (bid ? b.price - a.price : a.price - b.price));
  return all.slice(0, n).map((l) => ({ price: priceText(inst, l.price), priceTicks: l.price, qty: qtyText(inst, l.qty), qtyLots: l.qty, orders: count(l) }));
}

/** A client's copy of one symbol's L2 book: price levels with their total quantity and order count. */
export class LocalBook extends SequencedBook<L2Snapshot, L2Update> {
  private readonly bids = new Map<number, TickLevel>();
  private readonly asks = new Map<number, TickLevel>();

  protected replace(s: L2Snapshot): boolean {
    this.bids.clear();
    this.asks.clear();
    for (const l of s.bids) this.bids.set(l.price, { price: l.price, qty: l.qty, orders: l.orders });
    for (const l of s.asks) this.asks.set(l.price, { price: l.price, qty: l.qty, orders: l.orders });
    return true;
  }

  protected change(u: L2Update): boolean {
    for (const c of u.changes) {
      const side = c.side === 0 ? this.bids : this.asks;
      if (c.qty === 0) side.delete(c.price);
      else side.set(c.price, { price: c.price, qty: c.qty, orders: c.orders });
    }
    return true;
  }

  /** Best first. */
  levels(side: "bid" | "ask", n = Infinity): Level[] {
    return shownLevels(this.instrument, (side === "bid" ? this.bids : this.asks).values(), (l: TickLevel) => l.orders, side === "bid", n);
  }
}

/** One resting order in a LocalL3Book: decimal strings, with the ticks and lots beside them. */
export interface BookOrder {
  orderId: number;
  /** 0 buy, 1 sell. */
  side: number;
  price: string;
  priceTicks: number;
  /** Resting (leaves) quantity. */
  qty: string;
  qtyLots: number;
}

/** An order as the L3 messages carry it, in ticks and lots. */
interface TickOrder {
  orderId: number;
  side: number;
  price: number;
  qty: number;
}

interface Entry extends TickOrder {
  prev: Entry | null;
  next: Entry | null;
}

/** A resting order of `inst` in the SDK's form. */
export function bookOrder(inst: Instrument, o: TickOrder): BookOrder {
  return { orderId: o.orderId, side: o.side, price: priceText(inst, o.price), priceTicks: o.price, qty: qtyText(inst, o.qty), qtyLots: o.qty };
}

interface Queue {
  price: number;
  qty: number;
  count: number;
  head: Entry | null;
  tail: Entry | null;
}

/**
 * A client's copy of one symbol's market by order (L3): every resting order, each price level a
 * queue in time priority. Loaded from an L3_SNAPSHOT, then kept by L3_UPDATEs whose sequence numbers
 * must follow on without a gap. `apply` returns false on a gap, and also on a change that does not
 * fit the book (an ADD of an order it holds, an UPDATE or DELETE of one it does not), since either
 * means it missed something; the caller asks for a fresh snapshot, and until then the book is not
 * `ready`.
 */
export class LocalL3Book extends SequencedBook<L3Snapshot, L3Update> {
  private readonly byId = new Map<number, Entry>();
  private readonly sides: [Map<number, Queue>, Map<number, Queue>] = [new Map(), new Map()];

  protected replace(s: L3Snapshot): boolean {
    this.byId.clear();
    this.sides[0].clear();
    this.sides[1].clear();
    return s.orders.every((o) => this.add(o.side, o.orderId, o.price, o.qty));
  }

  protected change(u: L3Update): boolean {
    for (const c of u.changes) {
      if (c.action === L3Action.ADD) {
        if (!this.add(c.side, c.orderId, c.price, c.qty)) return false;
        continue;
      }
      const e = this.byId.get(c.orderId);
      if (e === undefined || e.side !== c.side || e.price !== c.price) return false;
      if (c.action === L3Action.UPDATE) {
        this.sides[e.side]!.get(e.price)!.qty += c.qty - e.qty;
        e.qty = c.qty;
      } else this.remove(e);
    }
    return true;
  }

  private add(side: number, orderId: number, price: number, qty: number): boolean {
    if (this.byId.has(orderId) || (side !== 0 && side !== 1)) return false;
    const levels = this.sides[side]!;
    let q = levels.get(price);
    if (!q) {
      q = { price, qty: 0, count: 0, head: null, tail: null };
      levels.set(price, q);
    }
    const e: Entry = { orderId, side, price, qty, prev: q.tail, next: null };
    if (q.tail) q.tail.next = e;
    else q.head = e;
    q.tail = e;
    q.qty += qty;
    q.count++;
    this.byId.set(orderId, e);
    return true;
  }

  private remove(e: Entry): void {
    const levels = this.sides[e.side]!;
    const q = levels.get(e.price)!;
    if (e.prev) e.prev.next = e.next;
    else q.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else q.tail = e.prev;
    q.qty -= e.qty;
    if (--q.count === 0) levels.delete(e.price);
    this.byId.delete(e.orderId);
  }

  /** The orders resting at one price (decimal text, or ticks), in queue order (the first trades first). */
  ordersAt(side: "bid" | "ask", price: string | number): BookOrder[] {
    const at = typeof price === "number" ? price : checkPrice("price", price, this.instrument);
    const out: BookOrder[] = [];
    for (let e = this.sides[side === "bid" ? 0 : 1].get(at)?.head ?? null; e; e = e.next) out.push(bookOrder(this.instrument, e));
    return out;
  }

  /** One side's orders, best level first, each level in queue order. */
  orders(side: "bid" | "ask"): BookOrder[] {
    return this.levels(side).flatMap((l) => this.ordersAt(side, l.priceTicks));
  }

  /** One side's levels as the orders add up (L2), best first. */
  levels(side: "bid" | "ask", n = Infinity): Level[] {
    return shownLevels(this.instrument, this.sides[side === "bid" ? 0 : 1].values(), (q: Queue) => q.count, side === "bid", n);
  }

  order(orderId: number): BookOrder | undefined {
    const e = this.byId.get(orderId);
    return e && bookOrder(this.instrument, e);
  }

  get size(): number {
    return this.byId.size;
  }
}
