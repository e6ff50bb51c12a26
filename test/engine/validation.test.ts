/**
 * docs/matching.md: validation of NEW_ORDER, CANCEL and AMEND. A rejected command writes exactly
 * one REJECTED event (symbol, orderId, account, side, price, qty, reason and command type, all
 * taken from the command) and changes nothing: every test here compares depth, open orders and
 * last prices before and after.
 */
import { describe, expect, test } from "bun:test";
import { ALICE, BOB, BUY, CommandType, DAY, FOK, GTC, GTD, IOC, LIMIT, MARKET, POST_ONLY, Reason, SELL, STOP, STOP_LIMIT, SYM, SYM2, DEFAULT_INSTRUMENTS, book, ev, expectEvents, fmtEvents, type EngineEvent, type Harness } from "./helpers.ts";
import type { CommandInit } from "../../engine/commands.ts";
import { reasonName } from "../../engine/reasons.ts";

/**
 * The book every validation test starts from (last trade on SYM at 101):
 *   10  Alice  bid  99 x 5   GTC limit
 *   11  Bob    ask 101 x 5   GTC limit, 2 filled by order 14 → 3 left
 *   12  Alice  buy STOP at 110 x 2 (pending)
 *   13  Alice  bid on SYM2 150 x 1
 *   15  Carol  bid  98 x 1   post-only
 *   16  Bob    sell STOP_LIMIT 90, stop 95 x 1 (pending)
 */
function setup(): Harness {
  const h = book();
  h.buy({ id: 10, account: ALICE, price: 99, qty: 5 });
  h.sell({ id: 11, account: BOB, price: 101, qty: 5 });
  h.buy({ id: 14, account: 9, price: 101, qty: 2 });
  h.buy({ id: 12, account: ALICE, type: STOP, stopPrice: 110, qty: 2 });
  h.buy({ id: 13, account: ALICE, symbol: SYM2, price: 150, qty: 1 });
  h.buy({ id: 15, account: 3, price: 98, qty: 1, flags: POST_ONLY });
  h.sell({ id: 16, account: BOB, type: STOP_LIMIT, price: 90, stopPrice: 95, qty: 1 });
  expect(h.eng.lastPrice(SYM), "setup: last trade at 101").toBe(101);
  expect(h.open(11).filled, "setup: order 11 has 2 filled").toBe(2);
  return h;
}

/** A NEW_ORDER that setup() accepts; each case breaks one (or more) fields. */
const VALID_NEW: CommandInit = {
  type: CommandType.NEW_ORDER,
  orderId: 50,
  account: 7,
  symbol: SYM,
  side: BUY,
  orderType: LIMIT,
  tif: GTC,
  price: 95,
  stopPrice: 0,
  qty: 1,
  stp: 0,
  flags: 0,
  expireTime: 0,
};

/** Runs the command against a fresh setup() (or `make()`) and asserts one REJECTED with the reason, and an unchanged book. */
function expectRejectedCommand(init: CommandInit, reason: number, what: string, make: () => Harness = setup): void {
  const h = make();
  const before = h.state();
  const cmd = { time: h.now, ...init };
  const events = h.run(cmd);
  expect(
    events,
    `${what}: expected exactly one REJECTED ${reasonName(reason)}, with the command's fields\nactual:\n${fmtEvents(events)}`,
  ).toMatchObject([
    {
      type: "rejected",
      symbol: cmd.symbol ?? 0,
      orderId: cmd.orderId ?? 0,
      account: cmd.account ?? 0,
      side: cmd.side ?? 0,
      price: cmd.price ?? 0,
      qty: cmd.qty ?? 0,
      reason,
      commandType: cmd.type,
    },
  ]);
  h.expectUnchanged(before, what);
}

function expectAcceptedCommand(init: CommandInit, what: string, make: () => Harness = setup): EngineEvent[] {
  const h = make();
  const events = h.run({ time: h.now, ...init });
  expect(events[0], `${what}: expected ACCEPTED\nactual:\n${fmtEvents(events)}`).toMatchObject({ type: "accepted", orderId: init.orderId });
  return events;
}

