/**
 * Routed orders in the engine (docs/venues.md): the lifecycle a venue's answers drive, the fills
 * refused as breaks, PENDING_UNKNOWN when the link drops, and — as a property over random venue
 * behaviour, honest and not — money conserved, reservations exact, every transition legal, and a
 * snapshot taken anywhere continuing identically.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { CommandType, makeCommand, type CommandInit, OrderType, Side, TimeInForce, VenueDone } from "../../engine/commands.ts";
import { decodeEvents, type EngineEvent, EventBuffer, RouteKind } from "../../engine/events.ts";
import { Exchange } from "../../engine/exchange.ts";
import { readExchangeSnapshot, writeExchangeSnapshot } from "../../engine/exchange-snapshot.ts";
import { isLegal, OrderState } from "../../engine/orders.ts";
import { Reason } from "../../engine/reasons.ts";
import { ALICE, BOB, CURRENCIES, defaultConfig, FEE_ACCOUNT, fee, INSTRUMENTS, need, T0, TIER, TIERS, USD } from "./exchange-fixture.ts";

/** RTD: routed to venue V, whose street account is 9; quoted in USD, tick 0.01, lot 1 (K = 1). */
const RTD = 3;
const STREET = 9;
const config = () =>
  defaultConfig({
    currencies: CURRENCIES,
    tiers: TIERS,
    instruments: [...INSTRUMENTS, { id: RTD, symbol: "RTD", tickSize: "0.01", lotSize: "1", bandBps: 500, referencePrice: 10_000, base: "RTD", quote: "USD", venue: "V", venueAccount: STREET }],
  });

class World {
  ex = new Exchange(config());
  out = new EventBuffer(8);
  time = T0;
  nextId = 1;
  deposited = 0n;

  constructor() {
    for (const a of [ALICE, BOB, STREET]) this.run({ type: CommandType.OPEN_ACCOUNT, account: a, tier: TIER });
    for (const a of [ALICE, BOB]) this.deposit(a, 10_000_000n);
    this.run({ type: CommandType.DEPOSIT_POSITION, account: BOB, symbol: RTD, qty: 1000, price: 10_000 });
  }

  deposit(account: number, amount: bigint): void {
    this.run({ type: CommandType.DEPOSIT, account, currency: USD, amount });
    this.deposited += amount;
  }

  run(init: CommandInit): EngineEvent[] {
    const cmd = makeCommand({ time: ++this.time, ...init });
    if (cmd.type === CommandType.NEW_ORDER && cmd.orderId === 0) cmd.orderId = 1_000 + this.nextId++;
    this.out.reset();
    this.ex.execute(cmd, this.out);
    return decodeEvents(this.out);
  }

  up(on = true): EngineEvent[] {
    return this.run({ type: CommandType.VENUE_STATUS, account: STREET, tier: on ? 1 : 0 });
  }

  order(account: number, side: number, price: number, qty: number, orderType: number = OrderType.LIMIT): { id: number; events: EngineEvent[] } {
    const id = 1_000 + this.nextId++;
    const events = this.run({ type: CommandType.NEW_ORDER, orderId: id, account, symbol: RTD, side, orderType, tif: TimeInForce.GTC, price, qty });
    return { id, events };
  }

  /** A venue command; an ack's or done's CumQty is what has settled unless given. */
  venue(type: number, orderId: number, over: Partial<CommandInit> = {}): EngineEvent[] {
    return this.run({ type, account: STREET, orderId, symbol: RTD, qty: this.ex.open.get(orderId)?.filled ?? 0, ...over });
  }

  fill(orderId: number, execId: string, qty: number, price: number): EngineEvent[] {
    return this.venue(CommandType.VENUE_FILL, orderId, { destination: execId, qty, price });
  }

  cash(account: number) {
    return this.ex.ledger.accounts.get(account)!.cashOf(USD);
  }

  /** Σ balances over every account equals what was deposited; reservations equal need(limit, leaves) of open buys. */
  checkMoney(): void {
    let total = 0n;
    for (const a of this.ex.ledger.accounts.values()) total += a.cashOf(USD).balance;
    expect(total).toBe(this.deposited);
    let lots = 0;
    for (const a of this.ex.ledger.accounts.values()) lots += a.positionOf(RTD).qty;
    expect(lots).toBe(1000);
    const reserved = new Map<number, bigint>();
    for (const o of this.ex.open.values()) {
      expect(o.leaves).toBeGreaterThan(0);
      expect(o.filled + o.leaves + o.cancelled).toBe(o.qty);
      if (o.side === Side.BUY) reserved.set(o.account, (reserved.get(o.account) ?? 0n) + need(o.price, o.leaves, 1n, 20));
    }
    for (const a of [ALICE, BOB]) expect(this.cash(a).reserved).toBe(reserved.get(a) ?? 0n);
  }
}

