/**
 * The account-side tests' default world (docs/accounts.md): currencies, instruments, tiers and
 * accounts of the harness's default configuration, the reservation and fee formulas written out
 * independently of engine/risk.ts and engine/money.ts, and the order fields the harness takes.
 */
import { OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import type { EngineEvent } from "../../engine/events.ts";
import type { ExchangeConfig } from "../../engine/exchange.ts";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import type { CurrencySpec } from "../../engine/money.ts";
import type { TierSpec } from "../../engine/tier.ts";
import type { OrderFields } from "./order-fields.ts";

export const BUY = Side.BUY;
export const SELL = Side.SELL;
export const { LIMIT, MARKET, STOP, STOP_LIMIT } = OrderType;
export const { GTC, IOC, FOK, DAY, GTD } = TimeInForce;

export const HOUR_US = 3_600_000_000;
export const DAY_US = 24 * HOUR_US;

/** Currencies: USD (cents) and EUR (cents). */
export const USD = 1;
export const EUR = 2;
export const CURRENCIES: CurrencySpec[] = [
  { id: USD, code: "USD", scale: 2 },
  { id: EUR, code: "EUR", scale: 2 },
];

/** ABC: tick 0.01, lot 1, quoted in USD → K = 1 cent per tick per lot. Reference 100.00, band 5%. */
export const ABC = 1;
/** XYZ: tick 0.05, lot 10, quoted in EUR → K = 50 cents per tick per lot. Reference 20.00 (400 ticks), band 10%. */
export const XYZ = 2;
export const INSTRUMENTS: InstrumentSpec[] = [
  { id: ABC, symbol: "ABC", tickSize: "0.01", lotSize: "1", bandBps: 500, referencePrice: 10_000, base: "ABC", quote: "USD" },
  { id: XYZ, symbol: "XYZ", tickSize: "0.05", lotSize: "10", bandBps: 1000, referencePrice: 400, base: "XYZ", quote: "EUR" },
];
export const K: Record<number, bigint> = { [ABC]: 1n, [XYZ]: 50n };
export const QUOTE: Record<number, number> = { [ABC]: USD, [XYZ]: EUR };

/** Tier 1: maker 10 bps, taker 20 bps, no limits. Tier 2: no fees. */
export const TIER = 1;
export const FREE = 2;
export const TIERS: TierSpec[] = [
  { id: TIER, makerBps: 10, takerBps: 20 },
  { id: FREE, makerBps: 0, takerBps: 0 },
];

export const FEE_ACCOUNT = 0;
export const ALICE = 1;
export const BOB = 2;
export const CAROL = 3;
export const DAVE = 4;

/** Engine time of the first command: 2024-01-02T00:00:00Z in µs. */
export const T0 = 1_704_153_600_000_000;

export function defaultConfig(over: Partial<ExchangeConfig> = {}): ExchangeConfig {
  return { currencies: CURRENCIES, instruments: INSTRUMENTS, tiers: TIERS, feeAccount: FEE_ACCOUNT, ...over };
}

/** need(L, n) of docs/accounts.md: N + ceil(N × w / 10000) + n, N = L × n × K. Written out here on purpose. */
export function need(price: number, leaves: number, k: bigint, worstBps: number): bigint {
  if (leaves <= 0) return 0n;
  const n = BigInt(price) * BigInt(leaves) * k;
  const x = n * BigInt(worstBps);
  const fee = x / 10_000n + (x % 10_000n === 0n ? 0n : 1n);
  return n + fee + BigInt(leaves);
}

/** ceil(n × bps / 10000), written out independently of engine/money.ts. */
export function fee(n: bigint, bps: number): bigint {
  const x = n * BigInt(bps);
  return x / 10_000n + (x % 10_000n === 0n ? 0n : 1n);
}

export interface OrderInit extends OrderFields {
  account: number;
  clientOrderId?: string;
  actor?: number;
  session?: number;
}

export interface Placed {
  id: number;
  events: EngineEvent[];
}
