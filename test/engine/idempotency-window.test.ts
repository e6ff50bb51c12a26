/**
 * The compact idempotency window answers exactly like the object index it replaced (kept here as
 * the model: a Map per account of whole orders and a FIFO of them), under random adds, closes and
 * evictions — many accounts, ids up to 36 characters that differ only in one place, all ids of an
 * account on one home slot (weakHash), growth from a tiny table, deletions, time that steps back —
 * and after a snapshot round trip at any point.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readWindow, writeWindow } from "../../engine/idempotency-snapshot.ts";
import { IdempotencyWindow } from "../../engine/idempotency-window.ts";
import { isDone, OmsOrder, OrderState } from "../../engine/orders.ts";

/** The index before it was made compact (engine/orders.ts IdempotencyIndex), as the reference. */
class ModelIndex {
  private readonly byAccount = new Map<number, Map<string, OmsOrder>>();
  private fifo: OmsOrder[] = [];
  private head = 0;
  constructor(readonly windowUs: number) {}
  get(account: number, id: string): OmsOrder | undefined {
    return this.byAccount.get(account)?.get(id);
  }
  add(o: OmsOrder): void {
    let m = this.byAccount.get(o.account);
    if (!m) this.byAccount.set(o.account, (m = new Map()));
    m.set(o.clientOrderId, o);
    this.fifo.push(o);
  }
  evict(now: number): void {
    const cutoff = now - this.windowUs;
    while (this.head < this.fifo.length && this.fifo[this.head]!.submitTime <= cutoff) {
      const o = this.fifo[this.head++]!;
      if (isDone(o.state)) this.remove(o);
    }
  }
  closed(o: OmsOrder, now: number): void {
    if (o.submitTime <= now - this.windowUs) this.remove(o);
  }
  /** Every order still indexed, in submission order (ties by order id): what a snapshot kept. */
  entries(): OmsOrder[] {
    const all: OmsOrder[] = [];
    for (const m of this.byAccount.values()) for (const o of m.values()) all.push(o);
    return all.sort((a, b) => a.submitTime - b.submitTime || a.orderId - b.orderId);
  }
  get size(): number {
    let n = 0;
    for (const m of this.byAccount.values()) n += m.size;
    return n;
  }
  private remove(o: OmsOrder): void {
    const m = this.byAccount.get(o.account);
    if (m?.get(o.clientOrderId) === o) m.delete(o.clientOrderId);
  }
}

const WINDOW = 20;
const ACCOUNTS = [1, 2, 7, 2 ** 32 + 1, 2 ** 40 + 7];
const BASE = "0123456789abcdefghijklmnopqrstuvwxyz";
/** Ids that share long prefixes and differ in one character; lengths 1 to 36. */
const IDS = [
  "a",
  "b",
  "A",
  "x1",
  BASE,
  BASE.slice(0, 35) + "Z",
  "Z" + BASE.slice(1),
  BASE.slice(0, 18),
  BASE.slice(0, 17),
  "~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}",
  "order-000001",
  "order-000002",
];

const op = fc.record({
  kind: fc.integer({ min: 0, max: 9 }),
  dt: fc.integer({ min: -4, max: 12 }),
  account: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }),
  id: fc.integer({ min: 0, max: IDS.length - 1 }),
  pick: fc.nat(),
  state: fc.constantFrom(OrderState.FILLED, OrderState.CANCELLED, OrderState.EXPIRED, OrderState.REJECTED),
  price: fc.integer({ min: 1, max: 2 ** 40 }),
  filled: fc.integer({ min: 0, max: 1000 }),
});
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** Both indexes answer (account, id) the same: absent, the same open order, or the same done answer. */
function expectSame(w: IdempotencyWindow, model: ModelIndex, open: Map<number, OmsOrder>, where: string): void {
  expect(w.size, `${where}: entries`).toBe(model.size);
  for (const account of ACCOUNTS) {
    for (const id of IDS) {
      const want = model.get(account, id);
      const row = w.find(account, id);
      if (!want) {
        expect(row, `${where}: ${account}/${id} should be absent`).toBe(-1);
        continue;
      }
      expect(row, `${where}: ${account}/${id} should be order ${want.orderId}`).toBeGreaterThanOrEqual(0);
      expect(w.orderIdAt(row), `${where}: ${account}/${id} order id`).toBe(want.orderId);
      expect(w.isOpen(row), `${where}: ${account}/${id} open`).toBe(!isDone(want.state));
      if (w.isOpen(row)) expect(open.get(want.orderId)).toBe(want);
      else {
        const got = { symbol: w.symbolAt(row), side: w.sideAt(row), price: w.priceAt(row), filled: w.filledAt(row), state: w.stateAt(row) };
        expect(got, `${where}: ${account}/${id} done answer`).toEqual({ symbol: want.symbol, side: want.side, price: want.price, filled: want.filled, state: want.state });
        expect(w.remembered(row).clientOrderId).toBe(id);
      }
    }
  }
}

