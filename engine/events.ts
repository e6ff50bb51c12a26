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
 *  2     orderId  order      order     taker order    order      order     order          order          -
 *  3     account  account    account   taker account  account    account   account        account        -
 *  4     side     side       side      taker side     side       side      side           side           side
 *  5     price    limit      price     trade price    limit      limit     stop price     new price      level price
 *  6     qty      ordered    qty       trade qty      cancelled  expired   qty            new total qty  level total
 *  7     leaves   leaves     -         taker leaves   leaves     0         leaves         leaves         order count
 *  8     a        type       reason    maker order    reason     reason    last price     kept priority  -
 *  9     b        tif        cmd type  maker account  -          -         type           old price      -
 *  10    c        stopPrice  -         maker leaves   -          -         -              old qty        -
 *  11    d        -          -         trade id       -          -         -              -              -
 *
 *  Account-side events (engine/exchange.ts), same slots 0–3:
 *  slot  ORDER_STATE          DUPLICATE             STATUS (symbol)   ACCOUNT
 *  5     price                price                 -                 -
 *  6     filled               filled                -                 -
 *  7     leaves               leaves                -                 -
 *  8     from state           state                 state             command type
 *  9     to state             -                     until (time)      currency or symbol
 *  10    reason               -                     reason            -
 *  11    time                 -                     -                 -
 *  12    actor (Actor)        -                     -                 -
 *  13    session              -                     -                 -
 *
 * CANCELLED with leaves > 0 is a partial reduction (decrement-and-cancel self-trade prevention):
 * the order stays on the book, smaller, with its queue place.
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
} as const;

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
  | { type: "status"; symbol: number; state: number; until: number; reason: number }
  | { type: "account"; symbol: number; account: number; commandType: number; subject: number };

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
      return { type: "status", symbol, state: g(F.A), until: g(F.B), reason: g(F.C) };
    case EventType.ACCOUNT:
      return { type: "account", symbol, account: g(F.ACCOUNT), commandType: g(F.A), subject: g(F.B) };
    default:
      throw new InvariantError(`unknown event type ${g(F.TYPE)} at index ${index}`);
  }
}

export function decodeEvents(buf: EventBuffer): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (let i = 0; i < buf.count; i++) out.push(decodeEvent(buf, i));
  return out;
}
