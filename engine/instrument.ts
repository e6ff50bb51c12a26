import DecimalBase from "decimal.js";
import { Calendar, type CalendarSpec } from "./calendar.ts";
import { Reason } from "./reasons.ts";

/**
 * decimal.js rounds every result to `precision` significant digits (20 by default), which would
 * quietly snap "100.000000000000000000001" onto the grid. Inputs are capped at MAX_TEXT characters
 * and the precision is far above what such inputs can need, so every conversion is exact.
 */
export const Decimal = DecimalBase.clone({ precision: 200, toExpNeg: -100, toExpPos: 100 });
export type Decimal = DecimalBase;
export const MAX_TEXT = 64;

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
  /** Currency codes the account side settles in (docs/accounts.md); the book ignores them. */
  base?: string;
  quote?: string;
  /** Limit orders priced further than this from the reference are rejected (bps; 0 = off). */
  priceBandBps?: number;
  /** A trade may not print further than this from the last trade (bad ticks; bps; 0 = off). */
  tradeBandBps?: number;
  /** Halt when prices move more than this within `volatilityWindowUs` (bps of the low; 0 = off). */
  volatilityBps?: number;
  volatilityWindowUs?: number;
  /** Cooling-off period of a volatility halt, µs of engine time. */
  haltUs?: number;
  /** Trading sessions; without one the symbol trades around the clock. */
  calendar?: CalendarSpec;
}

export interface Instrument extends Required<Omit<InstrumentSpec, "calendar">> {
  tick: Decimal;
  lot: Decimal;
  calendarSpec: CalendarSpec | null;
  calendar: Calendar | null;
}

/** The spec back from an instrument, with every default written out (for snapshots). */
export function specOf(inst: Instrument): InstrumentSpec {
  const spec: InstrumentSpec = {
    id: inst.id,
    symbol: inst.symbol,
    tickSize: inst.tickSize,
    lotSize: inst.lotSize,
    bandBps: inst.bandBps,
    referencePrice: inst.referencePrice,
    base: inst.base,
    quote: inst.quote,
    priceBandBps: inst.priceBandBps,
    tradeBandBps: inst.tradeBandBps,
    volatilityBps: inst.volatilityBps,
    volatilityWindowUs: inst.volatilityWindowUs,
    haltUs: inst.haltUs,
  };
  if (inst.calendarSpec) spec.calendar = inst.calendarSpec;
  return spec;
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
  const bps = (name: string, v: number | undefined) => {
    const x = v ?? 0;
    if (!Number.isInteger(x) || x < 0 || x > 10_000) throw new Error(`${spec.symbol}: ${name} must be an integer in [0, 10000]: ${x}`);
    return x;
  };
  const duration = (name: string, v: number | undefined) => {
    const x = v ?? 0;
    if (!Number.isSafeInteger(x) || x < 0) throw new Error(`${spec.symbol}: ${name} must be a non-negative integer of µs: ${x}`);
    return x;
  };
  const calendarSpec = spec.calendar ?? null;
  return {
    id: spec.id,
    symbol: spec.symbol,
    tickSize: spec.tickSize,
    lotSize: spec.lotSize,
    bandBps: spec.bandBps,
    referencePrice,
    base: spec.base ?? "",
    quote: spec.quote ?? "",
    priceBandBps: bps("priceBandBps", spec.priceBandBps),
    tradeBandBps: bps("tradeBandBps", spec.tradeBandBps),
    volatilityBps: bps("volatilityBps", spec.volatilityBps),
    volatilityWindowUs: duration("volatilityWindowUs", spec.volatilityWindowUs),
    haltUs: duration("haltUs", spec.haltUs),
    tick,
    lot,
    calendarSpec,
    calendar: calendarSpec ? new Calendar(calendarSpec) : null,
  };
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
  if (typeof text !== "string" || text.length > MAX_TEXT || !DECIMAL.test(text.trim())) return { ok: false, reason: invalid };
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
