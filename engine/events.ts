/**
 * The engine writes its results as fixed 14-number records into an EventBuffer the caller owns
 * (exchange-core writes trade events onto the command; we write them beside it). The buffer is
 * reused across commands, so producing an event allocates nothing; it only grows, by doubling,
 * when a single command produces more events than it has ever held.
 *
 * Record layout (Float64 slots; every value is an integer):
 *
 *  slot  name     ACCEPTED   REJECTED  TRADE          CANCELLED  EXPIRED   STOP_TRIGGERED AMENDED        LEVEL
 *  0     type
 *  1     symbol
 *  2     orderId  order      order     taker order    order      order     order          order          rested order
 *  3     account  account    account   taker account  account    account   account        account        rested account
 *  4     side     side       side      taker side     side       side      side           side           side
 *  5     price    limit      price     trade price    limit      limit     stop price     new price      level price
 *  6     qty      ordered    qty       trade qty      cancelled  expired   qty            new total qty  level total
 *  7     leaves   leaves     -         taker leaves   leaves     0         leaves         leaves         order count
 *  8     a        type       reason    maker order    reason     reason    last price     kept priority  rested leaves
 *  9     b        tif        cmd type  maker account  -          -         type           old price      -
 *  10    c        stopPrice  -         maker leaves   -          -         -              old qty        -
 *  11    d        -          -         trade id       -          -         -              -              -
 *  12    e        -          -         taker fee bps  -          -         -              -              -
 *  13    g        -          -         maker fee bps  -          -         -              -              -
 *
 *  Account-side events (engine/exchange.ts), same slots 0–3:
 *  slot  ORDER_STATE          DUPLICATE             STATUS (symbol)   ACCOUNT
 *  5     price                price                 -                 -
 *  6     filled               filled                -                 -
 *  7     leaves               leaves                -                 -
 *  8     from state           state                 state             command type
 *  9     to state             -                     until (time)      currency or symbol
 *  10    reason               -                     reason            -
 *  11    time                 -                     market data       -
 *  12    actor (Actor)        -                     -                 -
 *  13    session              -                     -                 -
 *
 * CANCELLED with leaves > 0 is a partial reduction (decrement-and-cancel self-trade prevention):
 * the order stays on the book, smaller, with its queue place.
 *
 * A LEVEL written because an order came to rest on the book (at the back of that level's queue)
 * names the order: its id, account and leaves; every other LEVEL has 0 there (order ids are ≥ 1).
 * So market by order (engine/l3.ts) is built from that fact, and resting costs no extra event.
 *
 * Readers use the named accessors below (`Trade.price(d, b)`, `Level.restedOrderId(d, b)`, with
 * `d` the buffer's data and `b` a record's base, i × EVENT_WIDTH), not slot numbers.
 */
import { InvariantError } from "./errors.ts";
export const EventType = {
  ACCEPTED: 1,
  REJECTED: 2,
  TRADE: 3,
  CANCELLED: 4,
  EXPIRED: 5,
  STOP_TRIGGERED: 6,
  AMENDED: 7,
  LEVEL: 8,
  /** An order's lifecycle transition, with who and why (docs/accounts.md). */
  ORDER_STATE: 9,
  /** A new order repeated an (account, clientOrderId): the existing order, nothing created. */
  DUPLICATE: 10,
  /** A symbol opened, closed, halted or reopened. */
  STATUS: 11,
  /** An account command took effect. */
  ACCOUNT: 12,
  /** A routed order's message for its venue (docs/venues.md): send it, cancel it, ask its status; or a cancel the venue refused. */
  ROUTE: 13,
} as const;

/** ROUTE's `kind`. */
export const RouteKind = { NEW: 0, CANCEL: 1, CANCEL_REFUSED: 2, QUERY: 3 } as const;

export const EVENT_WIDTH = 14;

export const F = {
  TYPE: 0,
  SYMBOL: 1,
  ORDER_ID: 2,
  ACCOUNT: 3,
  SIDE: 4,
  PRICE: 5,
  QTY: 6,
  LEAVES: 7,
  A: 8,
  B: 9,
  C: 10,
  D: 11,
  E: 12,
  G: 13,
} as const;