const types = (events: EngineEvent[]) => events.map((e) => e.type);
const stateChanges = (events: EngineEvent[]) => events.flatMap((e) => (e.type === "orderState" ? [[e.from, e.to, e.reason]] : []));

describe("a routed order", () => {
  test("is refused while its venue is not connected, with a reason that says so", () => {
    const w = new World();
    const { events } = w.order(ALICE, Side.BUY, 10_000, 5);
    expect(events).toEqual([expect.objectContaining({ type: "rejected", reason: Reason.VENUE_UNAVAILABLE })]);
    // Local instruments trade meanwhile.
    const local = w.run({ type: CommandType.NEW_ORDER, orderId: 5, account: ALICE, symbol: 1, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.GTC, price: 10_000, qty: 1 });
    expect(types(local)).toContain("accepted");
  });

  test("a venue's status shows on every routed instrument", () => {
    const w = new World();
    expect(w.up(false)).toEqual([expect.objectContaining({ type: "status", symbol: RTD, state: 2, reason: Reason.VENUE_UNAVAILABLE })]);
    expect(w.up()).toEqual([expect.objectContaining({ type: "status", symbol: RTD, state: 0, reason: Reason.OK })]);
  });

  test("a venue whose CumQty differs from what settled here has fills missing: its ack or done is refused, nothing changes", () => {
    const w = new World();
    w.up();
    const { id } = w.order(ALICE, Side.BUY, 10_000, 5);
    w.fill(id, "E1", 1, 10_000);
    expect(w.venue(CommandType.VENUE_DONE, id, { qty: 3, flags: VenueDone.CANCELLED })).toEqual([expect.objectContaining({ type: "rejected", reason: Reason.VENUE_STATUS_UNKNOWN })]);
    expect(w.ex.open.get(id)!.leaves).toBe(4);
    w.fill(id, "E2", 2, 10_000);
    expect(types(w.venue(CommandType.VENUE_DONE, id, { qty: 3, flags: VenueDone.CANCELLED }))).toEqual(["cancelled", "orderState"]);
  });

  test("reserves like a local one, waits PENDING for the venue, and settles the venue's fills against the street account", () => {
    const w = new World();
    w.up();
    const { id, events } = w.order(ALICE, Side.BUY, 10_000, 5);
    expect(types(events)).toEqual(["orderState", "route"]);
    expect(events[1]).toMatchObject({ kind: RouteKind.NEW, orderId: id, price: 10_000, qty: 5, venueAccount: STREET });
    expect(w.cash(ALICE).reserved).toBe(need(10_000, 5, 1n, 20));
    expect(w.ex.book.priceOf(id)).toBe(-1); // never in the local book

    expect(stateChanges(w.venue(CommandType.VENUE_ACK, id))).toEqual([[OrderState.PENDING, OrderState.NEW, Reason.OK]]);
    // Filled at 99.00, better than the limit: the buyer pays that, and the taker fee.
    const fill = w.fill(id, "E1", 2, 9_900);
    expect(fill[0]).toMatchObject({ type: "trade", takerOrderId: id, takerAccount: ALICE, makerOrderId: 0, makerAccount: STREET, price: 9_900, qty: 2, takerLeaves: 3 });
    expect(w.cash(ALICE).balance).toBe(10_000_000n - 19_800n - fee(19_800n, 20));
    expect(w.cash(STREET).balance).toBe(19_800n);
    expect(w.ex.ledger.accounts.get(STREET)!.positionOf(RTD).qty).toBe(-2);
    expect(w.cash(FEE_ACCOUNT).balance).toBe(fee(19_800n, 20));
    w.checkMoney();
    const rest = w.fill(id, "E2", 3, 10_000);
    expect(stateChanges(rest)).toEqual([[OrderState.PARTIALLY_FILLED, OrderState.FILLED, Reason.OK]]);
    expect(w.ex.open.has(id)).toBe(false);
    expect(w.cash(ALICE).reserved).toBe(0n);
    w.checkMoney();
  });

  test("a cancel is asked of the venue; its answer ends the order and frees the reservation", () => {
    const w = new World();
    w.up();
    const { id } = w.order(ALICE, Side.BUY, 10_000, 5);
    w.venue(CommandType.VENUE_ACK, id);
    const asked = w.run({ type: CommandType.CANCEL, orderId: id, account: ALICE, symbol: RTD });
    expect(asked).toEqual([expect.objectContaining({ type: "route", kind: RouteKind.CANCEL, orderId: id })]);
    expect(w.cash(ALICE).reserved).toBe(need(10_000, 5, 1n, 20));
    const done = w.venue(CommandType.VENUE_DONE, id, { flags: VenueDone.CANCELLED, tier: Reason.USER_CANCEL });
    expect(types(done)).toEqual(["cancelled", "orderState"]);
    expect(stateChanges(done)).toEqual([[OrderState.NEW, OrderState.CANCELLED, Reason.USER_CANCEL]]);
    expect(w.cash(ALICE).reserved).toBe(0n);
    w.checkMoney();
  });

  test("an amend is refused: cancel and place again", () => {
    const w = new World();
    w.up();
    const { id } = w.order(ALICE, Side.BUY, 10_000, 5);
    const r = w.run({ type: CommandType.AMEND, orderId: id, account: ALICE, symbol: RTD, price: 10_000, qty: 3 });
    expect(r).toEqual([expect.objectContaining({ type: "rejected", reason: Reason.ROUTED_AMEND_UNSUPPORTED })]);
  });

  test("a venue reject of an order it never accepted ends it REJECTED", () => {
    const w = new World();
    w.up();
    const { id } = w.order(BOB, Side.SELL, 10_000, 5);
    expect(stateChanges(w.venue(CommandType.VENUE_DONE, id, { flags: VenueDone.REJECTED }))).toEqual([[OrderState.PENDING, OrderState.REJECTED, Reason.VENUE_REJECTED]]);
    expect(w.ex.ledger.accounts.get(BOB)!.positionOf(RTD).openSells).toBe(0);
  });
});

