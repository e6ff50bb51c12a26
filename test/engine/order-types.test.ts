/**
 * docs/matching.md: order types and times in force — LIMIT, MARKET (protection band), IOC, FOK and
 * POST_ONLY. DAY (END_OF_DAY) and GTD (Expiry) are in order-expiry.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { BUY, DAY, FOK, GTC, GTD, IOC, LIMIT, MARKET, POST_ONLY, Reason, SELL, SYM2, book, ev, expectEvents, expectRejected, ofType } from "./helpers.ts";

describe("limit orders", () => {
  test("a GTC limit that crosses trades, then rests the remainder for later takers", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 2 });
    expectEvents(h.buy({ id: 2, price: 100, qty: 5, tif: GTC }), [
      ev.accepted(2, { price: 100, qty: 5, leaves: 5, orderType: LIMIT, tif: GTC }),
      ev.trade(2, 1, 2, 100, { takerLeaves: 3 }),
      ev.level(SELL, 100, 0, 0),
      ev.level(BUY, 100, 3, 1),
    ]);
    h.sell({ id: 3, price: 105, qty: 1 });
    h.buy({ id: 4, price: 90, qty: 1 });
    expectEvents(h.sell({ id: 5, price: 100, qty: 3 }), [ev.accepted(5), ev.trade(5, 2, 3, 100, { makerLeaves: 0 }), ev.level(BUY, 100, 0, 0)]);
  });
});

describe("market orders and the protection band", () => {
  test("ACCEPTED of a market order carries its cap, 0 for none, and the order never rests", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 2 });
    expect(h.buy({ id: 2, type: MARKET, tif: IOC, qty: 1 })[0], "a market order without a cap: ACCEPTED price 0").toMatchObject(
      ev.accepted(2, { price: 0, qty: 1, leaves: 1, orderType: MARKET, tif: IOC, stopPrice: 0 }),
    );
    expect(h.buy({ id: 3, type: MARKET, tif: IOC, price: 103, qty: 1 })[0], "a market order with cap 103: ACCEPTED price 103").toMatchObject(
      ev.accepted(3, { price: 103, orderType: MARKET }),
    );
    expect(h.view(2), "a market order is never open").toBeUndefined();
    expect(h.view(3), "a market order is never open").toBeUndefined();
  });

  test("a market buy trades up to last + floor(last × bandBps / 10000); the rest is cancelled PRICE_BAND", () => {
    const h = book(); // band 500 bps
    h.printTrade(100); // last 100: band offset 5, buy limit 105
    h.sell({ id: 1, price: 103, qty: 1 });
    h.sell({ id: 2, price: 105, qty: 1 });
    h.sell({ id: 3, price: 106, qty: 1 });
    expectEvents(
      h.buy({ id: 4, type: MARKET, qty: 5 }),
      [
        ev.accepted(4, { price: 0, qty: 5 }),
        ev.trade(4, 1, 1, 103),
        ev.level(SELL, 103, 0, 0),
        ev.trade(4, 2, 1, 105),
        ev.level(SELL, 105, 0, 0),
        ev.cancelled(4, Reason.PRICE_BAND, { qty: 3, leaves: 0 }),
      ],
      "market buy 5 with last 100 and band 5%: trades at 103 and 105, not 106",
    );
    expect(h.asks(), "the 106 ask, beyond the band, is untouched").toEqual([{ price: 106, qty: 1, count: 1 }]);
  });

  test("a market sell trades down to last − floor(last × bandBps / 10000)", () => {
    const h = book();
    h.printTrade(100); // sell limit 95
    h.buy({ id: 1, price: 96, qty: 1 });
    h.buy({ id: 2, price: 95, qty: 1 });
    h.buy({ id: 3, price: 94, qty: 1 });
    expectEvents(h.sell({ id: 4, type: MARKET, qty: 3 }), [
      ev.accepted(4),
      ev.trade(4, 1, 1, 96),
      ev.level(BUY, 96, 0, 0),
      ev.trade(4, 2, 1, 95),
      ev.level(BUY, 95, 0, 0),
      ev.cancelled(4, Reason.PRICE_BAND, { qty: 1, leaves: 0 }),
    ]);
  });

  test("the band offset is rounded down: last 99 at 5% allows 99 ± 4", () => {
    const h = book();
    h.printTrade(99); // 99 × 500 / 10000 = 4.95 → 4
    h.sell({ id: 1, price: 103, qty: 1 });
    h.sell({ id: 2, price: 104, qty: 1 });
    const buy = h.buy({ id: 3, type: MARKET, qty: 2 });
    expect(ofType(buy, "trade").map((t) => t.price), "the buy band ends at 103").toEqual([103]);
    expect(buy.at(-1), "the rest is cancelled PRICE_BAND").toMatchObject(ev.cancelled(3, Reason.PRICE_BAND, { qty: 1 }));

    const g = book();
    g.printTrade(99);
    g.buy({ id: 1, price: 95, qty: 1 });
    g.buy({ id: 2, price: 94, qty: 1 });
    const sell = g.sell({ id: 3, type: MARKET, qty: 2 });
    expect(ofType(sell, "trade").map((t) => t.price), "the sell band ends at 95").toEqual([95]);
  });

  test("the band is fixed when the market order arrives, not moved by its own fills", () => {
    const h = book();
    h.printTrade(100); // buy limit 105
    h.sell({ id: 1, price: 105, qty: 1 });
    h.sell({ id: 2, price: 110, qty: 1 }); // within 5% of 105, but not of 100
    const events = h.buy({ id: 3, type: MARKET, qty: 2 });
    expect(ofType(events, "trade").map((t) => t.price), "only the 105 ask is inside the band measured from 100").toEqual([105]);
    expect(events.at(-1), "the rest is cancelled PRICE_BAND").toMatchObject(ev.cancelled(3, Reason.PRICE_BAND, { qty: 1 }));
  });

  test("before the first trade, the instrument's referencePrice is the band reference", () => {
    const h = book(); // SYM2: referencePrice 200, band 10% → buy limit 220
    h.sell({ id: 1, symbol: SYM2, price: 215, qty: 1 });
    h.sell({ id: 2, symbol: SYM2, price: 220, qty: 1 });
    h.sell({ id: 3, symbol: SYM2, price: 221, qty: 1 });
    const events = h.buy({ id: 4, symbol: SYM2, type: MARKET, qty: 3 });
    expect(ofType(events, "trade").map((t) => t.price), "band 200 + 20: trades at 215 and 220, not 221").toEqual([215, 220]);
    expect(events.at(-1), "the rest is cancelled PRICE_BAND").toMatchObject(ev.cancelled(4, Reason.PRICE_BAND, { qty: 1 }));
    // Now the last trade (220) is the reference: 220 + 22 reaches 221.
    const next = h.buy({ id: 5, symbol: SYM2, type: MARKET, qty: 1 });
    expect(ofType(next, "trade").map((t) => t.price), "after a trade, the last trade price replaces referencePrice").toEqual([221]);
  });

  test("with no trade and no referencePrice, the best opposite price at arrival is the reference", () => {
    const h = book(); // SYM: no referencePrice
    h.sell({ id: 1, price: 100, qty: 1 });
    h.sell({ id: 2, price: 105, qty: 1 });
    h.sell({ id: 3, price: 106, qty: 1 });
    const events = h.buy({ id: 4, type: MARKET, qty: 3 });
    expect(ofType(events, "trade").map((t) => t.price), "reference = best ask 100, band to 105").toEqual([100, 105]);
    expect(events.at(-1), "the rest is cancelled PRICE_BAND").toMatchObject(ev.cancelled(4, Reason.PRICE_BAND, { qty: 1 }));

    const g = book();
    g.buy({ id: 1, price: 100, qty: 1 });
    g.buy({ id: 2, price: 95, qty: 1 });
    g.buy({ id: 3, price: 94, qty: 1 });
    const sell = g.sell({ id: 4, type: MARKET, qty: 3 });
    expect(ofType(sell, "trade").map((t) => t.price), "reference = best bid 100, band down to 95").toEqual([100, 95]);
  });

  test("bandBps 0 lets a market order trade only at the reference price", () => {
    const h = book([{ id: 7, symbol: "Z", tickSize: "1", lotSize: "1", bandBps: 0, referencePrice: 100 }]);
    h.sell({ id: 1, symbol: 7, price: 100, qty: 1 });
    h.sell({ id: 2, symbol: 7, price: 101, qty: 1 });
    const events = h.buy({ id: 3, symbol: 7, type: MARKET, qty: 2 });
    expect(ofType(events, "trade").map((t) => t.price), "band 0: only 100").toEqual([100]);
    expect(events.at(-1), "the rest is cancelled PRICE_BAND").toMatchObject(ev.cancelled(3, Reason.PRICE_BAND, { qty: 1 }));
  });

  test("a cap tightens the band: a market buy never trades above its cap", () => {
    const h = book();
    h.printTrade(100); // band to 105
    h.sell({ id: 1, price: 102, qty: 1 });
    h.sell({ id: 2, price: 103, qty: 1 });
    h.sell({ id: 3, price: 104, qty: 1 });
    const events = h.buy({ id: 4, type: MARKET, price: 103, qty: 3 });
    expect(ofType(events, "trade").map((t) => t.price), "L = min(105, cap 103): trades at 102 and 103").toEqual([102, 103]);
    expect(events.at(-1), "the rest is cancelled PRICE_BAND (asks remain beyond the limit)").toMatchObject(ev.cancelled(4, Reason.PRICE_BAND, { qty: 1, leaves: 0 }));
  });

  test("a cap tightens the band: a market sell never trades below its cap", () => {
    const h = book();
    h.printTrade(100); // band down to 95
    h.buy({ id: 1, price: 99, qty: 1 });
    h.buy({ id: 2, price: 98, qty: 1 });
    const events = h.sell({ id: 3, type: MARKET, price: 99, qty: 2 });
    expect(ofType(events, "trade").map((t) => t.price), "L = max(95, cap 99): trades at 99 only").toEqual([99]);
    expect(events.at(-1), "the rest is cancelled PRICE_BAND").toMatchObject(ev.cancelled(3, Reason.PRICE_BAND, { qty: 1 }));
  });

  test("a cap looser than the band changes nothing", () => {
    const h = book();
    h.printTrade(100);
    h.sell({ id: 1, price: 105, qty: 1 });
    h.sell({ id: 2, price: 106, qty: 1 });
    const events = h.buy({ id: 3, type: MARKET, price: 200, qty: 2 });
    expect(ofType(events, "trade").map((t) => t.price), "L = min(105, cap 200) = 105").toEqual([105]);
  });

  test("a market FOK with a cap counts only the liquidity up to the cap", () => {
    const h = book();
    h.printTrade(100);
    h.sell({ id: 1, price: 102, qty: 1 });
    h.sell({ id: 2, price: 104, qty: 5 });
    expectEvents(h.buy({ id: 3, type: MARKET, tif: FOK, price: 103, qty: 2 }), [ev.accepted(3, { price: 103 }), ev.cancelled(3, Reason.FOK_NOT_FILLABLE, { qty: 2 })]);
  });

  test("the band applies to market orders only: a limit order sweeps as far as its limit", () => {
    const h = book();
    h.printTrade(100);
    h.sell({ id: 1, price: 150, qty: 1 });
    expect(ofType(h.buy({ id: 2, price: 200, qty: 1 }), "trade"), "a limit buy at 200 takes the 150 ask, 50% above the last trade").toMatchObject([
      { makerOrderId: 1, price: 150 },
    ]);
  });

  test("a market order into an empty book is cancelled NO_LIQUIDITY", () => {
    const h = book();
    expectEvents(
      h.buy({ id: 1, type: MARKET, qty: 5 }),
      [ev.accepted(1, { price: 0, qty: 5, leaves: 5 }), ev.cancelled(1, Reason.NO_LIQUIDITY, { qty: 5, leaves: 0 })],
      "no reference and no asks",
    );
    h.buy({ id: 2, price: 90, qty: 5 });
    expectEvents(
      h.buy({ id: 3, type: MARKET, qty: 5 }),
      [ev.accepted(3), ev.cancelled(3, Reason.NO_LIQUIDITY, { qty: 5, leaves: 0 })],
      "bids on its own side do not matter: the ask side is empty",
    );
    expectEvents(
      h.sell({ id: 4, symbol: SYM2, type: MARKET, qty: 5 }),
      [ev.accepted(4), ev.cancelled(4, Reason.NO_LIQUIDITY, { qty: 5, leaves: 0 })],
      "a configured referencePrice does not help when the bid side is empty",
    );
  });

  test("a market order that empties a thin book is cancelled NO_LIQUIDITY for the rest", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 2 });
    h.sell({ id: 2, price: 101, qty: 1 });
    expectEvents(h.buy({ id: 3, type: MARKET, qty: 5 }), [
      ev.accepted(3),
      ev.trade(3, 1, 2, 100, { takerLeaves: 3 }),
      ev.level(SELL, 100, 0, 0),
      ev.trade(3, 2, 1, 101, { takerLeaves: 2 }),
      ev.level(SELL, 101, 0, 0),
      ev.cancelled(3, Reason.NO_LIQUIDITY, { qty: 2, leaves: 0 }),
    ]);
  });

  test("a market order whose whole opposite side is beyond the band trades nothing: PRICE_BAND", () => {
    const h = book();
    h.printTrade(100);
    h.sell({ id: 1, price: 110, qty: 1 });
    expectEvents(h.buy({ id: 2, type: MARKET, qty: 4 }), [ev.accepted(2), ev.cancelled(2, Reason.PRICE_BAND, { qty: 4, leaves: 0 })]);
  });

  test("a market order filled completely has no closing event", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 5 });
    expectEvents(h.buy({ id: 2, type: MARKET, qty: 3 }), [ev.accepted(2), ev.trade(2, 1, 3, 100, { takerLeaves: 0 }), ev.level(SELL, 100, 2, 1)]);
  });
});

describe("IOC", () => {
  test("an IOC fills what crosses and cancels the remainder IOC_REMAINDER", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 2 });
    h.sell({ id: 2, price: 102, qty: 2 });
    expectEvents(h.buy({ id: 3, price: 101, qty: 5, tif: IOC }), [
      ev.accepted(3, { tif: IOC }),
      ev.trade(3, 1, 2, 100, { takerLeaves: 3 }),
      ev.level(SELL, 100, 0, 0),
      ev.cancelled(3, Reason.IOC_REMAINDER, { qty: 3, leaves: 0, price: 101 }),
    ]);
    expect(h.bids(), "an IOC never rests").toEqual([]);
    expect(h.asks(), "the 102 ask is beyond the IOC's limit").toEqual([{ price: 102, qty: 2, count: 1 }]);
  });

  test("an IOC that fills completely has no cancel", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 5 });
    expectEvents(h.buy({ id: 2, price: 100, qty: 5, tif: IOC }), [ev.accepted(2), ev.trade(2, 1, 5, 100), ev.level(SELL, 100, 0, 0)]);
  });

  test("an IOC with nothing to cross is cancelled whole", () => {
    const h = book();
    h.buy({ id: 1, price: 99, qty: 5 });
    expectEvents(h.sell({ id: 2, price: 100, qty: 4, tif: IOC }), [ev.accepted(2), ev.cancelled(2, Reason.IOC_REMAINDER, { qty: 4, leaves: 0 })]);
    expect(h.asks(), "nothing rests").toEqual([]);
  });
});

describe("FOK", () => {
  test("a FOK that can fill, fills completely across levels", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 3 });
    h.sell({ id: 2, price: 101, qty: 3 });
    expectEvents(h.buy({ id: 3, price: 101, qty: 4, tif: FOK }), [
      ev.accepted(3, { tif: FOK }),
      ev.trade(3, 1, 3, 100, { takerLeaves: 1 }),
      ev.level(SELL, 100, 0, 0),
      ev.trade(3, 2, 1, 101, { takerLeaves: 0 }),
      ev.level(SELL, 101, 2, 1),
    ]);
  });

  test("a FOK that needs the whole book fills it exactly", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 2 });
    h.sell({ id: 2, price: 101, qty: 3 });
    h.sell({ id: 3, price: 101, qty: 1 });
    h.sell({ id: 4, price: 102, qty: 4 });
    expectEvents(
      h.buy({ id: 5, price: 102, qty: 10, tif: FOK }),
      [
        ev.accepted(5),
        ev.trade(5, 1, 2, 100, { takerLeaves: 8 }),
        ev.level(SELL, 100, 0, 0),
        ev.trade(5, 2, 3, 101, { takerLeaves: 5 }),
        ev.trade(5, 3, 1, 101, { takerLeaves: 4 }),
        ev.level(SELL, 101, 0, 0),
        ev.trade(5, 4, 4, 102, { takerLeaves: 0 }),
        ev.level(SELL, 102, 0, 0),
      ],
      "FOK 10 against exactly 10 on the book",
    );
    expect(h.asks(), "the book is empty").toEqual([]);
  });

  test("a FOK that cannot fill is cancelled FOK_NOT_FILLABLE and nothing trades", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 2 });
    h.sell({ id: 2, price: 101, qty: 3 });
    h.sell({ id: 3, price: 102, qty: 5 });
    const before = h.state();
    expectEvents(
      h.buy({ id: 4, price: 102, qty: 11, tif: FOK }),
      [ev.accepted(4, { qty: 11 }), ev.cancelled(4, Reason.FOK_NOT_FILLABLE, { qty: 11, leaves: 0 })],
      "FOK 11 against 10 on the book",
    );
    h.expectUnchanged(before, "an unfillable FOK");
  });

  test("a FOK counts only the levels that cross its limit", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 2 });
    h.sell({ id: 2, price: 101, qty: 1 });
    h.sell({ id: 3, price: 102, qty: 5 });
    expectEvents(h.buy({ id: 4, price: 101, qty: 4, tif: FOK }), [ev.accepted(4), ev.cancelled(4, Reason.FOK_NOT_FILLABLE, { qty: 4 })], "only 3 lots at ≤ 101");
    expectEvents(h.sell({ id: 5, price: 50, qty: 1, tif: FOK }), [ev.accepted(5), ev.cancelled(5, Reason.FOK_NOT_FILLABLE, { qty: 1 })], "a FOK sell into no bids");
  });

  test("a market FOK counts only the liquidity inside the band", () => {
    const h = book();
    h.printTrade(100); // band to 105
    h.sell({ id: 1, price: 104, qty: 2 });
    h.sell({ id: 2, price: 106, qty: 5 });
    expectEvents(h.buy({ id: 3, type: MARKET, tif: FOK, qty: 3 }), [ev.accepted(3), ev.cancelled(3, Reason.FOK_NOT_FILLABLE, { qty: 3 })]);
    expectEvents(h.buy({ id: 4, type: MARKET, tif: FOK, qty: 2 }), [ev.accepted(4), ev.trade(4, 1, 2, 104), ev.level(SELL, 104, 0, 0)]);
  });

  test("a market FOK into an empty book is FOK_NOT_FILLABLE", () => {
    const h = book();
    expectEvents(h.buy({ id: 1, type: MARKET, tif: FOK, qty: 3 }), [ev.accepted(1), ev.cancelled(1, Reason.FOK_NOT_FILLABLE, { qty: 3, leaves: 0 })]);
  });
});

describe("post-only", () => {
  test("a post-only order that does not cross rests as a maker", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 1 });
    expectEvents(h.buy({ id: 2, price: 99, qty: 3, flags: POST_ONLY }), [ev.accepted(2), ev.level(BUY, 99, 3, 1)]);
    expect(h.open(2).flags & POST_ONLY, "the view keeps the post-only flag").toBe(POST_ONLY);
    expectEvents(h.sell({ id: 3, price: 99, qty: 3 }), [ev.accepted(3), ev.trade(3, 2, 3, 99), ev.level(BUY, 99, 0, 0)], "it trades as a maker");
  });

  test("a post-only buy at or above the best ask is rejected POST_ONLY_WOULD_TAKE", () => {
    const h = book();
    h.sell({ id: 1, price: 100, qty: 1 });
    const before = h.state();
    expectRejected(h.buy({ id: 2, price: 100, qty: 1, flags: POST_ONLY }), Reason.POST_ONLY_WOULD_TAKE, "post-only buy at the ask");
    expectRejected(h.buy({ id: 3, price: 101, qty: 1, flags: POST_ONLY }), Reason.POST_ONLY_WOULD_TAKE, "post-only buy above the ask");
    h.expectUnchanged(before, "rejected post-only buys");
  });

  test("a post-only sell at or below the best bid is rejected POST_ONLY_WOULD_TAKE", () => {
    const h = book();
    h.buy({ id: 1, price: 100, qty: 1 });
    expectRejected(h.sell({ id: 2, price: 100, qty: 1, flags: POST_ONLY }), Reason.POST_ONLY_WOULD_TAKE, "post-only sell at the bid");
    expectRejected(h.sell({ id: 3, price: 99, qty: 1, flags: POST_ONLY }), Reason.POST_ONLY_WOULD_TAKE, "post-only sell below the bid");
  });

  test("post-only is checked against any account's order, including its own", () => {
    const h = book();
    h.sell({ id: 1, account: 42, price: 100, qty: 1 });
    expectRejected(h.buy({ id: 2, account: 42, price: 100, qty: 1, flags: POST_ONLY }), Reason.POST_ONLY_WOULD_TAKE, "post-only against its own ask");
  });

  test("post-only is allowed with GTC, DAY and GTD limits", () => {
    const h = book();
    for (const [id, tif] of [
      [1, GTC],
      [2, DAY],
      [3, GTD],
    ] as const) {
      const events = h.buy({ id, price: 90 + id, qty: 1, tif, flags: POST_ONLY, expireTime: tif === GTD ? h.now + 1000 : 0 });
      expect(events[0], `post-only with tif ${tif} must be accepted`).toMatchObject(ev.accepted(id));
    }
  });
});
