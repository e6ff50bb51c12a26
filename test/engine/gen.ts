/**
 * fast-check arbitraries for random command streams against a small market: 2 symbols, 4
 * accounts, prices mostly 95..105 ticks and quantities 1..12 lots, so orders cross, partly fill,
 * hit their own account (self-trade prevention), trigger stops, expire, run into the symbol-side
 * guards and get queued by halts all the time. A few percent of every field is invalid, to
 * exercise each reject.
 *
 * A stream is generated as a list of *intents* (plain random records) and then folded into
 * commands by a deterministic pass that keeps the clock monotonic, hands out increasing order ids
 * (occasionally a duplicate or an invalid one) and aims cancels / amends mostly at orders that are
 * open at that point (a reference matcher runs inside the fold only to know which). Shrinking works
 * on the intents, so a failing stream shrinks to a short one that still makes sense.
 */
import fc from "fast-check";
import { ALL_SYMBOLS, CommandType, Flags, makeCommand, OrderType, Side, StpMode, TimeInForce, type CommandInit } from "../../engine/commands.ts";
import { EventBuffer } from "../../engine/events.ts";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import { ReferenceMatcher } from "./reference-matcher.ts";

/** Symbol ids of the generated market. */
export const SYMBOLS = [1, 2] as const;
/** A symbol id no instrument has. */
export const UNKNOWN_SYMBOL_ID = 9;
export const ACCOUNTS = 4;
export const MIN_PRICE = 95;
export const MAX_PRICE = 105;

/**
 * Symbol 1: the plain core, no configured reference price (a market order's band starts from the
 * best opposite price), no guards. Symbol 2: a reference price and every symbol-side guard on, tight
 * enough for the 95..105 range to hit them: limits within 4 ticks of R, prints within 2 ticks of
 * the last, and a 20 µs halt when prices spread more than 2% (1-2 ticks) within 60 µs. (No
 * calendars: the reference matcher does not model sessions.)
 */
export const INSTRUMENTS: InstrumentSpec[] = [
  { id: 1, symbol: "AAA", tickSize: "1", lotSize: "1", bandBps: 500, referencePrice: 0 },
  {
    id: 2,
    symbol: "BBB",
    tickSize: "0.01",
    lotSize: "1",
    bandBps: 300,
    referencePrice: 100,
    priceBandBps: 400,
    tradeBandBps: 200,
    volatilityBps: 200,
    volatilityWindowUs: 60,
    haltUs: 20,
  },
];

export type GenCommand = CommandInit & { type: number; time: number };

export const START_TIME = 1_000_000;

// ------------------------------------------------------------------ intents

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

/** 0 / 1 index into SYMBOLS, or -1 for an unknown symbol. */
const symIdx = fc.oneof(w(60, fc.constant(0)), w(38, fc.constant(1)), w(2, fc.constant(-1)));
const dt = fc.oneof(w(6, fc.constant(0)), w(4, fc.integer({ min: 1, max: 3 })));
const price = fc.oneof(
  w(60, fc.integer({ min: 98, max: 102 })),
  w(37, fc.integer({ min: MIN_PRICE, max: MAX_PRICE })),
  w(2, fc.constantFrom(0, -1, 100.5, 1e11 + 1, Number.NaN)),
  w(1, fc.constantFrom(1, 1e11)), // extreme but valid
);
const qty = fc.oneof(w(80, fc.integer({ min: 1, max: 6 })), w(17, fc.integer({ min: 7, max: 12 })), w(2, fc.constantFrom(0, -2, 1.5, 1e12 + 1, Number.NaN)), w(1, fc.constant(1e12)));