/**
 * Named readers, one object per event type: `d` is an EventBuffer's `data`, `b` the record's base
 * (index × EVENT_WIDTH). Plain functions over the typed array, so reading allocates nothing; each
 * call site has one constant target, which the JIT inlines to the same load as `d[b + slot]`.
 */
type Read = (d: Float64Array, b: number) => number;

/** Slots every event has. */
export const Ev = {
  type: ((d, b) => d[b]!) as Read,
  symbol: ((d, b) => d[b + 1]!) as Read,
} as const;

export const Accepted = {
  orderId: ((d, b) => d[b + 2]!) as Read,
  account: ((d, b) => d[b + 3]!) as Read,
  side: ((d, b) => d[b + 4]!) as Read,
  /** The limit (0 for a market order). */
  price: ((d, b) => d[b + 5]!) as Read,
  /** Ordered quantity. */
  qty: ((d, b) => d[b + 6]!) as Read,
  leaves: ((d, b) => d[b + 7]!) as Read,
  orderType: ((d, b) => d[b + 8]!) as Read,
  tif: ((d, b) => d[b + 9]!) as Read,
  stopPrice: ((d, b) => d[b + 10]!) as Read,
} as const;

export const Rejected = {
  orderId: ((d, b) => d[b + 2]!) as Read,
  account: ((d, b) => d[b + 3]!) as Read,
  side: ((d, b) => d[b + 4]!) as Read,
  price: ((d, b) => d[b + 5]!) as Read,
  qty: ((d, b) => d[b + 6]!) as Read,
  reason: ((d, b) => d[b + 8]!) as Read,
  /** The type of the command refused (CommandType). */
  commandType: ((d, b) => d[b + 9]!) as Read,
} as const;

export const Trade = {
  takerOrderId: ((d, b) => d[b + 2]!) as Read,
  takerAccount: ((d, b) => d[b + 3]!) as Read,
  takerSide: ((d, b) => d[b + 4]!) as Read,
  price: ((d, b) => d[b + 5]!) as Read,
  qty: ((d, b) => d[b + 6]!) as Read,
  takerLeaves: ((d, b) => d[b + 7]!) as Read,
  makerOrderId: ((d, b) => d[b + 8]!) as Read,
  makerAccount: ((d, b) => d[b + 9]!) as Read,
  makerLeaves: ((d, b) => d[b + 10]!) as Read,
  tradeId: ((d, b) => d[b + 11]!) as Read,
  /** Fee rates charged (basis points, the order's at submission); the fee is feeOf(notional, bps). Written by settlement. */
  takerFeeBps: ((d, b) => d[b + 12]!) as Read,
  makerFeeBps: ((d, b) => d[b + 13]!) as Read,
} as const;

/** CANCELLED and EXPIRED (EXPIRED always has leaves 0). */
export const Cancelled = {
  orderId: ((d, b) => d[b + 2]!) as Read,
  account: ((d, b) => d[b + 3]!) as Read,
  side: ((d, b) => d[b + 4]!) as Read,
  price: ((d, b) => d[b + 5]!) as Read,
  /** The quantity cancelled (or expired) by this event. */
  qty: ((d, b) => d[b + 6]!) as Read,
  /** > 0: a partial reduction, the order stays (decrement-and-cancel). */
  leaves: ((d, b) => d[b + 7]!) as Read,
  reason: ((d, b) => d[b + 8]!) as Read,
} as const;
export const Expired = Cancelled;

export const StopTriggered = {
  orderId: ((d, b) => d[b + 2]!) as Read,
  account: ((d, b) => d[b + 3]!) as Read,
  side: ((d, b) => d[b + 4]!) as Read,
  stopPrice: ((d, b) => d[b + 5]!) as Read,
  qty: ((d, b) => d[b + 6]!) as Read,
  leaves: ((d, b) => d[b + 7]!) as Read,
  /** The trade price that triggered it. */
  lastPrice: ((d, b) => d[b + 8]!) as Read,
  orderType: ((d, b) => d[b + 9]!) as Read,
} as const;