/** Symbol 3 ("P"): limit prices must stay within 10% of the last trade, else of referencePrice 100. */
const BANDED = 3;
function bandedSetup(): Harness {
  const h = book([...DEFAULT_INSTRUMENTS, { id: BANDED, symbol: "P", tickSize: "1", lotSize: "1", bandBps: 500, referencePrice: 100, priceBandBps: 1000 }]);
  h.buy({ id: 10, account: ALICE, symbol: BANDED, price: 95, qty: 5 });
  return h;
}

/** setup(), then symbol 1 halted until RESUME. */
function haltedSetup(): Harness {
  const h = setup();
  h.run({ type: CommandType.HALT, symbol: SYM });
  return h;
}

/** Symbol 4 ("S") trades 09:00–17:00 UTC on weekdays; the clock is Tuesday 2024-01-02 08:00 UTC (closed). */
const SESSION = 4;
function closedSetup(): Harness {
  const h = book([
    ...DEFAULT_INSTRUMENTS,
    {
      id: SESSION,
      symbol: "S",
      tickSize: "1",
      lotSize: "1",
      bandBps: 500,
      referencePrice: 100,
      calendar: { timeZone: "UTC", sessions: [{ days: [1, 2, 3, 4, 5], open: "09:00", close: "17:00" }] },
    },
  ]);
  h.now = Date.UTC(2024, 0, 2, 8, 0) * 1000; // engine time is in microseconds
  h.tick(h.now); // let any market-state change of the first command happen here
  h.sell({ id: 11, account: BOB, symbol: SESSION, price: 101, qty: 5 });
  return h;
}

const newOrder = (o: Partial<CommandInit>): CommandInit => ({ ...VALID_NEW, ...o });

