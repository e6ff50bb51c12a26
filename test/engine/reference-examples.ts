/**
 * The reference matcher driven by hand: a harness that runs one command and decodes its events, and
 * builders of full expected events (every field written out), for the hand-worked example tests.
 */
import { expect } from "bun:test";
import { CommandType, makeCommand, OrderType, Side, TimeInForce, type CommandInit } from "../../engine/commands.ts";
import { decodeEvents, EventBuffer, type EngineEvent } from "../../engine/events.ts";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import { ReferenceMatcher } from "./reference-matcher.ts";

export const { BUY, SELL } = Side;
export const { LIMIT, MARKET, STOP, STOP_LIMIT } = OrderType;
export const { GTC, IOC, FOK, DAY, GTD } = TimeInForce;
export const T = 1; // symbol id
export const U = 2;

export const SPECS: InstrumentSpec[] = [
  { id: T, symbol: "T", tickSize: "1", lotSize: "1", bandBps: 500, referencePrice: 0 },
  { id: U, symbol: "U", tickSize: "1", lotSize: "1", bandBps: 1000, referencePrice: 100 },
];

export class Harness {
  ref: ReferenceMatcher;
  constructor(specs: InstrumentSpec[] = SPECS) {
    this.ref = new ReferenceMatcher(specs);
  }
  buf = new EventBuffer(4);
  time = 1000;
  run(init: CommandInit): EngineEvent[] {
    this.buf.reset();
    this.ref.execute(makeCommand({ time: this.time, ...init }), this.buf);
    return decodeEvents(this.buf);
  }
  /** A new order with defaults: LIMIT GTC, stp CANCEL_NEWEST, symbol T. */
  order(orderId: number, account: number, side: number, price: number, qty: number, more: Partial<CommandInit> = {}): EngineEvent[] {
    return this.run({ type: CommandType.NEW_ORDER, orderId, account, side, price, qty, symbol: T, orderType: LIMIT, tif: GTC, ...more });
  }
}

// ---- expected-event builders (full records, so every field is checked)
export const accepted = (orderId: number, account: number, side: number, price: number, qty: number, orderType: number = LIMIT, tif: number = GTC, stopPrice = 0, symbol: number = T): EngineEvent => ({
  type: "accepted", symbol, orderId, account, side, price, qty, leaves: qty, orderType, tif, stopPrice,
});
export const trade = (takerOrderId: number, takerAccount: number, takerSide: number, price: number, qty: number, takerLeaves: number, makerOrderId: number, makerAccount: number, makerLeaves: number, tradeId: number, symbol: number = T): EngineEvent => ({
  type: "trade", symbol, takerOrderId, takerAccount, takerSide, price, qty, takerLeaves, makerOrderId, makerAccount, makerLeaves, tradeId,
});
export const level = (side: number, price: number, qty: number, count: number, symbol: number = T): EngineEvent => ({ type: "level", symbol, side, price, qty, count });
export const cancelled = (orderId: number, account: number, side: number, price: number, qty: number, leaves: number, reason: number, symbol: number = T): EngineEvent => ({
  type: "cancelled", symbol, orderId, account, side, price, qty, leaves, reason,
});
export const expired = (orderId: number, account: number, side: number, price: number, qty: number, reason: number, symbol: number = T): EngineEvent => ({
  type: "expired", symbol, orderId, account, side, price, qty, reason,
});
export const stopTriggered = (orderId: number, account: number, side: number, stopPrice: number, qty: number, leaves: number, lastPrice: number, orderType: number, symbol: number = T): EngineEvent => ({
  type: "stopTriggered", symbol, orderId, account, side, stopPrice, qty, leaves, lastPrice, orderType,
});
export const amended = (orderId: number, account: number, side: number, price: number, qty: number, leaves: number, keptPriority: boolean, oldPrice: number, oldQty: number, symbol: number = T): EngineEvent => ({
  type: "amended", symbol, orderId, account, side, price, qty, leaves, keptPriority, oldPrice, oldQty,
});
export const rejectReason = (evs: EngineEvent[]) => {
  expect(evs.length).toBe(1);
  expect(evs[0]!.type).toBe("rejected");
  return (evs[0] as Extract<EngineEvent, { type: "rejected" }>).reason;
};
