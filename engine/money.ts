import { EngineConfigError } from "./errors.ts";
import { Decimal, type Instrument, MAX_TEXT } from "./instrument.ts";
import { Reason } from "./reasons.ts";

/** A currency's cash is a BigInt count of 10^-scale units. */
export interface CurrencySpec {
  id: number;
  code: string;
  /** Decimal places of one unit: fine enough for every instrument quoted in it. */
  scale: number;
  /**
   * A withdrawal of more than this (a decimal in the currency's units) waits for an operator's
   * approval, its amount reserved meanwhile (docs/accounts.md, Withdrawals). Absent: none waits.
   */
  approveWithdrawalsAbove?: string;
}

export function checkCurrency(c: CurrencySpec): CurrencySpec {
  if (!Number.isSafeInteger(c.id) || c.id < 0) throw new EngineConfigError(`currency id must be a non-negative integer: ${c.id}`);
  if (!/^[A-Z0-9]{2,12}$/.test(c.code)) throw new EngineConfigError(`currency code must be 2-12 upper-case letters or digits: ${c.code}`);
  if (!Number.isInteger(c.scale) || c.scale < 0 || c.scale > 18) throw new EngineConfigError(`${c.code}: scale must be 0-18`);
  return c;
}

/**
 * Units of quote cash per tick per lot: tickSize × lotSize × 10^scale, which must be whole so that
 * every notional (ticks × lots × K) is exact.
 */
export function contractFactor(inst: Instrument, quote: CurrencySpec): bigint {
  const k = inst.tick.mul(inst.lot).mul(new Decimal(10).pow(quote.scale));
  if (!k.isInteger()) {
    throw new EngineConfigError(`${inst.symbol}: tickSize × lotSize is finer than one unit of ${quote.code} (scale ${quote.scale}); raise the currency's scale`);
  }
  return BigInt(k.toFixed(0));
}

/**
 * Doubles are exact for integers below 2^53. Below this bound a notional can also be multiplied by
 * a fee rate (≤ 10,000 bps) and stay exact, so the hot path computes in doubles and makes one
 * BigInt at the end; above it, BigInt all the way. Same result either way, only faster.
 */
const EXACT = Number.MAX_SAFE_INTEGER / 10_000;

export function notional(price: number, qty: number, k: bigint): bigint {
  const kn = Number(k);
  const n = price * qty * kn;
  if (n <= EXACT && kn <= EXACT) return BigInt(n);
  return BigInt(price) * BigInt(qty) * k;
}

/** ceil(amount × bps / 10000) for amount ≥ 0: fees round in the exchange's favour. */
export function feeOf(amount: bigint, bps: number): bigint {
  if (bps === 0 || amount === 0n) return 0n;
  if (amount <= EXACT_BIG) return BigInt(feeOfNumber(Number(amount), bps));
  const x = amount * BigInt(bps);
  return (x + 9_999n) / 10_000n;
}

const EXACT_BIG = BigInt(Math.floor(EXACT));

/** feeOf for an amount known to be below the exact bound. */
export function feeOfNumber(amount: number, bps: number): number {
  return Math.ceil((amount * bps) / 10_000);
}

/** Notional and fee together in doubles when exact, else null (the caller falls back to BigInt). */
export function smallNotional(price: number, qty: number, k: number): number {
  const n = price * qty * k;
  return n <= EXACT ? n : -1;
}

export type ParsedAmount = { ok: true; value: bigint } | { ok: false; reason: number };

const DECIMAL = /^\d+(\.\d+)?$/;

/** "12.34" → units; more decimals than the currency has is INVALID_AMOUNT, never rounded. */
export function parseAmount(c: CurrencySpec, text: string): ParsedAmount {
  if (typeof text !== "string" || text.length > MAX_TEXT || !DECIMAL.test(text.trim())) return { ok: false, reason: Reason.INVALID_AMOUNT };
  const units = new Decimal(text.trim()).mul(new Decimal(10).pow(c.scale));
  if (!units.isInteger() || units.lte(0)) return { ok: false, reason: Reason.INVALID_AMOUNT };
  return { ok: true, value: BigInt(units.toFixed(0)) };
}

export function formatAmount(c: CurrencySpec, units: bigint): string {
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(c.scale + 1, "0");
  const whole = digits.slice(0, digits.length - c.scale);
  const frac = c.scale > 0 ? `.${digits.slice(digits.length - c.scale)}` : "";
  return `${neg ? "-" : ""}${whole}${frac}`;
}
