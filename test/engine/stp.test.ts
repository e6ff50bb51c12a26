/**
 * docs/matching.md, "The taker" — self-trade prevention. The taker's mode applies when the maker
 * is of the same account: CANCEL_NEWEST, CANCEL_OLDEST, CANCEL_BOTH, DECREMENT_AND_CANCEL; NONE
 * lets the orders trade.
 */
import { describe, expect, test } from "bun:test";
import { ALICE, BOB, BUY, CAROL, FOK, IOC, MARKET, Reason, SELL, StpMode, book, ev, expectAccounted, expectEvents, ofType } from "./helpers.ts";

const { CANCEL_NEWEST, CANCEL_OLDEST, CANCEL_BOTH, DECREMENT_AND_CANCEL, NONE } = StpMode;

describe("NONE", () => {
  test("with stp NONE an order trades against its own account", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 2 });
    expectEvents(h.buy({ id: 2, account: ALICE, price: 100, qty: 2, stp: NONE }), [
      ev.accepted(2),
      ev.trade(2, 1, 2, 100, { takerAccount: ALICE, makerAccount: ALICE }),
      ev.level(SELL, 100, 0, 0),
    ]);
  });
});

describe("only the same account is prevented", () => {
  test("orders of other accounts trade normally under every mode", () => {
    for (const stp of [CANCEL_NEWEST, CANCEL_OLDEST, CANCEL_BOTH, DECREMENT_AND_CANCEL]) {
      const h = book();
      h.sell({ id: 1, account: BOB, price: 100, qty: 2 });
      expect(ofType(h.buy({ id: 2, account: ALICE, price: 100, qty: 2, stp }), "trade"), `stp mode ${stp}, different accounts`).toMatchObject([
        { makerOrderId: 1, qty: 2 },
      ]);
    }
  });

  test("the taker's mode applies, not the maker's", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 2, stp: NONE });
    expectEvents(
      h.buy({ id: 2, account: ALICE, price: 100, qty: 2, stp: CANCEL_NEWEST }),
      [ev.accepted(2), ev.cancelled(2, Reason.SELF_TRADE, { qty: 2, leaves: 0 })],
      "a CANCEL_NEWEST taker against a NONE maker",
    );
    const g = book();
    g.sell({ id: 1, account: ALICE, price: 100, qty: 2, stp: CANCEL_NEWEST });
    expect(ofType(g.buy({ id: 2, account: ALICE, price: 100, qty: 2, stp: NONE }), "trade"), "a NONE taker against a CANCEL_NEWEST maker trades").toMatchObject([
      { makerOrderId: 1, qty: 2 },
    ]);
  });
});

describe("CANCEL_NEWEST", () => {
  test("the taker's leaves are cancelled SELF_TRADE and the resting order is untouched", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 5 });
    expectEvents(
      h.buy({ id: 2, account: ALICE, price: 100, qty: 3, stp: CANCEL_NEWEST }),
      [ev.accepted(2), ev.cancelled(2, Reason.SELF_TRADE, { qty: 3, leaves: 0 })],
      "no LEVEL: the level did not change",
    );
    expect(h.open(1), "the maker keeps everything").toMatchObject({ leaves: 5, cancelled: 0, filled: 0 });
    expect(h.bids(), "the taker does not rest").toEqual([]);
  });

  test("CANCEL_NEWEST is the default (stp 0)", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 5 });
    expectEvents(h.buy({ id: 2, account: ALICE, price: 100, qty: 3 }), [ev.accepted(2), ev.cancelled(2, Reason.SELF_TRADE, { qty: 3 })]);
  });

  test("stopping inside a level after trades there writes that level's LEVEL, then the taker's cancel", () => {
    const h = book();
    h.sell({ id: 1, account: BOB, price: 100, qty: 1 });
    h.sell({ id: 2, account: ALICE, price: 100, qty: 1 });
    h.sell({ id: 3, account: CAROL, price: 100, qty: 1 });
    expectEvents(h.buy({ id: 4, account: ALICE, price: 100, qty: 3, stp: CANCEL_NEWEST }), [
      ev.accepted(4),
      ev.trade(4, 1, 1, 100, { takerLeaves: 2 }),
      ev.level(SELL, 100, 2, 2),
      ev.cancelled(4, Reason.SELF_TRADE, { qty: 2, leaves: 0 }),
    ]);
    expect(h.queue(SELL, 100), "Alice's and Carol's asks stay in place").toEqual([2, 3]);
  });
});

