/**
 * A scripted day with one routed order (docs/venues.md): BTC-USD routed to venue V (street account
 * 9), alice funded, the link up, alice's buy of 1 BTC at 30,000 (order 77) sent; `venue` journals
 * what the venue says about it, a second after the last command.
 */
import { Actor, type CommandInit, CommandType, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import type { ExchangeConfig } from "../../engine/exchange.ts";
import { demoConfig } from "../gateway/support/harness.ts";
import { Script, SECOND } from "./monitoring-fixture.ts";

export const BTC = 1;
export const STREET = 9;
export const ALICE = 1;
export const ORDER_ID = 77;

export interface RoutedScript {
  config: ExchangeConfig;
  s: Script;
  /** Journals a venue report (defaults: the street account, BTC-USD, the system, order 77); returns its seq. */
  venue(init: CommandInit): number;
}

export function routedScript(): RoutedScript {
  const config = demoConfig((c) => {
    const btc = c.exchange.instruments.find((i) => i.id === BTC)!;
    btc.venue = "V";
    btc.venueAccount = STREET;
  }).exchange;
  const s = new Script();
  s.add({ type: CommandType.OPEN_ACCOUNT, account: ALICE, tier: 1 });
  s.add({ type: CommandType.DEPOSIT, account: ALICE, currency: 1, amount: 10_000_000_000_000n });
  s.add({ type: CommandType.OPEN_ACCOUNT, account: STREET, tier: 1 });
  s.add({ type: CommandType.VENUE_STATUS, account: STREET, tier: 1, actor: Actor.SYSTEM });
  s.add({ type: CommandType.NEW_ORDER, account: ALICE, symbol: BTC, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.GTC, price: 60_000, qty: 1_000, orderId: ORDER_ID });
  return { config, s, venue: (init) => s.add({ account: STREET, symbol: BTC, actor: Actor.SYSTEM, orderId: ORDER_ID, ...init }, s.time + SECOND) };
}
