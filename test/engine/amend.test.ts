/**
 * docs/matching.md, "AMEND (cancel-replace)": qty is the new TOTAL order quantity; a resting limit
 * keeps its queue place only when the price is unchanged and the leaves do not grow; otherwise it
 * leaves its level and enters again as a taker. Pending stops keep priority only when stopPrice is
 * unchanged and the leaves do not grow.
 */
import { describe, expect, test } from "bun:test";
import { ALICE, BUY, POST_ONLY, Reason, SELL, STOP, STOP_LIMIT, StpMode, book, ev, expectAccounted, expectEvents, expectRejected, ofType } from "./helpers.ts";

describe("resting limit orders", () => {
  test("a size decrease keeps queue priority", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 5 });
    h.sell({ id: 2, price: 100, qty: 5 });
    const seq = h.open(1).entrySeq;
    expectEvents(h.amend(1, { qty: 3 }), [
      ev.amended(1, true, { side: SELL, price: 100, qty: 3, leaves: 3, oldPrice: 100, oldQty: 5 }),
      ev.level(SELL, 100, 8, 2),
    ]);
    expect(h.queue(SELL, 100), "order 1 is still first").toEqual([1, 2]);
    expect(h.open(1).entrySeq, "a kept place keeps its entry sequence").toBe(seq);
    expect(ofType(h.buy({ id: 3, price: 100, qty: 1 }), "trade")[0]?.makerOrderId, "the next buy fills order 1 first").toBe(1);
  });

  test("an amend to the same price and size keeps priority and writes no LEVEL", () => {
    const h = book();
    h.buy({ id: 1, price: 100, qty: 5 });
    h.buy({ id: 2, price: 100, qty: 5 });
    expectEvents(h.amend(1, { qty: 5, price: 100 }), [ev.amended(1, true, { qty: 5, leaves: 5 })], "nothing changed in the level");
    expect(h.queue(BUY, 100), "order 1 is still first").toEqual([1, 2]);
  });

  test("a size increase loses priority: the order leaves its level and joins the back", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 5 });
    h.sell({ id: 2, price: 100, qty: 5 });
    expectEvents(h.amend(1, { qty: 7 }), [
      ev.amended(1, false, { price: 100, qty: 7, leaves: 7, oldPrice: 100, oldQty: 5 }),
      ev.level(SELL, 100, 5, 1),
      ev.level(SELL, 100, 12, 2),
    ]);
    expect(h.queue(SELL, 100), "order 1 is now behind order 2").toEqual([2, 1]);
    expect(h.open(1).entrySeq > h.open(2).entrySeq, "order 1 took a new, later entry sequence").toBe(true);
  });

  test("a price change loses priority, even when the size shrinks", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 5 });
    h.sell({ id: 3, price: 101, qty: 2 });
    expectEvents(h.amend(1, { price: 101, qty: 3 }), [
      ev.amended(1, false, { price: 101, qty: 3, leaves: 3, oldPrice: 100, oldQty: 5 }),
      ev.level(SELL, 100, 0, 0),
      ev.level(SELL, 101, 5, 2),
    ]);
    expect(h.queue(SELL, 101), "order 1 joins the back of 101").toEqual([3, 1]);
  });

  test("an amend to a crossing price trades at once, at the resting order's price", () => {
    const h = book();
    h.buy({ id: 1, price: 99, qty: 5 });
    h.sell({ id: 2, price: 100, qty: 3 });
    expectEvents(h.amend(1, { price: 101 }), [
      ev.amended(1, false, { price: 101, qty: 5, leaves: 5, oldPrice: 99 }),
      ev.level(BUY, 99, 0, 0),
      ev.trade(1, 2, 3, 100, { takerLeaves: 2, makerLeaves: 0 }),
      ev.level(SELL, 100, 0, 0),
      ev.level(BUY, 101, 2, 1),
    ]);
    expect(h.open(1), "the amended order rests its remainder at the new price").toMatchObject({ price: 101, qty: 5, filled: 3, leaves: 2 });
  });

  test("qty is the new total: a partly filled order keeps what it filled", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 10 });
    h.buy({ id: 2, price: 100, qty: 4 });
    expectEvents(h.amend(1, { qty: 8 }), [ev.amended(1, true, { qty: 8, leaves: 4, oldQty: 10 }), ev.level(SELL, 100, 4, 1)], "10 ordered, 4 filled, amend to 8: 4 left");
    expect(h.open(1), "the view after the amend").toMatchObject({ qty: 8, filled: 4, leaves: 4, cancelled: 0 });
    expectAccounted(h.view(1), "the amended order");
    expectEvents(h.amend(1, { qty: 12 }), [ev.amended(1, false, { qty: 12, leaves: 8, oldQty: 8 }), ev.level(SELL, 100, 0, 0), ev.level(SELL, 100, 8, 1)], "amend to 12: leaves grow from 4 to 8");
    expectAccounted(h.view(1), "the amended order");
  });

  test("AMEND_BELOW_FILLED when the new total does not exceed what is filled", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 10 });
    h.buy({ id: 2, price: 100, qty: 4 });
    const before = h.state();
    expectRejected(h.amend(1, { qty: 4 }), Reason.AMEND_BELOW_FILLED, "amend to exactly the filled 4");
    expectRejected(h.amend(1, { qty: 3 }), Reason.AMEND_BELOW_FILLED, "amend to below the filled 4");
    h.expectUnchanged(before, "rejected amends");
    expectEvents(h.amend(1, { qty: 5 }), [ev.amended(1, true, { qty: 5, leaves: 1 }), ev.level(SELL, 100, 1, 1)], "amend to 5 leaves 1");
  });

  test("AMEND_BELOW_FILLED counts the self-trade-cancelled part too", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 5 });
    h.buy({ id: 2, account: ALICE, price: 100, qty: 3, stp: StpMode.DECREMENT_AND_CANCEL }); // order 1: 3 cancelled, 2 left
    expect(h.open(1), "order 1 after decrement-and-cancel").toMatchObject({ qty: 5, cancelled: 3, leaves: 2 });
    expectRejected(h.amend(1, { qty: 3 }), Reason.AMEND_BELOW_FILLED, "amend to 3 = cancelled 3");
    expectEvents(h.amend(1, { qty: 4 }), [ev.amended(1, true, { qty: 4, leaves: 1 }), ev.level(SELL, 100, 1, 1)], "amend to 4 leaves 1");
    expectAccounted(h.view(1), "the amended order");
  });

  test("a post-only amend to a crossing price is rejected POST_ONLY_WOULD_TAKE", () => {
    const h = book();
    h.buy({ id: 1, price: 99, qty: 2, flags: POST_ONLY });
    h.sell({ id: 2, price: 101, qty: 2 });
    const before = h.state();
    expectRejected(h.amend(1, { price: 101 }), Reason.POST_ONLY_WOULD_TAKE, "post-only bid amended to the ask");
    expectRejected(h.amend(1, { price: 102 }), Reason.POST_ONLY_WOULD_TAKE, "post-only bid amended above the ask");
    h.expectUnchanged(before, "rejected post-only amends");
    expectEvents(h.amend(1, { price: 100 }), [ev.amended(1, false, { price: 100 }), ev.level(BUY, 99, 0, 0), ev.level(BUY, 100, 2, 1)], "a non-crossing post-only amend");
  });

  test("stops triggered by an amend's trades are processed after it", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 101, qty: 1 });
    h.buy({ id: 2, price: 99, qty: 1 });
    h.sell({ id: 3, price: 101, qty: 1 });
    h.sell({ id: 4, price: 103, qty: 1 });
    expectEvents(h.amend(2, { price: 101 }), [
      ev.amended(2, false, { price: 101 }),
      ev.level(BUY, 99, 0, 0),
      ev.trade(2, 3, 1, 101, { takerLeaves: 0 }),
      ev.level(SELL, 101, 0, 0),
      ev.stopTriggered(1, { lastPrice: 101 }),
      ev.trade(1, 4, 1, 103),
      ev.level(SELL, 103, 0, 0),
    ]);
  });
});

