/**
 * The named event readers of engine/events.ts read the slots the layout table says: for every event
 * of random book streams (test/engine/gen.ts) and of the demo load through the whole exchange
 * (order states, duplicates, account events), the readers give what `decodeEvent` gives. And a
 * LEVEL names its order exactly when an order came to rest: the engine's book then has that order
 * at the back of that level with those leaves.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as path from "node:path";
import { loadConfig, seedCommands } from "../../app/config.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { Command, makeCommand } from "../../engine/commands.ts";
import {
  AccountEvent,
  Accepted,
  Amended,
  Cancelled,
  decodeEvent,
  Duplicate,
  Ev,
  EVENT_WIDTH,
  EventBuffer,
  EventType,
  Expired,
  F,
  Level,
  OrderStateChange,
  Rejected,
  StopTriggered,
  SymbolStatus,
  Trade,
} from "../../engine/events.ts";
import { Exchange } from "../../engine/exchange.ts";
import { MatchingEngine } from "../../engine/matching.ts";
import { commandStream, INSTRUMENTS } from "./gen.ts";

/** The event at `i` as the named readers see it, in decodeEvent's shape. */
function byName(buf: EventBuffer, i: number): unknown {
  const d = buf.data;
  const b = i * EVENT_WIDTH;
  const symbol = Ev.symbol(d, b);
  switch (Ev.type(d, b)) {
    case EventType.ACCEPTED: {
      const r = Accepted;
      return { type: "accepted", symbol, orderId: r.orderId(d, b), account: r.account(d, b), side: r.side(d, b), price: r.price(d, b), qty: r.qty(d, b), leaves: r.leaves(d, b), orderType: r.orderType(d, b), tif: r.tif(d, b), stopPrice: r.stopPrice(d, b) };
    }
    case EventType.REJECTED: {
      const r = Rejected;
      return { type: "rejected", symbol, orderId: r.orderId(d, b), account: r.account(d, b), side: r.side(d, b), price: r.price(d, b), qty: r.qty(d, b), reason: r.reason(d, b), commandType: r.commandType(d, b) };
    }
    case EventType.TRADE: {
      const r = Trade;
      return { type: "trade", symbol, takerOrderId: r.takerOrderId(d, b), takerAccount: r.takerAccount(d, b), takerSide: r.takerSide(d, b), price: r.price(d, b), qty: r.qty(d, b), takerLeaves: r.takerLeaves(d, b), makerOrderId: r.makerOrderId(d, b), makerAccount: r.makerAccount(d, b), makerLeaves: r.makerLeaves(d, b), tradeId: r.tradeId(d, b) };
    }
    case EventType.CANCELLED: {
      const r = Cancelled;
      return { type: "cancelled", symbol, orderId: r.orderId(d, b), account: r.account(d, b), side: r.side(d, b), price: r.price(d, b), qty: r.qty(d, b), leaves: r.leaves(d, b), reason: r.reason(d, b) };
    }
    case EventType.EXPIRED: {
      const r = Expired;
      return { type: "expired", symbol, orderId: r.orderId(d, b), account: r.account(d, b), side: r.side(d, b), price: r.price(d, b), qty: r.qty(d, b), reason: r.reason(d, b) };
    }
    case EventType.STOP_TRIGGERED: {
      const r = StopTriggered;
      return { type: "stopTriggered", symbol, orderId: r.orderId(d, b), account: r.account(d, b), side: r.side(d, b), stopPrice: r.stopPrice(d, b), qty: r.qty(d, b), leaves: r.leaves(d, b), lastPrice: r.lastPrice(d, b), orderType: r.orderType(d, b) };
    }
    case EventType.AMENDED: {
      const r = Amended;
      return { type: "amended", symbol, orderId: r.orderId(d, b), account: r.account(d, b), side: r.side(d, b), price: r.price(d, b), qty: r.qty(d, b), leaves: r.leaves(d, b), keptPriority: r.keptPriority(d, b) === 1, oldPrice: r.oldPrice(d, b), oldQty: r.oldQty(d, b) };
    }
    case EventType.LEVEL:
      return { type: "level", symbol, side: Level.side(d, b), price: Level.price(d, b), qty: Level.qty(d, b), count: Level.count(d, b) };
    case EventType.ORDER_STATE: {
      const r = OrderStateChange;
      return { type: "orderState", symbol, orderId: r.orderId(d, b), account: r.account(d, b), side: r.side(d, b), price: r.price(d, b), filled: r.filled(d, b), leaves: r.leaves(d, b), from: r.from(d, b), to: r.to(d, b), reason: r.reason(d, b), time: r.time(d, b), actor: r.actor(d, b), session: r.session(d, b) };
    }
    case EventType.DUPLICATE: {
      const r = Duplicate;
      return { type: "duplicate", symbol, orderId: r.orderId(d, b), account: r.account(d, b), side: r.side(d, b), price: r.price(d, b), filled: r.filled(d, b), leaves: r.leaves(d, b), state: r.state(d, b) };
    }
    case EventType.STATUS:
      return { type: "status", symbol, state: SymbolStatus.state(d, b), until: SymbolStatus.until(d, b), reason: SymbolStatus.reason(d, b) };
    case EventType.ACCOUNT:
      return { type: "account", symbol, account: AccountEvent.account(d, b), commandType: AccountEvent.commandType(d, b), subject: AccountEvent.subject(d, b) };
  }
  return { unknown: Ev.type(d, b) };
}