function run(ops: Op[], options: { rows: number; weakHash: boolean; roundTripAt: number }): void {
  let w = new IdempotencyWindow(WINDOW, { rows: options.rows, weakHash: options.weakHash });
  let model = new ModelIndex(WINDOW);
  const open = new Map<number, OmsOrder>();
  let now = 1_000;
  let nextId = 1;
  ops.forEach((s, i) => {
    now += s.dt;
    w.evict(now);
    model.evict(now);
    const account = ACCOUNTS[s.account]!;
    if (s.kind < 5) {
      const id = IDS[s.id]!;
      // The exchange adds only a key that is not present (else the order is a DUPLICATE).
      if (!model.get(account, id)) {
        const o = new OmsOrder(nextId++, account, s.id % 3, s.pick % 2, 0, 0, id, now, 0, 0);
        o.state = OrderState.NEW;
        o.leaves = 5;
        open.set(o.orderId, o);
        w.add(o);
        model.add(o);
      }
    } else if (s.kind < 9 && open.size > 0) {
      const o = [...open.values()][s.pick % open.size]!;
      o.state = s.state;
      o.price = s.price;
      o.filled = s.filled;
      o.leaves = 0;
      open.delete(o.orderId);
      w.closed(o, now);
      model.closed(o, now);
    }
    if (i === options.roundTripAt) {
      const restored = new IdempotencyWindow(WINDOW, { rows: 4, weakHash: options.weakHash });
      readWindow(JSON.parse(JSON.stringify(writeWindow(w))), restored, open);
      // Canonical: the restored window writes the same columns as the one it came from.
      expect(writeWindow(restored)).toEqual(writeWindow(w));
      w = restored;
      // The object index restored the same way: every entry re-added in submission order.
      const again = new ModelIndex(WINDOW);
      for (const o of model.entries()) again.add(o);
      model = again;
    }
    expectSame(w, model, open, `step ${i} (t=${now})`);
  });
}

describe("the compact idempotency window", () => {
  test("answers exactly like the object index under random adds, closes and evictions", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 300 }), fc.constantFrom(4, 16, 1024), fc.boolean(), fc.nat(300), (ops, rows, weakHash, roundTripAt) => {
        run(ops, { rows, weakHash, roundTripAt });
      }),
      { numRuns: 300 },
    );
  });

  test("holds many entries through growth and arena compaction, and forgets them all past the window", () => {
    const w = new IdempotencyWindow(1_000, { rows: 4 });
    const orders: OmsOrder[] = [];
    for (let i = 0; i < 50_000; i++) {
      const o = new OmsOrder(i + 1, 1 + (i % 97), 1, 0, 0, 0, `client-${i.toString(36).padStart(10, "0")}-${"x".repeat(i % 20)}`, i, 0, 0);
      o.state = OrderState.NEW;
      w.evict(i);
      w.add(o);
      orders.push(o);
      // Most orders are done at once (IOC); every tenth rests until a while later.
      if (i % 10 !== 0) {
        o.state = OrderState.FILLED;
        w.closed(o, i);
      }
    }
    for (const o of orders.slice(-1_000)) expect(w.orderIdAt(w.find(o.account, o.clientOrderId))).toBe(o.orderId);
    expect(w.find(orders[0]!.account, orders[0]!.clientOrderId)).toBeGreaterThanOrEqual(0); // open: kept past its window
    for (const o of orders) {
      if (o.state !== OrderState.NEW) continue;
      o.state = OrderState.CANCELLED;
      w.closed(o, 60_000);
    }
    w.evict(60_000);
    expect(w.size).toBe(0);
    expect(w.live).toBe(0);
  });

  test("a window that filled stays the same size in steady state", () => {
    const w = new IdempotencyWindow(10_000, { rows: 16 });
    let footprintAtFull = 0;
    for (let i = 0; i < 200_000; i++) {
      const o = new OmsOrder(i + 1, 1, 1, 0, 0, 0, `c-${String(i).padStart(8, "0")}`, i, 0, 0);
      w.evict(i);
      o.state = OrderState.NEW;
      w.add(o);
      o.state = OrderState.FILLED;
      w.closed(o, i);
      if (i === 50_000) footprintAtFull = w.footprint;
    }
    expect(w.size).toBe(10_000);
    expect(w.footprint).toBeLessThanOrEqual(footprintAtFull);
  });
});
