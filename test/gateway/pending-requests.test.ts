import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RequestKind, type OrderSession } from "../../gateway/order-entry/order-entry-types.ts";
import { PendingRequests } from "../../gateway/order-entry/pending-requests.ts";

const session = { id: 7, account: 3, cancelOnDisconnect: false } as OrderSession;

describe("PendingRequests", () => {
  test("takeAll hands back every waiting request, oldest token first, and leaves none waiting (the engine stopped)", () => {
    const table = new PendingRequests(4);
    // Enough to make the table grow, with a few removed on the way.
    for (let t = 1; t <= 20; t++) table.add(t, table.acquire(session, RequestKind.NEW_ORDER, t * 10, 1, 0, ""));
    for (const t of [3, 8, 15]) table.remove(t);
    const all = table.takeAll();
    expect(all.map((p) => p.requestId)).toEqual([1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20].map((t) => t * 10));
    expect(table.takeAll()).toEqual([]);
    expect(table.remove(20)).toBeUndefined();
  });

  test("every token added is removed once, with its own request, whatever order they come back in", () => {
    fc.assert(
      fc.property(
        // Each step: add the next token, or remove one of the live ones (by index), or look up a dead one.
        fc.array(fc.tuple(fc.constantFrom("add", "add", "remove", "stale"), fc.nat()), { maxLength: 400 }),
        fc.integer({ min: 1, max: 16 }),
        (steps, initial) => {
          const slots = 1 << Math.ceil(Math.log2(initial));
          const table = new PendingRequests(slots);
          const live = new Map<number, number>();
          const dead: number[] = [];
          let next = 1;
          for (const [op, n] of steps) {
            if (op === "add") {
              const p = table.acquire(session, RequestKind.NEW_ORDER, next * 10, 1, 0, `c${next}`);
              table.add(next, p);
              live.set(next, next * 10);
              next++;
            } else if (op === "remove" && live.size > 0) {
              const tokens = [...live.keys()];
              const t = tokens[n % tokens.length]!;
              const p = table.remove(t);
              expect(p?.requestId).toBe(live.get(t)!);
              expect(p?.clientOrderId).toBe(`c${t}`);
              live.delete(t);
              dead.push(t);
              table.release(p!);
            } else if (op === "stale" && dead.length > 0) {
              expect(table.remove(dead[n % dead.length]!)).toBeUndefined();
            }
          }
          for (const [t, id] of live) expect(table.remove(t)?.requestId).toBe(id);
          expect(table.remove(next)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a released request comes back cleared", () => {
    const table = new PendingRequests(4);
    const p = table.acquire(session, RequestKind.NEW_ORDER, 1, 2, 3, "abc");
    p.order = { symbol: 2, side: 0, orderType: 0, tif: 0, stp: 0, flags: 0, price: 100, stopPrice: 0, qty: 5, expireTime: 0, clientOrderId: "abc" };
    table.release(p);
    const q = table.acquire(session, RequestKind.CANCEL, 9, 1, 0, "x");
    expect(q).toBe(p);
    expect(q.order).toBeUndefined();
    expect(q.token).toBe(0);
    expect(q.kind).toBe(RequestKind.CANCEL);
    expect(q.clientOrderId).toBe("x");
  });
});