describe("CANCEL_OLDEST", () => {
  test("the resting order is cancelled SELF_TRADE and the taker goes on to the next maker", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 3 });
    h.sell({ id: 2, account: BOB, price: 100, qty: 3 });
    expectEvents(h.buy({ id: 3, account: ALICE, price: 100, qty: 4, stp: CANCEL_OLDEST }), [
      ev.accepted(3),
      ev.cancelled(1, Reason.SELF_TRADE, { qty: 3, leaves: 0, account: ALICE, side: SELL }),
      ev.trade(3, 2, 3, 100, { takerLeaves: 1 }),
      ev.level(SELL, 100, 0, 0),
      ev.level(BUY, 100, 1, 1),
    ]);
    expect(h.view(1), "the oldest (resting) order is gone").toBeUndefined();
    expect(h.open(3), "the rest of the taker rests").toMatchObject({ leaves: 1, filled: 3, cancelled: 0 });
  });

  test("cancelling the only maker of a level writes that level's LEVEL even with no trade", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 3 });
    expectEvents(h.buy({ id: 2, account: ALICE, price: 100, qty: 2, stp: CANCEL_OLDEST }), [
      ev.accepted(2),
      ev.cancelled(1, Reason.SELF_TRADE, { qty: 3, leaves: 0 }),
      ev.level(SELL, 100, 0, 0),
      ev.level(BUY, 100, 2, 1),
    ]);
  });
});

describe("CANCEL_BOTH", () => {
  test("the resting order is cancelled, then the taker", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 3 });
    h.sell({ id: 2, account: BOB, price: 100, qty: 3 });
    expectEvents(h.buy({ id: 3, account: ALICE, price: 100, qty: 4, stp: CANCEL_BOTH }), [
      ev.accepted(3),
      ev.cancelled(1, Reason.SELF_TRADE, { qty: 3, leaves: 0 }),
      ev.level(SELL, 100, 3, 1),
      ev.cancelled(3, Reason.SELF_TRADE, { qty: 4, leaves: 0 }),
    ]);
    expect(h.open(2), "Bob's ask behind is untouched").toMatchObject({ leaves: 3, filled: 0 });
    expect(h.bids(), "the taker does not rest").toEqual([]);
  });
});

describe("DECREMENT_AND_CANCEL", () => {
  test("a larger maker is reduced by the taker's size and keeps its place; the taker is cancelled", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 5 });
    h.sell({ id: 2, account: BOB, price: 100, qty: 1 });
    expectEvents(
      h.buy({ id: 3, account: ALICE, price: 100, qty: 3, stp: DECREMENT_AND_CANCEL }),
      [
        ev.accepted(3),
        ev.cancelled(1, Reason.SELF_TRADE, { qty: 3, leaves: 2 }),
        ev.cancelled(3, Reason.SELF_TRADE, { qty: 3, leaves: 0 }),
        ev.level(SELL, 100, 3, 2),
      ],
      "q = min(3, 5) = 3 off both",
    );
    expect(h.queue(SELL, 100), "the reduced maker keeps its place at the front").toEqual([1, 2]);
    expect(h.open(1), "the maker's view counts the reduction as cancelled").toMatchObject({ qty: 5, leaves: 2, cancelled: 3, filled: 0 });
    expectAccounted(h.view(1), "the reduced maker");
  });

  test("a smaller maker leaves the book and the taker goes on with what is left", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 2 });
    h.sell({ id: 2, account: BOB, price: 100, qty: 5 });
    expectEvents(h.buy({ id: 3, account: ALICE, price: 100, qty: 4, stp: DECREMENT_AND_CANCEL }), [
      ev.accepted(3),
      ev.cancelled(1, Reason.SELF_TRADE, { qty: 2, leaves: 0 }),
      ev.cancelled(3, Reason.SELF_TRADE, { qty: 2, leaves: 2 }),
      ev.trade(3, 2, 2, 100, { takerLeaves: 0, makerLeaves: 3 }),
      ev.level(SELL, 100, 3, 1),
    ]);
  });

  test("a taker reduced but not finished rests with its cancelled part accounted", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 2 });
    expectEvents(h.buy({ id: 2, account: ALICE, price: 100, qty: 5, stp: DECREMENT_AND_CANCEL }), [
      ev.accepted(2),
      ev.cancelled(1, Reason.SELF_TRADE, { qty: 2, leaves: 0 }),
      ev.cancelled(2, Reason.SELF_TRADE, { qty: 2, leaves: 3 }),
      ev.level(SELL, 100, 0, 0),
      ev.level(BUY, 100, 3, 1),
    ]);
    expect(h.open(2), "the taker rests with 3 and 2 cancelled").toMatchObject({ qty: 5, leaves: 3, cancelled: 2, filled: 0 });
    expectAccounted(h.view(2), "the rested taker");
  });
});

