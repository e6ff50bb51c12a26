import { InvariantError } from "./errors.ts";
import type { Candle } from "./candles.ts";
import { Side } from "./commands.ts";
import type { LevelView } from "./matching.ts";

/**
 * The market-data builder's output (engine/market-data.ts): update types, the flat record layout,
 * the reusable buffer it is written into, and an object form for tests and tools. A gateway that
 * turns updates into frames needs only this module. docs/market-data.md is the contract.
 */
export const UpdateType = {
  /** The levels of one side or both that this command changed, absolute values (qty 0 = gone). */
  BOOK: 1,
  /** Best bid and offer, written when either price or qty at the touch changed. */
  BBO: 2,
  TRADE: 3,
  /** A candle that trades changed (closed 0), or a candle that time closed (closed 1). */
  CANDLE: 4,
  STATUS: 5,
} as const;

/**
 * Update record layout (Float64 slots), the same width as an engine event:
 *
 *  slot  BOOK         BBO         TRADE        CANDLE      STATUS
 *  0     type
 *  1     symbol
 *  2     mdSeq        (per symbol, +1 for every update of that symbol)
 *  3     seq          (the command's sequence number; for advance(), the last one applied)
 *  4     time         (engine time, µs)
 *  5     first level  bid price   price        interval    state
 *  6     level count  bid qty     qty          open time   until (may be Infinity)
 *  7     -            ask price   taker side   open        reason
 *  8     -            ask qty     trade id     high        -
 *  9                                           low
 *  10                                          close
 *  11                                          volume
 *  12                                          trades
 *  13                                          closed (0 / 1)
 *
 * A BOOK update's levels are `level count` records of LEVEL_WIDTH slots in `UpdateBuffer.levels`
 * from index `first level`: side, price, qty (0 = removed), order count.
 */
export const MD_WIDTH = 14;

export const U = {
  TYPE: 0,
  SYMBOL: 1,
  MD_SEQ: 2,
  SEQ: 3,
  TIME: 4,
  // BOOK
  FIRST: 5,
  LEVELS: 6,
  // BBO
  BID_PRICE: 5,
  BID_QTY: 6,
  ASK_PRICE: 7,
  ASK_QTY: 8,
  // TRADE
  PRICE: 5,
  QTY: 6,
  TAKER_SIDE: 7,
  TRADE_ID: 8,
  // CANDLE
  INTERVAL: 5,
  OPEN_TIME: 6,
  OPEN: 7,
  HIGH: 8,
  LOW: 9,
  CLOSE: 10,
  VOLUME: 11,
  TRADES: 12,
  CLOSED: 13,
  // STATUS
  STATE: 5,
  UNTIL: 6,
  REASON: 7,
} as const;

export const LEVEL_WIDTH = 4;
export const L = { SIDE: 0, PRICE: 1, QTY: 2, ORDERS: 3 } as const;

/**
 * The builder's output: flat records reused from call to call (like EventBuffer), so building
 * market data allocates nothing; the arrays only grow, by doubling, when one call writes more than
 * they have ever held. Valid until the next `apply` or `advance`.
 */
export class UpdateBuffer {
  data: Float64Array;
  count = 0;
  levels: Float64Array;
  levelCount = 0;

  constructor(initialUpdates = 64, initialLevels = 64) {
    this.data = new Float64Array(initialUpdates * MD_WIDTH);
    this.levels = new Float64Array(initialLevels * LEVEL_WIDTH);
  }

  reset(): void {
    this.count = 0;
    this.levelCount = 0;
  }

  /** Reserves one update and returns its base offset in `data`; the caller fills every slot. */
  claim(): number {
    const base = this.count * MD_WIDTH;
    if (base + MD_WIDTH > this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.count++;
    return base;
  }

  /** Reserves one level record and returns its base offset in `levels`. */
  claimLevel(): number {
    const base = this.levelCount * LEVEL_WIDTH;
    if (base + LEVEL_WIDTH > this.levels.length) {
      const next = new Float64Array(this.levels.length * 2);
      next.set(this.levels);
      this.levels = next;
    }
    this.levelCount++;
    return base;
  }

  get(index: number, field: number): number {
    return this.data[index * MD_WIDTH + field]!;
  }
}

/** Object form of an update, for tests, tools and the gateway's slow paths. */
export type MarketDataUpdate =
  | { type: "book"; symbol: number; mdSeq: number; seq: number; time: number; bids: LevelView[]; asks: LevelView[] }
  | { type: "bbo"; symbol: number; mdSeq: number; seq: number; time: number; bidPrice: number; bidQty: number; askPrice: number; askQty: number }
  | { type: "trade"; symbol: number; mdSeq: number; seq: number; time: number; price: number; qty: number; takerSide: number; tradeId: number }
  | ({ type: "candle"; symbol: number; mdSeq: number; seq: number; time: number } & Candle)
  | { type: "status"; symbol: number; mdSeq: number; seq: number; time: number; state: number; until: number; reason: number };

export function decodeUpdate(buf: UpdateBuffer, index: number): MarketDataUpdate {
  const g = (f: number) => buf.get(index, f);
  const head = { symbol: g(U.SYMBOL), mdSeq: g(U.MD_SEQ), seq: g(U.SEQ), time: g(U.TIME) };
  switch (g(U.TYPE)) {
    case UpdateType.BOOK: {
      const bids: LevelView[] = [];
      const asks: LevelView[] = [];
      const first = g(U.FIRST);
      const n = g(U.LEVELS);
      const lv = buf.levels;
      for (let k = first; k < first + n; k++) {
        const b = k * LEVEL_WIDTH;
        (lv[b + L.SIDE] === Side.BUY ? bids : asks).push({ price: lv[b + L.PRICE]!, qty: lv[b + L.QTY]!, count: lv[b + L.ORDERS]! });
      }
      return { type: "book", ...head, bids, asks };
    }
    case UpdateType.BBO:
      return { type: "bbo", ...head, bidPrice: g(U.BID_PRICE), bidQty: g(U.BID_QTY), askPrice: g(U.ASK_PRICE), askQty: g(U.ASK_QTY) };
    case UpdateType.TRADE:
      return { type: "trade", ...head, price: g(U.PRICE), qty: g(U.QTY), takerSide: g(U.TAKER_SIDE), tradeId: g(U.TRADE_ID) };
    case UpdateType.CANDLE:
      return {
        type: "candle",
        ...head,
        interval: g(U.INTERVAL),
        openTime: g(U.OPEN_TIME),
        open: g(U.OPEN),
        high: g(U.HIGH),
        low: g(U.LOW),
        close: g(U.CLOSE),
        volume: g(U.VOLUME),
        trades: g(U.TRADES),
        closed: g(U.CLOSED) === 1,
      };
    case UpdateType.STATUS:
      return { type: "status", ...head, state: g(U.STATE), until: g(U.UNTIL), reason: g(U.REASON) };
    default:
      throw new InvariantError(`unknown market-data update type ${g(U.TYPE)} at index ${index}`);
  }
}

export function decodeUpdates(buf: UpdateBuffer): MarketDataUpdate[] {
  const out: MarketDataUpdate[] = [];
  for (let i = 0; i < buf.count; i++) out.push(decodeUpdate(buf, i));
  return out;
}
