/**
 * What the engine knows of its routed orders beyond their OMS record (docs/venues.md): which
 * venues are connected, what each routed order was sent as, whether a cancel of it is in flight,
 * and the execution ids already settled, so a venue repeating a fill cannot settle it twice.
 *
 * Everything here changes only by journaled commands (VENUE_* from the router, the clients' own
 * orders and cancels), so a replay and a snapshot restore rebuild it exactly.
 */

/** Done routed orders whose execution ids are kept, to tell a repeated fill from an unknown one. */
export const DONE_KEPT = 4096;

export class RoutedOrder {
  /** The venue has accepted it (an ACCEPTED event went out). */
  acked = false;
  /** A cancel was sent and the venue has not answered it. */
  cancelRequested = false;
  readonly execIds = new Set<string>();

  constructor(
    /** The client's limit (0: none) and trigger, as sent. */
    readonly price: number,
    readonly stopPrice: number,
    readonly expireTime: number,
    /**
     * The worst price a fill may have: a buy's costing price (its limit, or the cap its
     * reservation was made at), a sell's limit (0: a sell without one has no floor).
     */
    readonly limit: number,
  ) {}
}

export interface RoutingRecord {
  /** Street accounts whose venue link is up. */
  up: number[];
  /** Open routed orders: [orderId, price, stopPrice, expireTime, limit, acked, cancelRequested, execIds]. */
  open: [number, number, number, number, number, boolean, boolean, string[]][];
  /** Done routed orders' execution ids, oldest first. */
  done: [number, string[]][];
}

export class Routing {
  readonly up = new Set<number>();
  readonly open = new Map<number, RoutedOrder>();
  private readonly done = new Map<number, string[]>();

  /** The order is done: its execution ids are kept for a while, the oldest done order's let go. */
  finish(orderId: number): void {
    const r = this.open.get(orderId);
    if (!r) return;
    this.open.delete(orderId);
    this.done.set(orderId, [...r.execIds]);
    if (this.done.size > DONE_KEPT) this.done.delete(this.done.keys().next().value!);
  }

  /** The execution ids of a recently done routed order; undefined when none is known by that id. */
  doneExecIds(orderId: number): readonly string[] | undefined {
    return this.done.get(orderId);
  }

  /** True when nothing was ever routed or connected: the snapshot then carries no routing section. */
  get empty(): boolean {
    return this.up.size === 0 && this.open.size === 0 && this.done.size === 0;
  }

  toRecord(): RoutingRecord {
    return {
      up: [...this.up].sort((a, b) => a - b),
      open: [...this.open].sort((a, b) => a[0] - b[0]).map(([id, r]) => [id, r.price, r.stopPrice, r.expireTime, r.limit, r.acked, r.cancelRequested, [...r.execIds]]),
      done: [...this.done],
    };
  }

  static fromRecord(rec: RoutingRecord | undefined): Routing {
    const x = new Routing();
    if (!rec) return x;
    for (const a of rec.up) x.up.add(a);
    for (const [id, price, stopPrice, expireTime, limit, acked, cancelRequested, execIds] of rec.open) {
      const r = new RoutedOrder(price, stopPrice, expireTime, limit);
      r.acked = acked;
      r.cancelRequested = cancelRequested;
      for (const e of execIds) r.execIds.add(e);
      x.open.set(id, r);
    }
    for (const [id, execIds] of rec.done) x.done.set(id, execIds);
    return x;
  }
}

const EXEC_ID = /^[\x21-\x7e]{1,64}$/;

/** A venue's ExecID as the engine accepts it: 1–64 printable ASCII. */
export function validExecId(id: string): boolean {
  return EXEC_ID.test(id);
}