describe("self-trade prevention closes IOC and market takers with SELF_TRADE", () => {
  test("an IOC stopped by self-trade prevention is cancelled SELF_TRADE, not IOC_REMAINDER", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 2 });
    expectEvents(h.buy({ id: 2, account: ALICE, price: 100, qty: 2, tif: IOC }), [ev.accepted(2), ev.cancelled(2, Reason.SELF_TRADE, { qty: 2, leaves: 0 })]);
  });

  test("a market order stopped by self-trade prevention is cancelled SELF_TRADE, not NO_LIQUIDITY or PRICE_BAND", () => {
    const h = book();
    h.sell({ id: 1, account: BOB, price: 100, qty: 1 });
    h.sell({ id: 2, account: ALICE, price: 100, qty: 2 });
    expectEvents(h.buy({ id: 3, account: ALICE, type: MARKET, qty: 5 }), [
      ev.accepted(3),
      ev.trade(3, 1, 1, 100, { takerLeaves: 4 }),
      ev.level(SELL, 100, 2, 1),
      ev.cancelled(3, Reason.SELF_TRADE, { qty: 4, leaves: 0 }),
    ]);
  });

  test("DECREMENT_AND_CANCEL with equal sizes removes both", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 3 });
    expectEvents(h.buy({ id: 2, account: ALICE, price: 100, qty: 3, stp: DECREMENT_AND_CANCEL }), [
      ev.accepted(2),
      ev.cancelled(1, Reason.SELF_TRADE, { qty: 3, leaves: 0 }),
      ev.cancelled(2, Reason.SELF_TRADE, { qty: 3, leaves: 0 }),
      ev.level(SELL, 100, 0, 0),
    ]);
    expect(h.eng.openOrders(), "nothing is left open").toEqual([]);
  });
});

describe("self-trade prevention in the middle of a sweep", () => {
  test("CANCEL_NEWEST: trades up to the own order, then the taker stops; later levels untouched", () => {
    const h = book();
    h.sell({ id: 1, account: BOB, price: 100, qty: 2 });
    h.sell({ id: 2, account: ALICE, price: 101, qty: 2 });
    h.sell({ id: 3, account: BOB, price: 102, qty: 2 });
    expectEvents(h.buy({ id: 4, account: ALICE, price: 102, qty: 6, stp: CANCEL_NEWEST }), [
      ev.accepted(4),
      ev.trade(4, 1, 2, 100, { takerLeaves: 4 }),
      ev.level(SELL, 100, 0, 0),
      ev.cancelled(4, Reason.SELF_TRADE, { qty: 4, leaves: 0 }),
    ]);
    expect(h.asks(), "101 and 102 are untouched").toEqual([
      { price: 101, qty: 2, count: 1 },
      { price: 102, qty: 2, count: 1 },
    ]);
  });

  test("CANCEL_OLDEST: the own order is cancelled and the sweep continues past it", () => {
    const h = book();
    h.sell({ id: 1, account: BOB, price: 100, qty: 2 });
    h.sell({ id: 2, account: ALICE, price: 101, qty: 2 });
    h.sell({ id: 3, account: BOB, price: 102, qty: 2 });
    expectEvents(h.buy({ id: 4, account: ALICE, price: 102, qty: 6, stp: CANCEL_OLDEST }), [
      ev.accepted(4),
      ev.trade(4, 1, 2, 100, { takerLeaves: 4 }),
      ev.level(SELL, 100, 0, 0),
      ev.cancelled(2, Reason.SELF_TRADE, { qty: 2, leaves: 0 }),
      ev.level(SELL, 101, 0, 0),
      ev.trade(4, 3, 2, 102, { takerLeaves: 2 }),
      ev.level(SELL, 102, 0, 0),
      ev.level(BUY, 102, 2, 1),
    ]);
  });

  test("DECREMENT_AND_CANCEL: the own order shrinks both and the sweep continues", () => {
    const h = book();
    h.sell({ id: 1, account: BOB, price: 100, qty: 2 });
    h.sell({ id: 2, account: ALICE, price: 101, qty: 1 });
    h.sell({ id: 3, account: BOB, price: 102, qty: 5 });
    expectEvents(h.buy({ id: 4, account: ALICE, price: 102, qty: 5, stp: DECREMENT_AND_CANCEL }), [
      ev.accepted(4),
      ev.trade(4, 1, 2, 100, { takerLeaves: 3 }),
      ev.level(SELL, 100, 0, 0),
      ev.cancelled(2, Reason.SELF_TRADE, { qty: 1, leaves: 0 }),
      ev.cancelled(4, Reason.SELF_TRADE, { qty: 1, leaves: 2 }),
      ev.level(SELL, 101, 0, 0),
      ev.trade(4, 3, 2, 102, { takerLeaves: 0, makerLeaves: 3 }),
      ev.level(SELL, 102, 3, 1),
    ]);
  });

  test("CANCEL_BOTH in a sweep: trades before, then both cancelled", () => {
    const h = book();
    h.buy({ id: 1, account: BOB, price: 100, qty: 2 });
    h.buy({ id: 2, account: ALICE, price: 99, qty: 2 });
    h.buy({ id: 3, account: BOB, price: 98, qty: 2 });
    expectEvents(h.sell({ id: 4, account: ALICE, price: 98, qty: 6, stp: CANCEL_BOTH }), [
      ev.accepted(4),
      ev.trade(4, 1, 2, 100, { takerLeaves: 4 }),
      ev.level(BUY, 100, 0, 0),
      ev.cancelled(2, Reason.SELF_TRADE, { qty: 2, leaves: 0 }),
      ev.level(BUY, 99, 0, 0),
      ev.cancelled(4, Reason.SELF_TRADE, { qty: 4, leaves: 0 }),
    ]);
    expect(h.bids(), "Bob's 98 bid is untouched").toEqual([{ price: 98, qty: 2, count: 1 }]);
  });
});

