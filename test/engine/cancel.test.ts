/**
 * docs/matching.md, "CANCEL" and "MASS_CANCEL".
 */
import { describe, expect, test } from "bun:test";
import { ALICE, ALL_SYMBOLS, BOB, BUY, Reason, SELL, STOP, SYM, SYM2, book, ev, expectEvents, expectRejected, ofType } from "./helpers.ts";

describe("CANCEL", () => {
  test("cancel removes a resting order: CANCELLED (qty = leaves, USER_CANCEL) then LEVEL", () => {
    const h = book();
    h.buy({ id: 1, account: ALICE, price: 100, qty: 5 });
    h.buy({ id: 2, account: BOB, price: 100, qty: 2 });
    expectEvents(h.cancel(1), [
      { type: "cancelled", symbol: SYM, orderId: 1, account: ALICE, side: BUY, price: 100, qty: 5, leaves: 0, reason: Reason.USER_CANCEL },
      ev.level(BUY, 100, 2, 1),
    ]);
    expect(h.view(1), "a cancelled order is not open").toBeUndefined();
    expect(h.queue(BUY, 100), "Bob's order is left").toEqual([2]);
  });

  test("cancelling a partly filled order cancels only its leaves", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 5 });
    h.buy({ id: 2, price: 100, qty: 2 });
    expectEvents(h.cancel(1), [ev.cancelled(1, Reason.USER_CANCEL, { qty: 3, leaves: 0 }), ev.level(SELL, 100, 0, 0)]);
  });

  test("cancelling from the middle of a level keeps the others' order", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 1 });
    h.sell({ id: 2, price: 100, qty: 1 });
    h.sell({ id: 3, price: 100, qty: 1 });
    h.cancel(2);
    expect(h.queue(SELL, 100), "1 then 3").toEqual([1, 3]);
  });

  test("cancelling a pending stop writes CANCELLED and no LEVEL", () => {
    const h = book();
    h.sell({ id: 1, type: STOP, stopPrice: 90, qty: 4 });
    expectEvents(h.cancel(1), [ev.cancelled(1, Reason.USER_CANCEL, { qty: 4, leaves: 0 })]);
  });

  test("a cancel by another account is UNKNOWN_ORDER and the order stays", () => {
    const h = book();
    h.buy({ id: 1, account: ALICE, price: 100, qty: 5 });
    const before = h.state();
    expectRejected(h.cancel(1, { account: BOB }), Reason.UNKNOWN_ORDER, "Bob cancelling Alice's order");
    h.expectUnchanged(before, "a cancel by the wrong account");
  });

  test("a cancel naming the wrong symbol is UNKNOWN_ORDER", () => {
    const h = book();
    h.buy({ id: 1, account: ALICE, price: 100, qty: 5 });
    const before = h.state();
    expectRejected(h.cancel(1, { symbol: SYM2 }), Reason.UNKNOWN_ORDER, "order 1 is on symbol 1, not 2");
    h.expectUnchanged(before, "a cancel with the wrong symbol");
  });

  test("cancelling an order that is filled or already cancelled is UNKNOWN_ORDER", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 1 });
    h.buy({ id: 2, price: 100, qty: 1 });
    expectRejected(h.cancel(1), Reason.UNKNOWN_ORDER, "cancel of a filled order");
    h.buy({ id: 3, price: 99, qty: 1 });
    h.cancel(3);
    expectRejected(h.cancel(3), Reason.UNKNOWN_ORDER, "a second cancel");
  });
});

describe("ids of orders that left the book", () => {
  test("a reused id starts as a fresh order", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 5 });
    h.buy({ id: 2, price: 100, qty: 2 });
    h.cancel(1);
    expect(h.sell({ id: 1, price: 105, qty: 4 })[0], "id 1 is free again").toMatchObject(ev.accepted(1));
    expect(h.open(1), "the new order 1 carries nothing of the old one").toMatchObject({ price: 105, qty: 4, leaves: 4, filled: 0, cancelled: 0 });
  });

  test("a cancelled stop whose id is reused does not trigger", () => {
    const h = book();
    h.printTrade(100);
    h.buy({ id: 1, type: STOP, stopPrice: 101, qty: 1 });
    h.cancel(1);
    h.buy({ id: 1, price: 90, qty: 1 });
    expect(ofType(h.printTrade(101), "stopTriggered"), "no stop is pending any more").toEqual([]);
    expect(h.open(1), "the new order 1 is a resting bid").toMatchObject({ status: "resting", price: 90 });
  });
});

describe("MASS_CANCEL", () => {
  test("cancels every open order of the account on the symbol, resting and stops, in ascending order id", () => {
    const h = book();
    h.buy({ id: 5, account: ALICE, price: 99, qty: 1 });
    h.sell({ id: 2, account: ALICE, price: 101, qty: 2 });
    h.buy({ id: 7, account: ALICE, type: STOP, stopPrice: 110, qty: 3 });
    h.buy({ id: 3, account: ALICE, symbol: SYM2, price: 50, qty: 1 });
    h.buy({ id: 4, account: BOB, price: 99, qty: 1 });
    expectEvents(h.massCancel(ALICE, SYM), [
      ev.cancelled(2, Reason.MASS_CANCEL, { qty: 2, leaves: 0, account: ALICE }),
      ev.level(SELL, 101, 0, 0),
      ev.cancelled(5, Reason.MASS_CANCEL, { qty: 1, leaves: 0 }),
      ev.level(BUY, 99, 1, 1),
      ev.cancelled(7, Reason.MASS_CANCEL, { qty: 3, leaves: 0 }),
    ]);
    expect(h.eng.openOrders().map((o) => o.orderId).sort((a, b) => a - b), "Alice's order on symbol 2 and Bob's order stay").toEqual([3, 4]);
  });

  test("ALL_SYMBOLS cancels the account's orders on every symbol, in ascending order id", () => {
    const h = book();
    h.buy({ id: 4, account: ALICE, price: 99, qty: 1 });
    h.buy({ id: 2, account: ALICE, symbol: SYM2, price: 50, qty: 1 });
    h.buy({ id: 6, account: ALICE, price: 98, qty: 1 });
    h.buy({ id: 3, account: BOB, price: 98, qty: 1 });
    expectEvents(h.massCancel(ALICE, ALL_SYMBOLS), [
      ev.cancelled(2, Reason.MASS_CANCEL, { symbol: SYM2 }),
      ev.level(BUY, 50, 0, 0, SYM2),
      ev.cancelled(4, Reason.MASS_CANCEL, { symbol: SYM }),
      ev.level(BUY, 99, 0, 0, SYM),
      ev.cancelled(6, Reason.MASS_CANCEL, { symbol: SYM }),
      ev.level(BUY, 98, 1, 1, SYM),
    ]);
    expect(h.eng.openOrders().map((o) => o.orderId), "only Bob's order stays").toEqual([3]);
  });

  test("no open orders: no events", () => {
    const h = book();
    h.buy({ id: 1, account: BOB, price: 99, qty: 1 });
    expectEvents(h.massCancel(ALICE, SYM), [], "Alice has nothing open");
    expectEvents(h.massCancel(ALICE, ALL_SYMBOLS), [], "Alice has nothing open anywhere");
  });

  test("a mass cancel for an unknown symbol is rejected UNKNOWN_SYMBOL", () => {
    const h = book();
    h.buy({ id: 1, account: ALICE, price: 99, qty: 1 });
    const before = h.state();
    expectRejected(h.massCancel(ALICE, 99), Reason.UNKNOWN_SYMBOL, "mass cancel on symbol 99");
    h.expectUnchanged(before, "a rejected mass cancel");
  });
});
