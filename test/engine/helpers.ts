/**
 * A tiny harness for the example tests of docs/matching.md.
 *
 * `book()` builds a MatchingEngine over two instruments and returns a Harness whose helpers each
 * execute ONE command and return its decoded events. After every command the harness checks the
 * invariants the contract promises whatever the command was:
 *
 *   - every open order has ordered = filled + leaves + cancelled, and leaves > 0;
 *   - L2 depth agrees with L3 levels (level total = sum of leaves, count = number of orders),
 *     levels are sorted best first, and the book is never crossed;
 *   - pending stops are not in depth;
 *   - the last LEVEL event the command wrote for a level agrees with depth after the command.
 *
 * Orders get a fresh account per order id unless the test gives one, so self-trade prevention
 * only fires in tests that ask for it by using the same account twice.
 */
import { expect } from "bun:test";
import { MatchingEngine } from "../../engine/matching.ts";
import {
  ALL_SYMBOLS,
  CommandType,
  Flags,
  OrderType,
  Side,
  StpMode,
  TimeInForce,
  makeCommand,
  type CommandInit,
} from "../../engine/commands.ts";
import { EventBuffer, decodeEvents, type EngineEvent } from "../../engine/events.ts";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import { Reason, reasonName } from "../../engine/reasons.ts";
import { orderCommandFields, type OrderFields } from "./order-fields.ts";

export { ALL_SYMBOLS, CommandType, Flags, OrderType, Side, StpMode, TimeInForce, Reason };
export type { EngineEvent };

export const BUY = Side.BUY;
export const SELL = Side.SELL;
export const { LIMIT, MARKET, STOP, STOP_LIMIT } = OrderType;
export const { GTC, IOC, FOK, DAY, GTD } = TimeInForce;
export const POST_ONLY = Flags.POST_ONLY;

/** Named accounts for the tests that care who owns an order (self-trade prevention, cancels). */
export const ALICE = 1;
export const BOB = 2;
export const CAROL = 3;

/** Symbol 1 ("T"): tick 0.01, lot 1, band 5%, no reference price. */
export const SYM = 1;
/** Symbol 2 ("U"): tick 0.5, lot 0.001, band 10%, reference price 200 ticks. */
export const SYM2 = 2;

export const DEFAULT_INSTRUMENTS: InstrumentSpec[] = [
  { id: SYM, symbol: "T", tickSize: "0.01", lotSize: "1", bandBps: 500, referencePrice: 0 },
  { id: SYM2, symbol: "U", tickSize: "0.5", lotSize: "0.001", bandBps: 1000, referencePrice: 200 },
];

export type OrderView = NonNullable<ReturnType<MatchingEngine["order"]>>;
export type DepthLevel = { price: number; qty: number; count: number };

export interface NewOrder extends OrderFields {
  /** Defaults to a fresh account of its own (10_000 + id). */
  account?: number;
  /** Defaults to GTC, or IOC for a MARKET order. */
  tif?: number;
  /** Command time; defaults to the harness clock `now`. */
  time?: number;
}

export interface AmendFields {
  /** New total order quantity; defaults to the current ordered qty. */
  qty?: number;
  /** New limit; defaults to the current limit. */
  price?: number;
  /** New trigger; defaults to the current stop price. */
  stopPrice?: number;
  account?: number;
  symbol?: number;
  time?: number;
}

export interface BookState {
  depth: Record<number, { bids: DepthLevel[]; asks: DepthLevel[] }>;
  open: OrderView[];
  last: Record<number, number>;
}

const ALL_LEVELS = 10_000;

export class Harness {
  readonly eng: MatchingEngine;
  readonly out = new EventBuffer(4);
  readonly symbols: number[];
  /** Engine time stamped on every command that does not give its own. */
  now = 1_000_000_000;
  /** Run the invariant checks after every command. */
  checks = true;
  private nextId = 1;
  private helperId = 900_000_000;
  private owners = new Map<number, { account: number; symbol: number }>();

  constructor(specs: InstrumentSpec[] = DEFAULT_INSTRUMENTS) {
    this.eng = new MatchingEngine(specs);
    this.symbols = specs.map((s) => s.id);
  }

  /** Executes one raw command (time defaults to `now`) and returns its events. */
  run(init: CommandInit): EngineEvent[] {
    const cmd = makeCommand({ time: this.now, ...init });
    this.out.reset();
    this.eng.execute(cmd, this.out);
    const events = decodeEvents(this.out);
    if (this.checks) this.checkInvariants(`after ${describeCommand(init)}`, events);
    return events;
  }