describe("the link drops", () => {
  test("an order sent and unanswered goes PENDING_UNKNOWN, and the venue's answer resolves it", () => {
    const w = new World();
    w.up();
    const sent = w.order(ALICE, Side.BUY, 10_000, 5).id;
    const acked = w.order(ALICE, Side.BUY, 10_000, 1).id;
    w.venue(CommandType.VENUE_ACK, acked);
    const cancelling = w.order(ALICE, Side.BUY, 10_000, 1).id;
    w.venue(CommandType.VENUE_ACK, cancelling);
    w.run({ type: CommandType.CANCEL, orderId: cancelling, account: ALICE, symbol: RTD });
    const down = w.up(false);
    expect(down.filter((e) => e.type === "orderState")).toEqual([
      expect.objectContaining({ orderId: sent, from: OrderState.PENDING, to: OrderState.PENDING_UNKNOWN, reason: Reason.VENUE_STATUS_UNKNOWN }),
      expect.objectContaining({ orderId: cancelling, from: OrderState.NEW, to: OrderState.PENDING_UNKNOWN }),
    ]);
    // Nothing is released while unknown: the venue may have filled it.
    expect(w.cash(ALICE).reserved).toBe(need(10_000, 7, 1n, 20));
    // Cancels cannot be sent meanwhile.
    expect(w.run({ type: CommandType.CANCEL, orderId: acked, account: ALICE, symbol: RTD })).toEqual([expect.objectContaining({ type: "rejected", reason: Reason.VENUE_UNAVAILABLE })]);
    // Up again: the venue is asked about every open order routed to it.
    expect(w.up().filter((e) => e.type === "route")).toEqual([sent, acked, cancelling].map((orderId) => expect.objectContaining({ kind: RouteKind.QUERY, orderId })));
    // The status answers: the first was filled in part (its fill resent), the other's cancel took.
    const f = w.fill(sent, "X1", 2, 10_000);
    expect(stateChanges(f)).toEqual([
      [OrderState.PENDING_UNKNOWN, OrderState.NEW, Reason.OK],
      [OrderState.NEW, OrderState.PARTIALLY_FILLED, Reason.OK],
    ]);
    expect(stateChanges(w.venue(CommandType.VENUE_DONE, cancelling, { flags: VenueDone.CANCELLED, tier: Reason.USER_CANCEL }))).toEqual([[OrderState.PENDING_UNKNOWN, OrderState.CANCELLED, Reason.USER_CANCEL]]);
    w.checkMoney();
  });
});

