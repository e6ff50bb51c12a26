import { EngineConfigError } from "./errors.ts";
import DecimalBase from "decimal.js";
import { Calendar, type CalendarSpec } from "./calendar.ts";
import { parseDayEnd } from "./day-end.ts";
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
  /**
   * Without a calendar: the UTC time of day ("HH:MM") at which the trading day ends and DAY
   * orders expire; default "00:00". Ignored with a calendar (its session close ends the day).
   */
  dayEndUtc?: string;
  /**
   * Routing (docs/venues.md): with `venueAccount` (the venue's street account, the counterparty of
   * every fill the venue reports), orders on this instrument go to the external venue `venue`
   * instead of the local book; the app resolves it from the `venues` section. `venue` alone (a
   * venue that is only reconciled, `routing: false`) changes nothing here.
   */
  venue?: string;
  venueAccount?: number;
}

export interface Instrument extends Required<Omit<InstrumentSpec, "calendar">> {
  tick: Decimal;
  lot: Decimal;
  calendarSpec: CalendarSpec | null;
  calendar: Calendar | null;
  /** dayEndUtc as µs after midnight UTC. */
  dayEndUs: number;
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
  // Only when set: a default instrument's spec, and so its snapshot bytes and state hash, stay
  // what they were before the field existed.
  if (inst.dayEndUtc !== DEFAULT_DAY_END) spec.dayEndUtc = inst.dayEndUtc;
  if (inst.venueAccount !== 0) {
    spec.venue = inst.venue;
    spec.venueAccount = inst.venueAccount;
  }
  return spec;
}

export function makeInstrument(spec: InstrumentSpec): Instrument {
  if (!Number.isSafeInteger(spec.id) || spec.id < 0) throw new EngineConfigError(`instrument id must be a non-negative integer: ${spec.id}`);
  if (!spec.symbol) throw new EngineConfigError("instrument needs a symbol");
  const tick = positiveDecimal(spec.tickSize, "tickSize", spec.symbol);
  const lot = positiveDecimal(spec.lotSize, "lotSize", spec.symbol);
  if (!Number.isInteger(spec.bandBps) || spec.bandBps < 0 || spec.bandBps > 10_000) {
    throw new EngineConfigError(`${spec.symbol}: bandBps must be an integer in [0, 10000]: ${spec.bandBps}`);
  }
  const referencePrice = spec.referencePrice ?? 0;
  if (!Number.isInteger(referencePrice) || referencePrice < 0 || referencePrice > MAX_PRICE_TICKS) {
    throw new EngineConfigError(`${spec.symbol}: referencePrice must be ticks in [0, ${MAX_PRICE_TICKS}]`);
  }
  const bps = (name: string, v: number | undefined) => {
    const x = v ?? 0;
    if (!Number.isInteger(x) || x < 0 || x > 10_000) throw new EngineConfigError(`${spec.symbol}: ${name} must be an integer in [0, 10000]: ${x}`);
    return x;
  };
  const duration = (name: string, v: number | undefined) => {
    const x = v ?? 0;
    if (!Number.isSafeInteger(x) || x < 0) throw new EngineConfigError(`${spec.symbol}: ${name} must be a non-negative integer of µs: ${x}`);
    return x;
  };
  const venueAccount = spec.venueAccount ?? 0;
  if (!Number.isSafeInteger(venueAccount) || venueAccount < 0) throw new EngineConfigError(`${spec.symbol}: venueAccount must be an account id: ${venueAccount}`);
  const calendarSpec = spec.calendar ?? null;
  const dayEndUtc = spec.dayEndUtc ?? DEFAULT_DAY_END;
  const dayEndUs = parseDayEnd(dayEndUtc, spec.symbol);
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
    dayEndUtc,
    dayEndUs,
    venue: spec.venue ?? "",
    venueAccount,
  };
}

/** Midnight UTC: a 24/7 venue's day, as crypto venues roll their daily figures. */
const DEFAULT_DAY_END = "00:00";

function positiveDecimal(text: string, what: string, symbol: string): Decimal {
  let d: Decimal;
  try {
    d = new Decimal(text);
  } catch (e) {
    throw new EngineConfigError(`${symbol}: ${what} is not a decimal: ${text}`, { cause: e });
  }
  if (!d.isFinite() || d.lte(0)) throw new EngineConfigError(`${symbol}: ${what} must be positive: ${text}`);
  return d;
}

/** Strict decimal syntax: no exponent, no hex, no sign other than a leading minus. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

export type Parsed = { ok: true; value: number } | { ok: false; reason: number };

/**
 * A tick or lot size as num / 10^scale with num a safe integer: what lets the common conversions
 * run on doubles, every intermediate an integer below 2^53 and so exact. null for a size that
 * does not fit (the Decimal path then does every conversion for it).
 */
export interface Grid {
  num: number;
  scale: number;
  /**
   * Recent formatted values: a report repeats the same few quantities (one lot, nothing filled)
   * and prices near the touch, and building the text costs several string allocations. Bounded:
   * cleared when full.
   */
  texts: Map<number, string>;
}
const TEXTS_MAX = 4096;

/** Keyed by the Decimal itself, so the Instrument type (and what snapshots and hashes see) stays as it is. */
const grids = new WeakMap<Decimal, Grid | null>();