  /** NEW_ORDER with friendly defaults (see NewOrder). */
  place(o: NewOrder): EngineEvent[] {
    const id = o.id ?? this.nextId;
    if (id >= this.nextId && Number.isSafeInteger(id)) this.nextId = id + 1;
    const account = o.account ?? 10_000 + id;
    const symbol = o.symbol ?? SYM;
    this.owners.set(id, { account, symbol });
    return this.run({
      type: CommandType.NEW_ORDER,
      time: o.time ?? this.now,
      orderId: id,
      account,
      symbol,
      ...orderCommandFields(o),
    });
  }

  buy(o: Omit<NewOrder, "side">): EngineEvent[] {
    return this.place({ ...o, side: BUY });
  }

  sell(o: Omit<NewOrder, "side">): EngineEvent[] {
    return this.place({ ...o, side: SELL });
  }

  /** CANCEL by the order's owner (as placed through this harness) unless overridden. */
  cancel(orderId: number, over: { account?: number; symbol?: number; time?: number } = {}): EngineEvent[] {
    return this.run({ type: CommandType.CANCEL, ...this.target(orderId, over) });
  }

  /** AMEND; fields not given keep the order's current values. */
  amend(orderId: number, f: AmendFields): EngineEvent[] {
    const cur = this.eng.order(orderId);
    return this.run({
      type: CommandType.AMEND,
      ...this.target(orderId, f),
      qty: f.qty ?? cur?.qty ?? 0,
      price: f.price ?? cur?.price ?? 0,
      stopPrice: f.stopPrice ?? cur?.stopPrice ?? 0,
    });
  }

  /** The order a CANCEL or AMEND names: its owner's account and symbol (as placed here) unless overridden, at `now` unless timed. */
  private target(orderId: number, over: { account?: number; symbol?: number; time?: number }) {
    const owner = this.owners.get(orderId) ?? { account: 0, symbol: SYM };
    return { time: over.time ?? this.now, orderId, account: over.account ?? owner.account, symbol: over.symbol ?? owner.symbol };
  }

  massCancel(account: number, symbol: number = SYM): EngineEvent[] {
    return this.run({ type: CommandType.MASS_CANCEL, account, symbol });
  }

  endOfDay(symbol: number = SYM): EngineEvent[] {
    return this.run({ type: CommandType.END_OF_DAY, symbol });
  }

  /** TICK at `time` (and moves the harness clock there). */
  tick(time: number): EngineEvent[] {
    this.now = time;
    return this.run({ type: CommandType.TICK, time });
  }

  /**
   * Prints one trade of 1 lot at `price` between two fresh accounts (a sell rests, a buy takes it),
   * to set the book's last trade price. Needs no crossing liquidity at `price` already on the book.
   * Returns the taking buy's events (stops it triggers show up there).
   */
  printTrade(price: number, symbol: number = SYM): EngineEvent[] {
    const sellId = this.helperId++;
    const buyId = this.helperId++;
    const rest = this.place({ id: sellId, side: SELL, price, qty: 1, symbol });
    expect(rest.some((e) => e.type === "trade"), `printTrade(${price}): the helper sell must rest, but it traded`).toBe(false);
    const take = this.place({ id: buyId, side: BUY, price, qty: 1, symbol });
    const first = take.find((e) => e.type === "trade");
    expect(first, `printTrade(${price}): expected the helper buy to trade with the helper sell\n${fmtEvents(take)}`).toMatchObject({
      type: "trade",
      makerOrderId: sellId,
      price,
      qty: 1,
    });
    return take;
  }

  bids(symbol: number = SYM, n = ALL_LEVELS): DepthLevel[] {
    return this.eng.depth(symbol, BUY, n);
  }

  asks(symbol: number = SYM, n = ALL_LEVELS): DepthLevel[] {
    return this.eng.depth(symbol, SELL, n);
  }

  /** L3: order ids at one level, in queue order. */
  queue(side: number, price: number, symbol: number = SYM): number[] {
    return this.eng.level(symbol, side, price).map((o) => o.orderId);
  }

  view(orderId: number): OrderView | undefined {
    return this.eng.order(orderId);
  }

  /** Open order that must exist; fails with a clear message otherwise. */
  open(orderId: number): OrderView {
    const v = this.eng.order(orderId);
    expect(v, `expected order ${orderId} to be open`).toBeDefined();
    return v!;
  }