describe("a misbehaving venue's fill is a break: refused, the account untouched", () => {
  const setup = () => {
    const w = new World();
    w.up();
    const { id } = w.order(ALICE, Side.BUY, 10_000, 5);
    w.venue(CommandType.VENUE_ACK, id);
    w.fill(id, "E1", 2, 10_000);
    return { w, id, before: w.cash(ALICE).balance };
  };
  const cases: [string, (w: World, id: number) => EngineEvent[], number][] = [
    ["an order we do not know", (w) => w.fill(77_777, "Z1", 1, 10_000), Reason.VENUE_UNKNOWN_ORDER],
    ["a duplicate ExecID", (w, id) => w.fill(id, "E1", 2, 10_000), Reason.VENUE_DUPLICATE_EXEC],
    ["an over-fill", (w, id) => w.fill(id, "E9", 4, 10_000), Reason.VENUE_OVERFILL],
    ["a price outside the limit", (w, id) => w.fill(id, "E9", 1, 10_001), Reason.VENUE_PRICE_OUTSIDE_LIMIT],
  ];
  for (const [what, act, reason] of cases) {
    test(what, () => {
      const { w, id, before } = setup();
      expect(act(w, id)).toEqual([expect.objectContaining({ type: "rejected", reason, commandType: CommandType.VENUE_FILL })]);
      expect(w.cash(ALICE).balance).toBe(before);
      expect(w.ex.open.get(id)!.filled).toBe(2);
      w.checkMoney();
    });
  }

  test("a fill repeated after the order is done is still a duplicate, and a further one an over-fill", () => {
    const { w, id } = setup();
    w.fill(id, "E2", 3, 10_000);
    expect(w.fill(id, "E2", 3, 10_000)[0]).toMatchObject({ reason: Reason.VENUE_DUPLICATE_EXEC });
    expect(w.fill(id, "E3", 1, 10_000)[0]).toMatchObject({ reason: Reason.VENUE_OVERFILL });
  });

  test("a sell's fill below its limit", () => {
    const w = new World();
    w.up();
    const { id } = w.order(BOB, Side.SELL, 10_000, 5);
    expect(w.fill(id, "S1", 1, 9_999)[0]).toMatchObject({ reason: Reason.VENUE_PRICE_OUTSIDE_LIMIT });
    expect(w.fill(id, "S1", 1, 10_000)[0]).toMatchObject({ type: "accepted" });
  });
});

describe("property: any venue behaviour", () => {
  const step = fc.oneof(
    fc.record({ k: fc.constant("order" as const), account: fc.constantFrom(ALICE, BOB), side: fc.constantFrom(Side.BUY, Side.SELL), price: fc.integer({ min: 9_800, max: 10_200 }), qty: fc.integer({ min: 1, max: 20 }), market: fc.boolean() }),
    fc.record({ k: fc.constant("cancel" as const), pick: fc.nat() }),
    fc.record({ k: fc.constant("ack" as const), pick: fc.nat() }),
    fc.record({ k: fc.constant("fill" as const), pick: fc.nat(), qty: fc.integer({ min: 0, max: 25 }), price: fc.integer({ min: 9_000, max: 11_000 }), exec: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ k: fc.constant("done" as const), pick: fc.nat(), how: fc.constantFrom(VenueDone.CANCELLED, VenueDone.EXPIRED, VenueDone.REJECTED) }),
    fc.record({ k: fc.constant("link" as const), up: fc.boolean() }),
    fc.record({ k: fc.constant("snapshot" as const) }),
  );

  test("money is conserved, reservations exact, transitions legal, refused fills change nothing, and a snapshot continues identically", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), (steps) => {
        const w = new World();
        w.up();
        const ids: number[] = [];
        const last = new Map<number, number>();
        const pick = (n: number) => ids[n % Math.max(1, ids.length)] ?? 0;
        for (const s of steps) {
          let events: EngineEvent[] = [];
          const balances = () => [ALICE, BOB, STREET, FEE_ACCOUNT].map((a) => w.cash(a).balance);
          const before = balances();
          switch (s.k) {
            case "order": {
              const o = w.order(s.account, s.side, s.market ? 0 : s.price, s.qty, s.market ? OrderType.MARKET : OrderType.LIMIT);
              if (o.events.some((e) => e.type === "route")) ids.push(o.id);
              events = o.events;
              break;
            }
            case "cancel": {
              const id = pick(s.pick);
              const o = w.ex.open.get(id);
              events = w.run({ type: CommandType.CANCEL, orderId: id, account: o?.account ?? ALICE, symbol: RTD });
              break;
            }
            case "ack":
              events = w.venue(CommandType.VENUE_ACK, pick(s.pick));
              break;
            case "fill":
              events = w.fill(pick(s.pick), `E${s.exec}`, s.qty, s.price);
              break;
            case "done":
              events = w.venue(CommandType.VENUE_DONE, pick(s.pick), { flags: s.how });
              break;
            case "link":
              events = w.up(s.up);
              break;
            case "snapshot": {
              const copy = readExchangeSnapshot(writeExchangeSnapshot(w.ex));
              expect(writeExchangeSnapshot(copy)).toEqual(writeExchangeSnapshot(w.ex));
              w.ex = copy;
              break;
            }
          }
          if (events.length === 1 && events[0]!.type === "rejected") expect(balances()).toEqual(before);
          for (const e of events) {
            if (e.type !== "orderState") continue;
            expect(isLegal(last.get(e.orderId) ?? OrderState.NONE, e.to)).toBe(true);
            expect(e.from).toBe(last.get(e.orderId) ?? OrderState.NONE);
            last.set(e.orderId, e.to);
          }
          w.checkMoney();
        }
      }),
      { numRuns: 150 },
    );
  });
});