const newIntent = fc.record({
  kind: fc.constant("new" as const),
  sym: symIdx,
  account: fc.oneof(w(98, fc.integer({ min: 0, max: ACCOUNTS - 1 })), w(2, fc.constantFrom(-1, 0.5))),
  side: fc.oneof(w(99, fc.constantFrom(Side.BUY, Side.SELL)), w(1, fc.constant(2))),
  orderType: fc.oneof(
    w(60, fc.constant(OrderType.LIMIT)),
    w(14, fc.constant(OrderType.MARKET)),
    w(12, fc.constant(OrderType.STOP)),
    w(12, fc.constant(OrderType.STOP_LIMIT)),
    w(1, fc.constant(4)),
  ),
  tif: fc.oneof(
    w(30, fc.constant(TimeInForce.GTC)),
    w(15, fc.constant(TimeInForce.IOC)),
    w(12, fc.constant(TimeInForce.FOK)),
    w(20, fc.constant(TimeInForce.DAY)),
    w(22, fc.constant(TimeInForce.GTD)),
    w(1, fc.constant(7)),
  ),
  /** A limit sometimes goes straight at the best opposite price (0..1 tick through it), to trade. */
  aggressive: fc.oneof(w(75, fc.constant(false)), w(25, fc.constant(true))),
  /** MARKET and STOP: `price` is a cap (else 0) this often. */
  capped: fc.oneof(w(7, fc.constant(false)), w(3, fc.constant(true))),
  /** A market order usually gets a tif it may have (IOC / FOK). */
  fixMarketTif: fc.oneof(w(9, fc.constant(true)), w(1, fc.constant(false))),
  stp: fc.oneof(w(50, fc.constant(StpMode.CANCEL_NEWEST)), w(49, fc.integer({ min: 1, max: 4 })), w(1, fc.constant(5))),
  price,
  /** Absolute, or ("rel") 0..3 ticks beyond the last trade price on the side that has not triggered yet. */
  stopPrice: fc.oneof(
    w(25, fc.integer({ min: MIN_PRICE, max: MAX_PRICE })),
    w(72, fc.record({ rel: fc.integer({ min: 0, max: 3 }) })),
    w(3, fc.constantFrom(0, 2.5)),
  ),
  qty,
  /** Post-only is mostly asked for where it is allowed (LIMIT GTC / DAY / GTD), sometimes anywhere. */
  postOnly: fc.oneof(w(85, fc.constant("no" as const)), w(13, fc.constant("whereAllowed" as const)), w(2, fc.constant("any" as const))),
  /** GTD expiry relative to the command time; ≤ 0 is GTD_IN_PAST. */
  expireIn: fc.oneof(w(95, fc.integer({ min: 1, max: 80 })), w(5, fc.integer({ min: -2, max: 0 }))),
  idMode: fc.oneof(w(95, fc.constant("next" as const)), w(4, fc.constant("dup" as const)), w(1, fc.constant("bad" as const))),
  pick: fc.nat(),
  dt,
});

/**
 * Which order a cancel / amend aims at: usually one that is open right now (the fold asks a
 * reference matcher), sometimes a recent one that may be gone; and whether it deliberately misses.
 */
const target = {
  pick: fc.nat(),
  open: fc.oneof(w(85, fc.constant(true)), w(15, fc.constant(false))),
  miss: fc.oneof(
    w(90, fc.constant("none" as const)),
    w(4, fc.constant("account" as const)),
    w(3, fc.constant("symbol" as const)),
    w(3, fc.constant("id" as const)),
    w(1, fc.constant("unknownSymbol" as const)),
  ),
};

const cancelIntent = fc.record({ kind: fc.constant("cancel" as const), ...target, dt });

const amendIntent = fc.record({
  kind: fc.constant("amend" as const),
  ...target,
  /** Keep the price, move it a little, or move it onto the best opposite price (it may trade). */
  priceMode: fc.oneof(w(50, fc.constant("same" as const)), w(25, fc.constant("delta" as const)), w(25, fc.constant("cross" as const))),
  priceDelta: fc.integer({ min: -4, max: 4 }),
  sameStop: fc.oneof(w(6, fc.constant(true)), w(4, fc.constant(false))),
  stopDelta: fc.integer({ min: -3, max: 3 }),
  /** Relative to the last known qty; "small" asks for 1..2 lots (often AMEND_BELOW_FILLED); "zero" is invalid. */
  qtyDelta: fc.oneof(w(85, fc.integer({ min: -3, max: 4 })), w(10, fc.constant("small" as const)), w(5, fc.constant("zero" as const))),
  badPrice: fc.oneof(w(97, fc.constant(false)), w(3, fc.constant(true))),
  dt,
});

const massCancelIntent = fc.record({
  kind: fc.constant("mass" as const),
  account: fc.oneof(w(30, fc.integer({ min: 0, max: ACCOUNTS - 1 })), w(1, fc.constant(-1))),
  sym: fc.oneof(w(40, symIdx), w(10, fc.constant(-2))), // -2 = ALL_SYMBOLS
  dt,
});

const endOfDayIntent = fc.record({
  kind: fc.constant("eod" as const),
  sym: fc.oneof(w(40, symIdx), w(10, fc.constant(-2))),
  dt,
});

const tickIntent = fc.record({ kind: fc.constant("tick" as const), dt: fc.integer({ min: 1, max: 25 }) });
/** A halt until RESUME (0), or for a while; sometimes with an expireTime already past (= until RESUME). */
const haltIntent = fc.record({
  kind: fc.constant("halt" as const),
  sym: symIdx,
  duration: fc.oneof(w(1, fc.constant(0)), w(8, fc.integer({ min: 1, max: 30 })), w(1, fc.constant(-1))),
  dt,
});
const resumeIntent = fc.record({ kind: fc.constant("resume" as const), sym: symIdx, dt });
/** Command types no contract defines (7, 8 are HALT / RESUME; 20+ are account commands). */
const junkIntent = fc.record({ kind: fc.constant("junk" as const), type: fc.constantFrom(0, 15, 99), dt });