export const Amended = {
  orderId: ((d, b) => d[b + 2]!) as Read,
  account: ((d, b) => d[b + 3]!) as Read,
  side: ((d, b) => d[b + 4]!) as Read,
  /** The new price. */
  price: ((d, b) => d[b + 5]!) as Read,
  /** The new total order quantity. */
  qty: ((d, b) => d[b + 6]!) as Read,
  leaves: ((d, b) => d[b + 7]!) as Read,
  /** 1: kept its queue place; 0: lost it (left its level and entered again). */
  keptPriority: ((d, b) => d[b + 8]!) as Read,
  oldPrice: ((d, b) => d[b + 9]!) as Read,
  oldQty: ((d, b) => d[b + 10]!) as Read,
} as const;

export const Level = {
  side: ((d, b) => d[b + 4]!) as Read,
  price: ((d, b) => d[b + 5]!) as Read,
  /** The level's total quantity after the change. */
  qty: ((d, b) => d[b + 6]!) as Read,
  /** Orders at the level after the change. */
  count: ((d, b) => d[b + 7]!) as Read,
  /** The order that came to rest at the back of this level, or 0 when the change is not a rest. */
  restedOrderId: ((d, b) => d[b + 2]!) as Read,
  restedAccount: ((d, b) => d[b + 3]!) as Read,
  /** The rested order's leaves (its whole size in the level). */
  restedLeaves: ((d, b) => d[b + 8]!) as Read,
} as const;

export const OrderStateChange = {
  orderId: ((d, b) => d[b + 2]!) as Read,
  account: ((d, b) => d[b + 3]!) as Read,
  side: ((d, b) => d[b + 4]!) as Read,
  price: ((d, b) => d[b + 5]!) as Read,
  filled: ((d, b) => d[b + 6]!) as Read,
  leaves: ((d, b) => d[b + 7]!) as Read,
  from: ((d, b) => d[b + 8]!) as Read,
  to: ((d, b) => d[b + 9]!) as Read,
  reason: ((d, b) => d[b + 10]!) as Read,
  time: ((d, b) => d[b + 11]!) as Read,
  actor: ((d, b) => d[b + 12]!) as Read,
  session: ((d, b) => d[b + 13]!) as Read,
} as const;

export const Duplicate = {
  orderId: ((d, b) => d[b + 2]!) as Read,
  account: ((d, b) => d[b + 3]!) as Read,
  side: ((d, b) => d[b + 4]!) as Read,
  price: ((d, b) => d[b + 5]!) as Read,
  filled: ((d, b) => d[b + 6]!) as Read,
  leaves: ((d, b) => d[b + 7]!) as Read,
  /** The existing order's state (OrderState). */
  state: ((d, b) => d[b + 8]!) as Read,
} as const;

export const SymbolStatus = {
  /** MarketState. */
  state: ((d, b) => d[b + 8]!) as Read,
  /** Engine time of the next scheduled change; Infinity when none. */
  until: ((d, b) => d[b + 9]!) as Read,
  reason: ((d, b) => d[b + 10]!) as Read,
  /**
   * The venue's market data status (MarketDataStatus: 0 trusted, 1 stale, 2 bad tick), as the last
   * MARKET_DATA_STATUS left it; while it is not 0 and the book has no reason of its own, `reason`
   * is MARKET_DATA_STALE or MARKET_DATA_BAD_TICK.
   */
  marketData: ((d, b) => d[b + 11]!) as Read,
} as const;

/** ROUTE: the order as the venue must see it (the limit, or a buy's risk cap; its qty and what is left). */
export const Route = {
  orderId: ((d, b) => d[b + 2]!) as Read,
  account: ((d, b) => d[b + 3]!) as Read,
  side: ((d, b) => d[b + 4]!) as Read,
  price: ((d, b) => d[b + 5]!) as Read,
  qty: ((d, b) => d[b + 6]!) as Read,
  leaves: ((d, b) => d[b + 7]!) as Read,
  kind: ((d, b) => d[b + 8]!) as Read,
  orderType: ((d, b) => d[b + 9]!) as Read,
  tif: ((d, b) => d[b + 10]!) as Read,
  stopPrice: ((d, b) => d[b + 11]!) as Read,
  /** The venue's street account: which venue. */
  venueAccount: ((d, b) => d[b + 12]!) as Read,
  /** Good-till-date expiry (engine µs), 0 for none. */
  expireTime: ((d, b) => d[b + 13]!) as Read,
} as const;

