import Decimal from "decimal.js";
import { Reason } from "./reasons.ts";

/** Largest price in ticks and quantity in lots: keeps price × bandBps and level totals exact. */
export const MAX_PRICE_TICKS = 1e11;
export const MAX_QTY_LOTS = 1e12;

export interface InstrumentSpec {
  id: number;
  symbol: string;
  /** Decimal string, e.g. "0.01". */
  tickSize: string;
  /** Decimal string, e.g. "0.001". */
  lotSize: string;
  /** Market-order protection band around the reference price, in basis points. */
  bandBps: number;
  /** Reference price in ticks used for the band until the first trade; 0 = none. */
  referencePrice?: number;
}

export interface Instrument extends Required<InstrumentSpec> {
  tick: Decimal;
  lot: Decimal;
}

export function makeInstrument(spec: InstrumentSpec): Instrument {
  if (!Number.isSafeInteger(spec.id) || spec.id < 0) throw new Error(`instrument id must be a non-negative integer: ${spec.id}`);
  if (!spec.symbol) throw new Error("instrument needs a symbol");
  const tick = positiveDecimal(spec.tickSize, "tickSize", spec.symbol);
  const lot = positiveDecimal(spec.lotSize, "lotSize", spec.symbol);
  if (!Number.isInteger(spec.bandBps) || spec.bandBps < 0 || spec.bandBps > 10_000) {
    throw new Error(`${spec.symbol}: bandBps must be an integer in [0, 10000]: ${spec.bandBps}`);
  }
  const referencePrice = spec.referencePrice ?? 0;
  if (!Number.isInteger(referencePrice) || referencePrice < 0 || referencePrice > MAX_PRICE_TICKS) {
    throw new Error(`${spec.symbol}: referencePrice must be ticks in [0, ${MAX_PRICE_TICKS}]`);
  }
  return { ...spec, referencePrice, tick, lot };
}

function positiveDecimal(text: string, what: string, symbol: string): Decimal {
  let d: Decimal;
  try {
    d = new Decimal(text);
  } catch {
    throw new Error(`${symbol}: ${what} is not a decimal: ${text}`);
  }
  if (!d.isFinite() || d.lte(0)) throw new Error(`${symbol}: ${what} must be positive: ${text}`);
  return d;
}

/** Strict decimal syntax: no exponent, no hex, no sign other than a leading minus. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

export type Parsed = { ok: true; value: number } | { ok: false; reason: number };

function toUnits(text: string, unit: Decimal, max: number, invalid: number, offGrid: number): Parsed {
  if (typeof text !== "string" || !DECIMAL.test(text.trim())) return { ok: false, reason: invalid };
  const d = new Decimal(text.trim());
  if (d.lte(0)) return { ok: false, reason: invalid };
  const units = d.div(unit);
  if (!units.isInteger()) return { ok: false, reason: offGrid };
  if (units.gt(max)) return { ok: false, reason: invalid };
  return { ok: true, value: units.toNumber() };
}

/** "101.25" → ticks; off the tick grid is PRICE_OFF_TICK, never rounded. */
export function parsePrice(inst: Instrument, text: string): Parsed {
  return toUnits(text, inst.tick, MAX_PRICE_TICKS, Reason.INVALID_PRICE, Reason.PRICE_OFF_TICK);
}

/** "0.5" → lots; off the lot grid is QUANTITY_OFF_LOT, never rounded. */
export function parseQty(inst: Instrument, text: string): Parsed {
  return toUnits(text, inst.lot, MAX_QTY_LOTS, Reason.INVALID_QUANTITY, Reason.QUANTITY_OFF_LOT);
}

export function formatPrice(inst: Instrument, ticks: number): string {
  return inst.tick.mul(ticks).toFixed(inst.tick.decimalPlaces());
}

export function formatQty(inst: Instrument, lots: number): string {
  return inst.lot.mul(lots).toFixed(inst.lot.decimalPlaces());
}
