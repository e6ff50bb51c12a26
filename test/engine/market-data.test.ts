/**
 * Example suites for docs/market-data.md: each test drives a real MatchingEngine (or the whole
 * Exchange) one command at a time and reads the MarketDataBuilder's updates for that command.
 */
import { describe, expect, test } from "bun:test";
import { Interval, INTERVALS } from "../../engine/candles.ts";
import { ALL_SYMBOLS, type CommandInit, CommandType, makeCommand, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import { Ev, EVENT_WIDTH, EventBuffer, EventType, Level } from "../../engine/events.ts";
import { decodeUpdates, MarketDataBuilder, type MarketDataUpdate, UpdateType } from "../../engine/market-data.ts";
import { MatchingEngine } from "../../engine/matching.ts";
import { MarketState } from "../../engine/book.ts";
import { Reason } from "../../engine/reasons.ts";
import { ABC, ALICE, BOB, Harness } from "./exchange-harness.ts";

const { BUY, SELL } = Side;
const { LIMIT, MARKET } = OrderType;
const { GTC, IOC, GTD } = TimeInForce;

/** 2024-01-02T00:00:00Z in µs: a UTC midnight, so every interval starts here. */
const MIDNIGHT = 1_704_153_600_000_000;
const MINUTE = Interval.M1;

const SYM = 1;
const SYM2 = 2;

/** A MatchingEngine and a MarketDataBuilder fed command by command; time is the command's. */
class Feed {
  readonly engine = new MatchingEngine([
    { id: SYM, symbol: "T", tickSize: "0.01", lotSize: "1", bandBps: 500 },
    { id: SYM2, symbol: "U", tickSize: "0.5", lotSize: "1", bandBps: 1000, referencePrice: 200 },
  ]);
  readonly md: MarketDataBuilder;
  readonly out = new EventBuffer(8);
  seq = 0;
  time = MIDNIGHT;
  private nextId = 1;

  constructor(opts: { candleHistory?: number } = {}) {
    this.md = new MarketDataBuilder({ symbols: [SYM, SYM2], ...opts });
  }

  run(init: Omit<CommandInit, "time"> & { time?: number }): MarketDataUpdate[] {
    if (init.time !== undefined) this.time = init.time;
    const cmd = makeCommand({ ...init, time: this.time });
    this.out.reset();
    this.engine.execute(cmd, this.out);
    this.md.apply(this.out, this.time, ++this.seq);
    return decodeUpdates(this.md.updates);
  }

  order(side: number, price: number, qty: number, more: Partial<CommandInit> = {}): MarketDataUpdate[] {
    const orderId = more.orderId ?? this.nextId;
    this.nextId = Math.max(this.nextId, orderId + 1);
    return this.run({ type: CommandType.NEW_ORDER, orderId, account: 100 + orderId, symbol: SYM, side, orderType: LIMIT, tif: GTC, price, qty, ...more });
  }

  buy(price: number, qty: number, more: Partial<CommandInit> = {}) {
    return this.order(BUY, price, qty, more);
  }

  sell(price: number, qty: number, more: Partial<CommandInit> = {}) {
    return this.order(SELL, price, qty, more);
  }

  at(time: number): this {
    this.time = time;
    return this;
  }
}

const types = (us: MarketDataUpdate[]) => us.map((u) => u.type);
const only = <T extends MarketDataUpdate["type"]>(us: MarketDataUpdate[], type: T) => us.filter((u) => u.type === type) as Extract<MarketDataUpdate, { type: T }>[];

describe("L2 book diffs", () => {
  test("a resting order writes one BOOK level and a BBO, mdSeq 1 and 2", () => {
    const f = new Feed();
    const us = f.buy(100, 5);
    expect(us).toEqual([
      { type: "book", symbol: SYM, mdSeq: 1, seq: 1, time: MIDNIGHT, bids: [{ price: 100, qty: 5, count: 1 }], asks: [] },
      { type: "bbo", symbol: SYM, mdSeq: 2, seq: 1, time: MIDNIGHT, bidPrice: 100, bidQty: 5, askPrice: 0, askQty: 0 },
    ]);
    expect(f.md.snapshot(SYM)).toMatchObject({ mdSeq: 2, seq: 1, bids: [{ price: 100, qty: 5, count: 1 }], asks: [] });
  });

  test("a level that empties is sent with qty 0 and leaves the snapshot", () => {
    const f = new Feed();
    f.buy(100, 5, { orderId: 1, account: 7 });
    f.buy(99, 2);
    const us = f.run({ type: CommandType.CANCEL, orderId: 1, account: 7, symbol: SYM });
    expect(only(us, "book")[0]!.bids).toEqual([{ price: 100, qty: 0, count: 0 }]);
    expect(f.md.snapshot(SYM).bids).toEqual([{ price: 99, qty: 2, count: 1 }]);
  });

  test("several LEVEL events for one price in one command become one change with the last value", () => {
    const f = new Feed();
    f.sell(101, 5, { orderId: 1, account: 7 });
    f.sell(101, 3);
    // A larger quantity loses priority: the order leaves the level and enters it again.
    f.out.reset();
    const us = f.run({ type: CommandType.AMEND, orderId: 1, account: 7, symbol: SYM, price: 101, qty: 8 });
    const levelEvents = [];
    for (let b = 0; b < f.out.count * EVENT_WIDTH; b += EVENT_WIDTH) if (Ev.type(f.out.data, b) === EventType.LEVEL) levelEvents.push(Level.qty(f.out.data, b));
    expect(levelEvents, "the engine wrote two LEVEL events for 101").toEqual([3, 11]);
    expect(only(us, "book")).toHaveLength(1);
    expect(only(us, "book")[0]!.asks).toEqual([{ price: 101, qty: 11, count: 2 }]);
  });

  test("a level that ends the command as it began is not in the diff", () => {
    const f = new Feed();
    f.sell(101, 5, { tif: GTD, expireTime: MIDNIGHT + 10 });
    // At +10 the first order expires (LEVEL 101 → 0) and an identical one rests (LEVEL 101 → 5).
    const us = f.at(MIDNIGHT + 10).sell(101, 5);
    expect(us, "no BOOK and no BBO: nothing a subscriber can see changed").toEqual([]);
    expect(f.md.snapshot(SYM).asks).toEqual([{ price: 101, qty: 5, count: 1 }]);
  });

  test("a sweep through three levels sends each level once", () => {
    const f = new Feed();
    f.sell(101, 1);
    f.sell(102, 1);
    f.sell(103, 1);
    f.sell(103, 4);
    const us = f.buy(103, 3);
    const book = only(us, "book")[0]!;
    expect(book.asks).toEqual([
      { price: 101, qty: 0, count: 0 },
      { price: 102, qty: 0, count: 0 },
      { price: 103, qty: 4, count: 1 },
    ]);
    expect(book.bids).toEqual([]);
  });

  test("a truncated snapshot gives the best n levels a side", () => {
    const f = new Feed();
    for (const p of [96, 97, 98, 99]) f.buy(p, 1);
    for (const p of [101, 102, 103]) f.sell(p, 2);
    const snap = f.md.snapshot(SYM, 2);
    expect(snap.bids.map((l) => l.price)).toEqual([99, 98]);
    expect(snap.asks.map((l) => l.price)).toEqual([101, 102]);
    expect(f.md.snapshot(SYM).bids).toEqual(f.engine.depth(SYM, BUY));
  });

  test("mdSeq counts per symbol: one command touching two symbols numbers each from its own", () => {
    const f = new Feed();
    f.buy(100, 1, { tif: TimeInForce.DAY });
    f.buy(100, 1, { tif: TimeInForce.DAY });
    f.run({ type: CommandType.NEW_ORDER, orderId: 50, account: 1, symbol: SYM2, side: SELL, orderType: LIMIT, tif: TimeInForce.DAY, price: 210, qty: 1 });
    const us = f.run({ type: CommandType.END_OF_DAY, symbol: ALL_SYMBOLS });
    expect(us.map((u) => [u.symbol, u.type, u.mdSeq])).toEqual([
      [SYM, "book", 5],
      [SYM, "bbo", 6],
      [SYM2, "book", 3],
      [SYM2, "bbo", 4],
    ]);
  });
});

describe("best bid and offer", () => {
  test("a change deeper in the book writes no BBO", () => {
    const f = new Feed();
    f.buy(100, 5);
    expect(types(f.buy(99, 5))).toEqual(["book"]);
  });

  test("a qty change at the touch writes a BBO", () => {
    const f = new Feed();
    f.buy(100, 5);
    f.sell(102, 1);
    const us = f.buy(100, 2);
    expect(only(us, "bbo")).toMatchObject([{ bidPrice: 100, bidQty: 7, askPrice: 102, askQty: 1 }]);
  });

  test("an emptied side reads price 0, qty 0", () => {
    const f = new Feed();
    f.sell(102, 1, { orderId: 1, account: 7 });
    const us = f.run({ type: CommandType.CANCEL, orderId: 1, account: 7, symbol: SYM });
    expect(only(us, "bbo")).toMatchObject([{ bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0 }]);
    expect(f.md.bbo(SYM)).toEqual({ mdSeq: 4, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0 });
  });
});

describe("trades", () => {
  test("a trade writes TRADE (price, qty, taker side, trade id), then BOOK, BBO and one candle per interval", () => {
    const f = new Feed();
    f.sell(101, 5);
    f.sell(102, 5);
    const t = MIDNIGHT + 1234;
    const us = f.at(t).buy(102, 7);
    expect(types(us)).toEqual(["trade", "trade", "book", "bbo", "candle", "candle", "candle", "candle", "candle"]);
    expect(only(us, "trade")).toEqual([
      { type: "trade", symbol: SYM, mdSeq: 4, seq: 3, time: t, price: 101, qty: 5, takerSide: BUY, tradeId: 1 },
      { type: "trade", symbol: SYM, mdSeq: 5, seq: 3, time: t, price: 102, qty: 2, takerSide: BUY, tradeId: 2 },
    ]);
    // 101 rested (BOOK, BBO), 102 behind it (BOOK): this command's updates start at 4.
    expect(us.map((u) => u.mdSeq)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(only(us, "candle").map((c) => c.interval)).toEqual([...INTERVALS]);
    for (const c of only(us, "candle")) expect(c).toMatchObject({ openTime: MIDNIGHT, open: 101, high: 102, low: 101, close: 102, volume: 7, trades: 2, closed: false });
    expect(f.md.snapshot(SYM).lastPrice).toBe(102);
  });
});

describe("candles", () => {
  /** A resting sell of `qty` at `price` and a buy that takes it, the buy at `time`. */
  const print = (f: Feed, time: number, price: number, qty = 1) => {
    f.sell(price, qty);
    return f.at(time).buy(price, qty, { tif: IOC });
  };

  test("a trade at the last µs of a minute and one at the first µs of the next make two 1m candles", () => {
    const f = new Feed();
    const m1 = MIDNIGHT + MINUTE;
    print(f, m1 - 1, 100, 2);
    const us = print(f, m1, 105, 3);
    const closed = only(us, "candle").filter((c) => c.closed);
    // Both the 1s and the 1m candle of the first trade end at m1; 5m, 1h and 1d go on.
    expect(closed.map((c) => [c.interval, c.openTime, c.close, c.volume])).toEqual([
      [Interval.S1, m1 - Interval.S1, 100, 2],
      [Interval.M1, MIDNIGHT, 100, 2],
    ]);
    expect(f.md.candles(SYM, Interval.M1)).toEqual([
      { interval: MINUTE, openTime: MIDNIGHT, open: 100, high: 100, low: 100, close: 100, volume: 2, trades: 1, closed: true },
      { interval: MINUTE, openTime: m1, open: 105, high: 105, low: 105, close: 105, volume: 3, trades: 1, closed: false },
    ]);
    expect(f.md.candles(SYM, Interval.M5)).toEqual([
      { interval: Interval.M5, openTime: MIDNIGHT, open: 100, high: 105, low: 100, close: 105, volume: 5, trades: 2, closed: false },
    ]);
  });

  test("closes come first in a command's updates, before its trades", () => {
    const f = new Feed();
    print(f, MIDNIGHT + 5, 100);
    f.sell(100, 1);
    const us = f.at(MIDNIGHT + MINUTE).buy(100, 1, { tif: IOC });
    expect(types(us).slice(0, 3)).toEqual(["candle", "candle", "trade"]);
  });

  test("open is the first price, close the last; high, low, volume and count are exact", () => {
    const f = new Feed();
    const t = MIDNIGHT + 7 * MINUTE;
    print(f, t + 1, 100, 1);
    print(f, t + 2, 104, 2);
    print(f, t + 3, 97, 3);
    print(f, t + 4, 101, 4);
    const [c] = f.md.candles(SYM, Interval.M1);
    expect(c).toEqual({ interval: MINUTE, openTime: t, open: 100, high: 104, low: 97, close: 101, volume: 10, trades: 4, closed: false });
  });

  test("an interval with no trades makes no candle", () => {
    const f = new Feed();
    print(f, MIDNIGHT + 10, 100);
    print(f, MIDNIGHT + 3 * MINUTE + 10, 101);
    expect(f.md.candles(SYM, Interval.M1).map((c) => c.openTime)).toEqual([MIDNIGHT, MIDNIGHT + 3 * MINUTE]);
  });

  test("advance(time) closes a candle exactly at its end, not a µs before", () => {
    const f = new Feed();
    print(f, MIDNIGHT + 10, 100);
    f.md.advance(MIDNIGHT + Interval.S1 - 1);
    expect(decodeUpdates(f.md.updates)).toEqual([]);
    f.md.advance(MIDNIGHT + Interval.S1);
    expect(decodeUpdates(f.md.updates)).toEqual([
      { type: "candle", symbol: SYM, mdSeq: 11, seq: 2, time: MIDNIGHT + Interval.S1, interval: Interval.S1, openTime: MIDNIGHT, open: 100, high: 100, low: 100, close: 100, volume: 1, trades: 1, closed: true },
    ]);
    f.md.advance(MIDNIGHT + Interval.D1);
    expect(only(decodeUpdates(f.md.updates), "candle").map((c) => c.interval)).toEqual([Interval.M1, Interval.M5, Interval.H1, Interval.D1]);
    expect(f.md.candles(SYM, Interval.D1)).toMatchObject([{ openTime: MIDNIGHT, closed: true }]);
  });

  test("any command's time closes candles too, even one that touches nothing", () => {
    const f = new Feed();
    print(f, MIDNIGHT + 10, 100);
    const us = f.run({ type: CommandType.TICK, time: MIDNIGHT + 2 * Interval.S1 });
    expect(us).toMatchObject([{ type: "candle", interval: Interval.S1, closed: true }]);
  });

  test("candles() gives the last n, oldest first, the open one last; the history keeps candleHistory", () => {
    const f = new Feed({ candleHistory: 3 });
    for (let s = 0; s < 6; s++) print(f, MIDNIGHT + s * Interval.S1, 100 + s);
    expect(f.md.candles(SYM, Interval.S1).map((c) => [c.open, c.closed])).toEqual([
      [102, true],
      [103, true],
      [104, true],
      [105, false],
    ]);
    expect(f.md.candles(SYM, Interval.S1, 2).map((c) => c.open)).toEqual([104, 105]);
    expect(f.md.candles(SYM, Interval.S1, 0)).toEqual([]);
    expect(f.md.candles(99, Interval.S1)).toEqual([]);
    expect(() => f.md.candles(SYM, 2 * Interval.S1)).toThrow("no candles of interval");
  });

  test("time never goes back: an earlier command time counts as the latest seen", () => {
    const md = new MarketDataBuilder();
    const ev = new EventBuffer();
    ev.write(EventType.TRADE, SYM, 1, 1, BUY, 100, 1, 0, 2, 2, 0, 1);
    md.apply(ev, MIDNIGHT + MINUTE, 1);
    md.apply(ev, MIDNIGHT + 5, 2);
    expect(decodeUpdates(md.updates)[0]).toMatchObject({ type: "trade", time: MIDNIGHT + MINUTE });
    expect(md.candles(SYM, Interval.M1)).toMatchObject([{ openTime: MIDNIGHT + MINUTE, trades: 2 }]);
  });
});

describe("symbol status", () => {
  test("a halt and a resume write STATUS updates and the snapshot carries the state", () => {
    const f = new Feed();
    f.buy(100, 1);
    const halted = f.run({ type: CommandType.HALT, symbol: SYM, expireTime: MIDNIGHT + 500 });
    expect(halted).toEqual([{ type: "status", symbol: SYM, mdSeq: 3, seq: 2, time: MIDNIGHT, state: MarketState.HALTED, until: MIDNIGHT + 500, reason: Reason.SYMBOL_HALTED }]);
    expect(f.md.snapshot(SYM)).toMatchObject({ state: MarketState.HALTED, until: MIDNIGHT + 500, reason: Reason.SYMBOL_HALTED });
    // The halt ends with time: the next command's events start with the STATUS.
    const us = f.run({ type: CommandType.TICK, time: MIDNIGHT + 500 });
    expect(us).toMatchObject([{ type: "status", state: MarketState.OPEN, until: Infinity, reason: Reason.OK }]);
  });
});

describe("output and integration", () => {
  test("apply takes a range of a shared buffer, as the runtime delivers it", () => {
    const engine = new MatchingEngine([{ id: SYM, symbol: "T", tickSize: "1", lotSize: "1", bandBps: 500 }]);
    const out = new EventBuffer();
    engine.execute(makeCommand({ type: CommandType.NEW_ORDER, time: MIDNIGHT, orderId: 1, account: 1, symbol: SYM, side: SELL, price: 101, qty: 2 }), out);
    const end1 = out.count;
    engine.execute(makeCommand({ type: CommandType.NEW_ORDER, time: MIDNIGHT + 1, orderId: 2, account: 2, symbol: SYM, side: BUY, orderType: MARKET, tif: IOC, qty: 1 }), out);
    const md = new MarketDataBuilder();
    md.apply(out, MIDNIGHT, 1, 0, end1);
    expect(types(decodeUpdates(md.updates))).toEqual(["book", "bbo"]);
    md.apply(out, MIDNIGHT + 1, 2, end1, out.count);
    expect(types(decodeUpdates(md.updates))).toEqual(["trade", "book", "bbo", "candle", "candle", "candle", "candle", "candle"]);
    expect(md.snapshot(SYM).asks).toEqual(engine.depth(SYM, SELL));
  });

  test("the output buffers stop growing once warm: steady traffic allocates no new arrays", () => {
    const f = new Feed();
    for (let i = 0; i < 20; i++) {
      f.sell(101, 1);
      f.buy(101, 1);
    }
    const data = f.md.updates.data;
    const levels = f.md.updates.levels;
    for (let i = 0; i < 2000; i++) {
      f.sell(101 + (i % 3), 1);
      f.buy(103, 1);
    }
    expect(f.md.updates.data).toBe(data);
    expect(f.md.updates.levels).toBe(levels);
    const u = f.md.updates;
    expect(u.get(0, 0)).toBe(UpdateType.TRADE);
  });

  test("seed() starts a builder beside an engine that already has a book, writing nothing", () => {
    const f = new Feed();
    for (const p of [98, 99, 100]) f.buy(p, 2);
    f.sell(103, 4);
    const md = new MarketDataBuilder();
    md.seed(SYM, f.engine.depth(SYM, BUY), f.engine.depth(SYM, SELL), f.engine.market(SYM));
    expect(md.updates.count).toBe(0);
    expect(md.snapshot(SYM)).toMatchObject({ mdSeq: 0, bids: f.engine.depth(SYM, BUY), asks: f.engine.depth(SYM, SELL) });
    expect(md.bbo(SYM)).toEqual({ mdSeq: 0, bidPrice: 100, bidQty: 2, askPrice: 103, askQty: 4 });
    f.out.reset();
    f.engine.execute(makeCommand({ type: CommandType.NEW_ORDER, time: f.time, orderId: 900, account: 9, symbol: SYM, side: SELL, price: 99, qty: 3 }), f.out);
    md.apply(f.out, f.time, 1);
    expect(only(decodeUpdates(md.updates), "book")[0]!.bids).toEqual([
      { price: 100, qty: 0, count: 0 },
      { price: 99, qty: 1, count: 1 },
    ]);
    expect(md.snapshot(SYM).bids).toEqual(f.engine.depth(SYM, BUY));
  });

  test("through the whole Exchange: account events are ignored, the book and trades come through", () => {
    const h = new Harness();
    const md = new MarketDataBuilder();
    let seq = 0;
    const step = () => md.apply(h.out, h.time, ++seq);
    h.fund(ALICE, { 1: 1_000_000_00n });
    h.fund(BOB, {}, { [ABC]: [50, 10_000] });
    h.sell({ account: BOB, symbol: ABC, price: 10_010, qty: 20 });
    step();
    expect(types(decodeUpdates(md.updates))).toEqual(["book", "bbo"]);
    h.buy({ account: ALICE, symbol: ABC, price: 10_010, qty: 5 });
    step();
    const us = decodeUpdates(md.updates);
    expect(only(us, "trade")).toMatchObject([{ symbol: ABC, price: 10_010, qty: 5, takerSide: BUY, tradeId: 1, seq: 2 }]);
    expect(md.snapshot(ABC).asks).toEqual(h.ex.book.depth(ABC, SELL));
    expect(md.snapshot(ABC).asks).toEqual([{ price: 10_010, qty: 15, count: 1 }]);
  });
});
