/**
 * Property tests: random command streams (test/engine/gen.ts) drive the fast MatchingEngine and
 * the naive ReferenceMatcher side by side. After every command the two must agree event for event,
 * on depth, queues, market state and every open order; and the engine's output must satisfy the
 * invariants of docs/matching.md, checked by an independent "shadow book" rebuilt from the events
 * alone (price-time priority, trade at the maker's price within the taker's limit or cap, no
 * self-trade unless STP is off, no print while halted or outside the trade band / volatility
 * limit, true LEVEL totals, every taker ends filled / cancelled / rested) and by a ledger of
 * quantities (ordered = traded + cancelled + leaves for every order).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { makeCommand, Side } from "../../engine/commands.ts";
import { decodeEvents, EventBuffer } from "../../engine/events.ts";
import { MatchingEngine, type OrderView } from "../../engine/matching.ts";
import { reasonName } from "../../engine/reasons.ts";
import { commandStream, formatCommand, INSTRUMENTS, SYMBOLS, type GenCommand } from "./gen.ts";
import { ReferenceMatcher, type RefOrderView } from "./reference-matcher.ts";
import { applyLedger, fmtEvent, fmtEvents, json, type Ledger, PropertyFailure, same, ShadowBook } from "./shadow-book.ts";

// ~7 s on an idle 2-core machine. PROPERTY_RUNS / PROPERTY_MAX_COMMANDS / PROPERTY_SEED / PROPERTY_TIMEOUT_MS
// override, e.g. for a long soak: PROPERTY_RUNS=50000 PROPERTY_MAX_COMMANDS=400 PROPERTY_TIMEOUT_MS=3600000.
const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 2000);
const MAX_COMMANDS = Number(process.env.PROPERTY_MAX_COMMANDS ?? 150);
const TIMEOUT_MS = Number(process.env.PROPERTY_TIMEOUT_MS ?? 60_000);
const SEED = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined;

// ------------------------------------------------------------------ the side-by-side run

function viewKey(o: OrderView | RefOrderView) {
  return {
    orderId: o.orderId,
    account: o.account,
    symbol: o.symbol,
    side: o.side,
    orderType: o.orderType,
    tif: o.tif,
    price: o.price,
    stopPrice: o.stopPrice,
    qty: o.qty,
    leaves: o.leaves,
    filled: o.filled,
    cancelled: o.cancelled,
    stp: o.stp,
    flags: o.flags,
    expireTime: o.expireTime,
    entrySeq: o.entrySeq,
    status: o.status,
  };
}

/** Runs a stream through both matchers; throws a PropertyFailure with a readable account of the first problem. */
export function runSideBySide(cmds: GenCommand[]): void {
  const eng = new MatchingEngine(INSTRUMENTS);
  const ref = new ReferenceMatcher(INSTRUMENTS);
  const engBuf = new EventBuffer(8);
  const refBuf = new EventBuffer(8);
  const shadow = new ShadowBook();
  const ledger = new Map<number, Ledger>();

  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i]!;
    const fail = (what: string, detail: string): never => {
      const history = cmds
        .slice(0, i + 1)
        .map((x, k) => `  #${k} ${formatCommand(x)}`)
        .join("\n");
      throw new PropertyFailure(`${what} after command #${i}: ${formatCommand(c)}\n${detail}\n  commands so far:\n${history}`);
    };

    shadow.reset(eng);

    engBuf.reset();
    refBuf.reset();
    eng.execute(makeCommand(c), engBuf);
    ref.execute(makeCommand(c), refBuf);
    const engEvents = decodeEvents(engBuf);
    const refEvents = decodeEvents(refBuf);

    // 1. Identical events.
    const n = Math.max(engEvents.length, refEvents.length);
    for (let k = 0; k < n; k++) {
      if (!same(engEvents[k], refEvents[k])) {
        fail(
          "event streams differ",
          `  first difference at event [${k}]\n    engine:    ${fmtEvent(engEvents[k])}\n    reference: ${fmtEvent(refEvents[k])}\n` +
            `  engine events:\n${fmtEvents(engEvents)}\n  reference events:\n${fmtEvents(refEvents)}`,
        );
      }
    }

    // 2. Independent replay of the events: priority, maker price, level totals.
    const violation = shadow.check(c, engEvents);
    if (violation) fail("shadow book check failed", `  ${violation}\n  events:\n${fmtEvents(engEvents)}`);

    // 3. Depth identical, book not crossed, queue order as replayed.
    for (const sym of SYMBOLS) {
      const bids = eng.depth(sym, Side.BUY, 1000);
      const asks = eng.depth(sym, Side.SELL, 1000);
      const rb = ref.depth(sym, Side.BUY, 1000);
      const ra = ref.depth(sym, Side.SELL, 1000);
      if (!same(bids, rb)) fail(`bid depth of symbol ${sym} differs`, `  engine:    ${json(bids)}\n  reference: ${json(rb)}`);
      if (!same(asks, ra)) fail(`ask depth of symbol ${sym} differs`, `  engine:    ${json(asks)}\n  reference: ${json(ra)}`);
      if (bids.length && asks.length && !(bids[0]!.price < asks[0]!.price)) {
        fail(`book ${sym} is crossed`, `  best bid ${json(bids[0])}, best ask ${json(asks[0])}`);
      }
      for (const [side, levels] of [[Side.BUY, bids], [Side.SELL, asks]] as const) {
        for (const lv of levels) {
          const q = eng.level(sym, side, lv.price).map((o) => o.orderId);
          const sq = shadow.levelQueue(sym, side, lv.price);
          if (!same(q, sq)) fail(`queue of symbol ${sym} side ${side} @${lv.price} differs from the event replay`, `  engine: ${json(q)}\n  replay: ${json(sq)}`);
        }
      }
      if (eng.lastPrice(sym) !== ref.lastPrice(sym)) fail(`last price of ${sym} differs`, `  engine ${eng.lastPrice(sym)}, reference ${ref.lastPrice(sym)}`);
      const em = eng.market(sym);
      const rm = ref.market(sym);
      if (!same(em, rm)) fail(`market state of ${sym} differs`, `  engine:    ${json(em)}\n  reference: ${json(rm)}`);
      const eq = eng.queued(sym).map((o) => o.orderId);
      const rq = ref.queued(sym).map((o) => o.orderId);
      const sq = shadow.queuedIds(sym);
      if (!same(eq, rq) || !same(eq, sq)) fail(`queue of symbol ${sym} differs`, `  engine: ${json(eq)}\n  reference: ${json(rq)}\n  replay: ${json(sq)}`);
    }

    // 4. Open orders identical; ordered = filled + leaves + cancelled.
    const engOpen = eng.openOrders();
    const refOpen = ref.openOrders();
    const eo = engOpen.map(viewKey);
    const ro = refOpen.map(viewKey);
    if (!same(eo, ro)) {
      const k = eo.findIndex((o, j) => !same(o, ro[j]));
      fail("open orders differ", `  first difference at [${k}]\n    engine:    ${json(eo[k])}\n    reference: ${json(ro[k])}\n  (engine ${eo.length} open, reference ${ro.length})`);
    }
    for (const o of engOpen) {
      if (o.qty !== o.filled + o.leaves + o.cancelled || !(o.leaves > 0)) fail(`order ${o.orderId} does not add up`, `  ${json(o)}`);
      const single = eng.order(o.orderId);
      if (!single || !same(viewKey(single), viewKey(o))) fail(`order(${o.orderId}) differs from openOrders()`, `  ${json(single)}`);
    }

    // 5. Conservation of quantity, tracked from the events alone; open orders are exactly those with leaves.
    let leak: string | null;
    try {
      leak = applyLedger(ledger, engEvents);
    } catch (err) {
      if (!(err instanceof PropertyFailure)) throw err;
      leak = err.message;
    }
    if (leak) fail("conservation of quantity", `  ${leak}\n  events:\n${fmtEvents(engEvents)}`);
    const openIds = new Set(engOpen.map((o) => o.orderId));
    for (const [id, l] of ledger) {
      if (l.leaves > 0 && !openIds.has(id)) fail(`order ${id} has leaves ${l.leaves} by the events but is not open`, "");
      if (l.leaves === 0 && openIds.has(id)) fail(`order ${id} is open but its events leave it nothing`, "");
      if (l.leaves > 0) {
        const o = engOpen.find((x) => x.orderId === id)!;
        if (o.leaves !== l.leaves || o.filled !== l.traded || o.cancelled !== l.cancelled || o.qty !== l.ordered) {
          fail(`order ${id} state differs from its events`, `  order ${json(o)}\n  events: ${json(l)}`);
        }
      }
      if (l.leaves === 0) ledger.delete(id);
    }
  }
}