  /** Everything a rejected command must not change. */
  state(): BookState {
    const depth: BookState["depth"] = {};
    const last: BookState["last"] = {};
    for (const s of this.symbols) {
      depth[s] = { bids: this.bids(s), asks: this.asks(s) };
      last[s] = this.eng.lastPrice(s);
    }
    const open = [...this.eng.openOrders()].map((o) => ({ ...o })).sort((a, b) => a.orderId - b.orderId);
    return { depth, open, last };
  }

  expectUnchanged(before: BookState, what: string): void {
    const after = this.state();
    expect(after.depth, `${what}: depth must be unchanged`).toEqual(before.depth);
    expect(after.open, `${what}: open orders must be unchanged`).toEqual(before.open);
    expect(after.last, `${what}: last trade prices must be unchanged`).toEqual(before.last);
  }

  /** The invariants of docs/matching.md that hold after every command. */
  checkInvariants(when: string, events: EngineEvent[] = []): void {
    const open = this.eng.openOrders();
    for (const o of open) {
      expect(o.qty, `${when}: order ${o.orderId}: ordered (${o.qty}) must equal filled ${o.filled} + leaves ${o.leaves} + cancelled ${o.cancelled}`).toBe(
        o.filled + o.leaves + o.cancelled,
      );
      expect(o.leaves > 0, `${when}: open order ${o.orderId} must have leaves > 0, has ${o.leaves}`).toBe(true);
    }
    const resting = new Set<number>();
    for (const s of this.symbols) {
      for (const side of [BUY, SELL]) {
        const levels = this.eng.depth(s, side, ALL_LEVELS);
        for (let i = 0; i < levels.length; i++) {
          const lv = levels[i]!;
          if (i > 0) {
            const prev = levels[i - 1]!.price;
            const better = side === BUY ? prev > lv.price : prev < lv.price;
            expect(better, `${when}: symbol ${s} ${sideName(side)} depth must be sorted best first: ${prev} then ${lv.price}`).toBe(true);
          }
          const orders = this.eng.level(s, side, lv.price);
          const sum = orders.reduce((a, o) => a + o.leaves, 0);
          expect(lv.qty, `${when}: symbol ${s} ${sideName(side)} ${lv.price}: L2 qty must equal the sum of L3 leaves`).toBe(sum);
          expect(lv.count, `${when}: symbol ${s} ${sideName(side)} ${lv.price}: L2 count must equal the number of L3 orders`).toBe(orders.length);
          expect(lv.count > 0 && lv.qty > 0, `${when}: depth must not list an empty level at ${lv.price}`).toBe(true);
          for (const o of orders) {
            resting.add(o.orderId);
            expect(o.status, `${when}: order ${o.orderId} in level ${lv.price} must be "resting"`).toBe("resting");
            expect(o.price, `${when}: order ${o.orderId} sits in level ${lv.price}`).toBe(lv.price);
          }
        }
      }
      const bb = this.eng.depth(s, BUY, 1)[0];
      const ba = this.eng.depth(s, SELL, 1)[0];
      if (bb && ba) {
        expect(bb.price < ba.price, `${when}: symbol ${s} book must never be left crossed: best bid ${bb.price}, best ask ${ba.price}`).toBe(true);
      }
    }
    for (const o of open) {
      if (o.status === "resting") {
        expect(resting.has(o.orderId), `${when}: resting order ${o.orderId} must appear in its L3 level`).toBe(true);
      } else {
        expect(resting.has(o.orderId), `${when}: ${o.status} order ${o.orderId} must be invisible in depth`).toBe(false);
      }
    }
    // The last LEVEL event written for a level describes that level after the command.
    const lastLevel = new Map<string, Extract<EngineEvent, { type: "level" }>>();
    for (const e of events) if (e.type === "level") lastLevel.set(`${e.symbol}/${e.side}/${e.price}`, e);
    for (const e of lastLevel.values()) {
      const lv = this.eng.depth(e.symbol, e.side, ALL_LEVELS).find((l) => l.price === e.price);
      const actual = lv ? { qty: lv.qty, count: lv.count } : { qty: 0, count: 0 };
      expect(actual, `${when}: the LEVEL event for symbol ${e.symbol} ${sideName(e.side)} ${e.price} must match depth after the command`).toEqual({
        qty: e.qty,
        count: e.count,
      });
    }
  }
}

/** A fresh engine over the default instruments (or the given ones). */
export function book(specs?: InstrumentSpec[]): Harness {
  return new Harness(specs);
}

// ---------------------------------------------------------------------------------------------
// Expected-event builders: partial events, matched with toMatchObject (fields not given are free).