export const intentArb = fc.oneof(
  w(140, newIntent),
  w(14, cancelIntent),
  w(24, amendIntent),
  w(2, massCancelIntent),
  w(1, endOfDayIntent),
  w(10, tickIntent),
  w(2, haltIntent),
  w(4, resumeIntent),
  w(2, junkIntent),
);

export type Intent = typeof intentArb extends fc.Arbitrary<infer T> ? T : never;

// ------------------------------------------------------------------ the fold

interface Issued {
  orderId: number;
  account: number;
  symbol: number;
  side: number;
  orderType: number;
  price: number;
  stopPrice: number;
  qty: number;
}

const symbolOf = (i: number) => (i === -2 ? ALL_SYMBOLS : i < 0 ? UNKNOWN_SYMBOL_ID : SYMBOLS[i]!);
const clampPrice = (p: number) => Math.min(MAX_PRICE + 2, Math.max(MIN_PRICE - 2, p));

/**
 * Turns intents into commands: monotonic time, increasing ids, cancels / amends aimed at earlier
 * ids. A reference matcher runs alongside only to know which orders are open right now, so that
 * most cancels and amends hit something (its correctness does not matter here, only its guesses).
 */
export function foldIntents(intents: Intent[]): GenCommand[] {
  const oracle = new ReferenceMatcher(INSTRUMENTS);
  const sink = new EventBuffer();
  let time = START_TIME;
  let nextId = 1;
  /** Every order id handed out (for duplicates). */
  const issued: Issued[] = [];
  /** Orders that may still be open: those that can rest (LIMIT GTC / DAY / GTD) and stops. */
  const restable: Issued[] = [];
  const recentOf = (list: Issued[], pick: number): Issued | undefined => {
    if (list.length === 0) return undefined;
    const span = Math.min(list.length, 12);
    return list[list.length - 1 - (pick % span)];
  };
  const recent = (pick: number) => recentOf(issued, pick);
  const cmds: GenCommand[] = [];

  for (const it of intents) {
    time += it.dt;
    switch (it.kind) {
      case "new": {
        let orderId: number;
        if (it.idMode === "dup" && issued.length > 0) orderId = recent(it.pick)!.orderId;
        else if (it.idMode === "bad") orderId = [0, -5, 2 ** 53, 7.5][it.pick % 4]!;
        else orderId = nextId++;
        let tif = it.tif;
        if (it.orderType === OrderType.MARKET && it.fixMarketTif) tif = it.pick % 3 === 0 ? TimeInForce.FOK : TimeInForce.IOC;
        const postOnly =
          it.postOnly === "any" ||
          (it.postOnly === "whereAllowed" && it.orderType === OrderType.LIMIT && tif !== TimeInForce.IOC && tif !== TimeInForce.FOK);
        let price = it.price;
        if (it.aggressive && it.sym >= 0 && Number.isInteger(price)) {
          const opposite = oracle.depth(symbolOf(it.sym), it.side === Side.BUY ? Side.SELL : Side.BUY, 1)[0];
          if (opposite) price = opposite.price + (it.side === Side.BUY ? 1 : -1) * (it.pick % 2);
        }
        let stopPrice: number;
        if (typeof it.stopPrice === "number") {
          stopPrice = it.stopPrice;
        } else {
          const last = oracle.lastPrice(symbolOf(it.sym)) || 100;
          stopPrice = it.side === Side.SELL ? last - it.stopPrice.rel : last + it.stopPrice.rel;
        }
        const cmd: GenCommand = {
          type: CommandType.NEW_ORDER,
          time,
          orderId,
          account: it.account,
          symbol: symbolOf(it.sym),
          side: it.side,
          orderType: it.orderType,
          tif,
          price: it.orderType === OrderType.MARKET || it.orderType === OrderType.STOP ? (it.capped ? price : 0) : price,
          stopPrice,
          qty: it.qty,
          stp: it.stp,
          flags: postOnly ? Flags.POST_ONLY : 0,
          expireTime: tif === TimeInForce.GTD ? time + it.expireIn : it.pick % 5 === 0 ? time + 3 : 0,
        };
        cmds.push(cmd);
        if (it.idMode === "next") {
          const rec: Issued = {
            orderId,
            account: it.account,
            symbol: cmd.symbol!,
            side: it.side,
            orderType: it.orderType,
            price,
            stopPrice,
            qty: it.qty,
          };
          issued.push(rec);
          const canRest = it.orderType === OrderType.LIMIT ? tif !== TimeInForce.IOC && tif !== TimeInForce.FOK : it.orderType !== OrderType.MARKET;
          if (canRest) restable.push(rec);
        }
        break;
      }
      case "cancel":
      case "amend": {
        let t = recentOf(restable, it.pick);
        const open = oracle.openOrders();
        if (it.open && open.length > 0) {
          const o = open[it.pick % open.length]!;
          t = { ...o };
        }
        const orderId = !t ? 1 : it.miss === "id" ? nextId + 50 : t.orderId;
        const account = !t ? 0 : it.miss === "account" ? (t.account + 1) % ACCOUNTS : t.account;
        const symbol = it.miss === "unknownSymbol" ? UNKNOWN_SYMBOL_ID : !t ? SYMBOLS[0] : it.miss === "symbol" ? (t.symbol === SYMBOLS[0] ? SYMBOLS[1] : SYMBOLS[0]) : t.symbol;
        if (it.kind === "cancel") {
          cmds.push({ type: CommandType.CANCEL, time, orderId, account, symbol });
          break;
        }
        // A STOP's "same" price is 0: keep its cap, or its lack of one (docs/matching.md, AMEND).
        const basePrice = !t ? 100 : t.orderType !== OrderType.STOP ? t.price : it.priceMode === "same" ? 0 : 100;
        const baseStop = t && t.stopPrice > 0 ? t.stopPrice : 100;
        let newPrice = it.priceMode === "same" ? basePrice : clampPrice(basePrice + it.priceDelta);
        if (it.priceMode === "cross" && t) {
          const opposite = oracle.depth(t.symbol, t.side === Side.BUY ? Side.SELL : Side.BUY, 1)[0];
          if (opposite) newPrice = opposite.price + (t.side === Side.BUY ? 1 : -1) * (it.pick % 2);
        }
        if (it.badPrice) newPrice = 0;
        const newStop = it.sameStop ? baseStop : clampPrice(baseStop + it.stopDelta);
        const newQty =
          it.qtyDelta === "zero" ? 0 : it.qtyDelta === "small" ? 1 + (it.pick % 2) : Math.max(1, (t?.qty ?? 5) + it.qtyDelta);
        cmds.push({ type: CommandType.AMEND, time, orderId, account, symbol, side: t?.side ?? 0, price: newPrice, stopPrice: newStop, qty: newQty });
        break;
      }
      case "mass": {
        cmds.push({ type: CommandType.MASS_CANCEL, time, account: it.account, symbol: symbolOf(it.sym) });
        break;
      }
      case "eod": {
        cmds.push({ type: CommandType.END_OF_DAY, time, symbol: symbolOf(it.sym) });
        break;
      }
      case "tick": {
        cmds.push({ type: CommandType.TICK, time });
        break;
      }
      case "halt": {
        const expireTime = it.duration === 0 ? 0 : time + it.duration;
        cmds.push({ type: CommandType.HALT, time, symbol: symbolOf(it.sym), expireTime });
        break;
      }
      case "resume": {
        cmds.push({ type: CommandType.RESUME, time, symbol: symbolOf(it.sym) });
        break;
      }
      case "junk": {
        cmds.push({ type: it.type, time, orderId: nextId, account: 0, symbol: SYMBOLS[0] });
        break;
      }
    }
    sink.reset();
    oracle.execute(makeCommand(cmds[cmds.length - 1]!), sink);
  }
  return cmds;
}

/** A random command stream of the given length range. */
export function commandStream(opts: { minLength?: number; maxLength: number }): fc.Arbitrary<GenCommand[]> {
  return fc.array(intentArb, { minLength: opts.minLength ?? 1, maxLength: opts.maxLength, size: "max" }).map(foldIntents);
}

/** One line per command, for failure messages and repro notes. */
export function formatCommand(c: GenCommand): string {
  const names: Record<number, string> = {
    [CommandType.NEW_ORDER]: "NEW",
    [CommandType.CANCEL]: "CANCEL",
    [CommandType.AMEND]: "AMEND",
    [CommandType.MASS_CANCEL]: "MASS_CANCEL",
    [CommandType.END_OF_DAY]: "END_OF_DAY",
    [CommandType.TICK]: "TICK",
    [CommandType.HALT]: "HALT",
    [CommandType.RESUME]: "RESUME",
  };
  const { type, ...rest } = c;
  const json = JSON.stringify(rest, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x));
  return `${names[type] ?? `TYPE_${type}`} ${json}`;
}
