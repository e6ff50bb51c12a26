import type { NewOrderRequest, OrderReports, OrderSession, Request } from "./order-entry-types.ts";

/** Stands in for a session while a request object waits in the pool. */
const NOBODY: OrderSession = { id: 0, doorId: 0, account: -1, cancelOnDisconnect: false, reports: null as unknown as OrderReports };

/**
 * A request in flight: who asked, and for a NEW_ORDER the order the door decoded. Pooled by
 * `PendingRequests`: a door's report sees it only during the call that answers it, and must not
 * keep it.
 */
export class Pending implements Request {
  session: OrderSession = NOBODY;
  kind = 0;
  requestId = 0;
  symbol = 0;
  orderId = 0;
  clientOrderId = "";
  /** The order of a NEW_ORDER, else undefined. */
  order: NewOrderRequest | undefined = undefined;
  /** An AMEND's stop price (the AMENDED event does not carry it), else 0. */
  stopPrice = 0;
  /** The sequencer token it waits under, 0 when it waits under none. */
  token = 0;
  /** performance.now() when it was sent to the engine, with metrics on (the ack latency's start). */
  sentAt = 0;
}

/**
 * Requests waiting for their command's delivery, by token, and a pool of spare request objects.
 * Tokens are handed out in increasing order and come back roughly in that order, so the live ones
 * span a window: a table indexed by `token & mask` holds them with no hashing and no garbage, and
 * doubles when a token would land on a live one. A Map cost a few percent of the gateway's time in
 * the bench profile (its deletes mostly), and a request object per command was garbage.
 */
export class PendingRequests {
  private slots: (Pending | null)[];
  private mask: number;
  private readonly free: Pending[] = [];
  /** Requests added and not yet removed. */
  private waiting = 0;

  constructor(initialSlots = 1024) {
    this.slots = new Array<Pending | null>(initialSlots).fill(null);
    this.mask = initialSlots - 1;
  }

  /** A cleared request object (from the pool when there is one). */
  acquire(session: OrderSession, kind: number, requestId: number, symbol: number, orderId: number, clientOrderId: string): Pending {
    const p = this.free.pop() ?? new Pending();
    p.session = session;
    p.kind = kind;
    p.requestId = requestId;
    p.symbol = symbol;
    p.orderId = orderId;
    p.clientOrderId = clientOrderId;
    p.order = undefined;
    p.stopPrice = 0;
    p.token = 0;
    return p;
  }

  /** Back to the pool, once nothing will answer through it again. */
  release(p: Pending): void {
    p.session = NOBODY;
    p.clientOrderId = "";
    p.order = undefined;
    p.token = 0;
    if (this.free.length < MAX_FREE) this.free.push(p);
  }

  add(token: number, p: Pending): void {
    p.token = token;
    this.waiting++;
    while (this.slots[token & this.mask] !== null) this.grow();
    this.slots[token & this.mask] = p;
  }

  /** The request waiting under `token`, now no longer waiting; undefined if none is. */
  remove(token: number): Pending | undefined {
    const i = token & this.mask;
    const p = this.slots[i];
    if (p === null || p === undefined || p.token !== token) return undefined;
    this.slots[i] = null;
    this.waiting--;
    return p;
  }

  /** How many requests are waiting for the engine's answer. */
  get size(): number {
    return this.waiting;
  }

  /** Every request still waiting, now no longer waiting, oldest token first (the engine stopped: each gets an error answer). */
  takeAll(): Pending[] {
    const all: Pending[] = [];
    for (let i = 0; i < this.slots.length; i++) {
      const p = this.slots[i];
      if (p === null || p === undefined) continue;
      this.slots[i] = null;
      all.push(p);
    }
    this.waiting = 0;
    return all.sort((a, b) => a.token - b.token);
  }

  private grow(): void {
    const old = this.slots;
    const size = old.length * 2;
    this.slots = new Array<Pending | null>(size).fill(null);
    this.mask = size - 1;
    for (const p of old) if (p !== null) this.slots[p.token & this.mask] = p;
  }
}

/** Spare request objects kept: more than a delivery batch has in flight, not unbounded after a burst. */
const MAX_FREE = 65_536;