describe("MatchingEngine vs reference matcher", () => {
  test("random command streams: identical events, books and invariants after every command", () => {
    fc.assert(
      fc.property(commandStream({ maxLength: MAX_COMMANDS }), (cmds) => {
        runSideBySide(cmds);
      }),
      { numRuns: NUM_RUNS, seed: SEED, includeErrorInReport: true },
    );
  }, TIMEOUT_MS);

  test("the generator exercises the interesting paths", () => {
    // Guard against a generator that silently stops producing trades, stops, STP or expiries.
    const seen = new Map<string, number>();
    const samples = fc.sample(commandStream({ minLength: 150, maxLength: 150 }), { numRuns: 40, seed: 42 });
    for (const cmds of samples) {
      const ref = new ReferenceMatcher(INSTRUMENTS);
      const buf = new EventBuffer();
      for (const c of cmds) {
        buf.reset();
        ref.execute(makeCommand(c), buf);
        for (const e of decodeEvents(buf)) {
          const key = "reason" in e ? `${e.type}:${reasonName(e.reason)}` : e.type === "amended" ? `amended:${e.keptPriority}` : e.type;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }
    }
    if (process.env.PROPERTY_STATS) console.log([...seen].sort().map(([k, v]) => `${k}: ${v}`).join("\n"));
    for (const key of [
      "trade",
      "level",
      "stopTriggered",
      "amended:true",
      "amended:false",
      "cancelled:SELF_TRADE",
      "cancelled:FOK_NOT_FILLABLE",
      "cancelled:IOC_REMAINDER",
      "cancelled:PRICE_BAND",
      "cancelled:USER_CANCEL",
      "cancelled:MASS_CANCEL",
      "expired:GTD_EXPIRED",
      "expired:DAY_EXPIRED",
      "rejected:DUPLICATE_ORDER_ID",
      "rejected:POST_ONLY_WOULD_TAKE",
      "rejected:STOP_WOULD_TRIGGER",
      "rejected:AMEND_BELOW_FILLED",
      "rejected:UNKNOWN_ORDER",
      "rejected:PRICE_OUTSIDE_BAND",
      "rejected:SYMBOL_HALTED",
      "cancelled:TRADE_BAND",
      "cancelled:VOLATILITY_HALT",
      "cancelled:NO_LIQUIDITY",
      "status:SYMBOL_HALTED",
      "status:VOLATILITY_HALT",
      "status:OK",
    ]) {
      expect(seen.get(key) ?? 0, key).toBeGreaterThan(0);
    }
  });
});