type Partial2<T> = T extends unknown ? Partial<T> : never;
export type ExpectedEvent = Partial2<EngineEvent> & { type: EngineEvent["type"] };

export const ev = {
  accepted: (orderId: number, more: Partial<Extract<EngineEvent, { type: "accepted" }>> = {}): ExpectedEvent => ({ type: "accepted", orderId, ...more }),
  rejected: (reason: number, more: Partial<Extract<EngineEvent, { type: "rejected" }>> = {}): ExpectedEvent => ({ type: "rejected", reason, ...more }),
  trade: (
    takerOrderId: number,
    makerOrderId: number,
    qty: number,
    price: number,
    more: Partial<Extract<EngineEvent, { type: "trade" }>> = {},
  ): ExpectedEvent => ({ type: "trade", takerOrderId, makerOrderId, qty, price, ...more }),
  cancelled: (orderId: number, reason: number, more: Partial<Extract<EngineEvent, { type: "cancelled" }>> = {}): ExpectedEvent => ({
    type: "cancelled",
    orderId,
    reason,
    ...more,
  }),
  expired: (orderId: number, reason: number, more: Partial<Extract<EngineEvent, { type: "expired" }>> = {}): ExpectedEvent => ({
    type: "expired",
    orderId,
    reason,
    ...more,
  }),
  stopTriggered: (orderId: number, more: Partial<Extract<EngineEvent, { type: "stopTriggered" }>> = {}): ExpectedEvent => ({
    type: "stopTriggered",
    orderId,
    ...more,
  }),
  amended: (orderId: number, keptPriority: boolean, more: Partial<Extract<EngineEvent, { type: "amended" }>> = {}): ExpectedEvent => ({
    type: "amended",
    orderId,
    keptPriority,
    ...more,
  }),
  level: (side: number, price: number, qty: number, count: number, symbol?: number): ExpectedEvent =>
    symbol === undefined ? { type: "level", side, price, qty, count } : { type: "level", side, price, qty, count, symbol },
};

/** Asserts the exact event sequence (same length, same order); each expected event gives the fields that matter. */
export function expectEvents(actual: EngineEvent[], expected: ExpectedEvent[], what = "events"): void {
  expect(actual, `${what}\nexpected:\n${fmtEvents(expected)}\nactual:\n${fmtEvents(actual)}`).toMatchObject(expected);
}

/** Asserts one REJECTED event with the given reason and nothing else. */
export function expectRejected(actual: EngineEvent[], reason: number, what = "command"): void {
  expectEvents(actual, [ev.rejected(reason)], `${what} must be rejected ${reasonName(reason)} with exactly one REJECTED event`);
}

export function ofType<K extends EngineEvent["type"]>(events: EngineEvent[], type: K): Extract<EngineEvent, { type: K }>[] {
  return events.filter((e) => e.type === type) as Extract<EngineEvent, { type: K }>[];
}

/** The invariant of the contract: ordered = filled + leaves + cancelled. */
export function expectAccounted(o: OrderView | undefined, what = "order"): void {
  expect(o, `${what} must be open`).toBeDefined();
  expect(o!.qty, `${what} ${o!.orderId}: ordered must equal filled ${o!.filled} + leaves ${o!.leaves} + cancelled ${o!.cancelled}`).toBe(
    o!.filled + o!.leaves + o!.cancelled,
  );
}

// ---------------------------------------------------------------------------------------------
// Formatting for failure messages.

export function sideName(side: number): string {
  return side === BUY ? "bid" : side === SELL ? "ask" : `side(${side})`;
}

export function fmtEvent(e: Partial<EngineEvent> | Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(e)) {
    if (k === "type") continue;
    if (k === "reason" && typeof v === "number") parts.push(`reason=${reasonName(v)}`);
    else parts.push(`${k}=${v}`);
  }
  return `${String((e as { type?: string }).type ?? "?").toUpperCase()} ${parts.join(" ")}`;
}

export function fmtEvents(events: ReadonlyArray<Partial<EngineEvent> | Record<string, unknown>>): string {
  if (events.length === 0) return "  (no events)";
  return events.map((e, i) => `  ${i}: ${fmtEvent(e)}`).join("\n");
}

const COMMAND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(CommandType).map(([k, v]) => [v, k]));

function describeCommand(c: CommandInit): string {
  const name = COMMAND_NAMES[c.type] ?? `command ${c.type}`;
  return `${name} ${JSON.stringify({ ...c, type: undefined })}`;
}