describe("pending stops", () => {
  test("amending a pending stop writes AMENDED and nothing else", () => {
    const h = book();
    h.buy({ id: 1, type: STOP, stopPrice: 105, qty: 2 });
    expectEvents(h.amend(1, { stopPrice: 106, qty: 3 }), [ev.amended(1, false, { qty: 3, leaves: 3, oldQty: 2 })]);
    expect(h.open(1), "the stop's view after the amend").toMatchObject({ status: "stop", stopPrice: 106, qty: 3, leaves: 3 });
    expect(h.bids(), "still invisible in depth").toEqual([]);
  });

  test("a new stopPrice gives the stop a new entry sequence: it triggers after stops entered later", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 103, qty: 1 });
    h.buy({ id: 2, type: STOP, stopPrice: 103, qty: 1 });
    expectEvents(h.amend(1, { stopPrice: 102 }), [ev.amended(1, false)], "a stopPrice change loses priority");
    expect(h.open(1).entrySeq > h.open(2).entrySeq, "stop 1 now has a later entry sequence than stop 2").toBe(true);
    h.sell({ id: 3, price: 103, qty: 1 });
    h.sell({ id: 4, price: 104, qty: 5 });
    const events = h.buy({ id: 5, price: 103, qty: 1 });
    expect(ofType(events, "stopTriggered").map((e) => e.orderId), "stop 2, then the amended stop 1").toEqual([2, 1]);
  });

  test("a smaller size with the same stopPrice keeps the stop's priority", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 103, qty: 2 });
    h.buy({ id: 2, type: STOP, stopPrice: 103, qty: 1 });
    const seq = h.open(1).entrySeq;
    expectEvents(h.amend(1, { qty: 1 }), [ev.amended(1, true, { qty: 1, leaves: 1, oldQty: 2 })]);
    expect(h.open(1).entrySeq, "same entry sequence").toBe(seq);
    h.sell({ id: 3, price: 103, qty: 1 });
    h.sell({ id: 4, price: 104, qty: 5 });
    expect(ofType(h.buy({ id: 5, price: 103, qty: 1 }), "stopTriggered").map((e) => e.orderId), "stop 1 still triggers first").toEqual([1, 2]);
  });

  test("a larger size loses the stop's priority", () => {
    const h = book();
    h.buy({ id: 1, type: STOP, stopPrice: 103, qty: 1 });
    h.buy({ id: 2, type: STOP, stopPrice: 103, qty: 1 });
    expectEvents(h.amend(1, { qty: 2 }), [ev.amended(1, false, { qty: 2, leaves: 2 })]);
    expect(h.open(1).entrySeq > h.open(2).entrySeq, "stop 1 now has a later entry sequence than stop 2").toBe(true);
  });

  test("changing only a stop-limit's limit price keeps its priority", () => {
    const h = book();
    h.buy({ id: 1, type: STOP_LIMIT, price: 105, stopPrice: 103, qty: 1 });
    h.buy({ id: 2, type: STOP_LIMIT, price: 105, stopPrice: 103, qty: 1 });
    const seq = h.open(1).entrySeq;
    expectEvents(h.amend(1, { price: 106 }), [ev.amended(1, true, { price: 106, oldPrice: 105 })]);
    expect(h.open(1), "the new limit, same entry sequence").toMatchObject({ price: 106, stopPrice: 103, entrySeq: seq, status: "stop" });
  });

  test("amending a stop to a stopPrice the last trade already reached is rejected STOP_WOULD_TRIGGER", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 105, qty: 1 });
    h.sell({ id: 2, type: STOP, stopPrice: 95, qty: 1 });
    const before = h.state();
    expectRejected(h.amend(1, { stopPrice: 100 }), Reason.STOP_WOULD_TRIGGER, "buy stop amended to the last price");
    expectRejected(h.amend(2, { stopPrice: 101 }), Reason.STOP_WOULD_TRIGGER, "sell stop amended above the last price");
    h.expectUnchanged(before, "rejected stop amends");
  });
});