describe("named event readers", () => {
  test("read what decodeEvent reads, for every event of random book streams; a rest's LEVEL names the order at the back of its level", () => {
    const seen = new Set<number>();
    let rests = 0;
    fc.assert(
      fc.property(commandStream({ maxLength: 120 }), (cmds) => {
        const engine = new MatchingEngine(INSTRUMENTS);
        const out = new EventBuffer();
        for (const c of cmds) {
          out.reset();
          engine.execute(makeCommand(c), out);
          for (let i = 0; i < out.count; i++) {
            seen.add(out.get(i, F.TYPE));
            expect(byName(out, i)).toEqual(decodeEvent(out, i));
          }
          // The last rest at each level: after the command, that order is still the level's last
          // unless a later event of the command touched it, so check the rests of the command's
          // final LEVEL per level only.
          const last = new Map<string, number>();
          for (let i = 0; i < out.count; i++) {
            const b = i * EVENT_WIDTH;
            if (Ev.type(out.data, b) === EventType.LEVEL) last.set(`${Ev.symbol(out.data, b)}/${Level.side(out.data, b)}/${Level.price(out.data, b)}`, b);
          }
          const touched = new Set<number>();
          for (let i = 0; i < out.count; i++) {
            const t = out.get(i, F.TYPE);
            if (t === EventType.TRADE) touched.add(Trade.makerOrderId(out.data, i * EVENT_WIDTH));
            if (t === EventType.CANCELLED || t === EventType.EXPIRED || t === EventType.AMENDED) touched.add(Cancelled.orderId(out.data, i * EVENT_WIDTH));
          }
          for (const b of last.values()) {
            const id = Level.restedOrderId(out.data, b);
            if (id === 0 || touched.has(id)) continue;
            rests++;
            const queue = engine.level(Ev.symbol(out.data, b), Level.side(out.data, b), Level.price(out.data, b));
            const back = queue.at(-1)!;
            expect(back.orderId).toBe(id);
            expect(back.account).toBe(Level.restedAccount(out.data, b));
            expect(back.leaves).toBe(Level.restedLeaves(out.data, b));
          }
        }
      }),
      { numRuns: 150 },
    );
    expect(rests).toBeGreaterThan(100);
    for (const t of [EventType.ACCEPTED, EventType.REJECTED, EventType.TRADE, EventType.CANCELLED, EventType.EXPIRED, EventType.STOP_TRIGGERED, EventType.AMENDED, EventType.LEVEL, EventType.STATUS]) expect(seen.has(t)).toBe(true);
  });

  test("read what decodeEvent reads for the exchange's own events (order states, account events)", () => {
    const config = loadConfig(path.join(import.meta.dir, "../../config/demo.json"));
    const ex = new Exchange(config.exchange);
    const out = new EventBuffer();
    const seeds = seedCommands(config);
    const load = new LoadStream(config.exchange, (config.accounts ?? []).map((a) => a.id), 3, seeds.length + 1);
    const seen = new Set<number>();
    const cmds = [...seeds];
    while (cmds.length < 3000) cmds.push(load.next(new Command()));
    cmds.forEach((c, i) => {
      c.time = i + 1;
      out.reset();
      ex.execute(c, out);
      for (let k = 0; k < out.count; k++) {
        seen.add(out.get(k, F.TYPE));
        expect(byName(out, k)).toEqual(decodeEvent(out, k));
      }
    });
    expect(seen.has(EventType.ORDER_STATE)).toBe(true);
    expect(seen.has(EventType.ACCOUNT)).toBe(true);
  });
});