export const AccountEvent = {
  account: ((d, b) => d[b + 3]!) as Read,
  commandType: ((d, b) => d[b + 8]!) as Read,
  /** The currency or symbol the command named. */
  subject: ((d, b) => d[b + 9]!) as Read,
  /** A WITHDRAW left awaiting approval, or the one an APPROVE_ or REJECT_WITHDRAWAL settled: its id (0: paid at once, or none). */
  withdrawal: ((d, b) => d[b + 10]!) as Read,
} as const;

export class EventBuffer {
  data: Float64Array;
  /** Number of events written since the last reset. */
  count = 0;

  constructor(initialEvents = 256) {
    this.data = new Float64Array(initialEvents * EVENT_WIDTH);
  }

  reset(): void {
    this.count = 0;
  }

  /** Reserves one record and returns its base offset in `data`; the caller fills every slot. */
  claim(): number {
    const base = this.count * EVENT_WIDTH;
    if (base + EVENT_WIDTH > this.data.length) this.grow();
    this.count++;
    return base;
  }

  private grow(): void {
    const next = new Float64Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }

  write(
    type: number,
    symbol: number,
    orderId: number,
    account: number,
    side: number,
    price: number,
    qty: number,
    leaves: number,
    a: number,
    b: number,
    c: number,
    d: number,
    e12 = 0,
    e13 = 0,
  ): void {
    const i = this.claim();
    const e = this.data;
    e[i] = type;
    e[i + 1] = symbol;
    e[i + 2] = orderId;
    e[i + 3] = account;
    e[i + 4] = side;
    e[i + 5] = price;
    e[i + 6] = qty;
    e[i + 7] = leaves;
    e[i + 8] = a;
    e[i + 9] = b;
    e[i + 10] = c;
    e[i + 11] = d;
    e[i + 12] = e12;
    e[i + 13] = e13;
  }

  get(index: number, field: number): number {
    return this.data[index * EVENT_WIDTH + field]!;
  }
}

/** Object form of an event, for tests, tools and the demo; never used on the hot path. */
export type EngineEvent =
  | { type: "accepted"; symbol: number; orderId: number; account: number; side: number; price: number; qty: number; leaves: number; orderType: number; tif: number; stopPrice: number }
  | { type: "rejected"; symbol: number; orderId: number; account: number; side: number; price: number; qty: number; reason: number; commandType: number }
  | { type: "trade"; symbol: number; takerOrderId: number; takerAccount: number; takerSide: number; price: number; qty: number; takerLeaves: number; makerOrderId: number; makerAccount: number; makerLeaves: number; tradeId: number }
  | { type: "cancelled"; symbol: number; orderId: number; account: number; side: number; price: number; qty: number; leaves: number; reason: number }
  | { type: "expired"; symbol: number; orderId: number; account: number; side: number; price: number; qty: number; reason: number }
  | { type: "stopTriggered"; symbol: number; orderId: number; account: number; side: number; stopPrice: number; qty: number; leaves: number; lastPrice: number; orderType: number }
  | { type: "amended"; symbol: number; orderId: number; account: number; side: number; price: number; qty: number; leaves: number; keptPriority: boolean; oldPrice: number; oldQty: number }
  | { type: "level"; symbol: number; side: number; price: number; qty: number; count: number }
  | { type: "orderState"; symbol: number; orderId: number; account: number; side: number; price: number; filled: number; leaves: number; from: number; to: number; reason: number; time: number; actor: number; session: number }
  | { type: "duplicate"; symbol: number; orderId: number; account: number; side: number; price: number; filled: number; leaves: number; state: number }
  | { type: "status"; symbol: number; state: number; until: number; reason: number; marketData?: number }
  | { type: "account"; symbol: number; account: number; commandType: number; subject: number }
  | { type: "route"; symbol: number; orderId: number; account: number; side: number; price: number; qty: number; leaves: number; kind: number; orderType: number; tif: number; stopPrice: number; venueAccount: number; expireTime: number };