describe("NEW_ORDER validation", () => {
  test("the base order of these tests is accepted", () => {
    expectAcceptedCommand(VALID_NEW, "the valid base order");
  });

  test("UNKNOWN_SYMBOL: no instrument with that id", () => {
    expectRejectedCommand(newOrder({ symbol: 99 }), Reason.UNKNOWN_SYMBOL, "symbol 99");
    expectRejectedCommand(newOrder({ symbol: -1 }), Reason.UNKNOWN_SYMBOL, "symbol -1 (ALL_SYMBOLS is not a book)");
  });

  test("INVALID_ORDER_ID: orderId not a positive safe integer", () => {
    for (const orderId of [0, -1, 1.5, 2 ** 53]) {
      expectRejectedCommand(newOrder({ orderId }), Reason.INVALID_ORDER_ID, `orderId ${orderId}`);
    }
  });

  test("DUPLICATE_ORDER_ID: a resting order or a pending stop already has that id", () => {
    expectRejectedCommand(newOrder({ orderId: 10 }), Reason.DUPLICATE_ORDER_ID, "id of resting order 10");
    expectRejectedCommand(newOrder({ orderId: 12 }), Reason.DUPLICATE_ORDER_ID, "id of pending stop 12");
    expectRejectedCommand(newOrder({ orderId: 13, symbol: SYM }), Reason.DUPLICATE_ORDER_ID, "id of order 13 on another symbol");
  });

  test("the id of an order that has left the book is free again", () => {
    expectAcceptedCommand(newOrder({ orderId: 14 }), "id 14 (filled, no longer open)");
  });

  test("INVALID_ACCOUNT: account not a non-negative safe integer; account 0 is valid", () => {
    for (const account of [-1, 0.5, 2 ** 53]) {
      expectRejectedCommand(newOrder({ account }), Reason.INVALID_ACCOUNT, `account ${account}`);
    }
    expectAcceptedCommand(newOrder({ account: 0 }), "account 0");
  });

  test("INVALID_SIDE: side not BUY (0) or SELL (1)", () => {
    for (const side of [2, -1, 0.5]) expectRejectedCommand(newOrder({ side }), Reason.INVALID_SIDE, `side ${side}`);
  });

  test("INVALID_ORDER_TYPE: order type out of range", () => {
    for (const orderType of [4, -1, 1.5]) expectRejectedCommand(newOrder({ orderType }), Reason.INVALID_ORDER_TYPE, `order type ${orderType}`);
  });

  test("INVALID_TIME_IN_FORCE: tif out of range", () => {
    for (const tif of [5, -1, 0.5]) expectRejectedCommand(newOrder({ tif }), Reason.INVALID_TIME_IN_FORCE, `tif ${tif}`);
  });

  test("INVALID_TIME_IN_FORCE: a MARKET order must be IOC or FOK", () => {
    for (const tif of [GTC, DAY, GTD]) {
      expectRejectedCommand(newOrder({ orderType: MARKET, tif, expireTime: tif === GTD ? 2e9 : 0 }), Reason.INVALID_TIME_IN_FORCE, `MARKET with tif ${tif}`);
    }
    expectAcceptedCommand(newOrder({ orderType: MARKET, tif: IOC }), "MARKET IOC");
    expectAcceptedCommand(newOrder({ orderId: 51, orderType: MARKET, tif: FOK }), "MARKET FOK");
  });

  test("INVALID_STP_MODE: stp mode out of range", () => {
    for (const stp of [5, -1, 1.5]) expectRejectedCommand(newOrder({ stp }), Reason.INVALID_STP_MODE, `stp ${stp}`);
  });

  test("INVALID_QUANTITY: qty not an integer in [1, 1e12]", () => {
    for (const qty of [0, -3, 2.5, 1e12 + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectRejectedCommand(newOrder({ qty }), Reason.INVALID_QUANTITY, `qty ${qty}`);
    }
    expectAcceptedCommand(newOrder({ qty: 1e12 }), "qty 1e12, the largest");
  });

  test("INVALID_PRICE: a LIMIT or STOP_LIMIT price not an integer in [1, 1e11]", () => {
    for (const price of [0, -1, 1.5, 1e11 + 1, Number.NaN]) {
      expectRejectedCommand(newOrder({ price }), Reason.INVALID_PRICE, `LIMIT price ${price}`);
    }
    expectRejectedCommand(newOrder({ orderType: STOP_LIMIT, price: 0, stopPrice: 120 }), Reason.INVALID_PRICE, "STOP_LIMIT price 0");
    expectAcceptedCommand(newOrder({ side: SELL, price: 1e11 }), "LIMIT sell at 1e11, the largest price");
  });

  test("INVALID_PRICE: a MARKET or STOP cap that is neither 0 (none) nor an integer in [1, 1e11]", () => {
    for (const price of [-5, 1.5, 1e11 + 1, Number.NaN]) {
      expectRejectedCommand(newOrder({ orderType: MARKET, tif: IOC, price }), Reason.INVALID_PRICE, `MARKET cap ${price}`);
      expectRejectedCommand(newOrder({ orderType: STOP, stopPrice: 120, price }), Reason.INVALID_PRICE, `STOP cap ${price}`);
    }
    expectAcceptedCommand(newOrder({ orderType: MARKET, tif: IOC, price: 0 }), "MARKET without a cap");
    expectAcceptedCommand(newOrder({ orderType: MARKET, tif: IOC, price: 1e11 }), "MARKET with cap 1e11");
    expectAcceptedCommand(newOrder({ orderType: STOP, stopPrice: 120, price: 0 }), "STOP without a cap");
  });

  test("INVALID_STOP_PRICE: a STOP or STOP_LIMIT stopPrice not an integer in [1, 1e11]", () => {
    for (const stopPrice of [0, -1, 1.5, 1e11 + 1]) {
      expectRejectedCommand(newOrder({ orderType: STOP, stopPrice }), Reason.INVALID_STOP_PRICE, `STOP stopPrice ${stopPrice}`);
      expectRejectedCommand(newOrder({ orderType: STOP_LIMIT, stopPrice }), Reason.INVALID_STOP_PRICE, `STOP_LIMIT stopPrice ${stopPrice}`);
    }
  });

  test("a LIMIT order ignores the stopPrice field (ACCEPTED reports stopPrice 0)", () => {
    const h = setup();
    const events = h.run({ time: h.now, ...newOrder({ stopPrice: -5 }) });
    expect(events[0], "LIMIT with stopPrice -5 is accepted with stopPrice 0").toMatchObject(ev.accepted(50, { stopPrice: 0 }));
  });

  test("INVALID_COMBINATION: POST_ONLY on anything but a GTC, DAY or GTD LIMIT", () => {
    const cases: [Partial<CommandInit>, string][] = [
      [{ tif: IOC }, "LIMIT IOC"],
      [{ tif: FOK }, "LIMIT FOK"],
      [{ orderType: MARKET, tif: IOC }, "MARKET IOC"],
      [{ orderType: STOP, stopPrice: 120 }, "STOP"],
      [{ orderType: STOP_LIMIT, stopPrice: 120 }, "STOP_LIMIT"],
    ];
    for (const [o, what] of cases) {
      expectRejectedCommand(newOrder({ ...o, flags: POST_ONLY }), Reason.INVALID_COMBINATION, `post-only ${what}`);
    }
  });

  test("GTD_IN_PAST: a GTD order whose expireTime is at or before the command time", () => {
    const now = setup().now;
    expectRejectedCommand(newOrder({ tif: GTD, expireTime: now }), Reason.GTD_IN_PAST, "expireTime = command time");
    expectRejectedCommand(newOrder({ tif: GTD, expireTime: now - 1 }), Reason.GTD_IN_PAST, "expireTime before command time");
    expectRejectedCommand(newOrder({ tif: GTD, expireTime: 0 }), Reason.GTD_IN_PAST, "no expireTime");
    expectAcceptedCommand(newOrder({ tif: GTD, expireTime: now + 1 }), "expireTime 1 ns after command time");
  });

  test("STOP_WOULD_TRIGGER: a stop the last trade price has already reached", () => {
    expectRejectedCommand(newOrder({ orderType: STOP, stopPrice: 101 }), Reason.STOP_WOULD_TRIGGER, "buy stop at last 101");
    expectRejectedCommand(newOrder({ orderType: STOP_LIMIT, price: 105, stopPrice: 100 }), Reason.STOP_WOULD_TRIGGER, "buy stop-limit below last 101");
    expectRejectedCommand(newOrder({ side: SELL, orderType: STOP, stopPrice: 101 }), Reason.STOP_WOULD_TRIGGER, "sell stop at last 101");
    expectRejectedCommand(newOrder({ side: SELL, orderType: STOP, stopPrice: 102 }), Reason.STOP_WOULD_TRIGGER, "sell stop above last 101");
    expectAcceptedCommand(newOrder({ orderType: STOP, stopPrice: 102 }), "buy stop above last 101");
    expectAcceptedCommand(newOrder({ side: SELL, orderType: STOP, stopPrice: 100 }), "sell stop below last 101");
  });

  test("PRICE_OUTSIDE_BAND: a LIMIT or STOP_LIMIT price further than floor(R × priceBandBps / 10000) from the reference", () => {
    const o = (x: Partial<CommandInit>) => newOrder({ symbol: BANDED, ...x });
    // No trade yet: R = referencePrice 100, band ±10.
    expectRejectedCommand(o({ price: 111 }), Reason.PRICE_OUTSIDE_BAND, "buy at 111, 11 above 100", bandedSetup);
    expectRejectedCommand(o({ side: SELL, price: 89 }), Reason.PRICE_OUTSIDE_BAND, "sell at 89, 11 below 100", bandedSetup);
    expectRejectedCommand(o({ orderType: STOP_LIMIT, stopPrice: 105, price: 111 }), Reason.PRICE_OUTSIDE_BAND, "stop-limit with limit 111", bandedSetup);
    expectAcceptedCommand(o({ price: 90 }), "buy at 90, at the lower edge", bandedSetup);
    expectAcceptedCommand(o({ side: SELL, price: 110 }), "sell at 110, at the upper edge", bandedSetup);
    expectAcceptedCommand(o({ orderType: MARKET, tif: IOC, price: 150 }), "a MARKET cap is not a limit price: no band check", bandedSetup);
    expectAcceptedCommand(o({ orderType: STOP, stopPrice: 150 }), "a stop price is not checked against the band", bandedSetup);
  });

  test("PRICE_OUTSIDE_BAND measures from the last trade once there is one", () => {
    const traded = () => {
      const h = bandedSetup();
      h.sell({ id: 20, symbol: BANDED, price: 95, qty: 1 }); // trades with order 10 at 95
      expect(h.eng.lastPrice(BANDED), "setup: last trade at 95").toBe(95);
      return h;
    };
    // R = 95: band = floor(9.5) = 9 → [86, 104]
    expectRejectedCommand(newOrder({ symbol: BANDED, price: 105 }), Reason.PRICE_OUTSIDE_BAND, "buy at 105, 10 above 95", traded);
    expectAcceptedCommand(newOrder({ symbol: BANDED, price: 86 }), "buy at 86, 9 below 95", traded);
  });

  test("PRICE_OUTSIDE_BAND needs a reference: without trade or referencePrice any price passes", () => {
    const noRef = () => book([{ id: 5, symbol: "N", tickSize: "1", lotSize: "1", bandBps: 500, priceBandBps: 100 }]);
    expectAcceptedCommand(newOrder({ symbol: 5, price: 1e11 }), "no reference at all", noRef);
  });

  test("POST_ONLY_WOULD_TAKE: a post-only buy at or above the best ask, or sell at or below the best bid", () => {
    expectRejectedCommand(newOrder({ price: 101, flags: POST_ONLY }), Reason.POST_ONLY_WOULD_TAKE, "post-only buy at the ask 101");
    expectRejectedCommand(newOrder({ price: 105, flags: POST_ONLY }), Reason.POST_ONLY_WOULD_TAKE, "post-only buy above the ask");
    expectRejectedCommand(newOrder({ side: SELL, price: 99, flags: POST_ONLY }), Reason.POST_ONLY_WOULD_TAKE, "post-only sell at the bid 99");
    expectRejectedCommand(newOrder({ account: BOB, price: 101, flags: POST_ONLY }), Reason.POST_ONLY_WOULD_TAKE, "post-only buy against its own account's ask");
    expectAcceptedCommand(newOrder({ price: 100, flags: POST_ONLY }), "post-only buy at 100, below the ask");
  });

  test("SYMBOL_HALTED: while the symbol is halted, orders that cannot wait are rejected", () => {
    expectRejectedCommand(newOrder({ orderType: MARKET, tif: IOC }), Reason.SYMBOL_HALTED, "MARKET while halted", haltedSetup);
    expectRejectedCommand(newOrder({ tif: IOC }), Reason.SYMBOL_HALTED, "LIMIT IOC while halted", haltedSetup);
    expectRejectedCommand(newOrder({ tif: FOK }), Reason.SYMBOL_HALTED, "LIMIT FOK while halted", haltedSetup);
  });

  test("while halted, GTC/DAY/GTD limits are accepted and queued (ACCEPTED only), and stops are accepted", () => {
    for (const tif of [GTC, DAY, GTD]) {
      const events = expectAcceptedCommand(newOrder({ tif, price: 101, expireTime: tif === GTD ? 2e9 : 0 }), `LIMIT tif ${tif} while halted`, haltedSetup);
      expect(events, `a limit accepted while halted is queued: no trade, no LEVEL\n${fmtEvents(events)}`).toHaveLength(1);
    }
    expectAcceptedCommand(newOrder({ orderType: STOP, stopPrice: 120 }), "STOP while halted", haltedSetup);
    expectAcceptedCommand(newOrder({ orderType: STOP_LIMIT, stopPrice: 120, price: 121, tif: IOC }), "STOP_LIMIT IOC while halted", haltedSetup);
  });

  test("MARKET_CLOSED: outside the session, orders that cannot wait are rejected", () => {
    const o = (x: Partial<CommandInit>) => newOrder({ symbol: SESSION, ...x });
    expectRejectedCommand(o({ orderType: MARKET, tif: IOC }), Reason.MARKET_CLOSED, "MARKET outside the session", closedSetup);
    expectRejectedCommand(o({ price: 101, tif: IOC }), Reason.MARKET_CLOSED, "LIMIT IOC outside the session", closedSetup);
    const events = expectAcceptedCommand(o({ price: 101, tif: GTC }), "LIMIT GTC outside the session", closedSetup);
    expect(events, `a crossing GTC limit outside the session is only queued\n${fmtEvents(events)}`).toHaveLength(1);
  });

  describe("the first failing check is the reason", () => {
    const cases: [Partial<CommandInit>, number][] = [
      [{ symbol: 99, orderId: 0, account: -1, qty: 0 }, Reason.UNKNOWN_SYMBOL],
      [{ orderId: 0, account: -1, side: 7 }, Reason.INVALID_ORDER_ID],
      [{ orderId: 10, account: -1, qty: 0 }, Reason.DUPLICATE_ORDER_ID],
      [{ account: -1, side: 7, qty: 0 }, Reason.INVALID_ACCOUNT],
      [{ side: 7, orderType: 9, tif: 9, stp: 9 }, Reason.INVALID_SIDE],
      [{ orderType: 9, tif: 9, stp: 9 }, Reason.INVALID_ORDER_TYPE],
      [{ tif: 9, stp: 9, qty: 0 }, Reason.INVALID_TIME_IN_FORCE],
      [{ stp: 9, qty: 0, price: 0 }, Reason.INVALID_STP_MODE],
      [{ qty: 0, price: 0 }, Reason.INVALID_QUANTITY],
      [{ orderType: STOP_LIMIT, price: 0, stopPrice: 0 }, Reason.INVALID_PRICE],
      [{ orderType: STOP_LIMIT, stopPrice: 0, flags: POST_ONLY }, Reason.INVALID_STOP_PRICE],
      [{ orderType: STOP_LIMIT, stopPrice: 101, flags: POST_ONLY, tif: GTD, expireTime: 1 }, Reason.INVALID_COMBINATION],
      [{ orderType: STOP, stopPrice: 101, tif: GTD, expireTime: 1 }, Reason.GTD_IN_PAST],
      [{ price: 101, flags: POST_ONLY, tif: GTD, expireTime: 1 }, Reason.GTD_IN_PAST],
      [{ orderType: MARKET, tif: GTC, price: -1 }, Reason.INVALID_TIME_IN_FORCE],
      [{ orderType: MARKET, tif: IOC, price: -1, qty: 0 }, Reason.INVALID_QUANTITY],
    ];
    for (const [o, reason] of cases) {
      test(`${reasonName(reason)} wins for ${JSON.stringify(o)}`, () => {
        expectRejectedCommand(newOrder(o), reason, `order ${JSON.stringify(o)}`);
      });
    }
    const banded: [Partial<CommandInit>, number][] = [
      [{ symbol: BANDED, orderType: STOP_LIMIT, price: 200, stopPrice: 95 }, Reason.STOP_WOULD_TRIGGER],
      [{ symbol: BANDED, price: 200, tif: GTD, expireTime: 1 }, Reason.GTD_IN_PAST],
      [{ symbol: BANDED, side: SELL, price: 10, flags: POST_ONLY }, Reason.PRICE_OUTSIDE_BAND],
    ];
    for (const [o, reason] of banded) {
      test(`${reasonName(reason)} wins for ${JSON.stringify(o)} (price band 10% around 100)`, () => {
        const make = () => {
          const h = bandedSetup();
          h.sell({ id: 20, symbol: BANDED, price: 95, qty: 1 }); // last trade 95; bid 95 x 4 left
          return h;
        };
        expectRejectedCommand(newOrder(o), reason, `order ${JSON.stringify(o)}`, make);
      });
    }
    test("POST_ONLY_WOULD_TAKE wins over SYMBOL_HALTED", () => {
      expectRejectedCommand(newOrder({ price: 101, flags: POST_ONLY }), Reason.POST_ONLY_WOULD_TAKE, "crossing post-only while halted", haltedSetup);
    });
    test("INVALID_PRICE wins over SYMBOL_HALTED", () => {
      expectRejectedCommand(newOrder({ orderType: MARKET, tif: IOC, price: -1 }), Reason.INVALID_PRICE, "market with a bad cap while halted", haltedSetup);
    });
  });
});

describe("CANCEL validation", () => {
  const cancel = (o: Partial<CommandInit>): CommandInit => ({ type: CommandType.CANCEL, orderId: 10, account: ALICE, symbol: SYM, ...o });

  test("UNKNOWN_SYMBOL: no instrument with that id", () => {
    expectRejectedCommand(cancel({ symbol: 99 }), Reason.UNKNOWN_SYMBOL, "cancel on symbol 99");
    expectRejectedCommand(cancel({ symbol: 99, orderId: 12345 }), Reason.UNKNOWN_SYMBOL, "unknown symbol and unknown order");
  });

  test("UNKNOWN_ORDER: no open order with that id, account and symbol", () => {
    expectRejectedCommand(cancel({ orderId: 12345 }), Reason.UNKNOWN_ORDER, "no such order");
    expectRejectedCommand(cancel({ account: BOB }), Reason.UNKNOWN_ORDER, "Alice's order 10, cancelled by Bob");
    expectRejectedCommand(cancel({ symbol: SYM2 }), Reason.UNKNOWN_ORDER, "order 10 is on symbol 1, not 2");
    expectRejectedCommand(cancel({ orderId: 14, account: 9 }), Reason.UNKNOWN_ORDER, "order 14 was filled");
    expectRejectedCommand(cancel({ orderId: 12, account: BOB }), Reason.UNKNOWN_ORDER, "Alice's pending stop 12, cancelled by Bob");
  });

  test("a valid cancel of the same order is accepted", () => {
    const h = setup();
    expectEvents(h.run(cancel({})), [ev.cancelled(10, Reason.USER_CANCEL), ev.level(BUY, 99, 0, 0)], "Alice cancels order 10");
  });
});

describe("AMEND validation", () => {
  const amend = (o: Partial<CommandInit>): CommandInit => ({ type: CommandType.AMEND, orderId: 10, account: ALICE, symbol: SYM, price: 99, qty: 5, ...o });

  test("UNKNOWN_SYMBOL: no instrument with that id", () => {
    expectRejectedCommand(amend({ symbol: 99 }), Reason.UNKNOWN_SYMBOL, "amend on symbol 99");
    expectRejectedCommand(amend({ symbol: 99, orderId: 12345, qty: 0 }), Reason.UNKNOWN_SYMBOL, "unknown symbol wins over every other check");
  });

  test("UNKNOWN_ORDER: no open order with that id, account and symbol", () => {
    expectRejectedCommand(amend({ orderId: 12345 }), Reason.UNKNOWN_ORDER, "no such order");
    expectRejectedCommand(amend({ account: BOB }), Reason.UNKNOWN_ORDER, "Alice's order, amended by Bob");
    expectRejectedCommand(amend({ symbol: SYM2 }), Reason.UNKNOWN_ORDER, "order 10 is on symbol 1, not 2");
    expectRejectedCommand(amend({ orderId: 14, account: 9, price: 101, qty: 3 }), Reason.UNKNOWN_ORDER, "order 14 was filled");
    expectRejectedCommand(amend({ orderId: 12345, qty: 0, price: 0 }), Reason.UNKNOWN_ORDER, "unknown order wins over a bad qty and price");
  });

  test("INVALID_QUANTITY: qty not an integer in [1, 1e12]", () => {
    for (const qty of [0, -1, 2.5, 1e12 + 1, Number.NaN]) {
      expectRejectedCommand(amend({ qty }), Reason.INVALID_QUANTITY, `amend qty ${qty}`);
    }
    expectRejectedCommand(amend({ qty: 0, price: 0 }), Reason.INVALID_QUANTITY, "a bad qty wins over a bad price");
  });

  test("AMEND_BELOW_FILLED: new total ≤ filled + cancelled", () => {
    expectRejectedCommand(amend({ orderId: 11, account: BOB, price: 101, qty: 2 }), Reason.AMEND_BELOW_FILLED, "order 11 (2 filled) amended to 2");
    expectRejectedCommand(amend({ orderId: 11, account: BOB, price: 101, qty: 1 }), Reason.AMEND_BELOW_FILLED, "order 11 (2 filled) amended to 1");
    expectRejectedCommand(amend({ orderId: 11, account: BOB, price: 0, qty: 2 }), Reason.AMEND_BELOW_FILLED, "below-filled wins over a bad price");
  });

  test("INVALID_PRICE: a LIMIT or STOP_LIMIT's new price not an integer in [1, 1e11]", () => {
    for (const price of [0, -1, 1.5, 1e11 + 1]) {
      expectRejectedCommand(amend({ price }), Reason.INVALID_PRICE, `LIMIT amended to price ${price}`);
    }
    expectRejectedCommand(amend({ orderId: 16, account: BOB, price: 0, stopPrice: 95, qty: 1 }), Reason.INVALID_PRICE, "pending STOP_LIMIT amended to price 0");
    expectRejectedCommand(amend({ orderId: 16, account: BOB, price: 0, stopPrice: 0, qty: 1 }), Reason.INVALID_PRICE, "a bad price wins over a bad stop price");
  });

  test("INVALID_STOP_PRICE: a pending stop's new stopPrice not an integer in [1, 1e11]", () => {
    for (const stopPrice of [0, -1, 1.5, 1e11 + 1]) {
      expectRejectedCommand(amend({ orderId: 12, price: 0, stopPrice, qty: 2 }), Reason.INVALID_STOP_PRICE, `pending STOP amended to stopPrice ${stopPrice}`);
    }
    expectRejectedCommand(amend({ orderId: 16, account: BOB, price: 90, stopPrice: 0, qty: 1 }), Reason.INVALID_STOP_PRICE, "pending STOP_LIMIT amended to stopPrice 0");
  });

  test("STOP_WOULD_TRIGGER: a pending stop's new stopPrice the last trade has reached", () => {
    expectRejectedCommand(amend({ orderId: 12, price: 0, stopPrice: 101, qty: 2 }), Reason.STOP_WOULD_TRIGGER, "buy stop amended to last 101");
    expectRejectedCommand(amend({ orderId: 16, account: BOB, price: 90, stopPrice: 101, qty: 1 }), Reason.STOP_WOULD_TRIGGER, "sell stop-limit amended to last 101");
  });

  test("POST_ONLY_WOULD_TAKE: a post-only order's new price would cross", () => {
    expectRejectedCommand(amend({ orderId: 15, account: 3, price: 101, qty: 1 }), Reason.POST_ONLY_WOULD_TAKE, "post-only bid amended to the ask 101");
  });

  test("PRICE_OUTSIDE_BAND: an amend to a limit outside the price band", () => {
    const a = (x: Partial<CommandInit>) => amend({ symbol: BANDED, ...x });
    expectRejectedCommand(a({ price: 89 }), Reason.PRICE_OUTSIDE_BAND, "bid 95 amended to 89 (band 90–110)", bandedSetup);
    expectRejectedCommand(a({ price: 111 }), Reason.PRICE_OUTSIDE_BAND, "bid 95 amended to 111 (band 90–110)", bandedSetup);
  });

  test("PRICE_OUTSIDE_BAND applies only to a changed limit", () => {
    const moved = () => {
      const h = bandedSetup(); // Alice's bid 10 at 95
      h.sell({ id: 20, symbol: BANDED, price: 108, qty: 1 });
      h.buy({ id: 21, symbol: BANDED, price: 108, qty: 1 }); // last 108: band 98–118, so the bid at 95 is now outside
      return h;
    };
    const a = (x: Partial<CommandInit>) => amend({ symbol: BANDED, price: 95, ...x });
    expectRejectedCommand(a({ price: 96 }), Reason.PRICE_OUTSIDE_BAND, "bid amended from 95 to 96, still below 98", moved);
    let h = moved();
    expectEvents(h.run(a({ qty: 4 })), [ev.amended(10, true, { price: 95, qty: 4 }), ev.level(BUY, 95, 4, 1, BANDED)], "a size decrease at the unchanged, out-of-band price");
    h = moved();
    expect(h.run(a({ qty: 6 }))[0], "a size increase at the unchanged price (loses priority, same limit)").toMatchObject(ev.amended(10, false, { price: 95, qty: 6 }));
    h = moved();
    expect(h.run(a({ price: 98 }))[0], "a new limit inside the band").toMatchObject(ev.amended(10, false, { price: 98 }));
  });

  test("SYMBOL_HALTED: while halted an amend that would lose priority is rejected; one that keeps it is allowed", () => {
    expectRejectedCommand(amend({ price: 98 }), Reason.SYMBOL_HALTED, "a price change while halted", haltedSetup);
    expectRejectedCommand(amend({ qty: 6 }), Reason.SYMBOL_HALTED, "a size increase while halted", haltedSetup);
    const h = haltedSetup();
    expectEvents(h.run(amend({ qty: 4 })), [ev.amended(10, true, { qty: 4, leaves: 4 }), ev.level(BUY, 99, 4, 1)], "a size decrease while halted");
  });

  test("an order queued while halted takes an amend in place (kept priority)", () => {
    const h = haltedSetup();
    h.run({ ...VALID_NEW, time: h.now, orderId: 60, price: 97, qty: 3 });
    expect(h.open(60).status, "accepted while halted: queued").toBe("queued");
    expectEvents(h.run(amend({ orderId: 60, account: 7, price: 96, qty: 5 })), [ev.amended(60, true, { price: 96, qty: 5, leaves: 5, oldPrice: 97, oldQty: 3 })]);
    expect(h.open(60), "still queued, with the new price and size").toMatchObject({ status: "queued", price: 96, qty: 5 });
  });

  test("fields that do not apply are ignored: a LIMIT's stopPrice", () => {
    const h = setup();
    expect(h.run(amend({ stopPrice: -1, qty: 4 }))[0], "LIMIT amended with stopPrice -1").toMatchObject(ev.amended(10, true, { qty: 4 }));
  });
});
