/**
 * actors/delivered-events.ts: the one reader of a delivered batch. It walks exactly the batch's
 * range of a shared buffer, rewinds for a second pass, follows the buffer when it has grown between
 * batches, and a readDeliveries callback hands the Delivery's arguments through one reused reader.
 */
import { describe, expect, test } from "bun:test";
import { DeliveredEvents, readDeliveries } from "../../actors/delivered-events.ts";
import { Accepted, EventBuffer, EventType } from "../../engine/events.ts";

/** `n` ACCEPTED events with order ids first, first + 1, ... */
function accepted(buf: EventBuffer, first: number, n: number): void {
  for (let i = 0; i < n; i++) buf.write(EventType.ACCEPTED, 1, first + i, 7, 0, 100, 1, 1, 1, 0, 0, 0);
}

function ids(r: DeliveredEvents): number[] {
  const out: number[] = [];
  while (r.next()) out.push(Accepted.orderId(r.data, r.at));
  return out;
}

describe("DeliveredEvents", () => {
  test("reads exactly its range of a shared buffer, in order, and again after rewind", () => {
    const buf = new EventBuffer(4);
    accepted(buf, 1, 10);
    const r = new DeliveredEvents().set(42, 5, buf, 3, 7, 1_000);
    expect([r.seq, r.token, r.time, r.from, r.to, r.count]).toEqual([42, 5, 1_000, 3, 7, 4]);
    expect(ids(r)).toEqual([4, 5, 6, 7]);
    expect(r.next()).toBe(false);
    r.rewind();
    expect(r.next()).toBe(true);
    expect([r.type, r.symbol]).toEqual([EventType.ACCEPTED, 1]);
    expect(ids(new DeliveredEvents().set(1, 0, buf, 5, 5, 0))).toEqual([]);
  });

  test("follows the buffer's array when it grew since the last batch", () => {
    const buf = new EventBuffer(2);
    const r = new DeliveredEvents();
    accepted(buf, 1, 2);
    expect(ids(r.set(1, 0, buf, 0, 2, 0))).toEqual([1, 2]);
    buf.reset();
    accepted(buf, 10, 9); // grows past its first array
    expect(ids(r.set(2, 0, buf, 0, 9, 0))).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18]);
  });

  test("readDeliveries hands each Delivery through one reader", () => {
    const buf = new EventBuffer();
    accepted(buf, 1, 3);
    const seen: [number, number, number[]][] = [];
    const readers = new Set<DeliveredEvents>();
    const delivery = readDeliveries((r) => {
      readers.add(r);
      seen.push([r.seq, r.token, ids(r)]);
    });
    delivery(8, 3, buf, 0, 1, 10);
    delivery(9, 0, buf, 1, 3, 11);
    expect(seen).toEqual([
      [8, 3, [1]],
      [9, 0, [2, 3]],
    ]);
    expect(readers.size).toBe(1);
  });
});