export function decodeEvent(buf: EventBuffer, index: number): EngineEvent {
  const g = (f: number) => buf.get(index, f);
  const symbol = g(F.SYMBOL);
  switch (g(F.TYPE)) {
    case EventType.ACCEPTED:
      return { type: "accepted", symbol, orderId: g(F.ORDER_ID), account: g(F.ACCOUNT), side: g(F.SIDE), price: g(F.PRICE), qty: g(F.QTY), leaves: g(F.LEAVES), orderType: g(F.A), tif: g(F.B), stopPrice: g(F.C) };
    case EventType.REJECTED:
      return { type: "rejected", symbol, orderId: g(F.ORDER_ID), account: g(F.ACCOUNT), side: g(F.SIDE), price: g(F.PRICE), qty: g(F.QTY), reason: g(F.A), commandType: g(F.B) };
    case EventType.TRADE:
      return { type: "trade", symbol, takerOrderId: g(F.ORDER_ID), takerAccount: g(F.ACCOUNT), takerSide: g(F.SIDE), price: g(F.PRICE), qty: g(F.QTY), takerLeaves: g(F.LEAVES), makerOrderId: g(F.A), makerAccount: g(F.B), makerLeaves: g(F.C), tradeId: g(F.D) };
    case EventType.CANCELLED:
      return { type: "cancelled", symbol, orderId: g(F.ORDER_ID), account: g(F.ACCOUNT), side: g(F.SIDE), price: g(F.PRICE), qty: g(F.QTY), leaves: g(F.LEAVES), reason: g(F.A) };
    case EventType.EXPIRED:
      return { type: "expired", symbol, orderId: g(F.ORDER_ID), account: g(F.ACCOUNT), side: g(F.SIDE), price: g(F.PRICE), qty: g(F.QTY), reason: g(F.A) };
    case EventType.STOP_TRIGGERED:
      return { type: "stopTriggered", symbol, orderId: g(F.ORDER_ID), account: g(F.ACCOUNT), side: g(F.SIDE), stopPrice: g(F.PRICE), qty: g(F.QTY), leaves: g(F.LEAVES), lastPrice: g(F.A), orderType: g(F.B) };
    case EventType.AMENDED:
      return { type: "amended", symbol, orderId: g(F.ORDER_ID), account: g(F.ACCOUNT), side: g(F.SIDE), price: g(F.PRICE), qty: g(F.QTY), leaves: g(F.LEAVES), keptPriority: g(F.A) === 1, oldPrice: g(F.B), oldQty: g(F.C) };
    case EventType.LEVEL:
      return { type: "level", symbol, side: g(F.SIDE), price: g(F.PRICE), qty: g(F.QTY), count: g(F.LEAVES) };
    case EventType.ORDER_STATE:
      return { type: "orderState", symbol, orderId: g(F.ORDER_ID), account: g(F.ACCOUNT), side: g(F.SIDE), price: g(F.PRICE), filled: g(F.QTY), leaves: g(F.LEAVES), from: g(F.A), to: g(F.B), reason: g(F.C), time: g(F.D), actor: g(F.E), session: g(F.G) };
    case EventType.DUPLICATE:
      return { type: "duplicate", symbol, orderId: g(F.ORDER_ID), account: g(F.ACCOUNT), side: g(F.SIDE), price: g(F.PRICE), filled: g(F.QTY), leaves: g(F.LEAVES), state: g(F.A) };
    case EventType.STATUS:
      // marketData only when set, so the object form of every other status is as it was.
      return g(F.D) !== 0 ? { type: "status", symbol, state: g(F.A), until: g(F.B), reason: g(F.C), marketData: g(F.D) } : { type: "status", symbol, state: g(F.A), until: g(F.B), reason: g(F.C) };
    case EventType.ACCOUNT:
      return { type: "account", symbol, account: g(F.ACCOUNT), commandType: g(F.A), subject: g(F.B) };
    case EventType.ROUTE:
      return { type: "route", symbol, orderId: g(F.ORDER_ID), account: g(F.ACCOUNT), side: g(F.SIDE), price: g(F.PRICE), qty: g(F.QTY), leaves: g(F.LEAVES), kind: g(F.A), orderType: g(F.B), tif: g(F.C), stopPrice: g(F.D), venueAccount: g(F.E), expireTime: g(F.G) };
    default:
      throw new InvariantError(`unknown event type ${g(F.TYPE)} at index ${index}`);
  }
}

export function decodeEvents(buf: EventBuffer): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (let i = 0; i < buf.count; i++) out.push(decodeEvent(buf, i));
  return out;
}