/** Exported for tests: that the instruments people use get the fast path at all. */
export function gridOf(unit: Decimal): Grid | null {
  let g = grids.get(unit);
  if (g === undefined) {
    const scale = unit.decimalPlaces();
    const num = unit.mul(new Decimal(10).pow(scale));
    g = scale <= MAX_POW10 && num.isInteger() && num.lte(Number.MAX_SAFE_INTEGER) ? { num: num.toNumber(), scale, texts: new Map() } : null;
    grids.set(unit, g);
  }
  return g;
}

/** 10^k is exact in a double up to k = 22; past 15 no product with a mantissa ≥ 1 stays below 2^53 anyway. */
const MAX_POW10 = 15;
const POW10 = Array.from({ length: MAX_POW10 + 1 }, (_, k) => 10 ** k);
/** A mantissa this large could pass 2^53 with one more digit: the parse hands such text to Decimal. */
const MANTISSA_LIMIT = Math.floor((Number.MAX_SAFE_INTEGER - 9) / 10);
/** What the fast path returns when it cannot decide; the caller then asks Decimal. */
const UNDECIDED = -1;
const OFF_GRID = -2;

/**
 * Units for text that is plain digits with at most one interior ".", on a grid that fits: the
 * mantissa m and scale s of the text give units = m·10^(g.scale−s) / g.num, or m / (g.num·10^(s−g.scale)),
 * decided exactly with every quantity a safe integer. Returns the units, 0 for a value that is not
 * positive, OFF_GRID, or UNDECIDED for everything else: signs, whitespace, exponents,
 * malformed text and anything whose digits or products would not stay below 2^53, all of which
 * the Decimal path judges as before, so both paths answer every input alike.
 */
function fastUnits(text: string, g: Grid): number {
  const n = text.length;
  if (n === 0) return UNDECIDED;
  let m = 0;
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (m > MANTISSA_LIMIT) return UNDECIDED;
      m = m * 10 + (c - 0x30);
    } else if (c === 0x2e && dot < 0 && i > 0 && i < n - 1) {
      dot = i;
    } else {
      return UNDECIDED;
    }
  }
  if (m === 0) return 0;
  const s = dot < 0 ? 0 : n - 1 - dot;
  if (s <= g.scale) {
    const k = g.scale - s;
    if (k > MAX_POW10) return UNDECIDED;
    const x = m * POW10[k]!;
    if (x > Number.MAX_SAFE_INTEGER) return UNDECIDED;
    return x % g.num === 0 ? x / g.num : OFF_GRID;
  }
  const k = s - g.scale;
  if (k > MAX_POW10) return UNDECIDED;
  const d = g.num * POW10[k]!;
  if (d > Number.MAX_SAFE_INTEGER) return UNDECIDED;
  return m % d === 0 ? m / d : OFF_GRID;
}

function toUnits(text: string, unit: Decimal, max: number, invalid: number, offGrid: number): Parsed {
  if (typeof text !== "string" || text.length > MAX_TEXT) return { ok: false, reason: invalid };
  const g = gridOf(unit);
  if (g !== null) {
    const u = fastUnits(text, g);
    if (u !== UNDECIDED) {
      if (u === OFF_GRID) return { ok: false, reason: offGrid };
      if (u === 0 || u > max) return { ok: false, reason: invalid };
      return { ok: true, value: u };
    }
  }
  return toUnitsDecimal(text, unit, max, invalid, offGrid);
}

/** The reference conversion, in decimal.js; the fast path must agree with it on every input (test/engine/instrument-fast.test.ts). */
export function toUnitsDecimal(text: string, unit: Decimal, max: number, invalid: number, offGrid: number): Parsed {
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
  return formatUnits(inst.tick, ticks);
}

export function formatQty(inst: Instrument, lots: number): string {
  return formatUnits(inst.lot, lots);
}

/**
 * units × unit with the unit's own decimals. units × num is an integer at the grid's scale, so
 * printing it with the point put in by hand is exact; a product past 2^53 (or units that are not a
 * safe integer) goes to Decimal.
 */
function formatUnits(unit: Decimal, units: number): string {
  const g = gridOf(unit);
  if (g !== null && Number.isSafeInteger(units)) {
    // -0 shares 0's entry, which is right: decimal.js prints a zero product without a sign.
    const hit = g.texts.get(units);
    if (hit !== undefined) return hit;
    const x = units * g.num;
    if (x >= -Number.MAX_SAFE_INTEGER && x <= Number.MAX_SAFE_INTEGER) {
      const text = x < 0 ? "-" + pointAt(String(-x), g.scale) : pointAt(String(x === 0 ? 0 : x), g.scale);
      if (g.texts.size >= TEXTS_MAX) g.texts.clear();
      g.texts.set(units, text);
      return text;
    }
  }
  return formatUnitsDecimal(unit, units);
}

/** Integer digits shown with `scale` of them after the point, zero-padded to at least one before it. */
function pointAt(digits: string, scale: number): string {
  if (scale === 0) return digits;
  const padded = digits.length > scale ? digits : ZEROS.slice(0, scale + 1 - digits.length) + digits;
  const p = padded.length - scale;
  return padded.slice(0, p) + "." + padded.slice(p);
}
const ZEROS = "0".repeat(MAX_POW10 + 2);

/** The reference formatting, in decimal.js. */
export function formatUnitsDecimal(unit: Decimal, units: number): string {
  return unit.mul(units).toFixed(unit.decimalPlaces());
}