describe("self-trade prevention and FOK", () => {
  test("under CANCEL_OLDEST a FOK does not count its own makers, then cancels them as it fills", () => {
    const h = book();
    h.sell({ id: 1, account: ALICE, price: 100, qty: 3 });
    h.sell({ id: 2, account: BOB, price: 100, qty: 3 });
    const before = h.state();
    expectEvents(
      h.buy({ id: 3, account: ALICE, price: 100, qty: 4, tif: FOK, stp: CANCEL_OLDEST }),
      [ev.accepted(3), ev.cancelled(3, Reason.FOK_NOT_FILLABLE, { qty: 4, leaves: 0 })],
      "only Bob's 3 count toward 4",
    );
    h.expectUnchanged(before, "an unfillable FOK cancels no maker");
    expectEvents(
      h.buy({ id: 4, account: ALICE, price: 100, qty: 3, tif: FOK, stp: CANCEL_OLDEST }),
      [ev.accepted(4), ev.cancelled(1, Reason.SELF_TRADE, { qty: 3 }), ev.trade(4, 2, 3, 100, { takerLeaves: 0 }), ev.level(SELL, 100, 0, 0)],
      "Bob's 3 fill a FOK of 3",
    );
  });

  test("under other modes the FOK count stops at its own maker", () => {
    for (const stp of [CANCEL_NEWEST, CANCEL_BOTH, DECREMENT_AND_CANCEL]) {
      const h = book();
      h.sell({ id: 1, account: BOB, price: 100, qty: 2 });
      h.sell({ id: 2, account: ALICE, price: 100, qty: 2 });
      h.sell({ id: 3, account: BOB, price: 101, qty: 5 });
      const before = h.state();
      expectEvents(
        h.buy({ id: 4, account: ALICE, price: 101, qty: 3, tif: FOK, stp }),
        [ev.accepted(4), ev.cancelled(4, Reason.FOK_NOT_FILLABLE, { qty: 3 })],
        `stp mode ${stp}: only Bob's 2 before Alice's own ask count`,
      );
      h.expectUnchanged(before, `stp mode ${stp}: an unfillable FOK`);
    }
  });

  test("under NONE a FOK counts its own makers too", () => {
    const h = book();
    h.sell({ id: 1, account: BOB, price: 100, qty: 2 });
    h.sell({ id: 2, account: ALICE, price: 100, qty: 2 });
    const events = h.buy({ id: 3, account: ALICE, price: 100, qty: 4, tif: FOK, stp: NONE });
    expect(ofType(events, "trade").map((t) => t.makerOrderId), "the FOK fills against Bob and its own ask").toEqual([1, 2]);
  });
});
